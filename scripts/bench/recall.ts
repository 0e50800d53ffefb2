/**
 * Recall queries at national scale: seeds 10 million implanted items across
 * 50 organisations on a real Postgres, then measures
 *   - the affected-patient query for one batch (GTIN + lot, ~200 patients): p50, p99,
 *     cold (right after loading) and warm (tables prewarmed into shared_buffers);
 *   - the CSV export, in rows per second.
 * It runs the service's own code (the recall repository and the COPY-based CSV export).
 *
 *   npm run bench:recall                      (embedded throwaway cluster, fsync off)
 *   BENCH_DATABASE_URL=postgres://… npm run bench:recall
 *   BENCH_ITEMS=1000000 npm run bench:recall  (a smaller run)
 *
 * The data is generated inside Postgres by ./seed.ts.
 */
import os from 'node:os';
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrator.js';
import { copyAffectedCsv } from '../../src/modules/recalls/recall.export.js';
import { affectedItems } from '../../src/modules/recalls/recall.repository.js';
import { openBenchDatabase, seedItems } from './seed.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 10_000_000);
const ORGANISATIONS = 50;
const PRODUCTS = 500;
const LOTS_PER_PRODUCT = 100; // ITEMS / (PRODUCTS * LOTS) items per batch: 200 at 10 M
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);

const say = (m: string) => process.stderr.write(`${m}\n`);
const gtin = (n: number) => `0950600${String(n).padStart(7, '0')}`;

// Memory for a 10-million-item database on a 24 GiB machine, as a production server would be set.
const bench = await openBenchDatabase({ shared_buffers: '8GB', effective_cache_size: '16GB', work_mem: '64MB', max_parallel_workers_per_gather: '2' }, say);
const db = bench.db;

try {
  await migrateToLatest(db);
  const existing = Number((await sql<{ n: string }>`select count(*) as n from items`.execute(db)).rows[0]?.n ?? 0);
  if (existing < ITEMS) await seedItems(db, { items: ITEMS, organisations: ORGANISATIONS, products: PRODUCTS, lotsPerProduct: LOTS_PER_PRODUCT, say });
  const counted = Number((await sql<{ n: string }>`select count(*) as n from items`.execute(db)).rows[0]?.n ?? 0);

  // Affected-patient query: one batch, the national view (the widest), over distinct random batches.
  const national = { kind: 'national' as const };
  const batches = Array.from({ length: QUERIES }, (_, q) => ({ gtin: gtin((q * 37 + 11) % PRODUCTS), lots: [`L${(q * 13 + 7) % LOTS_PER_PRODUCT}`] }));
  async function measure(): Promise<{ p50: number; p99: number; rowsPerBatch: number }> {
    const timings: number[] = [];
    let rows = 0;
    for (const scope of batches) {
      const t = performance.now();
      rows += (await affectedItems(db, { scopes: [scope], tenancy: national, limit: 1000 })).length;
      timings.push(performance.now() - t);
    }
    timings.sort((a, b) => a - b);
    const pct = (p: number) => timings[Math.min(timings.length - 1, Math.floor((p / 100) * timings.length))] ?? 0;
    return { p50: pct(50), p99: pct(99), rowsPerBatch: rows / timings.length };
  }
  // Cold: straight after loading, the pages of each batch come from the OS, not Postgres's buffers.
  const cold = await measure();
  // Warm: the tables and indexes loaded into shared_buffers (pg_prewarm), as on a server that has run a while.
  await sql`create extension if not exists pg_prewarm`.execute(db);
  for (const relation of ['items', 'items_recall_register', 'organisations', 'locations', 'staff']) {
    await sql`select pg_prewarm(${relation})`.execute(db);
  }
  const warm = await measure();

  // CSV export: all lots of several products, streamed and discarded.
  const exportScopes = [0, 1, 2, 3, 4].map((n) => ({ gtin: gtin(n), allLots: true as const }));
  const t1 = performance.now();
  let exported = -1; // the header line
  for await (const chunk of await copyAffectedCsv(db, { scopes: exportScopes, tenancy: national })) {
    const bytes = chunk as Buffer;
    for (let k = bytes.indexOf(10); k !== -1; k = bytes.indexOf(10, k + 1)) exported++;
  }
  const exportSeconds = (performance.now() - t1) / 1000;

  const lines = [
    `Recall queries on ${counted.toLocaleString('en-GB')} implanted items, ${ORGANISATIONS} organisations (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}).`,
    '',
    '| measure | result |',
    '|---|---:|',
    `| affected-patient query, one batch (GTIN + lot, ${cold.rowsPerBatch.toFixed(0)} rows), national view, cold: p50 / p99 | ${cold.p50.toFixed(2)} ms / ${cold.p99.toFixed(2)} ms |`,
    `| … warm (tables in shared_buffers): p50 / p99 | ${warm.p50.toFixed(2)} ms / ${warm.p99.toFixed(2)} ms |`,
    `| CSV export (5 products, all lots) | ${exported.toLocaleString('en-GB')} rows in ${exportSeconds.toFixed(2)} s = ${Math.round(exported / exportSeconds).toLocaleString('en-GB')} rows/s |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await bench.close();
}
