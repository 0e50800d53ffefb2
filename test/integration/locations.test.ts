import t from 'tap';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';

t.test('locations and staff (admin)', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RRK');
  const admin = org.keys.admin;

  t.test('register a theatre by GLN; twice -> 409', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/locations', key: admin, payload: { gln: '9506000134369', glnExtension: 'TH2', name: 'Theatre 2', kind: 'theatre' } });
    t.equal(res.statusCode, 201);
    t.match(res.json(), { gln: '9506000134369', glnExtension: 'TH2', name: 'Theatre 2', kind: 'theatre' });
    const again = await app.request({ method: 'POST', url: '/v1/locations', key: admin, payload: { gln: '9506000134369', glnExtension: 'TH2', name: 'Dup' } });
    t.equal(again.statusCode, 409);
    t.equal(again.json().code, 'LOCATION_EXISTS');
    const badGln = await app.request({ method: 'POST', url: '/v1/locations', key: admin, payload: { gln: '9506000134368', name: 'x' } });
    t.match(badGln.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/gln', message: /GLN check digit/ }] });
  });

  t.test('register staff by badge, GSRN or local id; duplicates -> 409', async (t) => {
    const badge = await app.request({ method: 'POST', url: '/v1/staff', key: admin, payload: { barcode: ']d28017950600013435200053', name: 'Mr B', role: 'scrub nurse' } });
    t.equal(badge.statusCode, 201);
    t.match(badge.json(), { gsrn: '950600013435200053', name: 'Mr B', role: 'scrub nurse', localId: null });
    const dup = await app.request({ method: 'POST', url: '/v1/staff', key: admin, payload: { gsrn: '950600013435200053' } });
    t.equal(dup.json().code, 'STAFF_EXISTS');
    const local = await app.request({ method: 'POST', url: '/v1/staff', key: admin, payload: { localId: 'EMP-7' } });
    t.equal(local.statusCode, 201);
    const none = await app.request({ method: 'POST', url: '/v1/staff', key: admin, payload: { name: 'Nobody' } });
    t.equal(none.statusCode, 422);
    const notBadge = await app.request({ method: 'POST', url: '/v1/staff', key: admin, payload: { barcode: '0109506000134352' } });
    t.match(notBadge.json(), { code: 'BARCODE_INVALID', detail: /staff badge/ });
  });

  t.test('a national admin key has no organisation to register places in', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/locations', key: app.adminKey, payload: { gln: '9506000134376', name: 'x' } });
    t.equal(res.statusCode, 403);
    t.equal(res.json().code, 'FORBIDDEN');
  });

  t.test('scanners cannot register places', async (t) => {
    t.equal((await app.request({ method: 'POST', url: '/v1/locations', key: org.keys.scanner, payload: { gln: '9506000134376', name: 'x' } })).statusCode, 403);
  });
});
