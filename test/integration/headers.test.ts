/**
 * Response headers that keep patient data out of caches and stop content
 * sniffing, the Content-Security-Policy of the documents the service serves
 * outside the console, and the placeholder NHS number.
 */
import t from 'tap';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { newProcedure, openProcedure } from '../helpers/theatre.js';

t.test('headers', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RHD');
  const proc = await newProcedure(app, org.keys.scanner, 1);

  t.test('API answers: never cached, never sniffed; errors too', async (t) => {
    for (const [name, res] of [
      ['procedure', await app.request({ method: 'GET', url: `/v1/procedures/${proc}`, key: org.keys.scanner })],
      ['recall list', await app.request({ method: 'GET', url: '/v1/recalls', key: org.keys.procurement })],
      ['feed', await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: org.keys.registry })],
      ['an error', await app.request({ method: 'GET', url: '/v1/procedures/00000000-0000-4000-8000-000000000000', key: org.keys.scanner })],
    ] as const) {
      t.equal(res.headers['cache-control'], 'no-store', name);
      t.equal(res.headers['x-content-type-options'], 'nosniff', name);
    }
    const health = await app.request({ method: 'GET', url: '/health' });
    t.equal(health.headers['x-content-type-options'], 'nosniff', 'every response');
  });

  t.test('the survival SVG and /docs carry a Content-Security-Policy', async (t) => {
    const svg = await app.request({ method: 'GET', url: '/v1/outcomes/survival.svg?groupBy=product', key: org.keys.procurement });
    t.equal(svg.statusCode, 200);
    t.match(svg.headers['content-security-policy'], /default-src 'none'/);
    t.equal(svg.headers['cache-control'], 'private, no-store', 'the route’s own cache rule stands');
    const docs = await app.request({ method: 'GET', url: '/docs' });
    t.equal(docs.statusCode, 200);
    t.match(docs.headers['content-security-policy'], /script-src 'self'/);
    t.notMatch(docs.headers['content-security-policy'], /upgrade-insecure-requests/, 'plain-http installations keep working');
  });

  t.test('0000000000 passes modulus 11 but is refused as an NHS number', async (t) => {
    const res = await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: '0000000000' } });
    t.equal(res.statusCode, 422);
    t.match(res.json().errors, [{ pointer: '/patient/nhsNumber', message: /placeholder/ }]);
  });

  t.test('an NHS number put in a URL path never reaches the log, nor the error that echoes the path', async (t) => {
    const number = '9434765919';
    for (const url of [`/v1/patients/${number}`, '/v1/patients/943%20476%205919', `/v1/procedures/${number}?x=1`, '/v1/patients/943-476-5919/procedures']) {
      const res = await app.request({ method: 'GET', url, key: org.keys.scanner });
      t.ok([404, 422].includes(res.statusCode), `${url}: ${res.statusCode}`);
      t.notMatch(res.body.replace(/\D/g, ''), new RegExp(number), `the problem does not echo it (${url})`);
    }
    t.notOk(app.logsContainNumber(number), 'no log line holds it');
    t.notOk(/943[ -]476[ -]5919/.test(app.rawLogs()), 'not even grouped');
    t.ok(app.logs.some((l) => (l.req as { url?: string } | undefined)?.url === '/v1/patients/[redacted]'), 'the request is still logged, the number redacted');
    const gtin = await app.request({ method: 'GET', url: '/v1/products/04000000000051', key: org.keys.scanner });
    t.ok(gtin.statusCode === 200 || gtin.statusCode === 404);
    t.ok(app.logs.some((l) => (l.req as { url?: string } | undefined)?.url === '/v1/products/04000000000051'), 'longer identifiers (GTIN) stay readable');
  });
});
