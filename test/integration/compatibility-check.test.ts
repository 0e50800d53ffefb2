/**
 * The check before opening (issue 16): POST /v1/procedures/{id}/check answers
 * what a scan of the box as implanted would say, against the procedure and
 * what is implanted in it now, and records nothing about the patient. The
 * check itself is kept as an append-only finding event and audited.
 */
import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp, nationalProcurementKey as nationalProcurement, createOrganisationWithKeys } from '../helpers/app.js';
import { newProcedure, scan, WRISTBAND } from '../helpers/theatre.js';

// Valid GTINs on GS1's example prefix 952.
const STEM_10_12 = '09520000000011';
const HEAD_12_14 = '09520000000028';
const STEM_12_14 = '09520000000042';
const RIGHT_FEMORAL = '09520000000059';
const PLAIN = '09520000000066';

interface Finding {
  code: string;
  severity: string;
  message: string;
  rule?: string;
}
const codes = (warnings: Finding[]) => warnings.map((w) => `${w.severity} ${w.code}`);

t.test('check before opening', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RCB');
  const other = await createOrganisationWithKeys(app, 'RCC');
  const national = await nationalProcurement(app);
  const product = async (gtin: string, manufacturer: string, clinical: object | null) => {
    const res = await app.request({ method: 'PUT', url: `/v1/products/${gtin}`, key: national, payload: { brand: gtin, manufacturer, implantable: true, ...(clinical ? { clinical } : {}) } });
    if (res.statusCode !== 200) throw new Error(res.body);
  };
  await product(STEM_10_12, 'Acme Ortho', { component: 'femoral-stem', laterality: 'none', taper: '10/12' });
  await product(STEM_12_14, 'Acme Ortho', { component: 'femoral-stem', laterality: 'none', taper: '12/14' });
  await product(HEAD_12_14, 'Acme Ortho', { component: 'femoral-head', laterality: 'none', taper: '12/14', headDiameterMm: 32, bearing: 'ceramic' });
  await product(RIGHT_FEMORAL, 'Knee Co', { component: 'femoral-component', laterality: 'right' });
  await product(PLAIN, 'Acme Ortho', null);
  const key = org.keys.scanner;
  let serial = 0;
  const label = (gtin: string, expiry = '301231') => `01${gtin}17${expiry}10LOT1\u001d21C${++serial}`;
  const check = (procedureId: string, body: object, as = key) => app.request({ method: 'POST', url: `/v1/procedures/${procedureId}/check`, key: as, payload: body });
  const itemCount = async (procedureId: string) =>
    Number((await sql<{ n: string }>`select count(*) as n from items where procedure_id = ${procedureId}`.execute(app.db)).rows[0]?.n);

  t.test('a 12/14 head checked against a 10/12 stem: stop, and nothing recorded about the patient', async (t) => {
    const procedure = await newProcedure(app, key, 9201, { side: 'left' });
    await scan(app, key, procedure, { barcode: label(STEM_10_12) });
    const barcode = label(HEAD_12_14);
    const res = await check(procedure, { barcode });
    t.equal(res.statusCode, 200, res.body);
    const body = res.json<{ check: { id: string; outcome: string; findings: Finding[]; raw: string; checkedBy: string }; device: { gtin: string; serialNumber: string }; warnings: Finding[]; wouldNeedDecision: boolean }>();
    t.same(codes(body.warnings), ['critical TAPER_MISMATCH']);
    t.equal(body.warnings[0]?.rule, 'hip.head-stem-taper', 'the finding names its rule');
    t.match(body.warnings[0]?.message, /femoral head has a 12\/14 taper and the stem a 10\/12 taper/);
    t.equal(body.wouldNeedDecision, true);
    t.match(body.device, { gtin: HEAD_12_14, serialNumber: `C${serial}`, entryType: 'barcode' });
    t.match(body.check, { outcome: 'critical', raw: barcode, findings: body.warnings });
    t.equal(await itemCount(procedure), 1, 'only the stem is recorded: a check makes no item');

    const list = await app.request({ method: 'GET', url: `/v1/procedures/${procedure}/checks`, key });
    t.equal(list.statusCode, 200, list.body);
    t.same(list.json<{ checks: unknown[] }>().checks, [body.check], 'the check is kept as it was answered');

    const audit = await app.db.selectFrom('audit_events').select(['detail', 'procedure_ids']).where('action', '=', 'procedure.check').execute();
    t.match(audit.at(-1), { detail: { checkId: body.check.id, outcome: 'critical', findings: ['TAPER_MISMATCH'] } });
    await t.rejects(sql`update pre_use_checks set outcome = 'none' where id = ${body.check.id}`.execute(app.db), 'a check is never changed');
  });

  t.test('the right head on the right stem: nothing to say; a scan of it then records it', async (t) => {
    const procedure = await newProcedure(app, key, 9202, { side: 'left' });
    await scan(app, key, procedure, { barcode: label(STEM_12_14) });
    const barcode = label(HEAD_12_14);
    const res = await check(procedure, { barcode });
    t.same(res.json<{ warnings: Finding[] }>().warnings, []);
    t.match(res.json(), { check: { outcome: 'none' }, wouldNeedDecision: false });
    const scanned = await scan(app, key, procedure, { barcode });
    t.equal(scanned.statusCode, 201);
    t.same(codes(scanned.json<{ warnings: Finding[] }>().warnings), [], 'the scan after the check says what the check said');
  });

  t.test('a right femoral component checked for a left knee, typed in', async (t) => {
    const procedure = await newProcedure(app, key, 9203, { side: 'left' });
    const res = await check(procedure, { manual: { gtin: RIGHT_FEMORAL, lotNumber: 'K1', expirationDate: '2030-01-01' } });
    t.equal(res.statusCode, 200, res.body);
    t.same(codes(res.json<{ warnings: Finding[] }>().warnings), ['critical SIDE_MISMATCH']);
    t.match(res.json(), { device: { entryType: 'manual' }, check: { entryType: 'manual', raw: null } });
  });

  t.test('a product the catalogue does not describe is "not checked", never "compatible"', async (t) => {
    const procedure = await newProcedure(app, key, 9204, { side: 'left' });
    await scan(app, key, procedure, { barcode: label(STEM_10_12) });
    const res = await check(procedure, { barcode: label(PLAIN) });
    const warnings = res.json<{ warnings: Finding[] }>().warnings;
    t.same(codes(warnings), ['info COMPATIBILITY_NOT_CHECKED']);
    t.match(warnings[0]?.message, /no clinical details/);
    t.match(res.json(), { check: { outcome: 'info' }, wouldNeedDecision: false });
  });

  t.test('an expired box is critical by the service clock, whatever the client says', async (t) => {
    const procedure = await newProcedure(app, key, 9205, { side: 'left' });
    const res = await check(procedure, { barcode: label(STEM_12_14, '200101') });
    t.match(codes(res.json<{ warnings: Finding[] }>().warnings), ['critical PRODUCT_EXPIRED']);
    t.equal(res.json<{ wouldNeedDecision: boolean }>().wouldNeedDecision, true);
  });

  t.test('refusals', async (t) => {
    const procedure = await newProcedure(app, key, 9206, { side: 'left' });
    const unreadable = await check(procedure, { barcode: '01123' });
    t.equal(unreadable.statusCode, 422);
    t.equal(unreadable.json<{ code: string }>().code, 'BARCODE_INVALID');
    const wristband = await check(procedure, { barcode: WRISTBAND('695010000000001231') });
    t.equal(wristband.json<{ code: string }>().code, 'NOT_A_PRODUCT_LABEL');
    const both = await check(procedure, { barcode: label(PLAIN), manual: { gtin: PLAIN } });
    t.equal(both.statusCode, 422);
    t.equal(both.json<{ code: string }>().code, 'VALIDATION_FAILED');
    const elsewhere = await check(procedure, { barcode: label(PLAIN) }, other.keys.scanner);
    t.equal(elsewhere.statusCode, 404, 'another organisation cannot check in this procedure');
    const theirList = await app.request({ method: 'GET', url: `/v1/procedures/${procedure}/checks`, key: other.keys.scanner });
    t.equal(theirList.statusCode, 404, 'nor read its checks');
    const done = await app.request({ method: 'POST', url: `/v1/procedures/${procedure}/complete`, key });
    t.equal(done.statusCode, 200, done.body);
    const completed = await check(procedure, { barcode: label(PLAIN) });
    t.equal(completed.statusCode, 409);
    t.equal(completed.json<{ code: string }>().code, 'PROCEDURE_COMPLETED');
    const stored = await sql<{ n: string }>`select count(*) as n from pre_use_checks where procedure_id = ${procedure}`.execute(app.db);
    t.equal(Number(stored.rows[0]?.n), 0, 'a refused check keeps nothing');
  });
});
