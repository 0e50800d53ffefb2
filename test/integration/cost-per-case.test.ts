/**
 * Cost per case: procedures opened and scanned through the real API (the point-of-use scan consumes
 * stock), prices set through the price list, and the costs read back: by the price in force on each
 * procedure's London date, an unpriced product flagging the case incomplete, a voided scan dropping its
 * cost, the spread's min, median and max, and CSV.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys, nationalProcurementKey } from '../helpers/app.js';
import { GTIN, GTIN_B, newProcedure, scan } from '../helpers/theatre.js';

/** A third product, never priced. */
const GTIN_C = '09506000134390';
const THEATRE = '9506000134369';
const unit = (gtin: string, serial: string) => `]d201${gtin}17281231${'21'}${serial}`;
const lot = (gtin: string, lotNumber: string) => `]d201${gtin}1728123110${lotNumber}`;

interface CaseCost {
  procedureId: string;
  date: string;
  procedureCode: string | null;
  units: number;
  pricedUnits: number;
  unpricedUnits: number;
  currency: string;
  cost: string;
  costMinor: number;
  complete: boolean;
  leadClinician: { name: string | null; localId: string | null } | null;
}
interface Line {
  gtin: string | null;
  serialNumber: string | null;
  lotNumber: string | null;
  brand: string | null;
  units: number;
  priced: boolean;
  unitPrice: string | null;
  priceEffectiveFrom: string | null;
  lineCost: string | null;
}

