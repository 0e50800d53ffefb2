import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys, nationalProcurementKey } from '../helpers/app.js';

const GTIN = '09506000134352';
const GTIN_B = '09506000134369';
/** GTIN_B's check digit made wrong. */
const BAD_GTIN = '09506000134360';

interface Price {
  id: string;
  organisation: string;
  gtin: string | null;
  hibc: { lic: string; pcn: string; uom: string } | null;
  di: string;
  unitPrice: string;
  unitPriceMinor: number;
  currency: string;
  effectiveFrom: string;
  supplier: string | null;
  contractRef: string | null;
  status?: string;
  history?: Price[];
}

t.test('unit prices: the price list and its history', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock('2026-12-08T10:00:00Z') });
  const org = await createOrganisationWithKeys(app, 'RPR');
  const other = await createOrganisationWithKeys(app, 'RPS');
  const key = org.keys.procurement;
  const post = (payload: unknown, options: { idem?: string; as?: string } = {}) =>
    app.request({ method: 'POST', url: '/v1/prices', key: options.as ?? key, headers: { 'idempotency-key': options.idem ?? randomUUID() }, payload: payload as Record<string, unknown> });
  const csv = (text: string | Buffer, options: { idem?: string; as?: string } = {}) =>
    app.request({ method: 'POST', url: '/v1/prices/import', key: options.as ?? key, headers: { 'idempotency-key': options.idem ?? randomUUID(), 'content-type': 'text/csv' }, payload: text });
  const on = async (query: string, as = key) => {
    const res = await app.request({ method: 'GET', url: `/v1/prices?${query}`, key: as });
    t.equal(res.statusCode, 200, res.body);
    return res.json<{ on: string; items: Price[] }>();
  };

  t.test('a JSON list records each price from its date; the price in force is by date', async (t) => {
    const res = await post([
      { gtin: GTIN, unitPrice: '150.00', effectiveFrom: '2026-01-01', supplier: 'Acme Ortho', contractRef: 'NHSSC-2026-1' },
      { gtin: GTIN, unitPrice: '650', effectiveFrom: '2026-07-01', supplier: 'Acme Ortho' },
      { hibc: { lic: 'A123', pcn: 'CUP52' }, unitPrice: '19.15', effectiveFrom: '2026-03-01' },
    ]);
    t.equal(res.statusCode, 201, res.body);
    const body = res.json<{ batchId: string; prices: Price[] }>();
    t.match(res.headers.location, new RegExp(`/v1/prices/batches/${body.batchId}$`));
    t.match(body.prices[0], { organisation: 'RPR', gtin: GTIN, unitPrice: '150.00', unitPriceMinor: 15000, currency: 'GBP', effectiveFrom: '2026-01-01', supplier: 'Acme Ortho', contractRef: 'NHSSC-2026-1', source: 'json' });
    t.match(body.prices[1], { unitPrice: '650.00', unitPriceMinor: 65000, contractRef: null });
    t.match(body.prices[2], { issuingAgency: 'HIBCC', di: 'A123CUP520', gtin: null, hibc: { lic: 'A123', pcn: 'CUP52', uom: '0' }, unitPrice: '19.15', unitPriceMinor: 1915 });

    t.same((await on(`gtin=${GTIN}&on=2025-12-31`)).items, [], 'none before the first effective date');
    t.equal((await on(`gtin=${GTIN}&on=2026-01-01`)).items[0]?.unitPrice, '150.00', 'effectiveFrom is inclusive');
    t.equal((await on(`gtin=${GTIN}&on=2026-06-30`)).items[0]?.unitPrice, '150.00');
    t.equal((await on(`gtin=${GTIN}&on=2026-07-01`)).items[0]?.unitPrice, '650.00');
    t.equal((await on(`gtin=9506000134352&on=2026-07-01`)).items[0]?.unitPrice, '650.00', 'a GTIN-13 names the same product');
    const today = await on(`gtin=${GTIN}`);
    t.equal(today.on, '2026-12-08', 'default: the service’s date in London');
    const all = await on('on=2026-04-01');
    t.same(all.items.map((p) => [p.di, p.unitPrice]).sort(), [[GTIN, '150.00'], ['A123CUP520', '19.15']].sort(), 'every product priced then');

    const batch = await app.request({ method: 'GET', url: `/v1/prices/batches/${body.batchId}?limit=2`, key });
    t.equal(batch.statusCode, 200);
    const page = batch.json<{ prices: Price[]; nextCursor: string | null }>();
    t.equal(page.prices.length, 2);
    t.ok(page.nextCursor);
    const rest = await app.request({ method: 'GET', url: `/v1/prices/batches/${body.batchId}?limit=2&cursor=${page.nextCursor ?? ''}`, key });
    t.same(rest.json<{ prices: Price[]; nextCursor: string | null }>().prices.map((p) => p.di), ['A123CUP520']);
    t.equal((await app.request({ method: 'GET', url: `/v1/prices/batches/${body.batchId}`, key: other.keys.procurement })).statusCode, 404, 'another organisation’s batch is not found');
  });

  t.test('a mistaken price is corrected by a new row for the same date; the history keeps both', async (t) => {
    t.equal((await post([{ gtin: GTIN, unitPrice: '600.00', effectiveFrom: '2026-07-01', supplier: 'Acme Ortho' }])).statusCode, 201);
    t.equal((await post([{ gtin: GTIN, unitPrice: '700.00', effectiveFrom: '2027-01-01' }])).statusCode, 201);
    const { items } = await on(`gtin=${GTIN}&on=2026-08-01&history=true`);
    t.equal(items.length, 1);
    t.equal(items[0]?.unitPrice, '600.00', 'the correction is in force');
    t.same(
      items[0]?.history?.map((h) => [h.effectiveFrom, h.unitPrice, h.status]),
      [
        ['2027-01-01', '700.00', 'future'],
        ['2026-07-01', '600.00', 'in-force'],
        ['2026-07-01', '650.00', 'corrected'],
        ['2026-01-01', '150.00', 'superseded'],
      ],
    );
    t.equal((await on(`gtin=${GTIN}&on=2026-08-01`)).items[0]?.history, undefined, 'no history unless asked');
  });

  t.test('invalid entries refuse the whole list, with pointers; nothing recorded', async (t) => {
    const before = await on('on=2099-01-01');
    const cases: Array<[unknown, string]> = [
      [[{ gtin: BAD_GTIN, unitPrice: '1.00', effectiveFrom: '2026-01-01' }], '/0/gtin'],
      [[{ gtin: GTIN_B, unitPrice: '1.234', effectiveFrom: '2026-01-01' }], '/0/unitPrice'],
      [[{ gtin: GTIN_B, unitPrice: 1.5, effectiveFrom: '2026-01-01' }], '/0/unitPrice'],
      [[{ gtin: GTIN_B, unitPrice: '0.00', effectiveFrom: '2026-01-01' }], '/0/unitPrice'],
      [[{ gtin: GTIN_B, unitPrice: '-5.00', effectiveFrom: '2026-01-01' }], '/0/unitPrice'],
      [[{ gtin: GTIN_B, unitPrice: '5.00', effectiveFrom: '2026-02-30' }], '/0/effectiveFrom'],
      [[{ gtin: GTIN_B, unitPrice: '5.00', effectiveFrom: '2026-01-01', currency: 'XYZ' }], '/0/currency'],
      [[{ gtin: GTIN_B, hibc: { lic: 'A123', pcn: 'X' }, unitPrice: '5.00', effectiveFrom: '2026-01-01' }], '/0/gtin'],
      [[{ unitPrice: '5.00', effectiveFrom: '2026-01-01' }], '/0/gtin'],
      [[{ gtin: GTIN_B, unitPrice: '5.00', effectiveFrom: '2026-01-01' }, { gtin: GTIN_B, unitPrice: '6.00', effectiveFrom: '2026-01-01' }], '/1/effectiveFrom'],
      [[], ''],
    ];
    for (const [payload, pointer] of cases) {
      const res = await post(payload);
      t.equal(res.statusCode, 422, JSON.stringify(payload));
      const problem = res.json<{ code: string; errors: Array<{ pointer: string }> }>();
      t.equal(problem.code, 'VALIDATION_FAILED');
      t.ok(problem.errors.some((e) => e.pointer === pointer), `${pointer}: ${JSON.stringify(problem.errors)}`);
    }
    t.same(await on('on=2099-01-01'), before);
  });

  t.test('one currency per price list: another is refused with the entries named', async (t) => {
    const res = await post([{ gtin: GTIN_B, unitPrice: '5.00', effectiveFrom: '2026-01-01' }, { gtin: GTIN_B, unitPrice: '5.00', currency: 'EUR', effectiveFrom: '2026-02-01' }]);
    t.equal(res.statusCode, 422);
    t.match(res.json(), { code: 'PRICE_LIST_INVALID', invalidRows: 1, rows: [{ index: 1, reasons: [/EUR, but the organisation’s price list is in GBP/] }] });
    t.same((await on(`gtin=${GTIN_B}&on=2026-03-01`)).items, [], 'nothing recorded');
    const euros = await post([{ gtin: GTIN_B, unitPrice: '5.00', currency: 'EUR', effectiveFrom: '2026-01-01' }], { as: other.keys.procurement });
    t.equal(euros.statusCode, 201, 'another organisation’s list may be in euros');
    t.match((await on(`gtin=${GTIN_B}&on=2026-03-01`, other.keys.procurement)).items, [{ organisation: 'RPS', currency: 'EUR', unitPrice: '5.00' }]);
  });

  t.test('exactly once per Idempotency-Key', async (t) => {
    const idem = randomUUID();
    const payload = [{ gtin: GTIN_B, unitPrice: '42.00', effectiveFrom: '2026-05-01' }];
    const [a, b] = await Promise.all([post(payload, { idem }), post(payload, { idem })]);
    t.equal(a.statusCode, 201);
    t.equal(b.statusCode, 201);
    t.equal(a.json().batchId, b.json().batchId);
    t.equal([a, b].filter((r) => r.headers['idempotency-replayed'] === 'true').length, 1);
    const { rows } = await sql<{ n: string }>`select count(*) as n from product_prices where di = ${GTIN_B} and effective_from = '2026-05-01'`.execute(app.db);
    t.equal(Number(rows[0]?.n), 1, 'recorded once');
    const reused = await post([{ gtin: GTIN_B, unitPrice: '43.00', effectiveFrom: '2026-05-01' }], { idem });
    t.equal(reused.json().code, 'IDEMPOTENCY_KEY_REUSED');
    const missing = await app.request({ method: 'POST', url: '/v1/prices', key, payload });
    t.equal(missing.statusCode, 400);
    t.equal(missing.json().code, 'IDEMPOTENCY_KEY_MISSING');
  });

  t.test('CSV import: all rows recorded, or none with every bad row named', async (t) => {
    const good = [
      'GTIN,Unit_Price,currency,effective_from,supplier,contract_ref',
      `${GTIN_B},12.50,GBP,2026-09-01,"Acme, Ortho",C-1`,
      // A GTIN-14 whose leading zero a spreadsheet dropped.
      `9506000134352,160.00,,2026-09-01,,`,
      '',
    ].join('\r\n');
    const res = await csv(good);
    t.equal(res.statusCode, 201, res.body);
    const body = res.json<{ batchId: string }>();
    t.match(body, { recorded: 2, products: 2, currency: 'GBP', effectiveFrom: { earliest: '2026-09-01', latest: '2026-09-01' } });
    const batch = (await app.request({ method: 'GET', url: `/v1/prices/batches/${body.batchId}`, key })).json<{ prices: Price[] }>();
    t.match(batch.prices, [{ gtin: GTIN_B, unitPrice: '12.50', supplier: 'Acme, Ortho', contractRef: 'C-1', source: 'csv' }, { gtin: GTIN, unitPrice: '160.00', supplier: null }]);
    t.equal((await on(`gtin=${GTIN}&on=2026-09-02`)).items[0]?.unitPrice, '160.00');

    const bad = [
      'gtin,unit_price,effective_from',
      `${GTIN_B},13.00,2026-10-01`,
      `${BAD_GTIN},13.00,2026-10-01`,
      `${GTIN},13.001,2026-10-01`,
      `${GTIN},,2026-10-32`,
      `${GTIN_B},14.00,2026-10-01`,
      `${GTIN},£13,2026-11-01,extra`,
    ].join('\n');
    const refused = await csv(bad);
    t.equal(refused.statusCode, 422);
    const problem = refused.json<{ code: string; invalidRows: number; rows: Array<{ row: number; reasons: string[] }> }>();
    t.equal(problem.code, 'PRICE_LIST_INVALID');
    t.same(problem.rows.map((r) => r.row), [3, 4, 5, 6, 7]);
    t.match(problem.rows[0]?.reasons, [/^gtin: GTIN check digit is wrong/]);
    t.match(problem.rows[1]?.reasons, [/^unit_price: .*3 decimal places; GBP has 2/]);
    t.equal(problem.rows[2]?.reasons.length, 2, 'every reason of a row');
    t.match(problem.rows[3]?.reasons, [/the same gtin and effective_from as row 2/]);
    t.match(problem.rows[4]?.reasons, [/4 cells, the header names 3 columns/, /unit_price: .*not a decimal amount/]);
    t.equal((await on(`gtin=${GTIN_B}&on=2026-10-02`)).items[0]?.unitPrice, '12.50', 'nothing recorded: not even the good rows');

    const currency = await csv(['gtin,unit_price,currency,effective_from', `${GTIN_B},1.00,USD,2026-10-01`].join('\n'));
    t.match(currency.json(), { code: 'PRICE_LIST_INVALID', rows: [{ row: 2, reasons: [/USD, but the organisation’s price list is in GBP/] }] });

    for (const [text, message] of [
      ['gtin,unit_price\n1,2\n', /no effective_from column/],
      ['gtin,unit_price,effective_from,price_band\n', /Unknown column "price_band"/],
      ['gtin,unit_price,effective_from\n', /no prices/],
      ['gtin,unit_price,effective_from\n"0950,1,2026-01-01\n', /could not be read/],
    ] as const) {
      const res = await csv(text);
      t.equal(res.statusCode, 422, text);
      t.match(res.json(), { code: 'CSV_INVALID', detail: message }, text);
    }
    const latin1 = await csv(Buffer.from(`gtin,unit_price,effective_from,supplier\n${GTIN_B},1.00,2026-01-01,Soci\xe9t\xe9\n`, 'latin1'));
    t.equal(latin1.statusCode, 422);
    t.match(latin1.json(), { code: 'VALIDATION_FAILED', detail: /UTF-8/ });

    const idem = randomUUID();
    const again = ['gtin,unit_price,effective_from', `${GTIN_B},99.00,2026-12-01`].join('\n');
    const first = await csv(again, { idem });
    const retry = await csv(again, { idem });
    t.equal(retry.headers['idempotency-replayed'], 'true');
    t.same(retry.json(), first.json());
    t.equal((await csv(`${again}\n`, { idem })).json().code, 'IDEMPOTENCY_KEY_REUSED', 'another file under the same key');
  });

  t.test('tenancy: organisations see their own list; national keys read all and write none', async (t) => {
    const mine = await on('on=2026-10-01');
    t.ok(mine.items.every((p) => p.organisation === 'RPR'));
    const theirs = await on('on=2026-10-01', other.keys.procurement);
    t.same(theirs.items.map((p) => p.organisation), ['RPS']);
    const national = await nationalProcurementKey(app);
    const everyone = await on('on=2026-10-01', national);
    t.same([...new Set(everyone.items.map((p) => p.organisation))].sort(), ['RPR', 'RPS']);
    const write = await post([{ gtin: GTIN_B, unitPrice: '1.00', effectiveFrom: '2026-01-01' }], { as: national });
    t.equal(write.statusCode, 403);
    t.equal((await csv(`gtin,unit_price,effective_from\n${GTIN_B},1.00,2026-01-01\n`, { as: national })).statusCode, 403);
    t.equal((await app.request({ method: 'GET', url: '/v1/prices', key: org.keys.scanner })).statusCode, 403, 'scanners do not read prices');
  });

  t.test('the price in force on a date is one index entry: no sort, the in-force index read from the date back', async (t) => {
    const plan = await app.db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`
        explain select * from product_prices where organisation_id = ${org.id} and di = ${GTIN} and issuing_agency = 'GS1' and effective_from <= '2026-08-01'
        order by effective_from desc, recorded_at desc, id desc limit 1`.execute(trx);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    t.match(plan, /Index Scan using product_prices_in_force/);
    t.notMatch(plan, /Sort/);
  });

  t.test('the history is append-only; reads and writes are audited', async (t) => {
    await t.rejects(sql`update product_prices set unit_price_minor = 1`.execute(app.db), /append-only|not allowed|cannot/i);
    await t.rejects(sql`delete from product_prices`.execute(app.db));
    await t.rejects(sql`truncate product_prices`.execute(app.db));
    const { rows } = await sql<{ action: string }>`select distinct action from audit_events where action like 'price.%' order by action`.execute(app.db);
    t.same(rows.map((r) => r.action), ['price.batch.read', 'price.import', 'price.read', 'price.record']);
  });
});
