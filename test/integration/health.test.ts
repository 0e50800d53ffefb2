import t from 'tap';
import { createDb } from '../../src/db/create-db.js';
import { buildTestApp } from '../helpers/app.js';

t.test('GET /health answers 200 without a key', async (t) => {
  const app = await buildTestApp(t);
  const res = await app.request({ method: 'GET', url: '/health' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok' });
  t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/);
});

t.test('GET /ready answers 200 when the database answers', async (t) => {
  const app = await buildTestApp(t);
  const res = await app.request({ method: 'GET', url: '/ready' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ready' });
});

t.test('GET /ready answers 503 problem+json when the database is down, /health still 200', async (t) => {
  // A real client pointed at a port where no server listens: what the app sees when Postgres is down.
  const db = createDb({ url: 'postgres://nobody:nothing@127.0.0.1:1/none', poolSize: 1 });
  t.teardown(() => db.destroy());
  const app = await buildTestApp(t, { db });
  const ready = await app.request({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 503);
  t.equal(ready.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(ready.headers['retry-after'], '5');
  t.match(ready.json(), { code: 'DATABASE_UNAVAILABLE', status: 503, type: '/problems/DATABASE_UNAVAILABLE' });
  t.notMatch(ready.body, /ECONNREFUSED|127\.0\.0\.1|nobody/, 'no connection details leak');

  const health = await app.request({ method: 'GET', url: '/health' });
  t.equal(health.statusCode, 200);

  const me = await app.request({ method: 'GET', url: '/v1/me', key: 'itk_anything' });
  t.equal(me.statusCode, 503, 'an authenticated route also answers 503, not 401 or 500');
  t.equal(me.json().code, 'DATABASE_UNAVAILABLE');
});

t.test('GET /openapi.json is an OpenAPI 3.1 document that covers every route', async (t) => {
  const app = await buildTestApp(t);
  const res = await app.request({ method: 'GET', url: '/openapi.json' });
  t.equal(res.statusCode, 200);
  const doc = res.json<{
    openapi: string;
    paths: Record<string, Record<string, { security?: unknown[]; description?: string; responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, unknown> };
  }>();
  t.equal(doc.openapi, '3.1.0');
  t.ok(doc.components.schemas.Problem, 'Problem is a named, referenced schema');
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      t.ok(Array.isArray(op.security), `${method} ${path} declares its security`);
      t.ok(op.responses['500'], `${method} ${path} documents its 500 problem`);
      if (Array.isArray(op.security) && op.security.length > 0) {
        t.equal(op.description?.match(/Roles: /g)?.length, 1, `${method} ${path} names its roles once`);
      }
    }
  }
  t.same(doc.paths['/v1/api-keys']?.post?.security, [{ bearerAuth: [] }]);
  t.same(doc.paths['/health']?.get?.security, []);
});

t.test('GET /docs serves Swagger UI without a key', async (t) => {
  const app = await buildTestApp(t);
  const res = await app.request({ method: 'GET', url: '/docs/' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/html/);
});

t.test('problem types are dereferenceable', async (t) => {
  const app = await buildTestApp(t);
  const list = await app.request({ method: 'GET', url: '/problems' });
  t.equal(list.statusCode, 200);
  const codes = list.json<{ items: Array<{ code: string }> }>().items.map((i) => i.code);
  t.ok(codes.includes('VALIDATION_FAILED') && codes.includes('UNAUTHENTICATED'));

  const one = await app.request({ method: 'GET', url: '/problems/FORBIDDEN' });
  t.match(one.json(), { code: 'FORBIDDEN', status: 403, type: '/problems/FORBIDDEN' });

  const none = await app.request({ method: 'GET', url: '/problems/NO_SUCH_THING' });
  t.equal(none.statusCode, 404);
  t.equal(none.json().code, 'NOT_FOUND');
});
