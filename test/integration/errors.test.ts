import Fastify from 'fastify';
import t from 'tap';
import { errorsPlugin, frameworkErrors } from '../../src/plugins/errors.js';
import { ProblemError } from '../../src/shared/problem.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';

const problemJson = 'application/problem+json; charset=utf-8';

t.test('every kind of error leaves as problem+json with a stable code', async (t) => {
  const app = await buildTestApp(t, { env: { BODY_LIMIT_BYTES: '2048' } });
  // Routes that fail on purpose, added to the real app before it is ready.
  app.app.get('/test/boom', { config: { access: 'public' } }, async () => {
    throw new Error('secret internal detail: password=hunter2 at /srv/db.ts:42');
  });
  app.app.get('/test/problem', { config: { access: 'public' } }, async () => {
    throw new ProblemError('CONFLICT', 'It clashes.', { conflictingId: 'abc' });
  });

  t.test('unknown route -> 404 ROUTE_NOT_FOUND', async (t) => {
    const res = await app.request({ method: 'GET', url: '/v1/nothing-here?x=1' });
    t.equal(res.statusCode, 404);
    t.equal(res.headers['content-type'], problemJson);
    t.match(res.json(), { code: 'ROUTE_NOT_FOUND', detail: 'No operation GET /v1/nothing-here.' });
  });

  t.test('malformed JSON -> 400 MALFORMED_REQUEST', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, headers: { 'content-type': 'application/json' }, payload: '{"odsCode": ' });
    t.equal(res.statusCode, 400);
    t.equal(res.json().code, 'MALFORMED_REQUEST');
  });

  t.test('an empty JSON body -> 400 MALFORMED_REQUEST', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, headers: { 'content-type': 'application/json' }, payload: '' });
    t.equal(res.statusCode, 400);
    t.equal(res.json().code, 'MALFORMED_REQUEST');
  });

  t.test('a body over the limit -> 413 PAYLOAD_TOO_LARGE', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, payload: { odsCode: 'AAA', name: 'x'.repeat(4000) } });
    t.equal(res.statusCode, 413);
    t.equal(res.json().code, 'PAYLOAD_TOO_LARGE');
    const count = await app.db.selectFrom('organisations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    t.equal(Number(count.n), 0, 'nothing stored');
  });

  t.test('a content type the route does not take -> 415', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, headers: { 'content-type': 'text/xml' }, payload: '<x/>' });
    t.equal(res.statusCode, 415);
    t.equal(res.json().code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  t.test('schema violations -> 422 listing every one with its JSON pointer', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 42, role: 'boss', organisation: 'AAA', extra: { a: 1 } } });
    t.equal(res.statusCode, 422);
    const body = res.json();
    t.equal(body.code, 'VALIDATION_FAILED');
    t.match(body.detail, /^The body is invalid: \/\w+ .+ \(and 2 more\)\.$/);
    t.same(body.errors.map((e: { pointer: string; code: string }) => `${e.pointer}:${e.code}`).sort(), [
      '/name:invalid_type',
      '/role:invalid_value',
      ':unrecognized_keys',
    ]);
    t.match(body.errors.find((e: { pointer: string }) => e.pointer === '').message, /extra/, 'an unknown member is named, not dropped');
    t.ok(body.errors.every((e: { in: string; code: string; message: string }) => e.in === 'body' && e.code && e.message));
  });

  t.test('a thrown ProblemError keeps its code and extension members', async (t) => {
    const res = await app.request({ method: 'GET', url: '/test/problem' });
    t.equal(res.statusCode, 409);
    t.same(res.json(), {
      type: '/problems/CONFLICT',
      title: 'Conflict',
      status: 409,
      detail: 'It clashes.',
      instance: res.headers['x-request-id'],
      code: 'CONFLICT',
      conflictingId: 'abc',
    });
  });

  t.test('an unexpected failure -> 500 that leaks nothing, logged in full', async (t) => {
    const res = await app.request({ method: 'GET', url: '/test/boom' });
    t.equal(res.statusCode, 500);
    t.equal(res.headers['content-type'], problemJson);
    const body = res.json();
    t.equal(body.code, 'INTERNAL_ERROR');
    t.notMatch(res.body, /hunter2|secret|db\.ts|stack/);
    const logged = app.logs.find((l) => l.reqId === body.instance && l.msg === 'request failed');
    t.ok(logged, 'the failure is logged under the request id');
    t.match(logged?.err, { message: /secret internal detail/ });
  });
});

