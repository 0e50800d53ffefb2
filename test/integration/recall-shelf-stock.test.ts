/**
 * Recalls cover the shelf (issue 17): a recall lists the patients who received
 * an affected lot and the stock of that lot still on hand, by location, by the
 * same predicates (and match kinds). Real HTTP, real Postgres.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { buildTestApp, createOrganisationWithKeys, nationalProcurementKey } from '../helpers/app.js';
import { GS, GTIN, GTIN_B, newProcedure, scan } from '../helpers/theatre.js';

const STORE = '9506000134376';
const THEATRE = '9506000134369';
const lot = (lotNumber: string, count: number, gtin = GTIN) => `]d201${gtin}1728123110${lotNumber}${GS}30${count}`;
/** A serialised unit whose lot was never printed: a recall by lot cannot rule it out. */
const unitWithoutLot = (serial: string) => `]d201${GTIN}1728123121${serial}`;
/** An HIBC pack: labeller A999, product 1234, unit of measure 9; lot 10X3; 500 units. */
const HIBC_PACK = '+A99912349/$10X3/16D20111231/14D20280131/Q5000';

interface ShelfItem {
  onHandId: string;
  organisation: string;
  location: { gln: string; name: string } | null;
  product: { issuingAgency: string; di: string; lotNumber: string | null; serialNumber: string | null };
  status: string;
  quantity: number;
  match: string;
}
interface ShelfPage {
  items: ShelfItem[];
  nextCursor: string | null;
}

const app = await buildTestApp(t);
const a = await createOrganisationWithKeys(app, 'RSH');
const b = await createOrganisationWithKeys(app, 'RSI');
const national = await nationalProcurementKey(app);
const post = (url: string, key: string, payload: Record<string, unknown>) => app.request({ method: 'POST', url, key, headers: { 'idempotency-key': randomUUID() }, payload });
const shelf = async (recallId: string, key: string, query = '') => {
  const res = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/stock${query}`, key });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json<ShelfPage>();
};
/** Set-up steps throw: the file's own assertions are in its subtests. */
const expectStatus = (res: { statusCode: number; body: string }, status: number, what: string) => {
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
};
const summary = (items: readonly ShelfItem[]) =>
  items.map((i) => [i.organisation, i.location?.gln ?? null, i.product.lotNumber ?? i.product.serialNumber, i.status, i.quantity, i.match]).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

// A's shelves: the recalled lot L1 in the store, another lot, a unit without a lot, another product's L1, an HIBC pack in theatre.
for (const [gln, scans] of [
  [STORE, [{ barcode: lot('L1', 5) }, { barcode: lot('L2', 3) }, { barcode: unitWithoutLot('U-1') }, { barcode: lot('L1', 4, GTIN_B) }]],
  [THEATRE, [{ barcode: HIBC_PACK }]],
] as const) {
  expectStatus(await post('/v1/stock/receipts', a.keys.procurement, { location: { gln }, scans }), 201, 'receipt');
}
// B's shelf: the recalled lot too.
expectStatus(await post('/v1/stock/receipts', b.keys.procurement, { location: { gln: STORE }, scans: [{ barcode: lot('L1', 2) }] }), 201, "B's receipt");
// A patient of A received a unit of lot L1.
const procedure = await newProcedure(app, a.keys.scanner, 91);
expectStatus(await scan(app, a.keys.scanner, procedure, { barcode: `01${GTIN}17281231` + `10L1${GS}21P-1` }), 201, 'implant');

const created = await app.request({
  method: 'POST',
  url: '/v1/recalls',
  key: a.keys.procurement,
  payload: { reference: 'FSN-SHELF-1', title: 'Lot L1 and the HIBC lot 10X3', scope: [{ gtin: GTIN, lots: ['L1'] }, { hibc: { lic: 'A999', pcn: '1234' }, lots: ['10X3'] }] },
});
expectStatus(created, 201, 'recall');
const recallId = created.json<{ id: string }>().id;

t.test('the recall lists the patient who received the lot and the stock of it still on the shelves', async (t) => {
  const patients = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients`, key: a.keys.procurement });
  t.equal(patients.json<{ items: unknown[] }>().items.length, 1, 'the patient');
  t.same(summary((await shelf(recallId, a.keys.procurement)).items), [
    ['RSH', THEATRE, '10X3', 'available', 500, 'lot'],
    ['RSH', STORE, 'L1', 'available', 5, 'lot'],
    ['RSH', STORE, 'U-1', 'available', 1, 'gtin-only'],
  ]);
  const audit = await app.db.selectFrom('audit_events').select(['action', 'detail']).where('action', '=', 'recall.stock.read').orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.match(audit.detail, { recallId, rows: 3 });
});

