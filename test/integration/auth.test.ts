import Fastify from 'fastify';
import t from 'tap';
import { authPlugin } from '../../src/plugins/auth.js';
import { errorsPlugin } from '../../src/plugins/errors.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';

const problemJson = 'application/problem+json; charset=utf-8';

t.test('authentication', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RRK');

  t.test('no key -> 401 problem+json with WWW-Authenticate', async (t) => {
    const res = await app.request({ method: 'GET', url: '/v1/me' });
    t.equal(res.statusCode, 401);
    t.equal(res.headers['content-type'], problemJson);
    t.equal(res.headers['www-authenticate'], 'Bearer realm="implant-trace"');
    const body = res.json();
    t.match(body, { type: '/problems/UNAUTHENTICATED', title: String, status: 401, code: 'UNAUTHENTICATED', detail: /No API key/ });
    t.equal(body.instance, res.headers['x-request-id'], 'instance is the request id');
  });

  t.test('a header that is not Bearer -> 401', async (t) => {
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words', org.keys.admin]) {
      const res = await app.request({ method: 'GET', url: '/v1/me', headers: { authorization } });
      t.equal(res.statusCode, 401, authorization.slice(0, 12));
      t.match(res.json().detail, /not of the form/);
    }
  });

  t.test('an unknown key -> 401 invalid_token', async (t) => {
    const res = await app.request({ method: 'GET', url: '/v1/me', key: 'itk_not-a-key-that-exists' });
    t.equal(res.statusCode, 401);
    t.match(res.headers['www-authenticate'], /error="invalid_token"/);
    t.equal(res.json().code, 'UNAUTHENTICATED');
  });

  t.test('the scheme is case-insensitive', async (t) => {
    const res = await app.request({ method: 'GET', url: '/v1/me', headers: { authorization: `bearer ${org.keys.scanner}` } });
    t.equal(res.statusCode, 200);
  });

  t.test('GET /v1/me tells each role who it is', async (t) => {
    for (const role of ['admin', 'scanner', 'procurement', 'registry'] as const) {
      const res = await app.request({ method: 'GET', url: '/v1/me', key: org.keys[role] });
      t.equal(res.statusCode, 200);
      t.same(res.json(), { keyId: org.keyIds[role], keyName: `RRK ${role}`, role, national: false, organisation: 'RRK', registry: role === 'registry' ? 'NJR' : null });
    }
    const national = await app.request({ method: 'GET', url: '/v1/me', key: app.adminKey });
    t.match(national.json(), { role: 'admin', national: true, organisation: null, keyName: 'bootstrap' });
  });

  t.test('a role the route does not admit -> 403, before the body is even read', async (t) => {
    for (const role of ['scanner', 'procurement', 'registry'] as const) {
      const res = await app.request({ method: 'POST', url: '/v1/organisations', key: org.keys[role], payload: '{not json' , headers: { 'content-type': 'application/json' } });
      t.equal(res.statusCode, 403, role);
      t.match(res.json(), { code: 'FORBIDDEN', detail: new RegExp(`key's role is ${role}`) });
    }
  });

  t.test('401 comes before validation: no key with a bad body is still 401', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/api-keys', payload: { nonsense: true } });
    t.equal(res.statusCode, 401);
  });

  t.test('keys never reach the logs', async (t) => {
    const raw = app.rawLogs();
    t.ok(raw.length > 0, 'the app logged');
    for (const key of [...Object.values(org.keys), app.adminKey]) t.notOk(raw.includes(key), 'no key in the logs');
  });
});

t.test('a route that does not declare its access stops the boot', async (t) => {
  const app = Fastify();
  await app.register(errorsPlugin);
  await app.register(authPlugin, { publicPrefixes: ['/docs'] });
  t.throws(() => app.get('/v1/forgotten', async () => 'oops'), /does not declare config\.access/);
  await app.close();
});
