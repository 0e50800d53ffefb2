/**
 * The try-out Keycloak of docker-compose's keycloak profile cannot run here (no
 * Docker engine), so its realm file is held to what the service expects: the
 * client the README's settings name, PKCE, the redirect the service serves, and
 * for each try-out user the claims Keycloak will send mapping to the profile
 * the README promises, through the service's own role mapping.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../src/config.js';
import { profilesFromClaims } from '../../../src/modules/sign-in/role-profiles.js';

const root = new URL('../../../', import.meta.url);
interface Realm {
  realm: string;
  roles: { realm: Array<{ name: string }> };
  clients: Array<{ clientId: string; secret: string; publicClient: boolean; redirectUris: string[]; attributes: Record<string, string>; protocolMappers: Array<{ protocolMapper: string; config: Record<string, string> }> }>;
  users: Array<{ username: string; attributes?: Record<string, string[]>; realmRoles: string[] }>;
}
const realm = JSON.parse(readFileSync(new URL('deploy/keycloak/implant-trace-realm.json', root), 'utf8')) as Realm;
const readme = readFileSync(new URL('README.md', root), 'utf8');
const compose = parseYaml(readFileSync(new URL('docker-compose.yml', root), 'utf8')) as {
  services: Record<string, { image?: string; profiles?: string[]; volumes?: string[]; environment?: Record<string, unknown>; extra_hosts?: string[] }>;
};

/** The values the README's try-out section sets, as `NAME=value` or `NAME='value'`. */
function readmeSettings(): Record<string, string> {
  const section = readme.slice(readme.indexOf('### Trying sign-in with Keycloak'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return Object.fromEntries([...block.matchAll(/(?:^|\s)(OIDC_\w+)=(?:'([^']*)'|(\S+))/gm)].map((m) => [m[1] as string, (m[2] ?? m[3]) as string]));
}

t.test('the compose profile mounts this realm into a pinned Keycloak, and passes sign-in settings to the service', async (t) => {
  const keycloak = compose.services.keycloak;
  t.same(keycloak?.profiles, ['keycloak'], 'only with --profile keycloak');
  t.match(keycloak?.image, /^quay\.io\/keycloak\/keycloak:\d+\.\d+\.\d+$/);
  t.ok(keycloak?.volumes?.some((v) => v.startsWith('./deploy/keycloak/implant-trace-realm.json:/opt/keycloak/data/import/')), 'the realm is imported at start');
  for (const name of ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_ROLES_CLAIM', 'OIDC_ORGANISATION_CLAIM', 'OIDC_ROLE_MAP']) {
    t.ok(compose.services.api?.environment && name in compose.services.api.environment, `${name} reaches the service`);
  }
});

t.test("the realm's client is the one the README's settings name, with PKCE and the service's redirect", async (t) => {
  const settings = readmeSettings();
  const client = realm.clients.find((c) => c.clientId === settings.OIDC_CLIENT_ID);
  if (!client) throw new Error(`no client ${settings.OIDC_CLIENT_ID ?? '(none in the README)'} in the realm`);
  t.equal(settings.OIDC_ISSUER, `http://localhost:8080/realms/${realm.realm}`);
  t.equal(compose.services.keycloak?.environment?.KC_HOSTNAME, 'http://localhost:8080', 'the issuer Keycloak announces is the one the service is given');
  t.equal(client.secret, settings.OIDC_CLIENT_SECRET);
  t.equal(client.publicClient, false);
  t.equal(client.attributes['pkce.code.challenge.method'], 'S256');
  t.same(client.redirectUris, ['http://localhost:3000/auth/callback'], 'PUBLIC_BASE_URL (compose default) + /auth/callback');
  t.equal(client.attributes['backchannel.logout.url'], 'http://host.docker.internal:3000/auth/backchannel-logout', 'back-channel logout to the service on the host');
  t.equal(client.attributes['backchannel.logout.session.required'], 'true', 'with sid: only the sessions begun in that Keycloak session end');
  t.ok(compose.services.keycloak?.extra_hosts?.includes('host.docker.internal:host-gateway'), 'the container can reach the host');
  t.ok(client.protocolMappers.some((m) => m.protocolMapper === 'oidc-usermodel-attribute-mapper' && m.config['claim.name'] === settings.OIDC_ORGANISATION_CLAIM && m.config['id.token.claim'] === 'true'));
  t.ok(client.protocolMappers.some((m) => m.protocolMapper === 'oidc-usermodel-realm-role-mapper' && m.config['claim.name'] === settings.OIDC_ROLES_CLAIM && m.config['id.token.claim'] === 'true'));
});

t.test('each try-out user maps, through the service, to the profiles the README promises', async (t) => {
  const oidc = loadConfig(readmeSettings()).oidc;
  if (!oidc) throw new Error('the README settings leave sign-in off');
  const claimsOf = (username: string) => {
    const user = realm.users.find((u) => u.username === username);
    if (!user) throw new Error(`no user ${username}`);
    // What the realm's mappers put in the ID token: realm_access.roles, and ods_code when the user has one.
    return { sub: username, realm_access: { roles: user.realmRoles }, ...(user.attributes?.ods_code ? { ods_code: user.attributes.ods_code[0] } : {}) };
  };
  t.same(profilesFromClaims(claimsOf('nurse'), oidc), [{ role: 'scanner', national: false, odsCode: 'DEMO' }]);
  t.same(
    profilesFromClaims(claimsOf('mdso'), oidc),
    [
      { role: 'procurement', national: false, odsCode: 'DEMO' },
      { role: 'admin', national: false, odsCode: 'DEMO' },
    ],
    'two profiles: chosen after sign-in',
  );
  t.same(profilesFromClaims(claimsOf('national'), oidc), [{ role: 'admin', national: true, odsCode: null }]);
  for (const role of realm.roles.realm.map((r) => r.name)) t.ok(oidc.roleMap.has(role), `realm role ${role} is mapped`);
});