t.test('cost per case', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-12-08T10:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RCC');
  const other = await createOrganisationWithKeys(app, 'RCD');
  const { scanner, procurement } = org.keys;
  const ok = <R extends { statusCode: number; body: string }>(res: R, status: number, what: string): R => {
    if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
    return res;
  };
  const prices = async (list: object[]) => ok(await app.request({ method: 'POST', url: '/v1/prices', key: procurement, headers: { 'idempotency-key': randomUUID() }, payload: list }), 201, 'prices');
  const open = (startedAt: string, procedureCode: string, consultant: string, seed: number) =>
    newProcedure(app, scanner, 60_000 + seed, { startedAt, procedureCode, side: 'left', location: { gln: THEATRE }, clinician: { localId: consultant, name: consultant === 'CONS-1' ? 'Ms Hip' : 'Mr Knee' } });
  const scanned = async (procedureId: string, body: Record<string, unknown>) => ok(await scan(app, scanner, procedureId, body), 201, 'scan').json<{ scan: { id: string }; item: { id: string } }>();
  const costOf = async (procedureId: string, key = procurement) => {
    const res = await app.request({ method: 'GET', url: `/v1/procedures/${procedureId}/cost`, key });
    return { status: res.statusCode, body: res.json<CaseCost & { lines: Line[] }>() };
  };
  const report = async (query: string, key = procurement) => ok(await app.request({ method: 'GET', url: `/v1/reports/cost-per-case?${query}`, key }), 200, 'report').json<{ cases: CaseCost[]; incompleteCases: number }>();

  ok(await app.request({ method: 'PATCH', url: `/v1/products/${GTIN}`, key: procurement, payload: { brand: 'Aster Stem', model: '12/14' } }), 200, 'catalogue');
  // The stem's price changes on 1 July; the cup's does not; GTIN_C has none.
  await prices([
    { gtin: GTIN, unitPrice: '150.00', effectiveFrom: '2026-01-01', supplier: 'Acme' },
    { gtin: GTIN, unitPrice: '650.00', effectiveFrom: '2026-07-01', supplier: 'Acme' },
    { gtin: GTIN_B, unitPrice: '19.15', effectiveFrom: '2026-01-01' },
  ]);

  // P1 (June): a stem implanted, a cup wasted. P2 (July): a stem. P3: a stem and an unpriced product.
  // P4: another code and consultant; a stem scanned then voided, a cup, an explant. P5: started at 00:30 on 1 July in London (23:30 UTC on 30 June).
  const p1 = await open('2026-06-15T09:00:00Z', 'W38.1', 'CONS-1', 1);
  await scanned(p1, { barcode: unit(GTIN, 'S1') });
  await scanned(p1, { barcode: lot(GTIN_B, 'L1'), action: 'wasted' });
  const p2 = await open('2026-07-02T09:00:00Z', 'W38.1', 'CONS-1', 2);
  await scanned(p2, { barcode: unit(GTIN, 'S2') });
  const p3 = await open('2026-07-03T09:00:00Z', 'W38.1', 'CONS-2', 3);
  await scanned(p3, { barcode: unit(GTIN, 'S3') });
  await scanned(p3, { barcode: lot(GTIN_C, 'C1') });
  const p4 = await open('2026-07-04T09:00:00Z', 'W40.1', 'CONS-2', 4);
  const voided = await scanned(p4, { barcode: unit(GTIN, 'S4') });
  await scanned(p4, { barcode: lot(GTIN_B, 'L2') });
  await scanned(p4, { barcode: unit(GTIN, 'S9'), action: 'explanted' });
  const p5 = await open('2026-06-30T23:30:00Z', 'W38.1', 'CONS-1', 5);
  await scanned(p5, { barcode: unit(GTIN, 'S5') });

  t.test('a case costs its consumed units at the prices in force on its date, line by line', async (t) => {
    const { status, body } = await costOf(p1);
    t.equal(status, 200);
    t.match(body, { procedureId: p1, date: '2026-06-15', procedureCode: 'W38.1', units: 2, pricedUnits: 2, unpricedUnits: 0, currency: 'GBP', cost: '169.15', costMinor: 16915, complete: true, leadClinician: { localId: 'CONS-1' } });
    t.match(body.lines, [
      { gtin: GTIN, serialNumber: 'S1', brand: 'Aster Stem', units: 1, priced: true, unitPrice: '150.00', priceEffectiveFrom: '2026-01-01', lineCost: '150.00' },
      { gtin: GTIN_B, lotNumber: 'L1', units: 1, unitPrice: '19.15', lineCost: '19.15' },
    ]);
    t.match((await costOf(p2)).body, { date: '2026-07-02', cost: '650.00', complete: true }, 'the price changed mid-period applies by the procedure’s date');
    t.match((await costOf(p5)).body, { date: '2026-07-01', cost: '650.00' }, 'the date is London’s: 23:30 UTC on 30 June is 1 July');
  });

  t.test('an unpriced product flags the case incomplete, never cheaper', async (t) => {
    const { body } = await costOf(p3);
    t.match(body, { units: 2, pricedUnits: 1, unpricedUnits: 1, cost: '650.00', complete: false });
    t.match(body.lines.find((l) => l.gtin === GTIN_C), { priced: false, unitPrice: null, lineCost: null, units: 1 });
  });

  t.test('an explant takes nothing; a voided scan drops its cost', async (t) => {
    t.match((await costOf(p4)).body, { units: 2, cost: '669.15' }, 'before the void');
    ok(await app.request({ method: 'POST', url: `/v1/scans/${voided.scan.id}/void`, key: scanner, payload: { reason: 'wrong stem opened' } }), 200, 'void');
    const { body } = await costOf(p4);
    t.match(body, { units: 1, cost: '19.15', complete: true });
    t.same(body.lines.map((l) => l.gtin), [GTIN_B], 'neither the voided stem nor the explant');
  });

  t.test('the report: every case started in the London dates asked, incomplete ones counted', async (t) => {
    const all = await report('from=2026-06-01&to=2026-07-31');
    t.same(all.cases.map((c) => c.procedureId), [p1, p5, p2, p3, p4], 'oldest first');
    t.equal(all.incompleteCases, 1);
    t.same(all.cases.map((c) => [c.cost, c.complete]), [['169.15', true], ['650.00', true], ['650.00', true], ['650.00', false], ['19.15', true]]);
    t.same((await report('from=2026-07-01&to=2026-07-01')).cases.map((c) => c.procedureId), [p5], 'a day is London’s day');
    t.same((await report('from=2026-06-01&to=2026-06-30')).cases.map((c) => c.procedureId), [p1], '`to` is included, up to its London midnight');

    const csv = await app.request({ method: 'GET', url: '/v1/reports/cost-per-case?from=2026-06-01&to=2026-07-31&format=csv', key: procurement });
    t.equal(csv.statusCode, 200);
    t.match(csv.headers['content-type'], /^text\/csv/);
    const lines = csv.body.trim().split('\n');
    t.equal(lines[0], 'organisation,procedure_id,started_at,date,procedure_code,status,lead_clinician,lead_clinician_gsrn,location_gln,units,priced_units,unpriced_units,currency,cost,complete');
    t.equal(lines.length, 6);
    t.match(lines.find((l) => l.includes(p3)), new RegExp(`^RCC,${p3},2026-07-03T09:00:00.000Z,2026-07-03,W38.1,open,Mr Knee,,${THEATRE},2,1,1,GBP,650.00,false$`));
    const accept = await app.request({ method: 'GET', url: '/v1/reports/cost-per-case?from=2026-06-01&to=2026-07-31', key: procurement, headers: { accept: 'text/csv' } });
    t.equal(accept.body, csv.body, 'Accept: text/csv');

    for (const query of ['from=2026-07-02&to=2026-07-01', 'from=2024-01-01&to=2026-07-01', 'from=2026-07-01', 'from=2026-02-30&to=2026-03-01']) {
      const bad = await app.request({ method: 'GET', url: `/v1/reports/cost-per-case?${query}`, key: procurement });
      t.equal(bad.statusCode, 422, query);
    }
  });

  t.test('the spread: by procedure code and lead clinician over complete cases; the distinct prices paid per product', async (t) => {
    const res = await app.request({ method: 'GET', url: '/v1/reports/cost-spread?from=2026-06-01&to=2026-07-31', key: procurement });
    t.equal(res.statusCode, 200, res.body);
    const spread = res.json<{
      byProcedureCode: Array<Record<string, unknown>>;
      byLeadClinician: Array<Record<string, unknown> & { leadClinician: { localId: string } | null }>;
      products: Array<{ gtin: string | null; brand: string | null; distinctPrices: number; unpricedUnits: number; prices: Array<{ unitPrice: string; units: number; cases: number; organisations: string[] }> }>;
    }>();
    t.same(spread.byProcedureCode, [
      // P1 169.15, P2 650.00, P5 650.00 (P3 incomplete, left out): mean 489.716… → 489.72.
      { procedureCode: 'W38.1', currency: 'GBP', cases: 4, incompleteCases: 1, casesWithoutConsumption: 0, min: '169.15', median: '650.00', max: '650.00', mean: '489.72' },
      { procedureCode: 'W40.1', currency: 'GBP', cases: 1, incompleteCases: 0, casesWithoutConsumption: 0, min: '19.15', median: '19.15', max: '19.15', mean: '19.15' },
    ]);
    t.match(spread.byLeadClinician, [
      { organisation: 'RCC', leadClinician: { localId: 'CONS-2', name: 'Mr Knee' }, cases: 2, incompleteCases: 1, min: '19.15', median: '19.15', max: '19.15' },
      { organisation: 'RCC', leadClinician: { localId: 'CONS-1', name: 'Ms Hip' }, cases: 3, incompleteCases: 0, min: '169.15', median: '650.00', max: '650.00', mean: '489.72' },
    ]);
    t.same(
      spread.products.map((p) => [p.gtin, p.distinctPrices, p.prices.map((x) => [x.unitPrice, x.units, x.cases, x.organisations]), p.unpricedUnits]),
      [
        [GTIN, 2, [['150.00', 1, 1, ['RCC']], ['650.00', 3, 3, ['RCC']]], 0],
        [GTIN_B, 1, [['19.15', 2, 2, ['RCC']]], 0],
        [GTIN_C, 0, [], 1],
      ],
      'the same stem bought at £150 and £650',
    );
    t.equal(spread.products[0]?.brand, 'Aster Stem');

    const csv = await app.request({ method: 'GET', url: '/v1/reports/cost-spread?from=2026-06-01&to=2026-07-31&format=csv', key: procurement });
    const rows = csv.body.trim().split('\n');
    t.equal(rows[0], 'dimension,key,name,organisation,currency,cases,incomplete_cases,cases_without_consumption,min_cost,median_cost,max_cost,mean_cost,unit_price,units,price_cases');
    t.ok(rows.includes('procedure-code,W38.1,,,GBP,4,1,0,169.15,650.00,650.00,489.72,,,'), rows.join('\n'));
    t.ok(rows.includes('lead-clinician,CONS-1,Ms Hip,RCC,GBP,3,0,0,169.15,650.00,650.00,489.72,,,'));
    t.ok(rows.includes(`product-price,${GTIN},Aster Stem 12/14,RCC,GBP,,,,,,,,650.00,3,3`));
    t.ok(rows.includes(`product-price,${GTIN},Aster Stem 12/14,RCC,GBP,,,,,,,,150.00,1,1`));
  });

  t.test('a unit put aside after a critical warning, not used and returned to stock (or quarantined), costs nothing', async (t) => {
    ok(await app.request({ method: 'POST', url: '/v1/recalls', key: procurement, payload: { reference: 'FSN-COST-1', title: 'Cups, one lot', scope: [{ gtin: GTIN_B, lots: ['BAD1', 'BAD2'] }] } }), 201, 'recall');
    const p6 = await open('2026-08-10T09:00:00Z', 'W38.1', 'CONS-1', 6);
    await scanned(p6, { barcode: unit(GTIN, 'S6') });
    const back = await scanned(p6, { barcode: lot(GTIN_B, 'BAD1') });
    const held = await scanned(p6, { barcode: lot(GTIN_B, 'BAD2') });
    t.match((await costOf(p6)).body, { units: 3, cost: '688.30' }, 'opened at the point of use: consumed while the decision is pending');
    ok(await app.request({ method: 'POST', url: `/v1/items/${back.item.id}/decision`, key: scanner, payload: { outcome: 'not-used', disposition: 'returned-to-stock' } }), 200, 'decision');
    ok(await app.request({ method: 'POST', url: `/v1/items/${held.item.id}/decision`, key: scanner, payload: { outcome: 'not-used', disposition: 'quarantined' } }), 200, 'decision');
    const { body } = await costOf(p6);
    t.match(body, { units: 1, cost: '650.00', complete: true });
    t.same(body.lines.map((l) => l.gtin), [GTIN]);
  });

  t.test('a price corrected later applies to the cases already done: costs are read, never stored', async (t) => {
    await prices([{ gtin: GTIN, unitPrice: '600.00', effectiveFrom: '2026-07-01', supplier: 'Acme', contractRef: 'corrected' }]);
    t.match((await costOf(p2)).body, { cost: '600.00' });
    t.match((await costOf(p1)).body, { cost: '169.15' }, 'June keeps its price');
  });

  t.test('tenancy: another organisation sees none of it; a national key sees all', async (t) => {
    t.equal((await costOf(p1, other.keys.procurement)).status, 404);
    t.same((await report('from=2026-06-01&to=2026-07-31', other.keys.procurement)).cases, []);
    const national = await nationalProcurementKey(app);
    t.equal((await report('from=2026-06-01&to=2026-07-31', national)).cases.length, 5);
    t.equal((await costOf(p1, national)).status, 200);
    t.equal((await app.request({ method: 'GET', url: `/v1/procedures/${p1}/cost`, key: scanner })).statusCode, 403, 'scanners do not read costs');
  });
});
