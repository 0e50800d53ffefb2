import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sql } from 'kysely';
import t from 'tap';
import type { Role } from '../../src/domain/vocabulary.js';
import { hashAccessToken } from '../../src/modules/smart/smart.service.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { GTIN, nhsNumber } from '../helpers/theatre.js';

/**
 * The authorisation matrix, written by hand from the README's API table (not
 * read from the code): every route × every kind of caller.
 *
 * Six letters per protected route, for the callers in this order:
 *   national admin, organisation admin, scanner, procurement, registry key,
 *   and a SMART Backend Services access token (a registry client of the same
 *   registry and organisation, scope system/*.rs; sessions are tokens too).
 *   y  admitted: the answer is neither 401 nor 403 (a 404 or 422 is fine)
 *   -  refused by role: 403 FORBIDDEN naming the key's role
 *   s  the role is admitted but not this key's scope: 403 FORBIDDEN for another
 *      reason (national-only configuration, or an operation that belongs to one
 *      organisation and so is not for a national key)
 * Without a key, with a malformed header, an unknown or a revoked key, an
 * unknown, expired or revoked token, every protected route answers 401
 * UNAUTHENTICATED; public routes answer anyone. `oauth`: the token endpoint,
 * which takes no key and answers a request without an assertion in OAuth's words.
 */
