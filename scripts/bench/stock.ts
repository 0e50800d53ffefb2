/**
 * Stock at national scale: seeds a stock ledger of 10 million rows across 50 organisations and
 * 1,000 locations on a real Postgres, with its stock on hand, then measures the reads procurement
 * and a recall make, with the service's own code:
 *   - stock on hand at one location (the first page of GET /v1/stock?location=…);
 *   - one product across an organisation's locations (GET /v1/stock?gtin=…);
 *   - a recall's stock for one lot (GET /v1/recalls/{id}/stock), national view (the widest) and
 *     one organisation's, and the recall's stock counts (counts.stock);
 * each p50 / p99 over distinct random queries, cold (right after loading) and warm (prewarmed).
 * The target for one lot: p50 ≤ 5 ms, p99 ≤ 25 ms.
 *
 *   npm run bench:stock                       (embedded throwaway cluster, fsync off)
 *   BENCH_DATABASE_URL=postgres://… npm run bench:stock
 *   BENCH_MOVEMENTS=1000000 npm run bench:stock   (a smaller run)
 *
 * The ledger is generated inside Postgres: each of 1,000,000 stock lines (organisation, location,
 * product, lot) sees ten movements: six receipts (two of them serialised units, four lots of 1–10),
 * three units leaving the shelf, and a quarantine. Units leaving are written as write-offs: a point-of-use
 * consumption row names a real item and procedure, which this benchmark does not seed (the reads it
 * measures never look at the ledger's outflows, only at stock on hand). Stock on hand is then the
 * ledger summed, as the service keeps it.
 */
import os from 'node:os';
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrator.js';
import { countAffected, shelfStock } from '../../src/modules/recalls/recall.repository.js';
import { searchOnHand } from '../../src/modules/stock/stock.repository.js';
import { openBenchDatabase } from './seed.js';

const MOVEMENTS = Number(process.env.BENCH_MOVEMENTS ?? 10_000_000);
const LINES = Math.max(1, Math.round(MOVEMENTS / 10));
const ORGANISATIONS = 50;
const LOCATIONS_PER_ORGANISATION = 20;
const PRODUCTS = 500;
const LOTS_PER_PRODUCT = 100;
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);

const say = (m: string) => process.stderr.write(`${m}\n`);
const gtin = (n: number) => `0950600${String(n).padStart(7, '0')}`;

const bench = await openBenchDatabase({ shared_buffers: '4GB', effective_cache_size: '16GB', work_mem: '64MB' }, say);
const db = bench.db;