t.test('quarantined units stay listed, as quarantined, until they leave the shelf', async (t) => {
  const held = await post('/v1/stock/quarantine', a.keys.procurement, { location: { gln: STORE }, reason: 'FSN-SHELF-1', lines: [{ barcode: lot('L1', 2) }] });
  t.equal(held.statusCode, 201, held.body);
  t.same(
    summary((await shelf(recallId, a.keys.procurement)).items).filter((r) => r[2] === 'L1'),
    [
      ['RSH', STORE, 'L1', 'available', 3, 'lot'],
      ['RSH', STORE, 'L1', 'quarantined', 2, 'lot'],
    ],
  );
  const back = await post('/v1/stock/returns', a.keys.procurement, { location: { gln: STORE }, supplier: 'Acme', lines: [{ barcode: lot('L1', 2) }] });
  t.equal(back.statusCode, 201, back.body);
  t.same(
    summary((await shelf(recallId, a.keys.procurement)).items).filter((r) => r[2] === 'L1'),
    [['RSH', STORE, 'L1', 'available', 3, 'lot']],
    'the quarantined units returned to the supplier have left the list',
  );
});

t.test("each organisation sees its own shelves; a national key reads every organisation's on a national recall", async (t) => {
  t.equal((await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/stock`, key: b.keys.procurement })).statusCode, 404, "another organisation's recall is not found");
  const nationalRecall = await app.request({ method: 'POST', url: '/v1/recalls', key: national, payload: { reference: 'MHRA-SHELF', title: 'Lot L1', scope: [{ gtin: GTIN, lots: ['L1'] }] } });
  t.equal(nationalRecall.statusCode, 201, nationalRecall.body);
  const id = nationalRecall.json<{ id: string }>().id;
  t.same(summary((await shelf(id, b.keys.procurement)).items), [['RSI', STORE, 'L1', 'available', 2, 'lot']], "B: B's shelf only");
  t.same(
    summary((await shelf(id, national)).items).map((r) => [r[0], r[2]]),
    [
      ['RSH', 'L1'],
      ['RSH', 'U-1'],
      ['RSI', 'L1'],
    ],
    'national: both',
  );
  t.equal((await app.request({ method: 'GET', url: `/v1/recalls/${id}/stock`, key: a.keys.scanner })).statusCode, 403, 'procurement only');
});

t.test('keyset pages cover the list exactly once; a cursor that is not one is refused', async (t) => {
  const all = (await shelf(recallId, a.keys.procurement)).items.map((i) => i.onHandId);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: ShelfPage = await shelf(recallId, a.keys.procurement, `?limit=1${cursor === null ? '' : `&cursor=${cursor}`}`);
    seen.push(...page.items.map((i) => i.onHandId));
    cursor = page.nextCursor;
  } while (cursor !== null);
  t.same(seen, all);
  const bad = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/stock?cursor=abc`, key: a.keys.procurement });
  t.equal(bad.statusCode, 422);
  t.equal(bad.json<{ code: string }>().code, 'VALIDATION_FAILED');
});