const MATRIX: Record<string, string> = {
  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /openapi.json': 'public',
  'GET /problems': 'public',
  'GET /problems/:code': 'public',
  'GET /docs': 'public',
  'GET /docs/static/*': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  // The web console's static pages: no data, every call they make carries the user's key.
  'GET /': 'public',
  'GET /console': 'public',
  'GET /console/*': 'public',
  // Staff sign-in (OpenID Connect): public to the key check, since the person has no key. With sign-in off, as
  // here, login, callback and profiles answer 404 SIGN_IN_OFF; the other session routes answer by the session cookie itself
  // (none: 401, or 422 for a body that breaks the schema); sign-out sends the browser on. oidc-signin.test.ts
  // drives them with sign-in on.
  'GET /auth/login': 'sign-in',
  'GET /auth/callback': 'sign-in',
  'GET /auth/profiles': 'sign-in',
  'POST /auth/profile': 'sign-in',
  'POST /auth/logout': 'sign-in',
  //                                 N A S P R T
  'POST /v1/organisations': /*      */ 'ys----',
  'GET /v1/organisations': /*       */ 'yy----',
  'POST /v1/api-keys': /*           */ 'yy----',
  'GET /v1/api-keys': /*            */ 'yy----',
  'DELETE /v1/api-keys/:id': /*     */ 'yy----',
  'GET /v1/me': /*                  */ 'yyyyyy',
  'POST /v1/barcodes/parse': /*     */ 'yyyyy-',
  'GET /v1/labels': /*              */ 'yyyyy-',
  'POST /v1/labels': /*             */ 'yyyyy-',
  'POST /v1/locations': /*          */ 'sy----',
  'POST /v1/staff': /*              */ 'sy----',
  'POST /v1/procedures': /*         */ '--y---',
  'GET /v1/procedures/:id': /*      */ '--yy--',
  'POST /v1/procedures/:id/complete': '--y---',
  'POST /v1/procedures/search': /*  */ '---y--',
  'POST /v1/procedures/:id/scans': /**/ '--y---',
  'POST /v1/scans/:id/void': /*     */ '--y---',
  'POST /v1/procedures/:id/check': /**/ '--y---',
  'GET /v1/procedures/:id/checks': /**/ '--y---',
  'POST /v1/procedures/:id/staff': /**/ '--y---',
  'DELETE /v1/procedures/:id/staff/:staffId': '--y---',
  'POST /v1/items/:id/decision': /* */ '--y---',
  'PUT /v1/products/:gtin': /*      */ '---y--',
  'PATCH /v1/products/:gtin': /*    */ '---y--',
  'GET /v1/products/:gtin': /*      */ 'yyyyy-',
  'GET /v1/products/:gtin/history': /**/ 'yy-y--',
  'POST /v1/products/import': /*    */ '---y--',
  'GET /v1/compatibility/rules': /* */ 'yyyy--',
  'GET /v1/compatibility/rules/:ruleId': 'yyyy--',
  'POST /v1/compatibility/rules': /**/ '---y--',
  'POST /v1/compatibility/rules/:ruleId/retire': '---y--',
  'POST /v1/compatibility/rules/:ruleId/waiver': '---y--',
  'DELETE /v1/compatibility/rules/:ruleId/waiver': '---y--',
  'GET /v1/reports/data-quality': /**/ '---y--',
  'GET /v1/reports/safety': /*      */ '---y--',
  'POST /v1/recalls': /*            */ '---y--',
  'POST /v1/recalls/preview': /*    */ '---y--',
  'GET /v1/recalls': /*             */ '---y--',
  'GET /v1/recalls/affected-patients': '---y--',
  'GET /v1/recalls/:id': /*         */ '---y--',
  'POST /v1/recalls/:id/close': /*  */ '---y--',
  'GET /v1/recalls/:id/patients': /**/ '---y--',
  'GET /v1/recalls/:id/not-used': /**/ '---y--',
  'GET /v1/recalls/:id/stock': /*   */ '---y--',
  'POST /v1/recalls/:id/stock/quarantine': '---y--',
  'POST /v1/recalls/:id/stock/return': '---y--',
  'GET /v1/recalls/:id/scopes/:ordinal/:list': '---y--',
  'PATCH /v1/recalls/:id/items/:itemId': '---y--',
  'GET /v1/registries': /*          */ 'yyyyy-',
  'PUT /v1/registries/:code': /*    */ 'ys----',
  'POST /v1/consents': /*           */ '--yy--',
  'POST /v1/consents/search': /*    */ '--yy--',
  'GET /v1/feeds/procedures': /*    */ '----yy',
  'GET /v1/outcomes/survival': /*   */ '---yy-',
  'GET /v1/outcomes/survival.svg': /**/ '---yy-',
  'GET /fhir/R4/Group/:registry/$export': '----yy',
  'GET /fhir/R4/$export-status/:id': '----yy',
  'DELETE /fhir/R4/$export-status/:id': '----yy',
  'GET /fhir/R4/$export-file/:id/:file': '----yy',
  'POST /v1/stock/receipts': /*     */ '---y--',
  'POST /v1/stock/moves': /*        */ '---y--',
  'POST /v1/stock/write-offs': /*   */ '---y--',
  'POST /v1/stock/returns': /*      */ '---y--',
  'POST /v1/stock/quarantine': /*   */ '---y--',
  'POST /v1/stock/release': /*      */ '---y--',
  'GET /v1/stock': /*               */ '---y--',
  'GET /v1/stock/expiring': /*      */ '---y--',
  'GET /v1/stock/discrepancies': /* */ '---y--',
  'GET /v1/stock/movements': /*     */ '---y--',
  'GET /v1/stock/movements/:group': '---y--',
  'POST /v1/prices': /*             */ '---y--',
  'POST /v1/prices/import': /*      */ '---y--',
  'GET /v1/prices': /*              */ '---y--',
  'GET /v1/prices/batches/:id': /*  */ '---y--',
  'GET /v1/procedures/:id/cost': /*  */ '---y--',
  'GET /v1/reports/cost-per-case': /**/ '---y--',
  'GET /v1/reports/cost-spread': /*  */ '---y--',
  'PUT /v1/stock/par-levels': /*    */ '---y--',
  'GET /v1/stock/par-levels': /*    */ '---y--',
  'GET /v1/stock/to-order': /*      */ '---y--',
  'GET /v1/stock/consignment-used': '---y--',
  'POST /v1/smart/clients': /*      */ 'ys----',
  'GET /v1/smart/clients': /*       */ 'ys----',
  'DELETE /v1/smart/clients/:id': /**/ 'ys----',
  // SMART Backend Services: the configuration is public; the token endpoint authenticates clients by their signed assertion.
  'GET /.well-known/smart-configuration': 'public',
  'GET /fhir/R4/.well-known/smart-configuration': 'public',
  'POST /oauth/token': 'oauth',
  // OpenID Connect back-channel logout: the provider authenticates by its signed logout token; none here (sign-in off).
  'POST /auth/backchannel-logout': 'oauth',
};