// Found by the HTTP fuzzer: Fastify answers a path that does not percent-decode, or a path
// parameter over 100 characters, before routing and without the error handler (plain JSON).
const BAD_URLS = [
  ['/v1/procedures/%ED%A0%80', 400, 'a lone surrogate, percent-encoded'],
  ['/v1/procedures/%', 400, 'a bare %'],
  [`/v1/procedures/${'x'.repeat(300)}`, 400, 'a path parameter of 300 characters'],
  ['/fhir/R4/$export-status/%ZZ', 400, 'under /fhir/'],
] as const;

t.test('URLs Fastify rejects before routing leave as problem+json too (the handler)', async (t) => {
  // The handler on a bare Fastify with the option set, as src/app.ts should set it.
  const app = Fastify({ logger: false, frameworkErrors });
  await app.register(errorsPlugin);
  app.get('/v1/procedures/:id', async () => 'unreachable');
  app.get('/fhir/R4/$export-status/:id', async () => 'unreachable');
  t.teardown(() => app.close());
  for (const [url, status, what] of BAD_URLS) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, status, what);
    if (url.startsWith('/fhir/')) t.match(res.json(), { resourceType: 'OperationOutcome', issue: [{ details: { coding: [{ code: 'MALFORMED_REQUEST' }] } }] }, what);
    else t.match(res.json(), { code: 'MALFORMED_REQUEST', status, instance: res.headers['x-request-id'] }, what);
  }
});

t.test('URLs Fastify rejects before routing leave as problem+json too (the app)', async (t) => {
  const app = await buildTestApp(t);
  for (const [url, status, what] of BAD_URLS) {
    const res = await app.request({ method: 'GET', url, key: app.adminKey });
    t.equal(res.statusCode, status, what);
    t.match(String(res.headers['content-type']), url.startsWith('/fhir/') ? /^application\/fhir\+json/ : /^application\/problem\+json/, what);
  }
});

// Found by the HTTP fuzzer: a NUL in any stored string was a 500 (Postgres refuses it), and an
// unpaired surrogate was stored as U+FFFD, silently changing the text.
t.test('text the database cannot hold is refused (422), nothing stored; other Unicode is kept', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RRK');
  const locations = async () => Number((await app.db.selectFrom('locations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  for (const [name, what] of [['Theatre\u00003', 'NUL'], ['Theatre \ud800', 'a lone high surrogate'], ['\udc00Theatre', 'a lone low surrogate']] as const) {
    const res = await app.request({ method: 'POST', url: '/v1/locations', key: org.keys.admin, payload: { gln: '9506000134369', name } });
    t.equal(res.statusCode, 422, what);
    t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ in: 'body', pointer: '/name', code: 'invalid_characters' }] }, what);
  }
  const nested = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference: 'R1', title: 'T', scope: [{ gtin: '09506000134352', lots: ['A', 'B\u0000'] }] } });
  t.match(nested.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/scope/0/lots/1' }] }, 'found at any depth');
  const key = await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, payload: { odsCode: 'ABC', name: 'N', ['x\u0000']: 1 } });
  t.equal(key.statusCode, 422, 'in a member name too');
  const query = await app.request({ method: 'GET', url: '/v1/recalls/affected-patients?gtin=09506000134352&lot=%00', key: org.keys.procurement });
  t.match(query.json(), { code: 'VALIDATION_FAILED', errors: [{ in: 'querystring', pointer: '/lot' }] }, 'in the query string');
  t.equal(await locations(), 0, 'nothing stored');
  const fine = await app.request({ method: 'POST', url: '/v1/locations', key: org.keys.admin, payload: { gln: '9506000134369', name: 'Théâtre \u202e3 🦴 e\u0301 \ud83d\ude00' } });
  t.equal(fine.statusCode, 201, 'well-formed Unicode, pairs included, is accepted');
  t.equal(fine.json().name, 'Théâtre \u202e3 🦴 e\u0301 \ud83d\ude00', 'and kept as sent');
});
