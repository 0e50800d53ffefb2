import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { BADGE, nhsNumber, openProcedure, PLACE, WRISTBAND } from '../helpers/theatre.js';

const GSRN_1 = '950600013435200039';
const GSRN_2 = '950600013435200046';

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

  t.test('with an Idempotency-Key, a retry opens nothing and answers the first procedure; the key with another body is refused', async (t) => {
    const count = async () => (await app.db.selectFrom('procedures').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n;
    const open = (body: Record<string, unknown>, key: string, as = org.keys.scanner) =>
      app.request({ method: 'POST', url: '/v1/procedures', key: as, headers: { 'idempotency-key': key }, payload: body });
    const body = { patient: { nhsNumber: nhsNumber(5_000_001) }, location: { gln: '9506000134369' }, side: 'right' };
    const before = Number(await count());
    const first = await open(body, 'case-key-1');
    t.equal(first.statusCode, 201, first.body);
    t.equal(first.headers['idempotency-replayed'], undefined, 'the first answer is not a replay');
    t.equal(Number(await count()), before + 1);

    // The response was lost on the way back; the theatre sends the same request again, members in another order.
    const retry = await open({ side: 'right', location: { gln: '9506000134369' }, patient: { nhsNumber: nhsNumber(5_000_001) } }, 'case-key-1');
    t.equal(retry.statusCode, 201);
    t.equal(retry.headers['idempotency-replayed'], 'true');
    t.equal(retry.json().id, first.json().id, 'the same procedure');
    t.same(retry.json().patient, first.json().patient);
    t.equal(Number(await count()), before + 1, 'no second procedure');

    const reused = await open({ ...body, side: 'left' }, 'case-key-1');
    t.equal(reused.statusCode, 422);
    t.match(reused.json(), { code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    t.equal(Number(await count()), before + 1, 'nothing opened for the reused key');

    // Keys belong to an organisation: another organisation's same key is its own.
    const elsewhere = await open(body, 'case-key-1', other.keys.scanner);
    t.equal(elsewhere.statusCode, 201);
    t.not(elsewhere.json().id, first.json().id);
    t.equal(elsewhere.headers['idempotency-replayed'], undefined);

    // A key used for a scan is not taken as a procedure's.
    const scanKey = 'scan-then-case';
    const scanned = await app.request({ method: 'POST', url: `/v1/procedures/${first.json().id}/scans`, key: org.keys.scanner, headers: { 'idempotency-key': scanKey }, payload: { barcode: `01${'09506000134352'}` } });
    t.equal(scanned.statusCode, 201, scanned.body);
    t.match((await open(body, scanKey)).json(), { code: 'IDEMPOTENCY_KEY_REUSED' });

    // The replay answers the procedure as it is now, with the scan in it, and is audited as a read.
    const later = await open(body, 'case-key-1');
    t.equal(later.json().items.length, 1);
    const audit = await app.db.selectFrom('audit_events').select(['action', 'procedure_ids']).where('action', 'like', 'procedure.%').execute();
    const ofFirst = audit.filter((a) => (a.procedure_ids ?? []).includes(first.json().id)).map((a) => a.action);
    t.same(ofFirst.sort(), ['procedure.create', 'procedure.read', 'procedure.read'], 'one create; each replay a read');

    // Without a key, as before: every request opens one.
    const a = await openProcedure(app, org.keys.scanner, body);
    const b = await openProcedure(app, org.keys.scanner, body);
    t.not(a.json().id, b.json().id);
  });

  t.test('concurrent requests with one Idempotency-Key open exactly one procedure', async (t) => {
    const body = { patient: { nhsNumber: nhsNumber(5_000_002) } };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => app.request({ method: 'POST', url: '/v1/procedures', key: org.keys.scanner, headers: { 'idempotency-key': 'race-key' }, payload: body })),
    );
    t.same(answers.map((r) => r.statusCode), [201, 201, 201, 201, 201, 201]);
    t.equal(new Set(answers.map((r) => r.json<{ id: string }>().id)).size, 1, 'one procedure answered to all');
    t.equal(answers.filter((r) => r.headers['idempotency-replayed'] === undefined).length, 1, 'exactly one was not a replay');
    const rows = await app.db.selectFrom('procedures as p').innerJoin('patients as pa', 'pa.id', 'p.patient_id').select('p.id').where('pa.nhs_number', '=', nhsNumber(5_000_002)).execute();
    t.equal(rows.length, 1);
  });

  t.test('an Idempotency-Key over 200 characters -> 422 pointing at the header', async (t) => {
    const res = await app.request({ method: 'POST', url: '/v1/procedures', key: org.keys.scanner, headers: { 'idempotency-key': 'k'.repeat(201) }, payload: { patient: { nhsNumber: nhsNumber(5_000_003) } } });
    t.equal(res.statusCode, 422);
    t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ in: 'headers', pointer: '/idempotency-key' }] });
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