const CALLERS = ['national', 'admin', 'scanner', 'procurement', 'registry', 'token'] as const;
type Caller = (typeof CALLERS)[number];
const ROLE_OF: Record<Caller, Role> = { national: 'admin', admin: 'admin', scanner: 'scanner', procurement: 'procurement', registry: 'registry', token: 'registry' };

let counter = 0;
const unique = () => `${process.pid % 1000}${++counter}`;

/** A concrete, plausible request for a route pattern (fresh each time: some create things). */
function requestFor(route: string, odsCode: string): { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: string | object; headers?: Record<string, string> } {
  const [verb = '', pattern = ''] = route.split(' ');
  const method = verb as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  const url = pattern
    .replace(':id', randomUUID())
    .replace(':itemId', randomUUID())
    .replace(':staffId', randomUUID())
    .replace(':ruleId', pattern.endsWith('/retire') ? 'org.matrix-rule' : 'hip.bearing')
    .replace(':ordinal', '0')
    .replace(':list', 'serials')
    .replace(':gtin', GTIN)
    .replace(':code', pattern.startsWith('/problems') ? 'FORBIDDEN' : `T${unique()}`)
    .replace(':registry', 'NJR')
    .replace(':group', randomUUID())
    .replace(':file', 'Patient.ndjson')
    .replace('/docs/static/*', '/docs/static/swagger-ui.css')
    .replace('/console/*', '/console/theatre');
  const query: Record<string, string> = {
    'GET /v1/labels': '?symbology=gs1datamatrix&data=(01)09506000134352',
    'GET /v1/reports/data-quality': '?from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z',
    'GET /v1/reports/safety': '?from=2026-01&to=2027-01',
    'GET /v1/reports/cost-per-case': '?from=2026-01-01&to=2026-12-31',
    'GET /v1/reports/cost-spread': '?from=2026-01-01&to=2026-12-31',
    'GET /v1/recalls/affected-patients': `?gtin=${GTIN}`,
    'GET /v1/feeds/procedures': '?registry=NJR',
    'GET /v1/stock/consignment-used': '?from=2026-01-01&to=2026-12-31',
  };
  const body: Record<string, object | object[]> = {
    'POST /v1/organisations': { odsCode: `X${unique()}`, name: 'Matrix Trust' },
    'POST /v1/api-keys': { name: 'matrix', role: 'scanner', organisation: odsCode },
    'POST /v1/barcodes/parse': { barcode: '0109506000134352' },
    'POST /v1/labels': { symbology: 'gs1datamatrix', data: '(01)09506000134352' },
    'POST /v1/locations': { gln: '9506000134369', name: `Theatre ${unique()}` },
    'POST /v1/staff': { localId: `S${unique()}`, name: 'A. Surgeon' },
    'POST /v1/procedures': { patient: { nhsNumber: nhsNumber(700_000 + counter) } },
    'POST /v1/procedures/:id/complete': {},
    'POST /v1/procedures/search': { nhsNumber: nhsNumber(1) },
    'POST /v1/procedures/:id/scans': { barcode: '0109506000134352' },
    'POST /v1/scans/:id/void': { reason: 'wrong box' },
    'POST /v1/procedures/:id/check': { barcode: '0109506000134352' },
    'POST /v1/procedures/:id/staff': { staff: { barcode: ']d28017950600013435200053' }, role: 'scrub' },
    'POST /v1/items/:id/decision': { outcome: 'not-used', disposition: 'wasted' },
    'PUT /v1/products/:gtin': { brand: 'Matrix' },
    'POST /v1/compatibility/rules': { slug: `matrix-${unique()}`, kind: 'same-manufacturer', severity: 'warning', joint: 'knee', message: 'Knee parts from {a} and {b}.' },
    'POST /v1/compatibility/rules/:ruleId/retire': { reason: 'matrix retirement' },
    'POST /v1/compatibility/rules/:ruleId/waiver': { reason: 'matrix waiver' },
    'PATCH /v1/products/:gtin': { model: 'Matrix' },
    'POST /v1/recalls': { reference: `FSN-${unique()}`, title: 'matrix', scope: [{ gtin: GTIN, allLots: true }] },
    'POST /v1/recalls/preview': { reference: 'FSN-P', title: 'matrix', scope: [{ gtin: GTIN, allLots: true }] },
    'POST /v1/recalls/:id/close': {},
    'POST /v1/recalls/:id/stock/quarantine': {},
    'POST /v1/recalls/:id/stock/return': { supplier: 'Matrix' },
    'PATCH /v1/recalls/:id/items/:itemId': { status: 'contacted' },
    'PUT /v1/registries/:code': { name: 'Matrix registry', withoutConsent: 'omit' },
    'POST /v1/smart/clients': { registry: 'NJR', national: true, jwksUrl: `https://matrix.example/${unique()}/jwks.json` },
    'POST /v1/consents': { nhsNumber: nhsNumber(2), registry: 'NJR', status: 'granted' },
    'POST /v1/consents/search': { nhsNumber: nhsNumber(2) },
    'POST /auth/profile': { profile: randomUUID() },
    'POST /v1/stock/receipts': { location: { gln: '9506000134376' }, scans: [{ barcode: `]d201${GTIN}10M${unique()}` }] },
    'POST /v1/stock/moves': { from: { gln: '9506000134376' }, to: { gln: '9506000134369' }, lines: [{ barcode: `]d201${GTIN}10M1` }] },
    'POST /v1/stock/write-offs': { location: { gln: '9506000134376' }, reason: 'damaged', lines: [{ barcode: `]d201${GTIN}10M1` }] },
    'POST /v1/stock/returns': { location: { gln: '9506000134376' }, lines: [{ barcode: `]d201${GTIN}10M1` }] },
    'POST /v1/stock/quarantine': { location: { gln: '9506000134376' }, reason: 'FSN matrix', lines: [{ barcode: `]d201${GTIN}10M1` }] },
    'POST /v1/stock/release': { location: { gln: '9506000134376' }, reason: 'FSN matrix', lines: [{ barcode: `]d201${GTIN}10M1` }] },
    'POST /v1/prices': [{ gtin: GTIN, unitPrice: '150.00', effectiveFrom: `2026-01-${String((counter % 28) + 1).padStart(2, '0')}` }],
    'PUT /v1/stock/par-levels': [{ location: { gln: '9506000134376' }, gtin: GTIN, par: 4 }],
  };
  const headers: Record<string, string> = {};
  if (route === 'POST /v1/procedures/:id/scans' || route.startsWith('POST /v1/stock/') || route.startsWith('POST /v1/recalls/:id/stock/') || route === 'PUT /v1/stock/par-levels' || route.startsWith('POST /v1/prices')) headers['idempotency-key'] = randomUUID();
  if (route === 'POST /oauth/token') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return { method, url, payload: 'grant_type=client_credentials', headers };
  }
  if (route === 'POST /auth/backchannel-logout') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return { method, url, payload: 'logout_token=not-a-token', headers };
  }
  if (route === 'POST /v1/prices/import') {
    headers['content-type'] = 'text/csv';
    return { method, url, payload: `gtin,unit_price,effective_from\n${GTIN},150.00,2026-02-${String((counter++ % 28) + 1).padStart(2, '0')}\n`, headers };
  }
  if (route === 'POST /v1/products/import') {
    headers['content-type'] = 'text/csv';
    return { method, url, payload: 'PrimaryDI,brandName\n09506000134352,Matrix\n', headers };
  }
  return { method, url: url + (query[route] ?? ''), ...(body[route] === undefined ? {} : { payload: body[route] }), headers };
}

