import t from 'tap';
import { ConfigError, loadConfig, type OidcConfig } from '../../../src/config.js';
import { displayName, profilesFromClaims } from '../../../src/modules/sign-in/role-profiles.js';

const base = { OIDC_ISSUER: 'https://idp.example.nhs.uk', OIDC_CLIENT_ID: 'implant-trace', OIDC_CLIENT_SECRET: 's3cret' };
const oidc = (env: Record<string, string>): OidcConfig => {
  const config = loadConfig({ ...base, ...env }).oidc;
  if (!config) throw new Error('sign-in is off');
  return config;
};

t.test("CIS2: nhsid_nrbac_roles, a list of role profiles, each with its organisation's ODS code", async (t) => {
  const cis2 = oidc({
    OIDC_SCOPES: 'openid profile nationalrbacaccess',
    OIDC_ROLES_CLAIM: 'nhsid_nrbac_roles',
    OIDC_ROLE_FIELD: 'role_code',
    OIDC_ORGANISATION_FIELD: 'org_code',
    OIDC_ROLE_MAP: JSON.stringify({ R8000: 'scanner', R8001: 'scanner', R5080: 'procurement', R0001: 'admin' }),
  });
  const claims = {
    sub: '910000000001',
    nhsid_nrbac_roles: [
      { person_orgid: '555254239107', person_roleid: '555254240100', org_code: 'RRK', role_name: '"Clinical":"Clinical Provision":"Nurse Access Role"', role_code: 'S8000:G8000:R8001' },
      { person_orgid: '555254239108', person_roleid: '555254240101', org_code: 'rr8', role_code: 'S8000:G8000:R5080' },
      { person_orgid: '555254239109', person_roleid: '555254240102', org_code: 'RRK', role_code: 'S8002:G8003:R8004' },
      { person_roleid: 'no-organisation', role_code: 'S8000:G8000:R0001' },
      'not an object',
    ],
  };
  t.same(profilesFromClaims(claims, cis2), [
    { role: 'scanner', national: false, odsCode: 'RRK' },
    { role: 'procurement', national: false, odsCode: 'RR8' },
  ], 'mapped by a part of the role code; the organisation from each profile; a student role and a profile without an organisation give nothing');
});

t.test('Entra ID / Keycloak: a list of strings (or a nested claim), the organisation from a claim of its own', async (t) => {
  const entra = oidc({ OIDC_ORGANISATION_CLAIM: 'ods', OIDC_ROLE_MAP: JSON.stringify({ 'Trace.Procurement': 'procurement', 'Trace.NationalAdmin': { role: 'admin', national: true } }) });
  t.same(profilesFromClaims({ roles: ['Trace.Procurement', 'Other.App'], ods: 'RRK' }, entra), [{ role: 'procurement', national: false, odsCode: 'RRK' }]);
  t.same(profilesFromClaims({ roles: 'Trace.NationalAdmin' }, entra), [{ role: 'admin', national: true, odsCode: null }], 'a single string; national needs no organisation');
  t.same(profilesFromClaims({ roles: ['Trace.Procurement'] }, entra), [], 'an organisation role without an organisation gives nothing');
  t.same(profilesFromClaims({ roles: ['trace.procurement'], ods: 'RRK' }, entra), [], 'values match exactly');
  t.same(profilesFromClaims({}, entra), [], 'no claim, no role: never a default');
  const keycloak = oidc({ OIDC_ROLES_CLAIM: 'realm_access.roles', OIDC_ORGANISATION_CLAIM: 'ods_code', OIDC_ROLE_MAP: '{"trace-scanner":"scanner"}' });
  t.same(profilesFromClaims({ realm_access: { roles: ['trace-scanner', 'offline_access'] }, ods_code: 'RRK' }, keycloak), [{ role: 'scanner', national: false, odsCode: 'RRK' }]);
});

t.test('display names', async (t) => {
  t.equal(displayName({ name: 'Dr Ada Lovelace' }, 'name', 's'), 'Dr Ada Lovelace');
  t.equal(displayName({ given_name: 'Ada', family_name: 'Lovelace' }, 'name', 's'), 'Ada Lovelace');
  t.equal(displayName({ preferred_username: 'ada' }, 'name', 's'), 'ada');
  t.equal(displayName({}, 'name', 'subject-1'), 'subject-1');
  t.equal(displayName({ name: 'A\u0000B\u202eC' }, 'name', 's'), 'A B C', 'no control characters');
});

t.test('configuration: sign-in needs a client, one way to authenticate it, and a role map', async (t) => {
  t.equal(loadConfig({}).oidc, undefined, 'off without OIDC_ISSUER');
  t.throws(() => loadConfig({ OIDC_ISSUER: 'https://idp.example' }), ConfigError);
  t.throws(() => loadConfig({ ...base }), /OIDC_ROLE_MAP is required/);
  t.throws(() => loadConfig({ ...base, OIDC_ROLE_MAP: '{"x":"registry"}' }), /OIDC_ROLE_MAP/, 'registry is no role for a person');
  t.throws(() => loadConfig({ ...base, OIDC_ROLE_MAP: 'not json' }), /OIDC_ROLE_MAP/);
  t.throws(() => loadConfig({ ...base, OIDC_CLIENT_PRIVATE_KEY: '{"kty":"EC","d":"x"}', OIDC_ROLE_MAP: '{"x":"admin"}' }), /exactly one of/);
  t.throws(() => loadConfig({ ...base, OIDC_ISSUER: 'http://idp.example', OIDC_ROLE_MAP: '{"x":"admin"}' }), /OIDC_ISSUER/, 'plain http only on loopback');
  t.throws(() => loadConfig({ OIDC_CLIENT_ID: 'x' }), /OIDC_ISSUER is not/);
  t.throws(() => loadConfig({ ...base, OIDC_SCOPES: 'profile', OIDC_ROLE_MAP: '{"x":"admin"}' }), /openid/);
  const ok = oidc({ OIDC_ROLE_MAP: '{"x":"admin"}' });
  t.equal(ok.scopes, 'openid profile');
  t.notMatch(JSON.stringify(t.throws(() => loadConfig({ ...base, OIDC_CLIENT_PRIVATE_KEY: 'secret-material', OIDC_ROLE_MAP: '{"x":"admin"}' }))), 'secret-material', 'a secret is never echoed');
});
