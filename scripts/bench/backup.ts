/**
 * Backup and restore at a realistic size: seeds ~1 million scans on a real
 * Postgres (1,053,000 implanted items, 526,500 patients and procedures in 50
 * organisations, one GS1 DataMatrix scan per barcode item, and for each scan
 * the idempotency record and audit row the service writes with it), then runs
 * the service's own backup (`npm run backup`), the file check (`npm run
 * restore -- --check`) and a restore into a new, empty embedded cluster, and
 * compares every table's row count.
 *
 *   npm run bench:backup
 *   BENCH_ITEMS=100000 npm run bench:backup       (a smaller run)
 *   BENCH_LEVELS=1,6 npm run bench:backup         (gzip levels to compare; default 1, the backup's)
 *
 * Both clusters are durable (fsync on), as a real restore target is.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { backupDatabase } from '../../src/db/backup/backup.js';
import { restoreDatabase, verifyBackup } from '../../src/db/backup/restore.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { openBenchDatabase, seedItems } from './seed.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 1_053_000);
const LEVELS = (process.env.BENCH_LEVELS ?? '1').split(',').map(Number);
const say = (m: string) => process.stderr.write(`${m}\n`);
const seconds = (t0: number) => (performance.now() - t0) / 1000;

const source = await openBenchDatabase({ shared_buffers: '2GB', effective_cache_size: '8GB' }, say, { durable: true });
const work = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-bench-backup-'));

async function rowCounts(url: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(`select relname as name from pg_class where relnamespace = current_schema()::regnamespace and relkind = 'r' order by 1`);
    const counts = new Map<string, number>();
    for (const { name } of tables.rows) counts.set(name, Number((await client.query<{ n: string }>(`select count(*) as n from ${client.escapeIdentifier(name)}`)).rows[0]?.n));
    return counts;
  } finally {
    await client.end();
  }
}

try {
  const db = source.db;
  await migrateToLatest(db);
  const t0 = performance.now();
  await seedItems(db, { items: ITEMS, organisations: 50, products: 500, lotsPerProduct: 100, withScans: true, say });
  // What the service writes with each scan: the stored answer under its Idempotency-Key (the shape and size, ~1.1 kB,
  // of a real one) and the audit row.
  await db.connection().execute(async (c) => {
    await sql`set session_replication_role = replica`.execute(c);
    await sql`
      insert into idempotency_keys (organisation_id, key, request_hash, status_code, response, created_at)
      select s.organisation_id, gen_random_uuid()::text, sha256(convert_to(s.raw, 'UTF8')), 201,
             jsonb_build_object(
               'scan', jsonb_build_object('id', s.id, 'procedureId', s.procedure_id, 'itemId', s.item_id, 'kind', s.kind, 'action', s.action,
                 'entryType', s.entry_type, 'raw', s.raw, 'issuingAgency', s.issuing_agency, 'di', s.di, 'lotNumber', s.lot_number,
                 'serialNumber', s.serial_number, 'expirationDate', s.expiration_date, 'manufacturingDate', null, 'scannedAt', s.scanned_at,
                 'recordedAt', s.recorded_at, 'scannerId', null, 'lateEntry', false, 'reason', null, 'voidsScanId', null),
               'item', jsonb_build_object('id', i.id, 'procedureId', i.procedure_id, 'action', i.action, 'status', 'active', 'issuingAgency', i.issuing_agency,
                 'di', i.di, 'gtin', i.gtin, 'hibc', null, 'lotNumber', i.lot_number, 'serialNumber', i.serial_number, 'expirationDate', i.expiration_date,
                 'manufacturingDate', null, 'entryType', i.entry_type, 'firstScannedAt', i.first_scanned_at, 'awaiting', null, 'decision', null,
                 'explantOfItemId', null, 'explantedByItemId', null),
               'warnings', '[]'::jsonb), s.recorded_at
      from scans s join items i on i.id = s.item_id`.execute(c);
    say(`  idempotency records ${seconds(t0).toFixed(0)} s`);
    await sql`
      insert into audit_events (occurred_at, request_id, actor_key_id, actor_organisation_id, actor_role, action, route, outcome,
                                organisation_id, patient_ids, procedure_ids, detail)
      select s.recorded_at, 'req-' || left(s.id::text, 8), s.actor_key_id, s.organisation_id, 'scanner', 'scan.record',
             'POST /v1/procedures/:id/scans', 'success', s.organisation_id, array[i.patient_id], array[s.procedure_id],
             jsonb_build_object('scanId', s.id, 'itemId', i.id)
      from scans s join items i on i.id = s.item_id`.execute(c);
    say(`  audit rows ${seconds(t0).toFixed(0)} s`);
    await sql`vacuum analyze`.execute(c);
    await sql`reset session_replication_role`.execute(c);
  });
  const counts = await rowCounts(source.url);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const dbSize = (await sql<{ size: string }>`select pg_size_pretty(pg_database_size(current_database())) as size`.execute(db)).rows[0]?.size;
  say(`source: ${total.toLocaleString('en-GB')} rows (${counts.get('scans')?.toLocaleString('en-GB')} scans), database ${dbSize}`);

  for (const level of LEVELS) {
    const file = path.join(work, `backup-${level}.gz`);
    let t = performance.now();
    const backup = await backupDatabase({ url: source.url, output: createWriteStream(file), compressionLevel: level });
    const backupSeconds = seconds(t);
    const size = (await stat(file)).size;
    t = performance.now();
    await verifyBackup(createReadStream(file));
    const checkSeconds = seconds(t);

    const targetDir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-bench-restore-'));
    const target = await startEmbeddedPostgres({ dataDir: targetDir, durable: true, settings: { shared_buffers: '2GB', max_wal_size: '4GB' } });
    try {
      t = performance.now();
      const restored = await restoreDatabase({ url: target.url, input: createReadStream(file), log: say });
      const restoreSeconds = seconds(t);
      const after = await rowCounts(target.url);
      const differ = [...counts].filter(([name, n]) => after.get(name) !== n).map(([name]) => name);
      if (differ.length > 0) throw new Error(`row counts differ after the restore: ${differ.join(', ')}`);
      say(
        `| gzip ${level} | ${backup.rows.toLocaleString('en-GB')} | ${(size / 1024 / 1024).toFixed(0)} MiB | ${backupSeconds.toFixed(1)} s ` +
          `(${Math.round(backup.rows / backupSeconds).toLocaleString('en-GB')} rows/s) | ${checkSeconds.toFixed(1)} s | ${restoreSeconds.toFixed(1)} s ` +
          `(${Math.round(restored.rows / restoreSeconds).toLocaleString('en-GB')} rows/s; ${restored.transactionIdsAdvanced.toLocaleString('en-GB')} transaction ids advanced) | every table's count equal |`,
      );
    } finally {
      await target.stop();
      await rm(targetDir, { recursive: true, force: true });
      await rm(file, { force: true });
    }
  }
  say(`peak RSS of this process (seeding, backup, check and restore): ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  say(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
} finally {
  await source.close();
  await rm(work, { recursive: true, force: true });
}