async function seed(): Promise<void> {
  say(`seeding ${MOVEMENTS.toLocaleString('en-GB')} ledger rows over ${LINES.toLocaleString('en-GB')} stock lines…`);
  const t0 = performance.now();
  const lap = (what: string) => say(`  ${what} ${((performance.now() - t0) / 1000) | 0} s`);
  await db.connection().execute(async (c) => {
    // Triggers off while seeding (the append-only guards, the foreign keys): the rows are consistent by construction.
    await sql`set session_replication_role = replica`.execute(c);
    await sql`set maintenance_work_mem = '1GB'`.execute(c);
    await sql`insert into organisations (ods_code, name) select 'B' || lpad(g::text, 4, '0'), 'Bench trust ' || g from generate_series(1, ${ORGANISATIONS}::int) g on conflict do nothing`.execute(c);
    await sql`create temp table bench_orgs as select id, row_number() over (order by ods_code) - 1 as n from organisations where ods_code like 'B%'`.execute(c);
    await sql`
      insert into locations (organisation_id, gln, name, kind)
      select o.id, '950600' || lpad((o.n * 100 + l)::text, 7, '0'), 'Store ' || l, case when l < 10 then 'theatre' else 'store' end
      from bench_orgs o cross join generate_series(0, ${LOCATIONS_PER_ORGANISATION - 1}::int) l
      on conflict do nothing`.execute(c);
    await sql`
      create temp table bench_locs as
      select l.id, o.n as org_n, row_number() over (partition by l.organisation_id order by l.gln) - 1 as n
      from locations l join bench_orgs o on o.id = l.organisation_id`.execute(c);
    await sql`
      insert into api_keys (name, role, national, key_hash, key_prefix)
      values ('bench procurement', 'procurement', true, sha256(convert_to('bench-' || clock_timestamp()::text, 'UTF8')), 'bench')`.execute(c);
    lap('organisations and locations');
    // Movement g is of stock line k = g mod LINES; a line is an organisation, a location, a product and a lot.
    await sql`
      insert into stock_movements (organisation_id, movement_group, kind, location_id, entry_type, issuing_agency, di, lot_number,
                                   serial_number, expiration_date, quantity, consignment, reason, recorded_at, actor_key_id)
      select o.id, md5(g::text)::uuid, m.kind, l.id, 'barcode', 'GS1', m.gtin, m.lot,
             case when m.kind = 'received' and m.j % 4 = 0 then 'S' || g end,
             date '2027-01-01' + ((m.product * 7 + m.lot_n * 13) % 900),
             case when m.kind = 'received' and m.j % 4 <> 0 then 1 + g % 10 else 1 end,
             m.k % 10 = 0, case when m.kind = 'written-off' then 'opened-not-used' when m.kind = 'quarantined' then 'bench hold' end,
             now() - ((g % 1000) * interval '1 hour'), (select id from api_keys where name = 'bench procurement' limit 1)
      from generate_series(1, ${MOVEMENTS}::int) g
      cross join lateral (
        select k, j, p as product, lot_n, '0950600' || lpad(p::text, 7, '0') as gtin, 'L' || lot_n as lot,
               case when j % 10 < 6 then 'received' when j % 10 < 9 then 'written-off' else 'quarantined' end as kind
        from (select g % ${LINES}::int as k, g / ${LINES}::int as j) kk
        cross join lateral (select ((k::bigint * 7919) % ${PRODUCTS}::int)::int as p, (k / ${PRODUCTS}::int) % ${LOTS_PER_PRODUCT}::int as lot_n) pl
      ) m
      join bench_orgs o on o.n = m.k % ${ORGANISATIONS}::int
      join bench_locs l on l.org_n = o.n and l.n = (m.k / ${ORGANISATIONS}::int) % ${LOCATIONS_PER_ORGANISATION}::int`.execute(c);
    lap('ledger');
    // Stock on hand: the ledger summed per row of the projection (available and quarantined).
    await sql`
      insert into stock_on_hand (organisation_id, location_id, issuing_agency, di, lot_number, serial_number, expiration_date, status, consignment, quantity)
      select organisation_id, location_id, issuing_agency, di, lot_number, serial_number, expiration_date, status, consignment, sum(delta)
      from (
        select organisation_id, location_id, issuing_agency, di, lot_number, serial_number, expiration_date, consignment, 'available' as status,
               case when kind = 'received' then quantity else -quantity end as delta
        from stock_movements
        union all
        select organisation_id, location_id, issuing_agency, di, lot_number, serial_number, expiration_date, consignment, 'quarantined', quantity
        from stock_movements where kind = 'quarantined'
      ) d
      group by organisation_id, location_id, issuing_agency, di, lot_number, serial_number, expiration_date, status, consignment
      having sum(delta) <> 0`.execute(c);
    lap('stock on hand');
    await sql`vacuum analyze`.execute(c);
    await sql`drop table bench_orgs`.execute(c);
    await sql`drop table bench_locs`.execute(c);
    await sql`reset session_replication_role`.execute(c);
    await sql`reset maintenance_work_mem`.execute(c);
  });
  say(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

interface Timing {
  readonly p50: number;
  readonly p99: number;
  readonly rows: number;
}

async function measure(run: (q: number) => Promise<number>): Promise<Timing> {
  const timings: number[] = [];
  let rows = 0;
  for (let q = 0; q < QUERIES; q++) {
    const t = performance.now();
    rows += await run(q);
    timings.push(performance.now() - t);
  }
  timings.sort((a, b) => a - b);
  const pct = (p: number) => timings[Math.min(timings.length - 1, Math.floor((p / 100) * timings.length))] ?? 0;
  return { p50: pct(50), p99: pct(99), rows: rows / QUERIES };
}

try {
  await migrateToLatest(db);
  const existing = Number((await sql<{ n: string }>`select count(*) as n from stock_movements`.execute(db)).rows[0]?.n ?? 0);
  if (existing < MOVEMENTS) await seed();
  const ledger = Number((await sql<{ n: string }>`select count(*) as n from stock_movements`.execute(db)).rows[0]?.n ?? 0);
  const onHand = Number((await sql<{ n: string }>`select count(*) as n from stock_on_hand`.execute(db)).rows[0]?.n ?? 0);
  const organisations = (await sql<{ id: string }>`select id from organisations where ods_code like 'B%' order by ods_code`.execute(db)).rows.map((r) => r.id);
  const locations = (await sql<{ id: string; organisation_id: string }>`select id, organisation_id from locations order by gln`.execute(db)).rows;
  const orgOf = (q: number) => organisations[(q * 31 + 7) % organisations.length] as string;
  const scopeOf = (q: number) => ({ gtin: gtin((q * 37 + 11) % PRODUCTS), lots: [`L${(q * 13 + 7) % LOTS_PER_PRODUCT}`] });
  const national = { kind: 'national' as const };

  const suite = {
    location: (q: number) => {
      const location = locations[(q * 53 + 3) % locations.length] as (typeof locations)[number];
      return searchOnHand(db, { kind: 'organisation', organisationId: location.organisation_id }, { locationIds: [location.id] }, { limit: 100 }).then((r) => r.length);
    },
    product: (q: number) => searchOnHand(db, { kind: 'organisation', organisationId: orgOf(q) }, { di: gtin((q * 41 + 5) % PRODUCTS) }, { limit: 100 }).then((r) => r.length),
    recallNational: (q: number) => shelfStock(db, { scopes: [scopeOf(q)], tenancy: national, limit: 1000 }).then((r) => r.length),
    recallOrganisation: (q: number) => shelfStock(db, { scopes: [scopeOf(q)], tenancy: { kind: 'organisation', organisationId: orgOf(q) }, limit: 1000 }).then((r) => r.length),
    recallCounts: (q: number) => countAffected(db, { scopes: [scopeOf(q)], tenancy: national }).then((c) => c.stock.available + c.stock.quarantined),
  };
  const cold: Record<string, Timing> = {};
  for (const [name, run] of Object.entries(suite)) cold[name] = await measure(run);
  await sql`create extension if not exists pg_prewarm`.execute(db);
  for (const relation of ['stock_on_hand', 'stock_on_hand_lot', 'stock_on_hand_key', 'stock_on_hand_pkey', 'locations', 'organisations']) {
    await sql`select pg_prewarm(${relation})`.execute(db);
  }
  const warm: Record<string, Timing> = {};
  for (const [name, run] of Object.entries(suite)) warm[name] = await measure(run);

  const row = (label: string, name: keyof typeof suite, unit = 'rows') =>
    `| ${label} (${(warm[name] as Timing).rows.toFixed(0)} ${unit}) | ${(cold[name] as Timing).p50.toFixed(2)} / ${(cold[name] as Timing).p99.toFixed(2)} ms | ${(warm[name] as Timing).p50.toFixed(2)} / ${(warm[name] as Timing).p99.toFixed(2)} ms |`;
  const lines = [
    `Stock on ${ledger.toLocaleString('en-GB')} ledger rows, ${onHand.toLocaleString('en-GB')} rows on hand, ${ORGANISATIONS} organisations, ${locations.length.toLocaleString('en-GB')} locations (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}; ${QUERIES} distinct queries each).`,
    '',
    '| read | cold p50 / p99 | warm p50 / p99 |',
    '|---|---:|---:|',
    row('stock on hand at one location, first page', 'location'),
    row('one product across an organisation, first page', 'product'),
    row("a recall's stock for one lot, national view", 'recallNational'),
    row("a recall's stock for one lot, one organisation", 'recallOrganisation'),
    row("a recall's counts with its stock (counts.stock), national", 'recallCounts', 'units'),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await bench.close();
}
