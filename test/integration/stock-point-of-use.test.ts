/**
 * Point-of-use consumption: the theatre scan takes its unit from the theatre's stock, never waiting on
 * it; a unit the stock does not hold leaves the stock short (the discrepancy report); voids and the
 * decisions on critical warnings move the unit back, hold it or take it again; a quarantined unit
 * scanned for implanting is a critical warning.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { GS, GTIN, newProcedure, scan } from '../helpers/theatre.js';

const THEATRE = '9506000134369';
const THEATRE_2 = '9506000134376';
const STORE = '9506000134383';
const unit = (serial: string, expiry = '281231') => `]d201${GTIN}17${expiry}21${serial}`;
const lot = (lotNumber: string, expiry = '281231', count?: number) => `]d201${GTIN}17${expiry}10${lotNumber}${count === undefined ? '' : `${GS}30${count}`}`;

interface OnHand {
  location: { gln: string } | null;
  lotNumber: string | null;
  serialNumber: string | null;
  status: string;
  quantity: number;
}

t.test('point-of-use consumption', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-12-08T10:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RPU');
  const other = await createOrganisationWithKeys(app, 'RPV');
  const { procurement, scanner } = org.keys;
  const stock = (payload: Record<string, unknown>, kind = 'receipts') =>
    app.request({ method: 'POST', url: `/v1/stock/${kind}`, key: procurement, headers: { 'idempotency-key': randomUUID() }, payload });
  const receive = async (gln: string, scans: Array<Record<string, unknown>>) => {
    const res = await stock({ location: { gln }, scans });
    if (res.statusCode !== 201) throw new Error(`receipt: ${res.statusCode} ${res.body}`);
  };
  const onHand = async (filter: Record<string, string>, key = procurement): Promise<OnHand[]> => {
    const res = await app.request({ method: 'GET', url: `/v1/stock?${new URLSearchParams(filter).toString()}`, key });
    if (res.statusCode !== 200) throw new Error(`stock: ${res.statusCode} ${res.body}`);
    return res.json<{ items: OnHand[] }>().items;
  };
  const quantities = async (filter: Record<string, string>) =>
    (await onHand(filter)).map((r) => `${r.location?.gln ?? 'unlocated'} ${r.lotNumber ?? '-'} ${r.serialNumber ?? '-'} ${r.status} ${r.quantity}`);
  const movementsOf = async (itemId: string) => {
    const res = await app.request({ method: 'GET', url: `/v1/stock/movements?gtin=${GTIN}&limit=500`, key: procurement });
    return res.json<{ items: Array<{ kind: string; itemId: string | null; procedureId: string | null; location: { gln: string } | null; quantity: number }> }>().items.filter((m) => m.itemId === itemId);
  };
  const inTheatre = await newProcedure(app, scanner, 1, { location: { gln: THEATRE } });

  t.test('an implant and a wasted unit are taken from the theatre; an explant and a return take nothing', async (t) => {
    await receive(THEATRE, [{ barcode: unit('S1') }, { barcode: lot('L1', '281231', 5) }]);
    const implanted = await scan(app, scanner, inTheatre, { barcode: unit('S1') });
    t.equal(implanted.statusCode, 201, implanted.body);
    const wasted = await scan(app, scanner, inTheatre, { barcode: lot('L1'), action: 'wasted' });
    t.equal(wasted.statusCode, 201);
    await scan(app, scanner, inTheatre, { barcode: lot('L1'), action: 'returned' });
    await scan(app, scanner, inTheatre, { barcode: lot('L1'), action: 'explanted' });
    t.same(await quantities({ location: THEATRE }), [`${THEATRE} L1 - available 4`], 'S1 gone, one of L1 gone');
    const moved = await movementsOf(implanted.json().item.id);
    t.match(moved, [{ kind: 'consumed', procedureId: inTheatre, location: { gln: THEATRE }, quantity: 1 }]);
  });

  t.test('a retried scan takes its unit once', async (t) => {
    const idem = randomUUID();
    const [a, b] = await Promise.all([scan(app, scanner, inTheatre, { barcode: lot('L1') }, idem), scan(app, scanner, inTheatre, { barcode: lot('L1') }, idem)]);
    t.equal(a.json().item.id, b.json().item.id);
    t.same(await quantities({ location: THEATRE }), [`${THEATRE} L1 - available 3`]);
  });

  t.test('a serialised unit received in the store and used in theatre is taken from the store', async (t) => {
    await receive(STORE, [{ barcode: unit('S-STORE') }]);
    const res = await scan(app, scanner, inTheatre, { barcode: unit('S-STORE') });
    t.same(await quantities({ location: STORE }), [], 'the unit is no longer on the store shelf');
    t.match(await movementsOf(res.json().item.id), [{ kind: 'consumed', location: { gln: STORE } }]);
    t.same((await discrepancies()).filter((r) => r.serialNumber === 'S-STORE'), [], 'no shortfall: the unit was found');
  });

  const discrepancies = async (key = procurement) => {
    const res = await app.request({ method: 'GET', url: '/v1/stock/discrepancies', key });
    if (res.statusCode !== 200) throw new Error(`discrepancies: ${res.statusCode} ${res.body}`);
    return res.json<{ items: Array<OnHand & { lastConsumption: { procedureId: string; itemId: string } | null }> }>().items;
  };

  t.test('a unit the stock does not hold is recorded all the same, and the stock shows the shortfall', async (t) => {
    const res = await scan(app, scanner, inTheatre, { barcode: lot('NEVER') });
    t.equal(res.statusCode, 201, 'the scan never waits on the shelf');
    t.same(await quantities({ location: THEATRE, lot: 'NEVER' }), [`${THEATRE} NEVER - available -1`]);
    t.match(await discrepancies(), [{ location: { gln: THEATRE }, lotNumber: 'NEVER', quantity: -1, lastConsumption: { procedureId: inTheatre, itemId: res.json().item.id } }]);
    t.same(await discrepancies(other.keys.procurement), [], 'another organisation sees none of it');
    await receive(THEATRE, [{ barcode: lot('NEVER', '281231', 3) }]);
    t.same(await quantities({ location: THEATRE, lot: 'NEVER' }), [`${THEATRE} NEVER - available 2`], 'a late receipt puts it right');
    t.same(await discrepancies(), []);
    const csv = await app.request({ method: 'GET', url: '/v1/stock/discrepancies?format=csv', key: procurement });
    t.match(csv.headers['content-type'], /text\/csv/);
    t.match(csv.body, /^location_gln,.*,last_procedure_id,last_consumed_at\n$/);
  });

  t.test('a case with no theatre takes from the unlocated account, which the discrepancy report shows', async (t) => {
    const nowhere = await newProcedure(app, scanner, 2);
    await scan(app, scanner, nowhere, { barcode: unit('S-NOWHERE') });
    t.match(await discrepancies(), [{ location: null, serialNumber: 'S-NOWHERE', quantity: -1, lastConsumption: { procedureId: nowhere } }]);
  });

  t.test('a voided scan puts its unit back where it was taken from', async (t) => {
    await receive(THEATRE, [{ barcode: unit('S-VOID') }]);
    const res = await scan(app, scanner, inTheatre, { barcode: unit('S-VOID') });
    t.same(await quantities({ location: THEATRE, gtin: GTIN }).then((r) => r.filter((x) => x.includes('S-VOID'))), []);
    const voided = await app.request({ method: 'POST', url: `/v1/scans/${res.json().scan.id}/void`, key: scanner, payload: { reason: 'scanned the wrong box' } });
    t.equal(voided.statusCode, 200, voided.body);
    t.same((await quantities({ location: THEATRE })).filter((x) => x.includes('S-VOID')), [`${THEATRE} - S-VOID available 1`]);
    t.same((await movementsOf(res.json().item.id)).map((m) => m.kind), ['consumed', 'returned-to-stock']);
  });

  t.test('a split label: the product half takes the product, the lot half corrects it to the lot', async (t) => {
    await receive(THEATRE, [{ barcode: lot('SPLIT', '281231', 2) }]);
    const product = await scan(app, scanner, inTheatre, { barcode: `]d201${GTIN}`, scannerId: 'SPLIT-1' });
    t.equal(product.json().item.awaiting, 'secondary-label');
    const secondary = await scan(app, scanner, inTheatre, { barcode: `]d21728123110SPLIT`, scannerId: 'SPLIT-1' });
    t.equal(secondary.json().item.id, product.json().item.id);
    t.same(await quantities({ location: THEATRE, lot: 'SPLIT' }), [`${THEATRE} SPLIT - available 1`]);
    t.same((await discrepancies()).filter((r) => r.lotNumber === null && r.serialNumber === null), [], 'the product-only taking was put back');
    t.same((await movementsOf(product.json().item.id)).map((m) => m.kind), ['consumed', 'returned-to-stock', 'consumed']);
  });

  t.test('quarantined stock: a critical warning; the decision moves the unit back, holds it, or takes it again', async (t) => {
    await receive(THEATRE, [{ barcode: lot('Q1', '281231', 3) }]);
    const held = await stock({ location: { gln: THEATRE }, reason: 'damaged packaging', lines: [{ barcode: lot('Q1'), quantity: 1 }] }, 'quarantine');
    t.equal(held.statusCode, 201, held.body);
    const check = await app.request({ method: 'POST', url: `/v1/procedures/${inTheatre}/check`, key: scanner, payload: { barcode: lot('Q1') } });
    t.match(check.json().warnings, [{ code: 'STOCK_QUARANTINED', severity: 'critical' }], 'the check before opening says so');
    const res = await scan(app, scanner, inTheatre, { barcode: lot('Q1') });
    t.match(res.json().warnings, [{ code: 'STOCK_QUARANTINED', severity: 'critical', message: /lot Q1 are quarantined in stock/ }]);
    t.equal(res.json().item.decision.status, 'pending');
    const itemId = res.json().item.id as string;
    const q1 = () => quantities({ location: THEATRE, lot: 'Q1' });
    t.same(await q1(), [`${THEATRE} Q1 - available 1`, `${THEATRE} Q1 - quarantined 1`], 'opened: taken from the available units');
    const decide = (payload: Record<string, unknown>) => app.request({ method: 'POST', url: `/v1/items/${itemId}/decision`, key: scanner, payload });
    t.equal((await decide({ outcome: 'not-used', disposition: 'returned-to-stock' })).statusCode, 200);
    t.same(await q1(), [`${THEATRE} Q1 - available 2`, `${THEATRE} Q1 - quarantined 1`], 'not used, back on the shelf');
    t.equal((await decide({ outcome: 'not-used', disposition: 'returned-to-stock' })).statusCode, 200, 'the same decision again');
    t.same(await q1(), [`${THEATRE} Q1 - available 2`, `${THEATRE} Q1 - quarantined 1`], 'moves nothing more');
    t.equal((await decide({ outcome: 'not-used', disposition: 'quarantined', reason: 'it was the damaged box' })).statusCode, 200);
    t.same(await q1(), [`${THEATRE} Q1 - available 1`, `${THEATRE} Q1 - quarantined 2`], 'held');
    t.equal((await decide({ outcome: 'implanted', reason: 'surgeon checked the unit: not from the damaged box' })).statusCode, 200);
    t.same(await q1(), [`${THEATRE} Q1 - available 1`, `${THEATRE} Q1 - quarantined 1`], 'let go and taken again');
    t.same((await movementsOf(itemId)).map((m) => m.kind), ['consumed', 'returned-to-stock', 'consumed', 'returned-to-stock', 'quarantined', 'released', 'consumed']);
  });

  t.test('a quarantined serial used all the same goes back into quarantine, never onto the shelf', async (t) => {
    await receive(STORE, [{ barcode: unit('S-HELD') }]);
    const held = await stock({ location: { gln: STORE }, reason: 'FSN-77: recalled serial', lines: [{ barcode: unit('S-HELD') }] }, 'quarantine');
    t.equal(held.statusCode, 201, held.body);
    const res = await scan(app, scanner, inTheatre, { barcode: unit('S-HELD') });
    t.match(res.json().warnings, [{ code: 'STOCK_QUARANTINED', severity: 'critical', message: /Serial S-HELD is quarantined in stock/ }]);
    const itemId = res.json().item.id as string;
    const sHeld = async () => (await quantities({ location: STORE })).filter((x) => x.includes('S-HELD'));
    t.same(await sHeld(), [], 'opened: taken from quarantine in the store');
    const decide = (payload: Record<string, unknown>) => app.request({ method: 'POST', url: `/v1/items/${itemId}/decision`, key: scanner, payload });
    t.equal((await decide({ outcome: 'not-used', disposition: 'returned-to-stock' })).statusCode, 200);
    t.same(await sHeld(), [`${STORE} - S-HELD quarantined 1`], 'returned to stock: back into quarantine, not available');
    t.equal((await decide({ outcome: 'not-used', disposition: 'quarantined', reason: 'held for the recall' })).statusCode, 200);
    t.same(await sHeld(), [`${STORE} - S-HELD quarantined 1`], 'held: still once, in quarantine');
    t.equal((await decide({ outcome: 'not-used', disposition: 'returned-to-stock', reason: 'back as it was' })).statusCode, 200);
    t.same(await sHeld(), [`${STORE} - S-HELD quarantined 1`], 'not released by a decision');
    t.same((await movementsOf(itemId)).map((m) => m.kind), ['consumed', 'returned-to-stock']);
  });

  t.test('a wasted decision keeps the unit used', async (t) => {
    await receive(THEATRE, [{ barcode: unit('S-W', '200101') }]);
    const res = await scan(app, scanner, inTheatre, { barcode: unit('S-W', '200101') });
    t.match(res.json().warnings, [{ code: 'PRODUCT_EXPIRED', severity: 'critical' }]);
    const itemId = res.json().item.id as string;
    await app.request({ method: 'POST', url: `/v1/items/${itemId}/decision`, key: scanner, payload: { outcome: 'not-used', disposition: 'wasted' } });
    t.same((await movementsOf(itemId)).map((m) => m.kind), ['consumed']);
    t.same((await quantities({ location: THEATRE })).filter((x) => x.includes('S-W')), []);
  });

  t.test('two theatres using the last unit at once: both recorded, the stock one short', async (t) => {
    await receive(THEATRE, [{ barcode: lot('LAST', '281231', 1) }]);
    const second = await newProcedure(app, scanner, 3, { location: { gln: THEATRE } });
    const results = await Promise.all([scan(app, scanner, inTheatre, { barcode: lot('LAST') }), scan(app, scanner, second, { barcode: lot('LAST') })]);
    t.same(results.map((r) => r.statusCode), [201, 201]);
    t.same(await quantities({ location: THEATRE, lot: 'LAST' }), [`${THEATRE} LAST - available -1`]);
  });

  t.test('many scans racing over a few units in two theatres: every unit accounted for', async (t) => {
    await receive(THEATRE, [{ barcode: lot('RACE', '281231', 10) }]);
    await receive(THEATRE_2, [{ barcode: lot('RACE', '281231', 10) }]);
    const second = await newProcedure(app, scanner, 4, { location: { gln: THEATRE_2 } });
    const procs = [inTheatre, second];
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => scan(app, scanner, procs[i % 2] as string, { barcode: lot('RACE') })));
    t.same(new Set(results.map((r) => r.statusCode)), new Set([201]));
    t.same(await quantities({ lot: 'RACE' }), [`${THEATRE} RACE - available -5`, `${THEATRE_2} RACE - available -5`], '15 used in each, 10 received in each');
  });
});