/** The error code and detail of a problem+json, or of a FHIR OperationOutcome (on /fhir routes). */
function problemOf(res: { headers: Record<string, string | string[] | number | undefined>; json<T>(): T }): { code?: string; detail?: string } {
  const header = res.headers['content-type'];
  const type = typeof header === 'string' ? header : '';
  if (type.startsWith('application/fhir+json')) {
    const issue = res.json<{ issue: Array<{ details: { coding: Array<{ code: string }> }; diagnostics: string }> }>().issue[0];
    return { code: issue?.details.coding[0]?.code, detail: issue?.diagnostics };
  }
  return type.includes('json') ? res.json<{ code?: string; detail?: string }>() : {};
}

t.test('authorisation matrix: every route × every caller', async (t) => {
  // Hundreds of deliberate failures from one address: the throttle is tested on its own (auth-throttle.test.ts).
  const app = await buildTestApp(t, { env: { AUTH_FAILURE_LIMIT: '100000' } });
  const org = await createOrganisationWithKeys(app, 'RMX');
  const revokedKey = org.keys.registry;
  const revoked = await app.request({ method: 'DELETE', url: `/v1/api-keys/${org.keyIds.registry}`, key: app.adminKey });
  t.equal(revoked.statusCode, 204);
  const registryKey = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'RMX registry 2', role: 'registry', organisation: 'RMX', registry: 'NJR' } });
  // A SMART client of the same registry and organisation, and tokens: one live, one of a revoked client, one expired.
  const smartToken = async (clientId: string) => {
    const { privateKey, publicKey } = await generateKeyPair('ES384');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1' };
    const client = await app.request({ method: 'POST', url: '/v1/smart/clients', key: app.adminKey, payload: { clientId, registry: 'NJR', organisation: 'RMX', jwks: { keys: [jwk] } } });
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES384', kid: 'k1', typ: 'JWT' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(`${app.app.publicBaseUrl()}/oauth/token`)
      .setExpirationTime('2m')
      .sign(privateKey);
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion, scope: 'system/*.rs' });
    const res = await app.request({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form.toString() });
    t.equal(res.statusCode, 200, `token for ${clientId}: ${res.body}`);
    return { clientUuid: client.json<{ id: string }>().id, token: res.json<{ access_token: string }>().access_token };
  };
  const live = await smartToken('matrix-client');
  const revokedClient = await smartToken('matrix-revoked');
  t.equal((await app.request({ method: 'DELETE', url: `/v1/smart/clients/${revokedClient.clientUuid}`, key: app.adminKey })).statusCode, 204);
  const expiredToken = 'itt_expiredexpiredexpiredexpiredexpiredexpired';
  await app.db
    .insertInto('smart_access_tokens')
    .values({ token_hash: hashAccessToken(expiredToken), client_id: live.clientUuid, scopes: sql<string[]>`array['system/*.rs']`, issued_at: new Date(Date.now() - 600_000), expires_at: new Date(Date.now() - 300_000) })
    .execute();
  const keys: Record<Caller, string> = {
    national: app.adminKey,
    admin: org.keys.admin,
    scanner: org.keys.scanner,
    procurement: org.keys.procurement,
    registry: registryKey.json<{ key: string }>().key,
    token: live.token,
  };

  const strangers: Array<[string, Record<string, string>]> = [
    ['no key', {}],
    ['malformed header', { authorization: `Token ${org.keys.admin}` }],
    ['unknown key', { authorization: 'Bearer itk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['revoked key', { authorization: `Bearer ${revokedKey}` }],
    ['unknown token', { authorization: 'Bearer itt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['expired token', { authorization: `Bearer ${expiredToken}` }],
    ['token of a revoked client', { authorization: `Bearer ${revokedClient.token}` }],
  ];

  for (const [route, expected] of Object.entries(MATRIX)) {
    t.test(route, async (t) => {
      if (expected === 'oauth') {
        const res = await app.request(requestFor(route, org.odsCode));
        t.equal(res.statusCode, 400, 'reached without a key');
        t.equal(res.json<{ error: string }>().error, 'invalid_request');
        return;
      }
      if (expected === 'public') {
        const res = await app.request(requestFor(route, org.odsCode));
        t.ok(res.statusCode < 400, `public: ${res.statusCode}`);
        return;
      }
      if (expected === 'sign-in') {
        // Whoever calls, with a key or none: the route's own answer, never the key check's, never a server error.
        for (const key of [undefined, ...Object.values(keys)]) {
          const res = await app.request({ ...requestFor(route, org.odsCode), ...(key === undefined ? {} : { key }) });
          t.ok([303, 401, 404, 422].includes(res.statusCode), `${route}: ${res.statusCode}`);
          if (res.statusCode >= 400) t.ok(['SIGN_IN_OFF', 'UNAUTHENTICATED', 'VALIDATION_FAILED'].includes(problemOf(res).code ?? ''), problemOf(res).code ?? 'no code');
        }
        return;
      }
      for (const [who, headers] of strangers) {
        const req = requestFor(route, org.odsCode);
        const res = await app.request({ ...req, headers: { ...req.headers, ...headers } });
        t.equal(res.statusCode, 401, who);
        t.equal(problemOf(res).code, 'UNAUTHENTICATED', who);
      }
      if (route.startsWith('GET ')) {
        const head = await app.request({ ...requestFor(route, org.odsCode), method: 'HEAD' });
        t.equal(head.statusCode, 401, 'HEAD without a key');
      }
      for (const [i, caller] of CALLERS.entries()) {
        const cell = expected[i];
        const res = await app.request({ ...requestFor(route, org.odsCode), key: keys[caller] });
        const body = problemOf(res);
        if (cell === 'y') {
          t.not(res.statusCode, 401, `${caller} admitted`);
          t.not(res.statusCode, 403, `${caller} admitted (${res.statusCode} ${body.code ?? ''} ${body.detail ?? ''})`);
          t.ok(res.statusCode < 500, `${caller}: no server error (${res.statusCode} ${body.code ?? ''})`);
        } else if (cell === '-' && caller === 'token') {
          t.equal(res.statusCode, 403, 'token refused');
          t.equal(body.code, 'FORBIDDEN');
          t.match(body.detail, /The key's role is registry|A SMART access token is accepted by the registry feed and the FHIR Bulk Data routes only/);
        } else if (cell === '-') {
          t.equal(res.statusCode, 403, `${caller} refused by role`);
          t.equal(body.code, 'FORBIDDEN');
          t.match(body.detail, `The key's role is ${ROLE_OF[caller]}`);
        } else {
          t.equal(cell, 's', 'the table has only y, - and s');
          t.equal(res.statusCode, 403, `${caller} refused by scope`);
          t.equal(body.code, 'FORBIDDEN');
          t.notMatch(body.detail, "The key's role is", 'refused by the rule of the operation, not by role');
        }
      }
    });
  }

  t.test('no secret, bearer token or NHS number reaches the logs', async (t) => {
    const raw = app.rawLogs();
    for (const key of [...Object.values(keys), revokedKey, revokedClient.token, expiredToken, 'itk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) t.notOk(raw.includes(key), 'no key');
    t.notOk(/Bearer /i.test(raw), 'no bearer header');
    for (const n of [nhsNumber(1), nhsNumber(2)]) t.notOk(app.logsContainNumber(n), 'no NHS number');
  });
});

t.test('the table has a row for every route of the live app, and no other', async (t) => {
  const app = await buildTestApp(t);
  await app.app.ready();
  const live = new Set(app.app.routeAccess.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`));
  t.ok(live.size > 40, `the app has its routes (${live.size})`);
  const table = new Set(Object.keys(MATRIX));
  t.same([...live].filter((r) => !table.has(r)).sort(), [], 'routes without a row in the matrix');
  t.same([...table].filter((r) => !live.has(r)).sort(), [], 'rows without a route');

  const openapi = app.app.swagger() as unknown as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(openapi.paths).flatMap(([p, ops]) =>
    Object.keys(ops)
      .filter((m) => m !== 'head')
      .map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
  );
  t.same(documented.filter((r) => !table.has(r)), [], 'and every operation of the OpenAPI document is in the table');

  t.test('HEAD routes declare the same access as their GET', async (t) => {
    for (const head of app.app.routeAccess.filter((r) => r.method === 'HEAD')) {
      const get = app.app.routeAccess.find((r) => r.method === 'GET' && r.url === head.url);
      t.same(head.access, get?.access, head.url);
    }
  });
});
