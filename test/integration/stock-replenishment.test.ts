/**
 * Replenishment: par levels set, replaced and ended, with their history; the to-order report after
 * receipts and theatre scans (a voided scan and a unit returned to stock not counted, a shortfall counted
 * against what is available); the consignment units used, to be invoiced, with their supplier and case;
 * tenancy and CSV.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { buildTestApp, createOrganisationWithKeys, nationalProcurementKey } from '../helpers/app.js';
import { GS, GTIN, GTIN_B, newProcedure, scan } from '../helpers/theatre.js';

const THEATRE = '9506000134369';
const STORE = '9506000134376';
const unit = (serial: string, expiry = '281231', gtin = GTIN) => `]d201${gtin}17${expiry}21${serial}`;
const lot = (lotNumber: string, count?: number, gtin = GTIN) => `]d201${gtin}1728123110${lotNumber}${count === undefined ? '' : `${GS}30${count}`}`;
const londonToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

interface Level {
  location: { gln: string };
  gtin: string | null;
  di: string;
  issuingAgency: string;
  par: number;
  reorderAt: number | null;
}

t.test('replenishment', async (t) => {
  // The service's own clock: the ledger's times are the database's, and the report's window is the service's days.
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RRP');
  const other = await createOrganisationWithKeys(app, 'RRQ');
  const national = await nationalProcurementKey(app);
  const { procurement, scanner } = org.keys;
  const put = (payload: unknown, options: { idem?: string; key?: string } = {}) =>
    app.request({ method: 'PUT', url: '/v1/stock/par-levels', key: options.key ?? procurement, headers: { 'idempotency-key': options.idem ?? randomUUID() }, payload: payload as Record<string, unknown> });
  const get = async <T>(url: string, key = procurement): Promise<T> => {
    const res = await app.request({ method: 'GET', url, key });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };
  const levels = async (query = `location=${THEATRE}`, key = procurement) => (await get<{ items: Level[] }>(`/v1/stock/par-levels?${query}`, key)).items;
  const stock = async (payload: Record<string, unknown>, kind = 'receipts') => {
    const res = await app.request({ method: 'POST', url: `/v1/stock/${kind}`, key: procurement, headers: { 'idempotency-key': randomUUID() }, payload });
    if (res.statusCode !== 201) throw new Error(`${kind}: ${res.statusCode} ${res.body}`);
  };

  t.test('par levels: set, replaced, ended; the history kept', async (t) => {
    const set = await put([
      { location: { gln: THEATRE }, gtin: GTIN, par: 5, reorderAt: 2 },
      { location: { gln: THEATRE }, gtin: GTIN_B, par: 3 },
      { location: { gln: STORE }, hibc: { lic: 'A123', pcn: 'PROD1' }, par: 2 },
    ]);
    t.equal(set.statusCode, 200, set.body);
    t.match(set.json().levels, [{ gtin: GTIN, par: 5, reorderAt: 2, location: { gln: THEATRE } }, { gtin: GTIN_B, par: 3, reorderAt: null }, { issuingAgency: 'HIBCC', di: 'A123PROD10', gtin: null }]);
    t.same((await levels()).map((l) => `${l.gtin} ${l.par} ${l.reorderAt}`).sort(), [`${GTIN} 5 2`, `${GTIN_B} 3 null`]);
    t.equal((await put([{ location: { gln: THEATRE }, gtin: GTIN, par: 6, reorderAt: 3 }])).statusCode, 200);
    t.equal((await put([{ location: { gln: THEATRE }, gtin: GTIN_B, remove: true }])).statusCode, 200);
    t.same((await levels()).map((l) => `${l.gtin} ${l.par} ${l.reorderAt}`), [`${GTIN} 6 3`], 'replaced; the one removed is gone');
    t.equal((await put([{ location: { gln: STORE }, hibc: { lic: 'A123', pcn: 'PROD1' }, par: 0 }])).statusCode, 200);
    t.same(await levels(`location=${STORE}`), [], 'a level of 0 ends it');
    const history = await levels('history=true');
    t.same(history.map((l) => `${l.location.gln} ${l.di} ${l.par}`), [`${THEATRE} ${GTIN} 5`, `${THEATRE} ${GTIN_B} 3`, `${STORE} A123PROD10 2`, `${THEATRE} ${GTIN} 6`, `${THEATRE} ${GTIN_B} 0`, `${STORE} A123PROD10 0`]);
  });

  t.test('par levels: all or nothing, exactly once per key, procurement writes, national reads', async (t) => {
    const before = await levels('history=true');
    const twice = await put([{ location: { gln: THEATRE }, gtin: GTIN, par: 1 }, { location: { gln: THEATRE }, gtin: GTIN, par: 2 }]);
    t.equal(twice.statusCode, 422);
    t.match(twice.json(), { code: 'STOCK_LINE_INVALID', index: 1 });
    t.match((await put([{ location: { gln: THEATRE }, gtin: GTIN, par: 2, reorderAt: 3 }])).json(), { code: 'STOCK_LINE_INVALID', index: 0 });
    t.match((await put([{ location: { gln: THEATRE }, gtin: GTIN, hibc: { lic: 'A123', pcn: 'P' }, par: 2 }])).json(), { code: 'VALIDATION_FAILED' });
    t.match((await put([{ location: { gln: THEATRE }, gtin: GTIN }])).json(), { code: 'VALIDATION_FAILED' });
    t.same(await levels('history=true'), before, 'nothing recorded');
    const missing = await app.request({ method: 'PUT', url: '/v1/stock/par-levels', key: procurement, payload: [{ location: { gln: THEATRE }, gtin: GTIN, par: 6, reorderAt: 3 }] });
    t.equal(missing.json().code, 'IDEMPOTENCY_KEY_MISSING');
    const idem = randomUUID();
    const first = await put([{ location: { gln: THEATRE }, gtin: GTIN, par: 6, reorderAt: 3 }], { idem });
    const again = await put([{ location: { gln: THEATRE }, gtin: GTIN, par: 6, reorderAt: 3 }], { idem });
    t.equal(again.headers['idempotency-replayed'], 'true');
    t.same(again.json(), first.json());
    t.equal((await put([{ location: { gln: THEATRE }, gtin: GTIN, par: 7 }], { idem })).json().code, 'IDEMPOTENCY_KEY_REUSED');
    t.equal((await levels('history=true')).length, before.length + 1, 'the retry recorded nothing');
    t.equal((await put([{ location: { gln: THEATRE }, gtin: GTIN, par: 1 }], { key: national })).statusCode, 403);
    t.equal((await put([{ location: { gln: THEATRE }, gtin: GTIN, par: 1 }], { key: scanner })).statusCode, 403);
    t.same(await levels(`location=${THEATRE}`, other.keys.procurement), [], 'another organisation sees none');
    t.same((await levels(`location=${THEATRE}`, national)).map((l) => l.par), [6], 'a national key reads them');
  });

  const toOrder = async (query = `location=${THEATRE}`, key = procurement) =>
    get<{ today: string; days: number; items: Array<Record<string, unknown>>; usedWithoutPar: Array<Record<string, unknown>> }>(`/v1/stock/to-order?${query}`, key);

  t.test('to order: par less available; voids and returns to stock not counted; a shortfall counted; used with no par listed', async (t) => {
    const theatreCase = await newProcedure(app, scanner, 1, { location: { gln: THEATRE } });
    await stock({ location: { gln: THEATRE }, scans: [{ barcode: lot('L1', 4) }, { barcode: unit('S1') }, { barcode: unit('S2') }, { barcode: unit('S-VOID') }, { barcode: unit('S-EXP', '200101') }, { barcode: lot('LB', 2, GTIN_B) }] });
    await stock({ location: { gln: THEATRE }, reason: 'damaged box', lines: [{ barcode: lot('L1'), quantity: 1 }] }, 'quarantine');
    const before = await toOrder();
    t.match(before.items, [{ gtin: GTIN, par: 6, reorderAt: 3, available: 7, quarantined: 1, shortfall: 0, netConsumption: 0, toOrder: 0, atReorderPoint: false }]);
    t.same(before.usedWithoutPar, []);

    const ok = (res: { statusCode: number; body: string }) => t.equal(res.statusCode, 201, res.statusCode === 201 ? 'scanned' : res.body);
    ok(await scan(app, scanner, theatreCase, { barcode: lot('L1') }));
    ok(await scan(app, scanner, theatreCase, { barcode: unit('S1') }));
    const voided = await scan(app, scanner, theatreCase, { barcode: unit('S-VOID') });
    ok(voided);
    t.equal((await app.request({ method: 'POST', url: `/v1/scans/${voided.json().scan.id}/void`, key: scanner, payload: { reason: 'wrong box' } })).statusCode, 200);
    const expired = await scan(app, scanner, theatreCase, { barcode: unit('S-EXP', '200101') });
    t.match(expired.json().warnings, [{ code: 'PRODUCT_EXPIRED' }]);
    const decided = await app.request({ method: 'POST', url: `/v1/items/${expired.json().item.id}/decision`, key: scanner, payload: { outcome: 'not-used', disposition: 'returned-to-stock' } });
    t.equal(decided.statusCode, 200, decided.body);
    ok(await scan(app, scanner, theatreCase, { barcode: lot('NEVER') }));
    ok(await scan(app, scanner, theatreCase, { barcode: lot('LB', undefined, GTIN_B) }));
    // A third product, scanned and voided: not used, so not listed.
    const GTIN_C = '09506000134376';
    const third = await scan(app, scanner, theatreCase, { barcode: unit('V1', '281231', GTIN_C) });
    ok(third);
    t.equal((await app.request({ method: 'POST', url: `/v1/scans/${third.json().scan.id}/void`, key: scanner, payload: { reason: 'wrong box' } })).statusCode, 200);

    const report = await toOrder();
    t.equal(report.today, londonToday());
    t.equal(report.days, 30);
    // Available: L1 2 (4, one quarantined, one used), S2, S-VOID (put back), S-EXP (returned), NEVER -1 = 4.
    t.match(report.items, [{ location: { gln: THEATRE }, gtin: GTIN, par: 6, reorderAt: 3, available: 4, quarantined: 1, shortfall: 1, netConsumption: 3, averagePerDay: 0.1, toOrder: 2, atReorderPoint: false }]);
    t.equal(report.items.length, 1);
    t.match(report.usedWithoutPar, [{ location: { gln: THEATRE }, gtin: GTIN_B, available: 1, netConsumption: 1, averagePerDay: 0.03 }], 'GTIN_B’s level was removed: used, no par level');
    t.match((await toOrder(`location=${THEATRE}&days=1`)).items, [{ netConsumption: 3, averagePerDay: 3 }]);
    t.same((await toOrder(`location=${STORE}`)).items, [], 'another location');

    const all = await toOrder('');
    t.equal(all.items.length, 1);
    t.same((await toOrder('', other.keys.procurement)).items, [], 'another organisation sees none');
    t.match((await toOrder(`location=${THEATRE}`, national)).items, [{ gtin: GTIN, toOrder: 2 }], 'a national key reads it');

    const csv = await app.request({ method: 'GET', url: `/v1/stock/to-order?location=${THEATRE}&format=csv`, key: procurement });
    t.match(csv.headers['content-type'], /text\/csv/);
    const lines = csv.body.trimEnd().split('\n');
    t.equal(lines[0], 'location_gln,location_gln_extension,location_name,issuing_agency,di,gtin,brand,model,par,reorder_at,available,quarantined,shortfall,net_consumption,average_per_day,to_order,note');
    t.equal(lines.length, 3);
    t.match(lines[1], new RegExp(`^${THEATRE},.*,${GTIN},.*,6,3,4,1,1,3,0.1,2,$`));
    t.match(lines[2], new RegExp(`^${THEATRE},.*,${GTIN_B},.*,,,1,0,0,1,0.03,,"used, no par level"$`));
    t.equal((await app.request({ method: 'GET', url: '/v1/stock/to-order?days=0', key: procurement })).statusCode, 422);
  });

  interface Used {
    serialNumber: string | null;
    lotNumber: string | null;
    gtin: string | null;
    supplier: string | null;
    orderRef: string | null;
    procedure: { id: string; code: string | null; date: string };
    location: { gln: string } | null;
  }
  const consignment = async (query: string, key = procurement) => get<{ items: Used[]; nextCursor: string | null }>(`/v1/stock/consignment-used?${query}`, key);

  t.test('consignment used: units consumed and not returned, with the receipt’s supplier and the case', async (t) => {
    const today = londonToday();
    await stock({ location: { gln: STORE }, scans: [{ barcode: unit('C1') }, { barcode: unit('C2') }, { barcode: unit('C3') }, { barcode: lot('CL1', 3) }], supplier: 'Ortho Ltd', orderRef: 'PO-C1', consignment: true });
    await stock({ from: { gln: STORE }, to: { gln: THEATRE }, lines: [{ barcode: lot('CL1'), quantity: 2 }] }, 'moves');
    const hip = await newProcedure(app, scanner, 2, { location: { gln: THEATRE }, procedureCode: 'W37.1' });
    const ok = (res: { statusCode: number; body: string }) => t.equal(res.statusCode, 201, res.statusCode === 201 ? 'scanned' : res.body);
    ok(await scan(app, scanner, hip, { barcode: unit('C1') }));
    const voided = await scan(app, scanner, hip, { barcode: unit('C2') });
    t.equal((await app.request({ method: 'POST', url: `/v1/scans/${voided.json().scan.id}/void`, key: scanner, payload: { reason: 'wrong size' } })).statusCode, 200);
    ok(await scan(app, scanner, hip, { barcode: lot('CL1') }));
    ok(await scan(app, scanner, hip, { barcode: unit('S2') }));

    const list = await consignment(`from=${today}&to=${today}`);
    t.match(list.items, [
      { serialNumber: 'C1', gtin: GTIN, supplier: 'Ortho Ltd', orderRef: 'PO-C1', procedure: { id: hip, code: 'W37.1', date: today }, location: { gln: STORE } },
      { lotNumber: 'CL1', serialNumber: null, supplier: 'Ortho Ltd', procedure: { id: hip }, location: { gln: THEATRE } },
    ]);
    t.equal(list.items.length, 2, 'the voided unit, the unit not used and the owned unit are not listed');
    t.equal(list.nextCursor, null);
    t.equal((await consignment(`from=${today}&to=${today}&supplier=ORTHO%20LTD`)).items.length, 2, 'the supplier, in any case');
    t.same((await consignment(`from=${today}&to=${today}&supplier=Other`)).items, []);
    const first = await consignment(`from=${today}&to=${today}&limit=1`);
    t.equal(first.items[0]?.serialNumber, 'C1');
    const second = await consignment(`from=${today}&to=${today}&limit=1&cursor=${first.nextCursor}`);
    t.equal(second.items[0]?.lotNumber, 'CL1');
    const third = await consignment(`from=${today}&to=${today}&limit=1&cursor=${second.nextCursor}`);
    t.same(third, { items: [], nextCursor: null });
    t.equal((await app.request({ method: 'GET', url: `/v1/stock/consignment-used?from=${today}&to=${today}&cursor=nonsense`, key: procurement })).json().code, 'CURSOR_INVALID');
    t.same((await consignment('from=2020-01-01&to=2020-12-31')).items, [], 'cases of other days');
    t.equal((await app.request({ method: 'GET', url: '/v1/stock/consignment-used?from=2026-12-02&to=2026-12-01', key: procurement })).statusCode, 422);
    t.same((await consignment(`from=${today}&to=${today}`, other.keys.procurement)).items, [], 'another organisation sees none');
    t.equal((await consignment(`from=${today}&to=${today}`, national)).items.length, 2, 'a national key reads them');

    const csv = await app.request({ method: 'GET', url: `/v1/stock/consignment-used?from=${today}&to=${today}&format=csv`, key: procurement });
    t.match(csv.headers['content-type'], /text\/csv/);
    const lines = csv.body.trimEnd().split('\n');
    t.equal(lines[0], 'procedure_date,procedure_id,procedure_code,location_gln,location_gln_extension,location_name,issuing_agency,di,gtin,brand,model,lot,serial,expiry,quantity,supplier,order_ref,received_at,consumed_at,item_id');
    t.equal(lines.length, 3);
    t.match(lines[1], new RegExp(`^${today},${hip},W37.1,${STORE},.*,C1,2028-12-31,1,Ortho Ltd,PO-C1,`));
  });
});
