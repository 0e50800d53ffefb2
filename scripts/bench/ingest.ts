/**
 * Scan ingestion end to end, against its baseline, in one run:
 *   - the service (this process): HTTP, auth, JSON schema, the barcode parser,
 *     the scan checks (expiry, recalls, serial elsewhere, double scans, split
 *     labels), the ledger insert, the audit row and the idempotency record;
 *   - the baseline: a route in the same process, on the same pool, that only
 *     inserts the request as one row in one transaction;
 *   - 50 concurrent scanners in a separate process (./ingest-load.ts), with the
 *     realistic mix of ./scan-mix.ts; Postgres durable (fsync and
 *     synchronous_commit on, as shipped).
 *   - the service again, for a second trust whose catalogue describes its products
 *     clinically, so the compatibility checks run on every implant scanned (their
 *     cost is the difference between the two service rows).
 * Runs alternate baseline / service / described BENCH_RUNS times; the table reports medians.
 *
 *   npm run bench:ingest
 *   BENCH_RUNS=5 BENCH_SECONDS=30 BENCH_SCANNERS=50 npm run bench:ingest
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { ensureBootstrapKey } from '../../src/modules/api-keys/api-key.service.js';
import { setUpTrust, type LoadOptions, type LoadReport } from './scanners.js';
import { EXPIRED_LOT } from '../data/scan-mix.js';
import { openBenchDatabase } from './seed.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const SCANNERS = Number(process.env.BENCH_SCANNERS ?? 50);
const POOL = process.env.DATABASE_POOL_SIZE ?? '10';
const ADMIN_KEY = 'bench-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';

const say = (m: string) => process.stderr.write(`${m}\n`);

const bench = await openBenchDatabase({ shared_buffers: '1GB', ...(process.env.BENCH_PG_STATS === '1' ? { shared_preload_libraries: 'pg_stat_statements' } : {}) }, say, { durable: true, poolSize: Number(POOL) });
const db = bench.db;
try {
  await migrateToLatest(db);
  await ensureBootstrapKey(db, ADMIN_KEY);
  const settings = await sql<{ name: string; setting: string }>`
    select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'server_version')`.execute(db);
  const pgSettings = Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]));
  say(`postgres: ${JSON.stringify(pgSettings)}`);
  if (pgSettings.fsync !== 'on' || pgSettings.synchronous_commit !== 'on') throw new Error('the ingestion benchmark needs fsync and synchronous_commit on');
  await sql`create table if not exists bench_baseline (id bigint generated always as identity primary key, idempotency_key text not null, body jsonb not null, created_at timestamptz not null default now())`.execute(db);

  const discard = { write: () => undefined };
  const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'info', DATABASE_POOL_SIZE: POOL, DATA_DIR: os.tmpdir() }), db, logStream: discard });
  // The baseline: the same HTTP, JSON and pool, then one row in one transaction, nothing else.
  app.post('/bench/baseline', { config: { access: 'public' } }, async (req, reply) => {
    const key = String(req.headers['idempotency-key'] ?? '');
    const row = await sql<{ id: string }>`insert into bench_baseline (idempotency_key, body) values (${key}, ${JSON.stringify(req.body)}) returning id`.execute(db);
    return reply.code(201).send({ id: row.rows[0]?.id });
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  const scannerKey = await setUpTrust(url, ADMIN_KEY);
  const describedKey = await setUpTrust(url, ADMIN_KEY, 'RCLIN', { clinical: true });
  say(`service on ${url}; pool ${POOL}; ${SCANNERS} scanners; ${RUNS} runs of ${SECONDS} s (+${WARMUP_SECONDS} s warm-up); expired lot ${EXPIRED_LOT}`);

  const load = (options: LoadOptions) =>
    new Promise<LoadReport>((resolve, reject) => {
      const child = fork(fileURLToPath(new URL('./ingest-load.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let report: LoadReport | undefined;
      child.on('message', (m) => (report = m as LoadReport));
      child.on('exit', (code) => (report ? resolve(report) : reject(new Error(`load process exited ${code}`))));
      child.send(options);
    });

  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
  const results: Record<'baseline' | 'scans' | 'described', LoadReport[]> = { baseline: [], scans: [], described: [] };
  for (let run = 1; run <= RUNS; run++) {
    for (const target of ['baseline', 'scans', 'described'] as const) {
      const r = await load({
        url,
        scannerKey: target === 'described' ? describedKey : scannerKey,
        target: target === 'baseline' ? 'baseline' : 'scans',
        scanners: SCANNERS,
        durationMs: (SECONDS + WARMUP_SECONDS) * 1000,
        warmupMs: WARMUP_SECONDS * 1000,
        // Distinct seeds: a serial of one trust's run must not be implanted already by the other's.
        seed: run * 10 + { scans: 1, baseline: 2, described: 3 }[target],
      });
      results[target].push(r);
      say(
        `run ${run} ${target.padEnd(8)} ${r.perSecond.toFixed(0).padStart(6)}/s  p50 ${r.p50.toFixed(1)} ms  p95 ${r.p95.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  max ${r.max.toFixed(0)} ms  ${JSON.stringify(r.byStatus)}  unexpected ${r.unexpected}`,
      );
      if (r.unexpected > 0) throw new Error(`${r.unexpected} scans got an answer a correct service does not give`);
      // Let the checkpointer and autovacuum settle between runs alike.
      await sql`checkpoint`.execute(db);
    }
  }
  clearInterval(rssTimer);

  // Reconcile: every new record acknowledged is one scan row, no more, no fewer.
  const acknowledgedNew = [...results.scans, ...results.described].reduce((s, r) => s + r.newRecords, 0);
  const stored = Number((await sql<{ n: string }>`select count(*) as n from scans where kind = 'product'`.execute(db)).rows[0]?.n ?? 0);
  const audited = Number((await sql<{ n: string }>`select count(*) as n from audit_events where action = 'scan.record'`.execute(db)).rows[0]?.n ?? 0);
  say(`reconciliation: ${acknowledgedNew} scans acknowledged as new records; ${stored} scan rows; ${audited} audit rows`);
  if (stored !== acknowledgedNew || audited !== acknowledgedNew) throw new Error('acknowledged scans and stored rows differ');

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const row = (name: string, rs: LoadReport[]) => {
    const rate = median(rs.map((r) => r.perSecond));
    return `| ${name} | ${Math.round(rate).toLocaleString('en-GB')} | ${Math.round(Math.min(...rs.map((r) => r.perSecond))).toLocaleString('en-GB')} | ${Math.round(Math.max(...rs.map((r) => r.perSecond))).toLocaleString('en-GB')} | ${median(rs.map((r) => r.p50)).toFixed(1)} | ${median(rs.map((r) => r.p95)).toFixed(1)} | ${median(rs.map((r) => r.p99)).toFixed(1)} |`;
  };
  const scansRate = median(results.scans.map((r) => r.perSecond));
  const baseRate = median(results.baseline.map((r) => r.perSecond));
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, PostgreSQL ${pgSettings.server_version ?? '?'} (fsync ${pgSettings.fsync}, synchronous_commit ${pgSettings.synchronous_commit}), pool ${POOL}, ${SCANNERS} scanners, ${RUNS} runs of ${SECONDS} s:`,
    '',
    '| route | scans/s (median) | min | max | p50 ms | p95 ms | p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    row('POST /v1/procedures/{id}/scans (the service)', results.scans),
    row('… with a clinically described catalogue (compatibility checks on every implant)', results.described),
    row('baseline: one INSERT per transaction', results.baseline),
    '',
    `Service / baseline: ${(scansRate / baseRate).toFixed(2)}; described / service: ${(median(results.described.map((r) => r.perSecond)) / scansRate).toFixed(2)}. Peak RSS of the service process (with Postgres client, without Postgres): ${Math.round(peakRss / 2 ** 20)} MiB. Reconciled: ${acknowledgedNew.toLocaleString('en-GB')} new scans acknowledged = ${stored.toLocaleString('en-GB')} rows = ${audited.toLocaleString('en-GB')} audit rows.`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  await app.close();
} finally {
  await bench.close();
}
