/**
 * Scans at the point of use, through HTTP on a real Postgres: exactly once,
 * split labels, explants, voids, late entries, and every warning.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';
import { GS, GTIN, GTIN_B, newProcedure, nhsNumber, scan } from '../helpers/theatre.js';

const NOW = '2026-11-21T09:00:00Z';
const codes = (res: { json(): { warnings: Array<{ code: string }> } }) => res.json().warnings.map((w) => w.code);

async function scanCount(app: TestApp): Promise<number> {
  return Number((await app.db.selectFrom('scans').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
}

t.test('scans', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const other = await createOrganisationWithKeys(app, 'RH8');
  const key = org.keys.scanner;
  await app.request({ method: 'PUT', url: `/v1/products/${GTIN}`, key: org.keys.procurement, payload: { brand: 'Hip Stem X', manufacturer: 'Acme', implantable: true } });
  await app.request({ method: 'PUT', url: `/v1/products/${GTIN_B}`, key: org.keys.procurement, payload: { brand: 'Drape', manufacturer: 'Acme', implantable: false } });

  t.test('a full GS1 label: one item, the raw string kept, no warnings for a known in-date product', async (t) => {
    const proc = await newProcedure(app, key, 1);
    const raw = `]d201${GTIN}17271231` + `10LOT1${GS}21SER-1`;
    const res = await scan(app, key, proc, { barcode: raw, scannerId: 'T3-A' });
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json(), {
      scan: { kind: 'product', action: 'implanted', entryType: 'barcode', raw, di: GTIN, lotNumber: 'LOT1', serialNumber: 'SER-1', expirationDate: '2027-12-31', scannerId: 'T3-A' },
      item: { status: 'active', action: 'implanted', gtin: GTIN, lotNumber: 'LOT1', serialNumber: 'SER-1', awaiting: null },
      warnings: [],
    });
    const stored = await app.db.selectFrom('scans').select(['raw', 'parsed']).where('id', '=', res.json().scan.id).executeTakeFirstOrThrow();
    t.equal(stored.raw, raw, 'the raw carrier string exactly as scanned');
    t.match(stored.parsed, { valid: true, gtin: GTIN, hri: `(01)${GTIN}(17)271231(10)LOT1(21)SER-1` });
  });

  t.test('expired (month-end rule): critical; the scan is still recorded', async (t) => {
    const proc = await newProcedure(app, key, 2);
    const expired = await scan(app, key, proc, { barcode: `01${GTIN}17261000` + `10OLD` });
    t.equal(expired.statusCode, 201);
    t.match(expired.json().warnings, [{ code: 'PRODUCT_EXPIRED', severity: 'critical', message: /2026-10-31/ }]);
    const endOfThisMonth = await scan(app, key, proc, { barcode: `01${GTIN}17261100` + `10NEW` });
    t.notOk(codes(endOfThisMonth).includes('PRODUCT_EXPIRED'), 'day 00 = 30 November: not expired on the 21st');
  });

  t.test('unknown product and not implantable', async (t) => {
    const proc = await newProcedure(app, key, 3);
    const unknown = await scan(app, key, proc, { barcode: `0109506000134376` + `10X` });
    t.match(unknown.json().warnings, [{ code: 'UNKNOWN_PRODUCT', severity: 'warning' }]);
    const drape = await scan(app, key, proc, { barcode: `01${GTIN_B}10X` });
    t.ok(codes(drape).includes('NOT_IMPLANTABLE'));
    const wasted = await scan(app, key, proc, { barcode: `01${GTIN_B}10Y`, action: 'wasted' });
    t.notOk(codes(wasted).includes('NOT_IMPLANTABLE'), 'only implanting a non-implantable product is flagged');
  });

  t.test('the same serial in another patient: critical, until it is explanted', async (t) => {
    const first = await newProcedure(app, key, 4);
    await scan(app, key, first, { barcode: `01${GTIN}21DUP-9` });
    const second = await newProcedure(app, key, 5);
    const res = await scan(app, key, second, { barcode: `01${GTIN}21DUP-9` });
    t.match(res.json().warnings, [{ code: 'SERIAL_ALREADY_IMPLANTED', severity: 'critical' }]);
    t.equal(res.statusCode, 201, 'recorded all the same');

    // The second scan was the mistake: voided. Then the device is explanted from the first patient.
    await app.request({ method: 'POST', url: `/v1/scans/${res.json().scan.id}/void`, key, payload: { reason: 'wrong patient' } });
    const revision = await newProcedure(app, key, 4);
    const explant = await scan(app, key, revision, { barcode: `01${GTIN}21DUP-9`, action: 'explanted' });
    t.match(explant.json(), { item: { action: 'explanted', explantOfItemId: String }, warnings: [] });
    const third = await newProcedure(app, key, 6);
    const after = await scan(app, key, third, { barcode: `01${GTIN}21DUP-9` });
    t.notOk(codes(after).includes('SERIAL_ALREADY_IMPLANTED'), 'explanted and voided records no longer count');
  });

  t.test('explants link to the implant in the same patient: by serial, else by lot', async (t) => {
    const primary = await newProcedure(app, key, 7);
    const implant = (await scan(app, key, primary, { barcode: `01${GTIN}10LOT-H${GS}21HIP-1` })).json().item;
    const lotOnly = (await scan(app, key, primary, { barcode: `01${GTIN_B}10CUP-LOT` })).json().item;
    const revision = await newProcedure(app, key, 7);
    const bySerial = await scan(app, key, revision, { barcode: `01${GTIN}21HIP-1`, action: 'explanted' });
    t.equal(bySerial.json().item.explantOfItemId, implant.id);
    const byLot = await scan(app, key, revision, { barcode: `01${GTIN_B}10CUP-LOT`, action: 'explanted' });
    t.equal(byLot.json().item.explantOfItemId, lotOnly.id);
    const implantRow = await app.db.selectFrom('items').select('explanted_by_item_id').where('id', '=', implant.id).executeTakeFirstOrThrow();
    t.equal(implantRow.explanted_by_item_id, bySerial.json().item.id);
    const stranger = await newProcedure(app, key, 8);
    const unmatched = await scan(app, key, stranger, { barcode: `01${GTIN}21HIP-1`, action: 'explanted' });
    t.match(unmatched.json(), { item: { explantOfItemId: null }, warnings: [{ code: 'EXPLANT_NOT_MATCHED', severity: 'info' }] });
  });

  t.test('duplicates within one procedure', async (t) => {
    const proc = await newProcedure(app, key, 9);
    await scan(app, key, proc, { barcode: `01${GTIN}21ONCE`, scannerId: 'A' });
    const again = await scan(app, key, proc, { barcode: `01${GTIN}21ONCE`, scannerId: 'B' });
    t.ok(codes(again).includes('DUPLICATE_SCAN'), 'the same serial twice');
    await scan(app, key, proc, { barcode: `01${GTIN}10SCREWS`, scannerId: 'A' });
    const twice = await scan(app, key, proc, { barcode: `01${GTIN}10SCREWS`, scannerId: 'A' });
    t.match(twice.json().warnings, [{ code: 'DUPLICATE_SCAN', message: /moments ago/ }]);
    const items = await app.db.selectFrom('items').select('id').where('procedure_id', '=', proc).execute();
    t.equal(items.length, 4, 'every scan is recorded; the theatre decides');
  });

  t.test('split GS1 labels from one scanner make one item, in either order', async (t) => {
    const proc = await newProcedure(app, key, 10);
    const product = await scan(app, key, proc, { barcode: `01${GTIN}`, scannerId: 'S1' });
    t.match(product.json(), { item: { awaiting: 'secondary-label' }, warnings: [{ code: 'PARTIAL_LABEL', severity: 'info' }] });
    const secondary = await scan(app, key, proc, { barcode: `17271231` + `10LOT-S${GS}21SN-S`, scannerId: 'S1' });
    t.match(secondary.json(), { item: { id: product.json().item.id, gtin: GTIN, lotNumber: 'LOT-S', serialNumber: 'SN-S', expirationDate: '2027-12-31', awaiting: null }, warnings: [] });

    const secondFirst = await scan(app, key, proc, { barcode: `10LOT-T`, scannerId: 'S2' });
    t.match(secondFirst.json(), { item: { awaiting: 'product-label', di: null }, warnings: [{ code: 'PARTIAL_LABEL', severity: 'warning' }] });
    const thenProduct = await scan(app, key, proc, { barcode: `01${GTIN}`, scannerId: 'S2' });
    t.match(thenProduct.json(), { item: { id: secondFirst.json().item.id, gtin: GTIN, lotNumber: 'LOT-T', awaiting: null } });
  });

  t.test('a secondary label from another scanner is kept as incomplete, and reported', async (t) => {
    const proc = await newProcedure(app, key, 11);
    await scan(app, key, proc, { barcode: `01${GTIN}`, scannerId: 'S1' });
    const elsewhere = await scan(app, key, proc, { barcode: `10LOT-U`, scannerId: 'S9' });
    t.match(elsewhere.json(), { item: { awaiting: 'product-label' }, warnings: [{ code: 'PARTIAL_LABEL' }] });
    const items = await app.db.selectFrom('items').select('awaiting').where('procedure_id', '=', proc).orderBy('first_scanned_at').execute();
    t.same(items.map((i) => i.awaiting).sort(), ['product-label', 'secondary-label']);
  });

  t.test('HIBC split labels match by link character', async (t) => {
    const proc = await newProcedure(app, key, 12);
    const primary = await scan(app, key, proc, { barcode: '+A123BJC5D6E71G', scannerId: 'H' });
    t.match(primary.json().item, { issuingAgency: 'HIBCC', di: 'A123BJC5D6E71', hibc: { lic: 'A123', pcn: 'BJC5D6E7' }, awaiting: 'secondary-label' });
    const secondary = await scan(app, key, proc, { barcode: '+$$52001510X3GD', scannerId: 'H' });
    t.match(secondary.json().item, { id: primary.json().item.id, lotNumber: '10X3', expirationDate: '2020-01-15', awaiting: null });
    t.ok(codes(secondary).includes('PRODUCT_EXPIRED'));

    await scan(app, key, proc, { barcode: '+A123BJC5D6E71G', scannerId: 'H2' });
    // Link character H does not match the primary's check character G: not its secondary.
    // (Its own check character E is right: it reads as a valid secondary, linked to a primary with check H.)
    const stray = await scan(app, key, proc, { barcode: '+$$52001510X3HE', scannerId: 'H2' });
    t.equal(stray.statusCode, 201);
    t.not(stray.json().item.id, primary.json().item.id, 'not joined to the primary whose check character is G');
    t.equal(stray.json().item.awaiting, 'product-label', 'it waits for its own product label');
  });

  t.test('manual entry is recorded as such', async (t) => {
    const proc = await newProcedure(app, key, 13);
    const res = await scan(app, key, proc, { manual: { gtin: '9506000134352', lotNumber: 'TYPED', expirationDate: '2027-01-31' } });
    t.match(res.json(), { scan: { entryType: 'manual', raw: null, di: GTIN }, item: { entryType: 'manual', gtin: GTIN, lotNumber: 'TYPED', awaiting: null } });
    const both = await scan(app, key, proc, { manual: { gtin: GTIN }, barcode: `01${GTIN}` });
    t.equal(both.statusCode, 422);
    const badGtin = await scan(app, key, proc, { manual: { gtin: '09506000134353' } });
    t.match(badGtin.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/manual/gtin', message: /check digit/ }] });
  });

  t.test('a scan is a barcode or a manual entry, exactly one; the errors name the mistake in the one chosen', async (t) => {
    const proc = await newProcedure(app, key, 114);
    const before = await scanCount(app);
    const refused = async (body: Record<string, unknown>) => {
      const res = await scan(app, key, proc, body);
      t.equal(res.statusCode, 422, JSON.stringify(body));
      return res.json<{ code: string; errors: Array<{ pointer: string; message: string; code: string }> }>();
    };
    const exactlyOne = { code: 'VALIDATION_FAILED', errors: [{ pointer: '', message: 'give exactly one of barcode or manual', code: 'invalid_union' }] };
    t.match(await refused({ barcode: `01${GTIN}`, manual: { gtin: GTIN } }), exactlyOne, 'both');
    t.match(await refused({ action: 'implanted' }), exactlyOne, 'neither');
    t.match(await refused({ barcode: `01${GTIN}`, action: 'thrown' }), { errors: [{ pointer: '/action', code: 'invalid_value' }] }, 'a barcode scan with a bad action');
    t.match(await refused({ barcode: `01${GTIN}`, scannerId: 7 }), { errors: [{ pointer: '/scannerId', code: 'invalid_type' }] }, 'a barcode scan with a bad scanner id');
    const typo = await refused({ barcode: `01${GTIN}`, scanerId: 'H1', action: 'thrown' });
    t.same(typo.errors.map((e) => e.code).sort(), ['invalid_value', 'unrecognized_keys'], 'an unknown member and a bad action: both named, and only those');
    const manual = await refused({ manual: { gtin: '09506000134353', lotNumber: 'LOT 7' } });
    t.same(manual.errors.map((e) => e.pointer).sort(), ['/manual/gtin', '/manual/lotNumber'], 'a manual entry: its own fields, nothing about a barcode');
    t.equal(await scanCount(app), before, 'nothing stored');
  });

  t.test('a typed lot or serial is held to the GS1 rules for AIs (10) and (21); nothing is stored when it breaks them', async (t) => {
    const proc = await newProcedure(app, key, 113);
    const before = await scanCount(app);
    const space = await scan(app, key, proc, { manual: { gtin: GTIN, lotNumber: 'LOT 7' } });
    t.equal(space.statusCode, 422);
    t.match(space.json(), { code: 'VALIDATION_FAILED', errors: [{ in: 'body', pointer: '/manual/lotNumber', message: /cannot contain a space/ }] });
    const accented = await scan(app, key, proc, { manual: { gtin: GTIN, lotNumber: 'LOT7', serialNumber: 'SÉR1' } });
    t.match(accented.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/manual/serialNumber', message: /cannot contain "É"/ }] });
    t.equal(accented.json().errors.length, 1, 'only the serial is named: the lot is fine');
    const long = await scan(app, key, proc, { manual: { gtin: GTIN, serialNumber: 'S'.repeat(21) } });
    t.match(long.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/manual/serialNumber' }] });
    t.equal(await scanCount(app), before, 'nothing stored');
    const cset82 = await scan(app, key, proc, { manual: { gtin: GTIN, lotNumber: `A-1/2.3_x%&'()*+,:;<=>?`.slice(0, 20) } });
    t.equal(cset82.statusCode, 201, 'every character of GS1 set 82 is taken');
  });

  t.test('an unreadable barcode -> 422 with the parser error; nothing stored', async (t) => {
    const proc = await newProcedure(app, key, 14);
    const before = await scanCount(app);
    const res = await scan(app, key, proc, { barcode: `01${'09506000134353'}10X` });
    t.equal(res.statusCode, 422);
    t.match(res.json(), { code: 'BARCODE_INVALID', parse: { valid: false, error: { kind: 'checkDigit', code: 'GS1_CHECK_DIGIT', position: 15, length: 1 } } });
    t.equal(await scanCount(app), before);
    const wristband = await scan(app, key, proc, { barcode: ']d28018950600013435200039' });
    t.match(wristband.json(), { code: 'NOT_A_PRODUCT_LABEL', detail: /patient wristband/ });
    t.equal(await scanCount(app), before);
  });

  t.test('a lot that may have swallowed the expiry (a dropped GS) is recorded with a warning to check the label', async (t) => {
    const proc = await newProcedure(app, key, 14_500);
    const res = await scan(app, key, proc, { barcode: `01${GTIN}10123456` + `17261231` });
    t.equal(res.statusCode, 201, 'recorded: the record of what was implanted is never lost');
    t.match(res.json().item, { lotNumber: '12345617261231', expirationDate: null });
    t.match(res.json().warnings, [{ code: 'POSSIBLE_MISSING_SEPARATOR', severity: 'warning', message: /\(17\)/ }], 'shown as a warning, not as information');
  });

  t.test('exactly once: a retry answers the first response and stores nothing', async (t) => {
    const proc = await newProcedure(app, key, 15);
    const idem = randomUUID();
    const first = await scan(app, key, proc, { barcode: `01${GTIN}21ONE-1` }, idem);
    const before = await scanCount(app);
    const retry = await scan(app, key, proc, { barcode: `01${GTIN}21ONE-1` }, idem);
    t.equal(retry.statusCode, 201);
    t.equal(retry.headers['idempotency-replayed'], 'true');
    t.same(retry.json(), first.json());
    t.equal(await scanCount(app), before);
    const reused = await scan(app, key, proc, { barcode: `01${GTIN}21ONE-2` }, idem);
    t.equal(reused.statusCode, 422);
    t.equal(reused.json().code, 'IDEMPOTENCY_KEY_REUSED');
    const missing = await app.request({ method: 'POST', url: `/v1/procedures/${proc}/scans`, key, payload: { barcode: `01${GTIN}` } });
    t.equal(missing.statusCode, 400);
    t.equal(missing.json().code, 'IDEMPOTENCY_KEY_MISSING');
  });

  t.test('50 concurrent retries of one Idempotency-Key store exactly one scan and one item', async (t) => {
    const proc = await newProcedure(app, key, 16);
    const idem = randomUUID();
    const responses = await Promise.all(Array.from({ length: 50 }, () => scan(app, key, proc, { barcode: `01${GTIN}21RACE-1`, scannerId: 'R' }, idem)));
    t.ok(responses.every((r) => r.statusCode === 201), 'all answered 201');
    t.equal(new Set(responses.map((r) => r.json<{ scan: { id: string } }>().scan.id)).size, 1, 'all with the same scan');
    t.equal(responses.filter((r) => r.headers['idempotency-replayed'] !== 'true').length, 1, 'one did the work');
    const scans = await app.db.selectFrom('scans').select('id').where('procedure_id', '=', proc).execute();
    const items = await app.db.selectFrom('items').select('id').where('procedure_id', '=', proc).execute();
    t.equal(scans.length, 1);
    t.equal(items.length, 1);
  });

  t.test('void: a new ledger row; the item is voided; the history shows both', async (t) => {
    const proc = await newProcedure(app, key, 17);
    const res = await scan(app, key, proc, { barcode: `01${GTIN}21MISTAKE` });
    const scanId = res.json().scan.id;
    const voided = await app.request({ method: 'POST', url: `/v1/scans/${scanId}/void`, key, payload: { reason: 'wrong item scanned' } });
    t.equal(voided.statusCode, 200, voided.body);
    t.match(voided.json(), { scan: { kind: 'void', voidsScanId: scanId, reason: 'wrong item scanned' }, item: { status: 'voided' } });
    const again = await app.request({ method: 'POST', url: `/v1/scans/${scanId}/void`, key, payload: { reason: 'again' } });
    t.equal(again.statusCode, 409);
    t.equal(again.json().code, 'SCAN_ALREADY_VOIDED');
    const voidOfVoid = await app.request({ method: 'POST', url: `/v1/scans/${voided.json().scan.id}/void`, key, payload: { reason: 'void of a void' } });
    t.equal(voidOfVoid.json().code, 'SCAN_NOT_VOIDABLE');
    const detail = (await app.request({ method: 'GET', url: `/v1/procedures/${proc}`, key })).json();
    t.match(detail.items, [{ status: 'voided', history: [{ kind: 'product', id: scanId }, { kind: 'void', voidsScanId: scanId }] }]);
    t.equal((await scan(app, key, proc, { barcode: `01${GTIN}21MISTAKE` })).json().warnings.length, 0, 'a voided scan is no duplicate');
  });

  t.test('voiding the second half of a split label reopens the item', async (t) => {
    const proc = await newProcedure(app, key, 18);
    const product = await scan(app, key, proc, { barcode: `01${GTIN}`, scannerId: 'V' });
    const secondary = await scan(app, key, proc, { barcode: `10WRONG-LOT`, scannerId: 'V' });
    t.equal(secondary.json().item.lotNumber, 'WRONG-LOT');
    const voided = await app.request({ method: 'POST', url: `/v1/scans/${secondary.json().scan.id}/void`, key, payload: { reason: 'lot label of another box' } });
    t.match(voided.json().item, { id: product.json().item.id, status: 'active', lotNumber: null, awaiting: 'secondary-label' });
  });

  t.test('voiding an explant un-marks the implant', async (t) => {
    const first = await newProcedure(app, key, 19);
    const implant = (await scan(app, key, first, { barcode: `01${GTIN}21KNEE-1` })).json().item;
    const revision = await newProcedure(app, key, 19);
    const explant = await scan(app, key, revision, { barcode: `01${GTIN}21KNEE-1`, action: 'explanted' });
    await app.request({ method: 'POST', url: `/v1/scans/${explant.json().scan.id}/void`, key, payload: { reason: 'not removed after all' } });
    const row = await app.db.selectFrom('items').select('explanted_by_item_id').where('id', '=', implant.id).executeTakeFirstOrThrow();
    t.equal(row.explanted_by_item_id, null);
  });

  t.test('after completion a scan needs a late-entry reason', async (t) => {
    const proc = await newProcedure(app, key, 20);
    await app.request({ method: 'POST', url: `/v1/procedures/${proc}/complete`, key });
    const refused = await scan(app, key, proc, { barcode: `01${GTIN}21LATE` });
    t.equal(refused.statusCode, 409);
    t.equal(refused.json().code, 'PROCEDURE_COMPLETED');
    const late = await scan(app, key, proc, { barcode: `01${GTIN}21LATE`, lateEntry: { reason: 'scanner was offline' } });
    t.equal(late.statusCode, 201);
    t.match(late.json().scan, { lateEntry: true, reason: 'scanner was offline' });
  });

  t.test("another organisation's key gets 404 on every procedure and scan route", async (t) => {
    const proc = await newProcedure(app, key, 21);
    const mine = await scan(app, key, proc, { barcode: `01${GTIN}21MINE` });
    const k = other.keys.scanner;
    const attempts = [
      await app.request({ method: 'GET', url: `/v1/procedures/${proc}`, key: other.keys.procurement }),
      await scan(app, k, proc, { barcode: `01${GTIN}21THEIRS` }),
      await app.request({ method: 'POST', url: `/v1/procedures/${proc}/complete`, key: k }),
      await app.request({ method: 'POST', url: `/v1/scans/${mine.json().scan.id}/void`, key: k, payload: { reason: 'not my scan' } }),
    ];
    t.same(attempts.map((r) => r.statusCode), [404, 404, 404, 404]);
    t.ok(attempts.every((r) => r.json().code === 'NOT_FOUND'));
    const state = await app.db.selectFrom('procedures').select('status').where('id', '=', proc).executeTakeFirstOrThrow();
    t.equal(state.status, 'open', 'nothing changed');
  });

  t.test('the ledger is append-only', async (t) => {
    await t.rejects(sql`update scans set raw = 'tampered'`.execute(app.db), /append-only/);
    await t.rejects(sql`delete from scans`.execute(app.db), /append-only/);
  });

  t.test('every scan and void is audited with its patient and procedure', async (t) => {
    // Its own procedure, so that what it counts does not depend on which sibling tests ran before it.
    const proc = await newProcedure(app, key, 91);
    const recorded = [
      await scan(app, key, proc, { barcode: `01${GTIN}10AUD-1` }),
      await scan(app, key, proc, { barcode: `01${GTIN}10AUD-2` }),
      await scan(app, key, proc, { barcode: `01${GTIN}10AUD-3` }),
    ];
    const scanIds = recorded.map((r) => r.json().scan.id as string);
    const voided = await app.request({ method: 'POST', url: `/v1/scans/${scanIds[0]}/void`, key, payload: { reason: 'audit check' } });
    t.equal(voided.statusCode, 200);
    const rows = await app.db.selectFrom('audit_events').select(['action', 'patient_ids', 'procedure_ids']).where('action', 'in', ['scan.record', 'scan.void']).where(sql<boolean>`${proc}::uuid = any(procedure_ids)`).execute();
    t.same(rows.map((r) => r.action).sort(), ['scan.record', 'scan.record', 'scan.record', 'scan.void'], 'a row per scan and per void');
    t.ok(rows.every((r) => r.patient_ids.length === 1 && r.procedure_ids.length === 1 && r.procedure_ids[0] === proc), 'each names the patient and the procedure');
  });

  t.test('no NHS number reaches the logs', async (t) => {
    for (let seed = 1; seed <= 21; seed++) t.notOk(app.logsContainNumber(nhsNumber(seed)), `patient ${seed}`);
  });
});
