import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createDb } from '../../src/db/create-db.js';
import type { Db } from '../../src/db/database.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded.js';

export interface SeedOptions {
  readonly items: number;
  readonly organisations: number;
  readonly products: number;
  readonly lotsPerProduct: number;
  /** Also write the scan ledger (one product scan per item, with its raw barcode), as exports read it. */
  readonly withScans?: boolean;
  readonly say: (message: string) => void;
}

/**
 * Seeds a benchmark database: organisations, patients (one per two items),
 * one completed procedure per patient within the last five years, and two
 * implanted items per procedure, products and lots spread evenly.
 *
 * The data is generated inside Postgres (INSERT … SELECT generate_series)
 * rather than sent with COPY: the same bulk path without shipping millions of
 * rows through the client. Triggers are off while seeding
 * (session_replication_role = replica), so the columns the feed triggers would
 * fill (change_xid, change_seq, changed_at) are written here; the indexes are
 * those of the migrations.
 */
export async function seedItems(db: Db, o: SeedOptions): Promise<void> {
  o.say(`seeding ${o.items.toLocaleString('en-GB')} items…`);
  const t0 = performance.now();
  const lap = (what: string) => o.say(`  ${what} ${((performance.now() - t0) / 1000) | 0} s`);
  await db.connection().execute(async (c) => {
    await sql`set session_replication_role = replica`.execute(c);
    await sql`set maintenance_work_mem = '512MB'`.execute(c);
    await sql`insert into organisations (ods_code, name) select 'B' || lpad(g::text, 4, '0'), 'Bench trust ' || g from generate_series(1, ${o.organisations}::int) g on conflict do nothing`.execute(c);
    await sql`create temp table bench_orgs as select id, row_number() over (order by ods_code) - 1 as n from organisations where ods_code like 'B%'`.execute(c);
    const patients = Math.ceil(o.items / 2);
    await sql`
      insert into patients (organisation_id, nhs_number)
      select o.id, lpad(g::text, 10, '0') from generate_series(1, ${patients}::int) g join bench_orgs o on o.n = g % ${o.organisations}::int`.execute(c);
    lap('patients');
    await sql`
      insert into procedures (organisation_id, patient_id, started_at, side, status, completed_at, change_xid, change_seq, changed_at)
      select p.organisation_id, p.id, ts, 'left', 'completed', ts, pg_current_xact_id(), nextval('feed_change_seq'), ts
      from (select *, now() - (random() * interval '5 years') as ts from patients) p`.execute(c);
    lap('procedures');
    // Two items per procedure; product and lot spread evenly, so each (GTIN, lot) batch has items / (products × lots) items.
    await sql`
      insert into items (organisation_id, procedure_id, patient_id, action, issuing_agency, di, gtin, lot_number, serial_number,
                         expiration_date, entry_type, first_scanned_at, procedure_started_at, side, nhs_number)
      select p.organisation_id, p.id, p.patient_id, 'implanted', 'GS1', g.gtin, g.gtin, g.lot, 'S' || g.k,
             (p.started_at + interval '3 years')::date, case when g.k % 20 = 0 then 'manual' else 'barcode' end, p.started_at,
             p.started_at, 'left', p.nhs_number
      from (select pr.id, pr.organisation_id, pr.patient_id, pr.started_at, pa.nhs_number, row_number() over () as r
            from procedures pr join patients pa on pa.id = pr.patient_id) p
      cross join lateral (
        select k, '0950600' || lpad(((k * 7919) % ${o.products}::int)::text, 7, '0') as gtin, 'L' || ((k / ${o.products}::int) % ${o.lotsPerProduct}::int) as lot
        from (values (p.r * 2), (p.r * 2 + 1)) v(k)
      ) g`.execute(c);
    lap('items');
    await sql`
      insert into products (di, issuing_agency, brand, model, manufacturer, implantable, source)
      select distinct gtin, 'GS1', 'Bench brand ' || right(gtin, 3), 'M' || right(gtin, 2), 'Bench maker ' || (right(gtin, 1)), true, 'api'
      from items on conflict (di) do nothing`.execute(c);
    if (o.withScans === true) {
      await sql`
        insert into api_keys (name, role, national, key_hash, key_prefix)
        values ('bench scanner', 'scanner', true, sha256(convert_to('bench-' || clock_timestamp()::text, 'UTF8')), 'bench')`.execute(c);
      // One product scan per barcode item: a GS1 DataMatrix with GTIN, expiry, lot and serial (FNC1 as GS).
      await sql`
        insert into scans (organisation_id, procedure_id, item_id, kind, action, entry_type, raw, issuing_agency, di, lot_number,
                           serial_number, expiration_date, scanned_at, recorded_at, actor_key_id)
        select i.organisation_id, i.procedure_id, i.id, 'product', 'implanted', 'barcode',
               ']d201' || i.gtin || '17' || to_char(i.expiration_date, 'YYMMDD') || '10' || i.lot_number || chr(29) || '21' || i.serial_number,
               'GS1', i.di, i.lot_number, i.serial_number, i.expiration_date, i.first_scanned_at, i.first_scanned_at,
               (select id from api_keys where name = 'bench scanner' limit 1)
        from items i where i.entry_type = 'barcode'`.execute(c);
      lap('scans');
    }
    await sql`vacuum analyze`.execute(c);
    // The connection goes back to the pool: as it came (triggers on, no temporary table), for what runs next.
    await sql`drop table bench_orgs`.execute(c);
    await sql`reset session_replication_role`.execute(c);
    await sql`reset maintenance_work_mem`.execute(c);
  });
  o.say(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

export interface BenchDatabase {
  readonly db: Db;
  /** Its connection URL (password included: never print it). */
  readonly url: string;
  /** Closes the pool; stops and deletes the throwaway cluster unless BENCH_KEEP=1. */
  close(): Promise<void>;
}

/**
 * The database a benchmark runs on: BENCH_DATABASE_URL if given, else a
 * throwaway embedded cluster with these server settings, fsync off unless
 * `durable` (the ingestion benchmark measures commits as they really are).
 */
export async function openBenchDatabase(
  settings: Record<string, string>,
  say: (message: string) => void,
  options: { durable?: boolean; poolSize?: number } = {},
): Promise<BenchDatabase> {
  let server: RunningPostgres | undefined;
  let dataDir: string | undefined;
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-bench-'));
    server = await startEmbeddedPostgres({ dataDir, durable: options.durable ?? false, database: 'bench', settings });
    url = server.url;
  }
  const db = createDb({ url, poolSize: options.poolSize ?? 4 });
  return {
    db,
    url,
    async close() {
      await db.destroy();
      if (!server) return;
      if (process.env.BENCH_KEEP === '1') {
        say(`kept the cluster in ${dataDir ?? ''} (BENCH_KEEP=1); reuse it with BENCH_DATABASE_URL=${server.url}`);
        return;
      }
      await server.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
