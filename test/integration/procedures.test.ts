import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { nhsNumber, openProcedure, PLACE, WRISTBAND } from '../helpers/theatre.js';

const GSRN_1 = '950600013435200039';
const GSRN_2 = '950600013435200046';
const BADGE = ']d28017950600013435200053';

t.test('procedures', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-11-21T09:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const other = await createOrganisationWithKeys(app, 'RH8');
  const nhs = nhsNumber(123456789);

  let procedureId = '';
  t.test('opened from a wristband with the NHS number, a wall label and a badge', async (t) => {
    const res = await openProcedure(app, org.keys.scanner, {
      patient: { nhsNumber: nhs.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3'), barcode: WRISTBAND(GSRN_1) },
      location: { barcode: `]d2${PLACE}254THEATRE3` },
      clinician: { barcode: BADGE, name: 'Ms A Surgeon' },
      procedureCode: 'W37.1',
      side: 'left',
    });
    t.equal(res.statusCode, 201, res.body);
    const body = res.json();
    procedureId = body.id;
    t.match(body, {
      status: 'open',
      startedAt: '2026-11-21T09:00:00.000Z',
      procedureCode: 'W37.1',
      side: 'left',
      patient: { nhsNumber: nhs, wristbandGsrn: GSRN_1 },
      location: { gln: '9506000134369', glnExtension: 'THEATRE3', name: 'GLN 9506000134369 / THEATRE3', kind: 'theatre' },
      clinician: { gsrn: '950600013435200053', name: 'Ms A Surgeon' },
      items: [],
    });
  });

  t.test('the wristband alone finds the patient again', async (t) => {
    const res = await openProcedure(app, org.keys.scanner, { patient: { barcode: WRISTBAND(GSRN_1) }, location: { gln: '9506000134369', glnExtension: 'THEATRE3' } });
    t.equal(res.statusCode, 201);
    t.match(res.json(), { patient: { nhsNumber: nhs }, location: { name: 'GLN 9506000134369 / THEATRE3' } });
    const locations = await app.db.selectFrom('locations').select('id').execute();
    t.equal(locations.length, 1, 'the place was registered once');
  });

  t.test('an unknown wristband alone -> 422 PATIENT_NOT_FOUND', async (t) => {
    const res = await openProcedure(app, org.keys.scanner, { patient: { barcode: WRISTBAND(GSRN_2) } });
    t.equal(res.statusCode, 422);
    t.equal(res.json().code, 'PATIENT_NOT_FOUND');
  });

  t.test("another patient's wristband with this NHS number -> 409 PATIENT_MISMATCH, nothing opened", async (t) => {
    const before = await app.db.selectFrom('procedures').select('id').execute();
    const res = await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: nhsNumber(987654321), barcode: WRISTBAND(GSRN_1) } });
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'PATIENT_MISMATCH');
    t.equal((await app.db.selectFrom('procedures').select('id').execute()).length, before.length);
  });

  t.test('an invalid NHS number -> 422 pointing at it', async (t) => {
    const bad = `${nhs.slice(0, 9)}${(Number(nhs[9]) + 1) % 10}`;
    const res = await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: bad } });
    t.equal(res.statusCode, 422);
    t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ in: 'body', pointer: '/patient/nhsNumber', message: /NHS number has a wrong check digit/ }] });
  });

  t.test('a wall label that is not a GLN, or does not read -> 422 BARCODE_INVALID', async (t) => {
    const notPlace = await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: nhs }, location: { barcode: '0109506000134352' } });
    t.equal(notPlace.statusCode, 422);
    t.match(notPlace.json(), { code: 'BARCODE_INVALID', detail: /not a location/ });
    const unreadable = await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: nhs }, location: { barcode: '4149506000134368' } });
    t.match(unreadable.json(), { code: 'BARCODE_INVALID', parse: { error: { kind: 'checkDigit' } } });
  });

  t.test('GET: scanner and procurement of the organisation; 404 for anyone else', async (t) => {
    for (const key of [org.keys.scanner, org.keys.procurement]) {
      const res = await app.request({ method: 'GET', url: `/v1/procedures/${procedureId}`, key });
      t.equal(res.statusCode, 200);
      t.equal(res.json().patient.nhsNumber, nhs);
    }
    t.equal((await app.request({ method: 'GET', url: `/v1/procedures/${procedureId}`, key: org.keys.registry })).statusCode, 403);
    const foreign = await app.request({ method: 'GET', url: `/v1/procedures/${procedureId}`, key: other.keys.scanner });
    t.equal(foreign.statusCode, 404);
    t.equal(foreign.json().code, 'NOT_FOUND');
    const complete = await app.request({ method: 'POST', url: `/v1/procedures/${procedureId}/complete`, key: other.keys.scanner });
    t.equal(complete.statusCode, 404);
  });

  t.test('search by NHS number (in the body), scoped to the organisation', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/procedures/search', key: org.keys.procurement, payload: { nhsNumber: nhs } });
    t.equal(res.statusCode, 200);
    t.equal(res.json().items.length, 2);
    t.match(res.json().items[0], { organisation: 'RRK', patient: { nhsNumber: nhs }, location: { gln: '9506000134369' } });
    const foreign = await app.request({ method: 'POST', url: '/v1/procedures/search', key: other.keys.procurement, payload: { nhsNumber: nhs } });
    t.same(foreign.json().items, []);
    const byPlace = await app.request({ method: 'POST', url: '/v1/procedures/search', key: org.keys.procurement, payload: { locationGln: '9506000134369', from: '2026-11-21T00:00:00Z', to: '2026-11-22T00:00:00Z' } });
    t.equal(byPlace.json().items.length, 2);
  });

  t.test('complete is idempotent', async (t) => {
    const first = await app.request({ method: 'POST', url: `/v1/procedures/${procedureId}/complete`, key: org.keys.scanner });
    t.match(first.json(), { status: 'completed', completedAt: '2026-11-21T09:00:00.000Z' });
    const again = await app.request({ method: 'POST', url: `/v1/procedures/${procedureId}/complete`, key: org.keys.scanner });
    t.equal(again.statusCode, 200);
    t.equal(again.json().completedAt, first.json().completedAt);
  });

  t.test('every read and write of patient data is audited, with the patient and procedure', async (t) => {
    const rows = await app.db.selectFrom('audit_events').select(['action', 'patient_ids', 'procedure_ids', 'organisation_id']).where('action', 'like', 'procedure.%').execute();
    const actions = rows.map((r) => r.action);
    t.ok(actions.includes('procedure.create') && actions.includes('procedure.read') && actions.includes('procedure.search') && actions.includes('procedure.complete'));
    const read = rows.find((r) => r.action === 'procedure.read');
    t.same(read?.procedure_ids, [procedureId]);
    t.equal(read?.organisation_id, org.id);
    t.notOk(JSON.stringify(rows).includes(nhs), 'no NHS number in the audit trail');
  });

  t.test('NHS numbers never reach the logs', async (t) => {
    t.notOk(app.logsContainNumber(nhs));
  });
});
