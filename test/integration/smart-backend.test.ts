import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { sql } from 'kysely';
import t from 'tap';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';
import { exportAll, kickOff } from '../helpers/fhir-export.js';
import { GTIN, newProcedure, scan } from '../helpers/theatre.js';

/**
 * SMART Backend Services (issue 18): a registry's client registered with its public keys gets a short-lived
 * token with a JWT signed by its private key (real RS384 and ES384 signatures by jose), and reads the feed and
 * a Bulk Data export with it; every assertion that must be refused is.
 */

// No path prefix: the Bulk Data helpers request the pathnames of the URLs the service hands out.
const PUBLIC = 'https://implants.example.test';
const TOKEN_URL = `${PUBLIC}/oauth/token`;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface Signer {
  readonly clientId: string;
  readonly kid: string;
  readonly alg: 'RS384' | 'ES384';
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function signer(clientId: string, alg: 'RS384' | 'ES384', kid = `${alg}-${randomUUID().slice(0, 8)}`): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { clientId, kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

interface AssertionOptions {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string;
  readonly exp?: number;
  readonly nbf?: number;
  readonly jti?: string;
  readonly key?: CryptoKey;
  readonly kid?: string;
  readonly alg?: 'RS384' | 'ES384';
}

t.test('SMART Backend Services for registries', async (t) => {
  // The service's clock, moved by the test; the exporter and the token checks read it.
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  const app = await buildTestApp(t, { clock, env: { PUBLIC_BASE_URL: PUBLIC, AUTH_FAILURE_LIMIT: '100000' } });
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  const org = await createOrganisationWithKeys(app, 'RRK');
  const other = await createOrganisationWithKeys(app, 'RH8');

  // Data to export: a procedure in each organisation, one patient consenting to NJR.
  await app.request({ method: 'PUT', url: `/v1/products/${GTIN}`, key: org.keys.procurement, payload: { brand: 'Hip Stem X', implantable: true } });
  const rrk = await newProcedure(app, org.keys.scanner, 9101);
  t.equal((await scan(app, org.keys.scanner, rrk, { barcode: `01${GTIN}21SMART-1` })).statusCode, 201);
  const rh8 = await newProcedure(app, other.keys.scanner, 9102);
  t.equal((await scan(app, other.keys.scanner, rh8, { barcode: `01${GTIN}21SMART-2` })).statusCode, 201);

  const assertion = async (s: Signer, o: AssertionOptions = {}) => {
    const jwt = new SignJWT({ jti: o.jti ?? randomUUID() })
      .setProtectedHeader({ alg: o.alg ?? s.alg, kid: o.kid ?? s.kid, typ: 'JWT' })
      .setIssuer(o.iss ?? s.clientId)
      .setSubject(o.sub ?? s.clientId)
      .setAudience(o.aud ?? TOKEN_URL)
      .setExpirationTime(o.exp ?? nowSeconds() + 240);
    if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
    return jwt.sign(o.key ?? s.privateKey);
  };
  const tokenRequest = (form: Record<string, string>) =>
    app.request({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(form).toString() });
  const askToken = async (s: Signer, scope = 'system/*.rs', o: AssertionOptions = {}) =>
    tokenRequest({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(s, o), scope });
  const tokenOf = async (s: Signer, scope = 'system/*.rs') => {
    const res = await askToken(s, scope);
    if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
    return res.json<{ access_token: string }>().access_token;
  };
  const register = (payload: Record<string, unknown>, key = app.adminKey) => app.request({ method: 'POST', url: '/v1/smart/clients', key, payload });

  // A client publishing its keys at a URL, served here as a registry would.
  const es = await signer('bcir-es384', 'ES384');
  let jwksFetches = 0;
  const jwksServer = createServer((_req, res) => {
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(JSON.stringify({ keys: [es.publicJwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => jwksServer.close(resolve)));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

  const rs = await signer('njr-exporter', 'RS384');
  let rsClient: { id: string; keyId: string };

  t.test('the smart-configuration advertises the token endpoint at the public address', async (t) => {
    for (const url of ['/.well-known/smart-configuration', '/fhir/R4/.well-known/smart-configuration']) {
      const res = await app.request({ method: 'GET', url });
      t.equal(res.statusCode, 200, url);
      t.match(res.json(), {
        token_endpoint: TOKEN_URL,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
        grant_types_supported: ['client_credentials'],
        capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
      });
      t.ok(res.json().scopes_supported.includes('system/*.rs') && res.json().scopes_supported.includes('system/*.read'));
    }
  });

  t.test('a national admin registers clients, inline or by JWKS URL; nobody else does', async (t) => {
    const created = await register({ clientId: rs.clientId, registry: 'NJR', national: true, jwks: { keys: [rs.publicJwk] } });
    t.equal(created.statusCode, 201, created.body);
    rsClient = created.json();
    t.match(created.json(), { clientId: rs.clientId, registry: 'NJR', national: true, organisation: null, jwksUrl: null, revokedAt: null });
    t.equal(created.headers.location, `${PUBLIC}/v1/smart/clients/${rsClient.id}`);

    const byUrl = await register({ clientId: es.clientId, registry: 'NJR', organisation: 'RRK', jwksUrl });
    t.equal(byUrl.statusCode, 201, byUrl.body);
    t.match(byUrl.json(), { organisation: 'RRK', national: false, jwksUrl, jwks: null });
    const generated = await register({ registry: 'NJR', national: true, jwks: { keys: [{ ...rs.publicJwk, kid: 'other' }] } });
    t.match(generated.json().clientId, /^[0-9a-f-]{36}$/, 'a client_id is chosen when none is given');

    t.equal((await register({ clientId: rs.clientId, registry: 'NJR', national: true, jwksUrl: 'https://njr.example/jwks' })).json().code, 'SMART_CLIENT_EXISTS');
    t.equal((await register({ registry: 'NJR', national: true, jwksUrl: 'https://x.example/j', jwks: { keys: [rs.publicJwk] } })).statusCode, 422, 'one of jwksUrl or jwks');
    t.equal((await register({ registry: 'NJR', jwksUrl: 'https://x.example/j' })).statusCode, 422, 'national or an organisation');
    t.equal((await register({ registry: 'NJR', national: true, jwksUrl: 'http://jwks.example/keys' })).json().code, 'JWKS_INVALID', 'http only to localhost');
    t.equal((await register({ registry: 'XYZ', national: true, jwksUrl: 'https://x.example/j' })).json().code, 'REGISTRY_UNKNOWN');
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const leaked = await register({ registry: 'NJR', national: true, jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'leak' }] } });
    t.equal(leaked.json().code, 'JWKS_INVALID', 'a private key is refused');
    t.match(leaked.json().detail, /private key material/);
    t.equal((await register({ registry: 'NJR', national: true, jwks: { keys: [{ kty: 'EC', kid: 'p256', crv: 'P-256', x: 'AA', y: 'AA' }] } })).json().code, 'JWKS_INVALID');
    t.equal((await register({ registry: 'NJR', national: true, jwks: { keys: [rs.publicJwk, rs.publicJwk] } })).json().code, 'JWKS_INVALID', 'kids unique');

    t.equal((await register({ registry: 'NJR', national: true, jwksUrl: 'https://x.example/j' }, org.keys.admin)).statusCode, 403, 'an organisation admin may not');
    t.equal((await register({ registry: 'NJR', national: true, jwksUrl: 'https://x.example/j' }, org.keys.registry)).statusCode, 403);

    const list = await app.request({ method: 'GET', url: '/v1/smart/clients', key: app.adminKey });
    t.same(list.json().items.map((c: { clientId: string }) => c.clientId).slice(0, 2), [rs.clientId, es.clientId]);
    const keys = await app.request({ method: 'GET', url: '/v1/api-keys', key: app.adminKey });
    t.match(keys.json().items.find((k: { id: string }) => k.id === rsClient.keyId), { kind: 'smart-client', role: 'registry', registry: 'NJR', national: true });
    const audit = await app.db.selectFrom('audit_events').select(['action', 'detail']).where('action', '=', 'smart-client.register').execute();
    t.equal(audit.length, 3);
  });

  let rsToken = '';
  t.test('RS384: a token for the client credentials, short-lived, stored as a hash', async (t) => {
    const res = await askToken(rs, 'system/*.rs');
    t.equal(res.statusCode, 200, res.body);
    t.match(res.json(), { token_type: 'bearer', expires_in: 300, scope: 'system/*.rs' });
    t.equal(res.headers['cache-control'], 'no-store');
    rsToken = res.json().access_token;
    t.match(rsToken, /^itt_[A-Za-z0-9_-]{43}$/);
    const stored = await app.db.selectFrom('smart_access_tokens').select(['token_hash', 'scopes']).execute();
    t.equal(stored.length, 1);
    t.notOk(JSON.stringify(stored).includes(rsToken.slice(4, 20)), 'only the SHA-256 is kept');
    const issued = await app.db.selectFrom('audit_events').select(['actor_key_id', 'actor_role']).where('action', '=', 'smart.token.issue').execute();
    t.same(issued, [{ actor_key_id: rsClient.keyId, actor_role: 'registry' }], 'audited under the client’s principal');

    const me = await app.request({ method: 'GET', url: '/v1/me', key: rsToken });
    t.match(me.json(), { keyId: rsClient.keyId, role: 'registry', registry: 'NJR', national: true });
  });

  t.test('the SMART flow exports a Bulk Data group and reads the feed', async (t) => {
    const { manifest, files } = await exportAll(app, rsToken, 'NJR');
    t.same(manifest.output.map((o) => o.type), ['Patient', 'Procedure', 'Device'], 'every type with resources (these procedures have no place)');
    t.same(files.get('Procedure')?.map((p) => p.id).sort(), [rrk, rh8].sort(), 'a national client reads every organisation');
    const started = await app.db.selectFrom('audit_events').select('actor_key_id').where('action', '=', 'fhir.export.start').execute();
    t.same(started, [{ actor_key_id: rsClient.keyId }]);
    const downloads = await app.db.selectFrom('audit_events').select('actor_key_id').where('action', '=', 'fhir.export.download').execute();
    t.ok(downloads.length === 3 && downloads.every((d) => d.actor_key_id === rsClient.keyId), 'every download audited under the client');

    const feed = await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: rsToken });
    t.equal(feed.statusCode, 200, feed.body);
    t.same(feed.json().entries.map((e: { procedureId: string }) => e.procedureId).sort(), [rrk, rh8].sort());
    t.equal((await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=BCIR', key: rsToken })).json().code, 'REGISTRY_NOT_PERMITTED');
  });

  t.test('ES384 with keys fetched from the client’s JWKS URL; an organisation’s client reads its organisation', async (t) => {
    const token = await tokenOf(es, 'system/Patient.read system/Procedure.read system/Device.read system/Location.read');
    t.ok(jwksFetches >= 1, 'the key set was fetched from the URL');
    const feed = await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: token });
    t.same(feed.json().entries.map((e: { procedureId: string }) => e.procedureId), [rrk]);
    const { files } = await exportAll(app, token, 'NJR');
    t.same(files.get('Procedure')?.map((p) => p.id), [rrk]);
    const fetches = jwksFetches;
    await tokenOf(es);
    t.equal(jwksFetches, fetches, 'the key set is cached, not fetched for every token');
  });

  t.test('scopes: only what the token reads, refused otherwise', async (t) => {
    const devices = await tokenOf(rs, 'system/Device.rs');
    const feed = await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: devices });
    t.equal(feed.statusCode, 403);
    t.equal(feed.json().code, 'FORBIDDEN');
    t.match(feed.json().detail, /Patient, Procedure, Location/);
    t.match(feed.headers['www-authenticate'], /insufficient_scope/);
    const named = await kickOff(app, devices, 'NJR', '?_type=Patient,Device');
    t.equal(named.statusCode, 403);
    t.match(named.json(), { resourceType: 'OperationOutcome', issue: [{ code: 'forbidden', details: { coding: [{ code: 'FORBIDDEN' }] } }] });
    const { manifest } = await exportAll(app, devices, 'NJR');
    t.same(manifest.output.map((o) => o.type), ['Device'], 'without _type, the types the token reads');
    const everything = await exportAll(app, rsToken, 'NJR');
    const patientFile = everything.manifest.output.find((o) => o.type === 'Patient')!;
    t.equal((await app.request({ method: 'GET', url: new URL(patientFile.url).pathname, key: devices })).statusCode, 403, 'nor a Patient file of another export');

    for (const [method, url] of [
      ['GET', '/v1/registries'],
      ['GET', '/v1/outcomes/survival?groupBy=product'],
      ['POST', '/v1/barcodes/parse'],
    ] as const) {
      const res = await app.request({ method, url, key: rsToken, ...(method === 'POST' ? { payload: { barcode: '0109506000134352' } } : {}) });
      t.equal(res.statusCode, 403, `${method} ${url}: tokens only where the route takes them`);
      t.match(res.json().detail, /SMART access token is accepted by the registry feed and the FHIR Bulk Data routes only/);
    }
  });

  t.test('assertions and requests that are refused, in OAuth’s words', async (t) => {
    const other = await signer(rs.clientId, 'RS384', rs.kid);
    const hs = new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS384', kid: rs.kid })
      .setIssuer(rs.clientId)
      .setSubject(rs.clientId)
      .setAudience(TOKEN_URL)
      .setExpirationTime(nowSeconds() + 60)
      .sign(new TextEncoder().encode('a'.repeat(48)));
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: rs.clientId, sub: rs.clientId, aud: TOKEN_URL, exp: nowSeconds() + 60, jti: randomUUID() })}.`;
    const forgedPayload = b64({ iss: rs.clientId, sub: rs.clientId, aud: TOKEN_URL, exp: nowSeconds() + 60, jti: randomUUID() });
    const hmac = createHmac('sha384', JSON.stringify(rs.publicJwk)).update(`${b64({ alg: 'HS384', kid: rs.kid })}.${forgedPayload}`).digest('base64url');
    const keyConfusion = `${b64({ alg: 'HS384', kid: rs.kid })}.${forgedPayload}.${hmac}`;
    const replayed = await assertion(rs);
    t.equal((await tokenRequest({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: replayed, scope: 'system/*.rs' })).statusCode, 200);

    const cases: Array<[string, Record<string, string>, number, string, RegExp?]> = [
      ['expired', { client_assertion: await assertion(rs, { exp: nowSeconds() - 1 }) }, 401, 'invalid_client', /expired/],
      ['replayed (the jti was used)', { client_assertion: replayed }, 401, 'invalid_client', /used before/],
      ['signed by a key the client did not register', { client_assertion: await assertion(rs, { key: other.privateKey }) }, 401, 'invalid_client', /signature/],
      ['signed by another client’s key', { client_assertion: await assertion(rs, { key: es.privateKey, kid: rs.kid, alg: 'ES384' }) }, 401, 'invalid_client'],
      ['wrong audience', { client_assertion: await assertion(rs, { aud: 'https://elsewhere.example/token' }) }, 401, 'invalid_client', /aud/],
      ['the FHIR base as audience', { client_assertion: await assertion(rs, { aud: `${PUBLIC}/fhir/R4` }) }, 401, 'invalid_client', /aud/],
      ['iss is not sub', { client_assertion: await assertion(rs, { sub: es.clientId }) }, 401, 'invalid_client', /iss and sub/],
      ['exp more than five minutes ahead', { client_assertion: await assertion(rs, { exp: nowSeconds() + 600 }) }, 401, 'invalid_client', /300 s ahead/],
      ['not before a future time', { client_assertion: await assertion(rs, { nbf: nowSeconds() + 120 }) }, 401, 'invalid_client', /nbf/],
      ['alg none', { client_assertion: none }, 401, 'invalid_client'],
      ['HS384 with a shared secret', { client_assertion: await hs }, 401, 'invalid_client', /RS384 or ES384/],
      ['HS384 keyed with the public key (key confusion)', { client_assertion: keyConfusion }, 401, 'invalid_client', /RS384 or ES384/],
      ['an unknown client', { client_assertion: await assertion({ ...rs, clientId: 'nobody' }) }, 401, 'invalid_client', /Unknown or revoked/],
      ['not a JWT', { client_assertion: 'not.a.jwt' }, 401, 'invalid_client'],
      ['client_id that is not the assertion’s', { client_id: es.clientId, client_assertion: await assertion(rs) }, 401, 'invalid_client'],
      ['another assertion type', { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: await assertion(rs) }, 401, 'invalid_client'],
      ['another grant type', { grant_type: 'authorization_code', client_assertion: await assertion(rs) }, 400, 'unsupported_grant_type'],
      ['no grant type', { client_assertion: await assertion(rs) }, 400, 'invalid_request', /grant_type/],
      ['no assertion', {}, 400, 'invalid_request'],
      ['no scope', { client_assertion: await assertion(rs) }, 400, 'invalid_request', /scope/],
      ['an empty scope', { scope: '', client_assertion: await assertion(rs) }, 400, 'invalid_scope'],
      ['a write scope', { scope: 'system/*.cruds', client_assertion: await assertion(rs) }, 400, 'invalid_scope'],
      ['a v1 write scope', { scope: 'system/Patient.read system/Patient.write', client_assertion: await assertion(rs) }, 400, 'invalid_scope'],
      ['a patient scope', { scope: 'patient/*.rs', client_assertion: await assertion(rs) }, 400, 'invalid_scope'],
      ['a type the service does not serve', { scope: 'system/Observation.rs', client_assertion: await assertion(rs) }, 400, 'invalid_scope'],
    ];
    for (const [name, fields, status, error, description] of cases) {
      const form: Record<string, string> = { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, scope: 'system/*.rs', ...fields };
      if (name === 'no grant type') delete form['grant_type'];
      if (name === 'no assertion') delete form['client_assertion'];
      if (name === 'no scope') delete form['scope'];
      const res = await tokenRequest(form);
      t.equal(res.statusCode, status, `${name}: ${res.body}`);
      t.match(res.headers['content-type'], /^application\/json/, name);
      t.equal(res.json().error, error, name);
      t.type(res.json().error_description, 'string', name);
      if (description) t.match(res.json().error_description, description, name);
    }
    t.equal((await tokenRequest({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, scope: 'system/*.rs' })).json().error, 'invalid_request');

    const json = await app.request({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'client_credentials' } });
    t.equal(json.statusCode, 415, 'a JSON body is not a token request');
    t.equal(json.json().error, 'invalid_request');
    const twice = await app.request({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&grant_type=client_credentials',
    });
    t.equal(twice.json().error, 'invalid_request', 'a parameter sent twice');

    const refused = await app.db.selectFrom('audit_events').select(['actor_key_id', 'outcome']).where('action', '=', 'smart.token.refuse').execute();
    t.ok(refused.length >= 10 && refused.every((r) => r.actor_key_id === rsClient.keyId && r.outcome === 'denied'), 'a known client’s refusals are on its audit trail');
    t.notOk(app.rawLogs().includes(replayed), 'no assertion in the logs');
    t.notOk(app.rawLogs().includes(rsToken), 'no token in the logs');
  });

  t.test('tokens expire by the service’s clock', async (t) => {
    const token = await tokenOf(rs);
    t.equal((await app.request({ method: 'GET', url: '/v1/me', key: token })).statusCode, 200);
    offsetMs = 299_000;
    t.equal((await app.request({ method: 'GET', url: '/v1/me', key: token })).statusCode, 200, 'alive at 299 s');
    offsetMs = 301_000;
    const expired = await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: token });
    t.equal(expired.statusCode, 401);
    t.equal(expired.json().code, 'UNAUTHENTICATED');
    t.match(expired.headers['www-authenticate'], /invalid_token/);
    offsetMs = 0;
  });

  t.test('expired jtis and tokens are pruned', async (t) => {
    offsetMs = 20 * 60_000;
    await tokenOf(rs);
    const old = await app.db.selectFrom('smart_client_assertions').select(sql<number>`count(*)::int`.as('n')).where('expires_at', '<', new Date(Date.now())).executeTakeFirstOrThrow();
    t.equal(old.n, 0, 'assertions expired long ago are forgotten');
    const tokens = await app.db.selectFrom('smart_access_tokens').select(sql<number>`count(*)::int`.as('n')).where('expires_at', '<', new Date(Date.now())).executeTakeFirstOrThrow();
    t.equal(tokens.n, 0);
    offsetMs = 0;
  });

  t.test('revoking the client stops its live tokens at once, and it gets no more', async (t) => {
    const token = await tokenOf(es);
    t.equal((await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: token })).statusCode, 200);
    const client = (await app.request({ method: 'GET', url: '/v1/smart/clients', key: app.adminKey })).json().items.find((c: { clientId: string }) => c.clientId === es.clientId);
    t.equal((await app.request({ method: 'DELETE', url: `/v1/smart/clients/${client.id}`, key: org.keys.admin })).statusCode, 403, 'national admins only');
    t.equal((await app.request({ method: 'DELETE', url: `/v1/smart/clients/${client.id}`, key: app.adminKey })).statusCode, 204);
    t.equal((await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: token })).statusCode, 401);
    const again = await askToken(es);
    t.equal(again.statusCode, 401);
    t.equal(again.json().error, 'invalid_client');
    t.equal((await app.request({ method: 'DELETE', url: `/v1/smart/clients/${client.id}`, key: app.adminKey })).statusCode, 204, 'idempotent');
    t.equal((await app.request({ method: 'DELETE', url: `/v1/smart/clients/${randomUUID()}`, key: app.adminKey })).statusCode, 404);
    const listed = (await app.request({ method: 'GET', url: '/v1/smart/clients', key: app.adminKey })).json().items.find((c: { id: string }) => c.id === client.id);
    t.ok(listed.revokedAt, 'listed as revoked');
    t.equal((await app.db.selectFrom('audit_events').select('id').where('action', '=', 'smart-client.revoke').execute()).length, 2);

    // Revoking the principal as an API key does the same.
    const token2 = await tokenOf(rs);
    t.equal((await app.request({ method: 'DELETE', url: `/v1/api-keys/${rsClient.keyId}`, key: app.adminKey })).statusCode, 204);
    t.equal((await app.request({ method: 'GET', url: '/v1/me', key: token2 })).statusCode, 401);
    t.equal((await askToken(rs)).json().error, 'invalid_client');
  });
});

t.test('failed client authentication at the token endpoint counts towards the throttle', async (t) => {
  const app: TestApp = await buildTestApp(t, { env: { AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '60' } });
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: 'not.a.jwt', scope: 'system/*.rs' }).toString();
  const post = () => app.request({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form });
  for (let i = 0; i < 3; i++) t.equal((await post()).statusCode, 401);
  const blocked = await post();
  t.equal(blocked.statusCode, 429);
  t.equal(blocked.json().error, 'temporarily_unavailable');
  t.ok(Number(blocked.headers['retry-after']) > 0);
  const bearer = await app.request({ method: 'GET', url: '/v1/me', key: 'itt_unknownunknownunknownunknownunknownunkno' });
  t.equal(bearer.statusCode, 429, 'and the API shares the same count');
});
