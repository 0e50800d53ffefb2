import t from 'tap';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { nhsNumber } from '../helpers/theatre.js';
import { leaks } from '../helpers/two-organisations.js';

// The request serializer logs the path only: an identifier a client wrongly puts in a query string must not
// reach the "incoming request" line that is written before the route refuses it.
t.test('patient identifiers put in a URL by mistake are refused', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RLG');
  const nhs = nhsNumber(45_001);
  const gsrn = `95060001${nhs}`;
  const urls = [
    `/v1/procedures/search?nhsNumber=${nhs}`,
    `/v1/recalls/affected-patients?gtin=09506000134352&nhsNumber=${nhs.slice(0, 3)}%20${nhs.slice(3, 6)}%20${nhs.slice(6)}`,
    `/v1/labels?symbology=gs1datamatrix&data=(8018)${gsrn}`,
  ];
  for (const url of urls) {
    const res = await app.request({ method: 'GET', url, key: org.keys.procurement });
    t.ok([404, 422].includes(res.statusCode), `${url.split('?')[0] ?? url} refused: ${res.statusCode}`);
  }

  t.test('and never reach the logs', async (t) => {
    t.same(leaks(app, [nhs], []), [], 'no NHS number in the logs');
    t.notOk(app.rawLogs().includes(nhs), 'not even inside a wristband number');
  });
});

t.test('bodies, headers and keys are never logged, whatever the outcome', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RLH');
  const nhs = nhsNumber(46_001);
  const spaced = `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`;
  const requests = [
    { method: 'POST' as const, url: '/v1/procedures', key: org.keys.scanner, payload: { patient: { nhsNumber: spaced } } },
    { method: 'POST' as const, url: '/v1/procedures/search', key: org.keys.procurement, payload: { nhsNumber: spaced } },
    { method: 'POST' as const, url: '/v1/consents/search', key: org.keys.procurement, payload: { nhsNumber: nhs, unexpected: true } },
    { method: 'POST' as const, url: '/v1/consents', key: org.keys.procurement, payload: { nhsNumber: `${nhs.slice(0, 9)}${(Number(nhs[9]) + 1) % 10}`, registry: 'NJR', status: 'granted' } },
    { method: 'POST' as const, url: '/v1/procedures', key: org.keys.scanner, payload: `{"patient":{"nhsNumber":"${nhs}"` , headers: { 'content-type': 'application/json' } },
    { method: 'POST' as const, url: '/v1/procedures', key: org.keys.procurement, payload: { patient: { nhsNumber: nhs } } },
    { method: 'POST' as const, url: '/v1/procedures', payload: { patient: { nhsNumber: nhs } } },
  ];
  for (const req of requests) await app.request(req);
  t.ok(app.logs.length >= requests.length, 'the app logged');
  t.same(leaks(app, [nhs, `${nhs.slice(0, 9)}${(Number(nhs[9]) + 1) % 10}`], [...Object.values(org.keys), app.adminKey]), []);
});