t.test("the recall's own actions: quarantine its stock, return it, counted on the recall; closing waits for patients and shelves", async (t) => {
  const recallOf = async () => (await app.request({ method: 'GET', url: `/v1/recalls/${recallId}`, key: a.keys.procurement })).json<{ status: string; closeReason: string | null; counts: { stock: Record<string, number> } }>();
  t.same((await recallOf()).counts.stock, { available: 504, quarantined: 0, returned: 0 }, 'L1 3 and U-1 1 in the store, the HIBC pack of 500 in theatre');

  const refused = await app.request({ method: 'POST', url: `/v1/recalls/${recallId}/close`, key: a.keys.procurement });
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), { code: 'RECALL_OPEN_ITEMS', unreviewedItems: 1, stockOnShelves: 504, detail: /1 affected item not yet reviewed, 504 units still on the shelves/ });

  const idem = randomUUID();
  const quarantine = () => app.request({ method: 'POST', url: `/v1/recalls/${recallId}/stock/quarantine`, key: a.keys.procurement, headers: { 'idempotency-key': idem }, payload: { location: { gln: STORE } } });
  const held = await quarantine();
  t.equal(held.statusCode, 201, held.body);
  t.match(held.json(), { rows: 2, units: 4, stock: { available: 500, quarantined: 4, returned: 0 } });
  const again = await quarantine();
  t.equal(again.headers['idempotency-replayed'], 'true', 'a retry records nothing more');
  t.equal(again.json().movementGroup, held.json().movementGroup);
  const group = await app.request({ method: 'GET', url: `/v1/stock/movements/${held.json().movementGroup}`, key: a.keys.procurement });
  t.same(group.json().movements.map((m: { kind: string; recallId: string; reason: string }) => [m.kind, m.recallId, m.reason]), [
    ['quarantined', recallId, 'recall FSN-SHELF-1'],
    ['quarantined', recallId, 'recall FSN-SHELF-1'],
  ]);
  const nothingLeft = await post(`/v1/recalls/${recallId}/stock/quarantine`, a.keys.procurement, { location: { gln: STORE } });
  t.match(nothingLeft.json(), { rows: 0, units: 0 }, 'nothing available there any more');

  const check = await app.request({ method: 'POST', url: `/v1/procedures/${procedure}/check`, key: a.keys.scanner, payload: { barcode: lot('L1', 1) } });
  const found = check.json().warnings.map((w: { code: string; severity: string }) => `${w.code}:${w.severity}`);
  t.ok(found.includes('STOCK_QUARANTINED:critical') && found.includes('PRODUCT_RECALLED:critical'), 'a unit of the held lot at the point of use: do not open');

  t.equal((await post(`/v1/recalls/${recallId}/stock/quarantine`, national, {})).statusCode, 403, 'a national key reads, it does not move stock');
  t.equal((await post(`/v1/recalls/${recallId}/stock/quarantine`, b.keys.procurement, {})).statusCode, 404, "another organisation's recall");
  t.equal((await post(`/v1/recalls/${recallId}/stock/quarantine`, a.keys.scanner, {})).statusCode, 403, 'procurement only');
  t.equal((await app.request({ method: 'POST', url: `/v1/recalls/${recallId}/stock/quarantine`, key: a.keys.procurement, payload: {} })).json().code, 'IDEMPOTENCY_KEY_MISSING');

  const returned = await post(`/v1/recalls/${recallId}/stock/return`, a.keys.procurement, { supplier: 'Acme', reference: 'RA-77' });
  t.equal(returned.statusCode, 201, returned.body);
  t.match(returned.json(), { rows: 2, units: 4, stock: { available: 500, quarantined: 0, returned: 4 } });
  t.same(summary((await shelf(recallId, a.keys.procurement)).items), [['RSH', THEATRE, '10X3', 'available', 500, 'lot']], 'only the theatre pack is left');

  const csv = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/stock?format=csv`, key: a.keys.procurement });
  t.match(csv.headers['content-type'], /text\/csv/);
  t.same(csv.body.trimEnd().split('\n'), ['organisation,location_gln,location_name,issuing_agency,di,lot,serial,expiry,status,consignment,quantity,match', `RSH,${THEATRE},GLN ${THEATRE},HIBCC,A99912349,10X3,,2028-01-31,available,false,500,lot`]);

  const stillOpen = await app.request({ method: 'POST', url: `/v1/recalls/${recallId}/close`, key: a.keys.procurement, payload: {} });
  t.match(stillOpen.json(), { code: 'RECALL_OPEN_ITEMS', unreviewedItems: 1, stockOnShelves: 500 });
  const weak = await app.request({ method: 'POST', url: `/v1/recalls/${recallId}/close`, key: a.keys.procurement, payload: { reason: '..' } });
  t.equal(weak.statusCode, 422, 'a reason in words');
  const closed = await app.request({ method: 'POST', url: `/v1/recalls/${recallId}/close`, key: a.keys.procurement, payload: { reason: 'Theatre pack held by the supplier on site; patient reviewed by phone' } });
  t.equal(closed.statusCode, 200, closed.body);
  t.match(closed.json(), { status: 'closed', closeReason: 'Theatre pack held by the supplier on site; patient reviewed by phone' });
  const audit = await app.db.selectFrom('audit_events').select('detail').where('action', '=', 'recall.close').orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.match(audit.detail, { recallId, override: true, unreviewedItems: 1, stockOnShelves: 500 });
});
