import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys, nationalProcurementKey } from '../helpers/app.js';

const GS = '\u001d';
const GTIN = '09506000134352';
const STORE = '9506000134376';
const THEATRE = '9506000134369';
/** A serialised unit: GTIN, expiry, serial. */
const unit = (serial: string, expiry = '281231') => `]d201${GTIN}17${expiry}21${serial}`;
/** A lot-only pack: GTIN, expiry, lot, and the count in AI 30 when given. */
const lot = (lotNumber: string, expiry = '281231', count?: number) => `]d201${GTIN}17${expiry}10${lotNumber}${count === undefined ? '' : `${GS}30${count}`}`;

t.test('stock ledger and stock on hand', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-12-07T12:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RST');
  const other = await createOrganisationWithKeys(app, 'RSU');
  const key = org.keys.procurement;
  const post = (url: string, payload: unknown, options: { idem?: string; as?: string } = {}) =>
    app.request({ method: 'POST', url, key: options.as ?? key, headers: { 'idempotency-key': options.idem ?? randomUUID() }, payload: payload as Record<string, unknown> });
  const stockAt = async (gln: string, as = key) => (await app.request({ method: 'GET', url: `/v1/stock?location=${gln}`, key: as })).json<{ items: Array<Record<string, unknown>> }>().items;

  t.test('a receipt records units and lots, with AI 30 quantities; on hand after', async (t) => {
    const res = await post('/v1/stock/receipts', { location: { gln: STORE }, scans: [{ barcode: unit('S1') }, { barcode: unit('S2') }, { barcode: lot('L1', '281231', 12) }, { manual: { gtin: GTIN, lotNumber: 'L2', expirationDate: '2028-06-30' }, quantity: 3 }], supplier: 'Acme', orderRef: 'PO-1' });
    t.equal(res.statusCode, 201, res.body);
    const body = res.json();
    t.equal(body.movements.length, 4);
    t.match(body.movements[2], { kind: 'received', gtin: GTIN, lotNumber: 'L1', quantity: 12, supplier: 'Acme', orderRef: 'PO-1', entryType: 'barcode', location: { gln: STORE } });
    t.match(body.movements[3], { lotNumber: 'L2', quantity: 3, entryType: 'manual' });
    t.match(res.headers.location, new RegExp(`/v1/stock/movements/${body.movementGroup}$`));
    const l1 = body.onHand.find((r: { lotNumber: string | null }) => r.lotNumber === 'L1');
    t.match(l1, { quantity: 12, status: 'available', consignment: false });
    const group = await app.request({ method: 'GET', url: `/v1/stock/movements/${body.movementGroup}`, key });
    t.equal(group.json().movements.length, 4);
    t.equal((await app.request({ method: 'GET', url: `/v1/stock/movements/${body.movementGroup}`, key: other.keys.procurement })).statusCode, 404);
  });

  t.test('a serial on hand cannot be received again; the same serial twice in one receipt is refused', async (t) => {
    const again = await post('/v1/stock/receipts', { location: { gln: THEATRE }, scans: [{ barcode: unit('S1') }] });
    t.equal(again.statusCode, 409);
    t.match(again.json(), { code: 'STOCK_UNIT_ON_HAND', index: 0 });
    const twice = await post('/v1/stock/receipts', { location: { gln: THEATRE }, scans: [{ barcode: unit('S9') }, { barcode: unit('S9') }] });
    t.match(twice.json(), { code: 'STOCK_LINE_INVALID', index: 1 });
    const withQuantity = await post('/v1/stock/receipts', { location: { gln: THEATRE }, scans: [{ barcode: unit('S8'), quantity: 2 }] });
    t.match(withQuantity.json(), { code: 'STOCK_LINE_INVALID' });
  });

  t.test('a label that does not read refuses the receipt, naming the scan; nothing stored', async (t) => {
    const before = await stockAt(STORE);
    const res = await post('/v1/stock/receipts', { location: { gln: STORE }, scans: [{ barcode: lot('L1', '281231', 5) }, { barcode: ']d20109506000134353' }] });
    t.equal(res.statusCode, 422);
    t.match(res.json(), { code: 'BARCODE_INVALID', index: 1, detail: /^scans\[1\]/ });
    t.same(await stockAt(STORE), before);
  });

  t.test('a retried receipt records once; the same key with another body is refused', async (t) => {
    const idem = randomUUID();
    const payload = { location: { gln: STORE }, scans: [{ barcode: lot('R1', '281231', 4) }] };
    const [a, b] = await Promise.all([post('/v1/stock/receipts', payload, { idem }), post('/v1/stock/receipts', payload, { idem })]);
    t.equal(a.statusCode, 201);
    t.equal(b.statusCode, 201);
    t.equal(a.json().movementGroup, b.json().movementGroup);
    t.equal([a, b].filter((r) => r.headers['idempotency-replayed'] === 'true').length, 1);
    const c = await post('/v1/stock/receipts', payload, { idem });
    t.equal(c.headers['idempotency-replayed'], 'true');
    t.same(c.json(), a.json());
    const r1 = (await stockAt(STORE)).filter((r) => r.lotNumber === 'R1');
    t.same(r1.map((r) => r.quantity), [4]);
    const reused = await post('/v1/stock/receipts', { ...payload, supplier: 'Other' }, { idem });
    t.equal(reused.statusCode, 422);
    t.equal(reused.json().code, 'IDEMPOTENCY_KEY_REUSED');
    const missing = await app.request({ method: 'POST', url: '/v1/stock/receipts', key, payload });
    t.equal(missing.json().code, 'IDEMPOTENCY_KEY_MISSING');
  });

  t.test('two serialised receipts of the same unit in flight: one is recorded', async (t) => {
    const payload = { location: { gln: STORE }, scans: [{ barcode: unit('RACE') }] };
    const results = await Promise.all([post('/v1/stock/receipts', payload), post('/v1/stock/receipts', payload)]);
    t.same(results.map((r) => r.statusCode).sort(), [201, 409]);
  });

  t.test('moves take what is available; more than on hand is 409 with what is on hand', async (t) => {
    const move = await post('/v1/stock/moves', { from: { gln: STORE }, to: { gln: THEATRE }, lines: [{ barcode: unit('S1') }, { barcode: lot('L1'), quantity: 5 }] });
    t.equal(move.statusCode, 201, move.body);
    t.match(move.json().movements, [{ kind: 'moved', serialNumber: 'S1', location: { gln: STORE }, toLocation: { gln: THEATRE } }, { lotNumber: 'L1', quantity: 5 }]);
    const theatre = await stockAt(THEATRE);
    t.match(theatre.find((r) => r.lotNumber === 'L1'), { quantity: 5 });
    t.match(theatre.find((r) => r.serialNumber === 'S1'), { quantity: 1 });
    t.match((await stockAt(STORE)).find((r) => r.lotNumber === 'L1'), { quantity: 7 });
    t.notOk((await stockAt(STORE)).find((r) => r.serialNumber === 'S1'), 'the unit left the store');
    const tooMany = await post('/v1/stock/moves', { from: { gln: STORE }, to: { gln: THEATRE }, lines: [{ barcode: lot('L1'), quantity: 6 }, { barcode: lot('L1'), quantity: 2 }] });
    t.equal(tooMany.statusCode, 409);
    t.match(tooMany.json(), { code: 'STOCK_INSUFFICIENT', index: 1, wanted: 2, onHand: 1 });
    t.match((await stockAt(STORE)).find((r) => r.lotNumber === 'L1'), { quantity: 7 }, 'all or nothing');
    const same = await post('/v1/stock/moves', { from: { gln: STORE }, to: { gln: STORE }, lines: [{ barcode: lot('L1') }] });
    t.equal(same.json().code, 'STOCK_LINE_INVALID');
    const unlocated = await post('/v1/stock/moves', { from: 'unlocated', to: { gln: STORE }, lines: [{ barcode: lot('L1') }] });
    t.match(unlocated.json(), { code: 'STOCK_INSUFFICIENT', onHand: 0 });
  });

  t.test('two moves racing for the last unit: exactly one wins, on hand never negative', async (t) => {
    await post('/v1/stock/receipts', { location: { gln: STORE }, scans: [{ barcode: lot('LAST') }] });
    const move = (to: string) => post('/v1/stock/moves', { from: { gln: STORE }, to: { gln: to }, lines: [{ barcode: lot('LAST') }] });
    const results = await Promise.all([move(THEATRE), move('9506000134383')]);
    t.same(results.map((r) => r.statusCode).sort(), [201, 409]);
    const { rows } = await sql<{ quantity: number; location_id: string | null }>`select quantity, location_id from stock_on_hand where lot_number = 'LAST'`.execute(app.db);
    t.same(rows.map((r) => r.quantity), [1]);
    const negative = await sql<{ n: number }>`select count(*)::int as n from stock_on_hand where quantity < 0`.execute(app.db);
    t.equal(negative.rows[0]?.n, 0);
  });

  t.test('quarantine and release change the status in place; write-offs and returns take quarantined first', async (t) => {
    const q = await post('/v1/stock/quarantine', { location: { gln: STORE }, reason: 'FSN 2026/041 lot L1', lines: [{ barcode: lot('L1'), quantity: 4 }, { barcode: unit('S2') }] });
    t.equal(q.statusCode, 201, q.body);
    const store = await stockAt(STORE);
    t.match(store.find((r) => r.lotNumber === 'L1' && r.status === 'quarantined'), { quantity: 4 });
    t.match(store.find((r) => r.lotNumber === 'L1' && r.status === 'available'), { quantity: 3 });
    t.match(store.find((r) => r.serialNumber === 'S2'), { status: 'quarantined', quantity: 1 });
    const quarantinedOnly = await app.request({ method: 'GET', url: `/v1/stock?location=${STORE}&status=quarantined`, key });
    t.equal(quarantinedOnly.json().items.length, 2);
    const moveQuarantined = await post('/v1/stock/moves', { from: { gln: STORE }, to: { gln: THEATRE }, lines: [{ barcode: unit('S2') }] });
    t.equal(moveQuarantined.json().code, 'STOCK_INSUFFICIENT', 'quarantined units do not move');
    const release = await post('/v1/stock/release', { location: { gln: STORE }, reason: 'FSN withdrawn', lines: [{ barcode: lot('L1'), quantity: 5 }] });
    t.match(release.json(), { code: 'STOCK_INSUFFICIENT', onHand: 4 });
    const released = await post('/v1/stock/release', { location: { gln: STORE }, reason: 'Lot L1 cleared', lines: [{ barcode: lot('L1'), quantity: 1 }] });
    t.equal(released.statusCode, 201);
    const ret = await post('/v1/stock/returns', { location: { gln: STORE }, supplier: 'Acme', reference: 'RA-77', lines: [{ barcode: lot('L1'), quantity: 3 }] });
    t.equal(ret.statusCode, 201, ret.body);
    t.match(ret.json().movements, [{ kind: 'returned-to-supplier', quantity: 3, note: 'RA-77', supplier: 'Acme' }]);
    const w = await post('/v1/stock/write-offs', { location: { gln: STORE }, reason: 'damaged', note: 'dropped box', lines: [{ barcode: unit('S2') }, { barcode: lot('L1'), quantity: 2 }] });
    t.equal(w.statusCode, 201, w.body);
    t.match(w.json().movements, [{ kind: 'written-off', serialNumber: 'S2', reason: 'damaged' }, { lotNumber: 'L1', quantity: 2 }]);
    const after = await stockAt(STORE);
    t.same(after.filter((r) => r.lotNumber === 'L1').map((r) => [r.status, r.quantity]), [['available', 2]]);
    t.notOk(after.find((r) => r.serialNumber === 'S2'));
    const again = await post('/v1/stock/receipts', { location: { gln: STORE }, scans: [{ barcode: unit('S2') }] });
    t.equal(again.statusCode, 201, 'a unit that left the stock can be received again');
  });

  t.test('the expiring report: expired and expiring stock by location, JSON and CSV', async (t) => {
    await post('/v1/stock/receipts', { location: { gln: THEATRE }, scans: [{ barcode: lot('OLD', '261130', 2) }, { barcode: lot('SOON', '261220', 3) }, { barcode: lot('LATER', '270601', 3) }] });
    const res = await app.request({ method: 'GET', url: '/v1/stock/expiring?days=30', key });
    t.equal(res.statusCode, 200);
    const body = res.json();
    t.match(body, { today: '2026-12-07', through: '2027-01-06' });
    t.same(body.items.map((i: { lotNumber: string; expiry: string }) => [i.lotNumber, i.expiry]), [['OLD', 'expired'], ['SOON', 'expiring']]);
    const csv = await app.request({ method: 'GET', url: '/v1/stock/expiring?days=30&format=csv', key });
    t.match(csv.headers['content-type'], /text\/csv/);
    t.match(csv.body, /^location_gln,.*expiry_status\n/);
    t.match(csv.body, /OLD,,2026-11-30,available,false,2,expired\n/);
    t.equal((await app.request({ method: 'GET', url: '/v1/stock/expiring?days=0', key })).statusCode, 422);
  });

  t.test('an HIBC label’s quantity is read; expired stock written off leaves the report', async (t) => {
    const res = await post('/v1/stock/receipts', { location: { gln: STORE }, scans: [{ barcode: '+A99912349/$10X3/16D20111231/14D20200131/Q500Z' }] });
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json().movements, [{ issuingAgency: 'HIBCC', di: 'A99912349', gtin: null, lotNumber: '10X3', expirationDate: '2020-01-31', quantity: 500 }]);
    const expired = (await app.request({ method: 'GET', url: '/v1/stock/expiring', key })).json<{ items: Array<{ di: string; expiry: string; quantity: number }> }>().items;
    t.match(expired.find((i) => i.di === 'A99912349'), { expiry: 'expired', quantity: 500 });
    const off = await post('/v1/stock/write-offs', { location: { gln: STORE }, reason: 'expired', lines: [{ barcode: '+A99912349/$10X3/16D20111231/14D20200131/Q500Z' }] });
    t.equal(off.statusCode, 201, off.body);
    const after = (await app.request({ method: 'GET', url: '/v1/stock/expiring', key })).json<{ items: Array<{ di: string }> }>().items;
    t.notOk(after.find((i) => i.di === 'A99912349'));
  });

  t.test('the stock list pages with an opaque cursor; CSV is formula-safe', async (t) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await app.request({ method: 'GET', url: `/v1/stock?limit=2${cursor ? `&cursor=${cursor}` : ''}`, key });
      t.equal(res.statusCode, 200);
      const page = res.json<{ items: Array<{ lotNumber: string | null; serialNumber: string | null; location: { gln: string } | null; status: string }>; nextCursor: string | null }>();
      seen.push(...page.items.map((i) => `${i.location?.gln}/${i.lotNumber}/${i.serialNumber}/${i.status}`));
      cursor = page.nextCursor;
    } while (cursor !== null);
    t.equal(new Set(seen).size, seen.length, 'no row twice');
    const all = (await app.request({ method: 'GET', url: '/v1/stock?limit=500', key })).json().items;
    t.equal(seen.length, all.length);
    t.equal((await app.request({ method: 'GET', url: '/v1/stock?cursor=nonsense', key })).json().code, 'CURSOR_INVALID');
    const whole = await app.request({ method: 'GET', url: '/v1/stock?format=csv&limit=1', key });
    t.equal(whole.body.split('\n').length - 2, all.length, 'the CSV is the whole list, a header and a line per row');
    const nowhere = await app.request({ method: 'GET', url: '/v1/stock?format=csv&location=9506000134390', key });
    t.equal(nowhere.body, `${whole.body.split('\n')[0]}\n`, 'a GLN not registered: the header alone');
    await post('/v1/stock/receipts', { location: { gln: STORE }, scans: [{ manual: { gtin: GTIN, lotNumber: '-1+1' } }] });
    const csv = await app.request({ method: 'GET', url: `/v1/stock?location=${STORE}&lot=-1%2B1`, key, headers: { accept: 'text/csv' } });
    t.match(csv.body, /,'-1\+1,/);
    const byGtin = await app.request({ method: 'GET', url: `/v1/stock?gtin=${GTIN}&lot=L2`, key });
    t.match(byGtin.json().items, [{ lotNumber: 'L2', quantity: 3, location: { gln: STORE } }]);
  });

  t.test('the ledger lists every movement in order, a page at a time, filtered by location, lot and kind', async (t) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (await app.request({ method: 'GET', url: `/v1/stock/movements?limit=3${cursor ? `&cursor=${cursor}` : ''}`, key })).json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    const { rows } = await sql<{ id: string }>`select id from stock_movements where organisation_id = ${org.id} order by id`.execute(app.db);
    t.same(ids, rows.map((r) => String(r.id)));
    const l1 = (await app.request({ method: 'GET', url: `/v1/stock/movements?lot=L1&kind=moved`, key })).json().items;
    t.match(l1, [{ kind: 'moved', lotNumber: 'L1', quantity: 5, location: { gln: STORE }, toLocation: { gln: THEATRE } }]);
    const atTheatre = (await app.request({ method: 'GET', url: `/v1/stock/movements?location=${THEATRE}`, key })).json<{ items: Array<{ location: { gln: string }; toLocation: { gln: string } | null }> }>().items;
    t.ok(atTheatre.length > 0 && atTheatre.every((m) => m.location.gln === THEATRE || m.toLocation?.gln === THEATRE));
    t.same((await app.request({ method: 'GET', url: '/v1/stock/movements', key: other.keys.procurement })).json().items, []);
  });

  t.test('tenancy: another organisation sees none of it; national keys read and never write', async (t) => {
    t.same(await stockAt(STORE, other.keys.procurement), []);
    t.same((await app.request({ method: 'GET', url: '/v1/stock', key: other.keys.procurement })).json().items, []);
    const moveOthers = await post('/v1/stock/moves', { from: { gln: STORE }, to: { gln: THEATRE }, lines: [{ barcode: lot('L2') }] }, { as: other.keys.procurement });
    t.match(moveOthers.json(), { code: 'STOCK_INSUFFICIENT', onHand: 0 });
    const national = await nationalProcurementKey(app);
    const read = await app.request({ method: 'GET', url: `/v1/stock?location=${STORE}`, key: national });
    t.equal(read.statusCode, 200);
    t.ok(read.json().items.length > 0);
    const write = await post('/v1/stock/receipts', { location: { gln: STORE }, scans: [{ barcode: lot('N1') }] }, { as: national });
    t.equal(write.statusCode, 403);
    t.equal((await post('/v1/stock/receipts', { location: { gln: STORE }, scans: [{ barcode: lot('N1') }] }, { as: org.keys.scanner })).statusCode, 403);
  });

  t.test('the ledger is append-only; every write and read is audited', async (t) => {
    await t.rejects(sql`update stock_movements set quantity = 99`.execute(app.db), /append-only|not allowed|forbid|cannot/i);
    await t.rejects(sql`delete from stock_movements`.execute(app.db));
    await t.rejects(sql`truncate stock_movements`.execute(app.db));
    const { rows } = await sql<{ action: string }>`select distinct action from audit_events where action like 'stock.%' order by action`.execute(app.db);
    t.same(rows.map((r) => r.action), ['stock.expiring', 'stock.list', 'stock.move', 'stock.movement.read', 'stock.movements', 'stock.quarantine', 'stock.receive', 'stock.release', 'stock.return', 'stock.write-off']);
  });
});
