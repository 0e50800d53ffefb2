/**
 * Registry feeds at scale: seeds 1 million implanted items (500,000 patients,
 * procedures and their scans; half the patients consented to NJR) on a real
 * Postgres, then measures, with the service's own code:
 *   - a full FHIR Bulk Data export for a national NJR key (Patient, Procedure,
 *     Device, Location NDJSON files written to disk), in items per second, and
 *     the process's peak memory while it runs (the export streams);
 *   - reading the whole change feed from the start in pages of 1,000
 *     procedures (each page audited, as in production), in items per second.
 * Each is run BENCH_RUNS times (default 3); medians are reported.
 *
 *   npm run bench:feed
 *   BENCH_ITEMS=200000 npm run bench:feed        (a smaller run)
 *   BENCH_DATABASE_URL=postgres://… npm run bench:feed
 */
import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrator.js';
import { FHIR_EXPORT_TYPES } from '../../src/domain/vocabulary.js';
import { BulkExporter } from '../../src/modules/fhir/bulk-export.js';
import { findJob, insertJob } from '../../src/modules/fhir/fhir.repository.js';
import { readFeed } from '../../src/modules/feeds/feed.service.js';
import { systemClock } from '../../src/shared/clock.js';
import type { RequestContext } from '../../src/shared/actor.js';
import { openBenchDatabase, seedItems } from './seed.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const say = (m: string) => process.stderr.write(`${m}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const bench = await openBenchDatabase({ shared_buffers: '4GB', effective_cache_size: '16GB', work_mem: '64MB' }, say);
const db = bench.db;

try {
  await migrateToLatest(db);
  const existing = Number((await sql<{ n: string }>`select count(*) as n from items`.execute(db)).rows[0]?.n ?? 0);
  if (existing < ITEMS) {
    await seedItems(db, { items: ITEMS, organisations: 50, products: 500, lotsPerProduct: 100, withScans: true, say });
  }
  const items = Number((await sql<{ n: string }>`select count(*) as n from items`.execute(db)).rows[0]?.n ?? 0);

  // A national NJR key, and consent to NJR for every other patient.
  const key = await db
    .insertInto('api_keys')
    .values({ name: `bench registry ${randomUUID()}`, role: 'registry', national: true, organisation_id: null, registry_code: 'NJR', key_hash: createHash('sha256').update(randomUUID()).digest(), key_prefix: 'bench', created_by: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  const consents = Number((await sql<{ n: string }>`select count(*) as n from consents`.execute(db)).rows[0]?.n ?? 0);
  if (consents === 0) {
    await db.connection().execute(async (c) => {
      await sql`set session_replication_role = replica`.execute(c);
      await sql`
        insert into consents (nhs_number, registry_code, status, recorded_at, organisation_id, actor_key_id)
        select nhs_number, 'NJR', 'granted', now(), organisation_id, ${key.id} from patients where right(nhs_number, 1)::int % 2 = 0`.execute(c);
    });
  }
  await sql`vacuum analyze`.execute(db);

  const log = { info: () => undefined, warn: (o: object, m: string) => say(`${m} ${JSON.stringify(o)}`), error: (o: object, m: string) => say(`${m} ${JSON.stringify(o)}`) };
  // The export runs as the service runs it: a job taken from the database, its files written to the database.
  const exporter = new BulkExporter(db, { ttlHours: 1, clock: systemClock, log, workers: 1, leaseSeconds: 60, pollSeconds: 3600 });

  const exportRuns: { seconds: number; devices: number; peakRss: number; output: string }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const job = await insertJob(db, {
      registryCode: 'NJR',
      organisationId: null,
      actorKeyId: key.id,
      requestUrl: 'bench',
      types: [...FHIR_EXPORT_TYPES],
      since: null,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
    const t0 = performance.now();
    if (!(await exporter.runNext())) throw new Error('the export was not taken');
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const done = await findJob(db, job.id);
    if (done?.status !== 'completed') throw new Error(`export ${job.id}: ${done?.status ?? 'missing'} ${done?.error ?? ''}`);
    const devices = done.output.find((o) => o.type === 'Device')?.count ?? 0;
    exportRuns.push({ seconds, devices, peakRss, output: done.output.map((o) => `${o.type} ${o.count.toLocaleString('en-GB')}`).join(', ') });
    say(`export run ${run + 1}: ${seconds.toFixed(1)} s, ${Math.round(devices / seconds).toLocaleString('en-GB')} items/s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    await exporter.cancel(job.id);
  }

  const ctx: RequestContext = {
    requestId: 'bench',
    route: 'GET /v1/feeds/procedures',
    actor: { keyId: key.id, keyName: 'bench', role: 'registry', national: true, organisationId: null, odsCode: null, registryCode: 'NJR' },
  };
  const feedRuns: { seconds: number; items: number; pages: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    let after: string | undefined;
    let count = 0;
    let pages = 0;
    for (;;) {
      const page = await readFeed(db, ctx, { registry: 'NJR', after, limit: 1000 });
      pages++;
      for (const e of page.entries) count += e.procedure?.items.length ?? 0;
      if (!page.hasMore || page.nextCursor === null) break;
      after = page.nextCursor;
    }
    const seconds = (performance.now() - t0) / 1000;
    feedRuns.push({ seconds, items: count, pages });
    say(`feed run ${run + 1}: ${seconds.toFixed(1)} s, ${Math.round(count / seconds).toLocaleString('en-GB')} items/s over ${pages} pages`);
  }

  const ex = exportRuns.map((r) => r.devices / r.seconds);
  const fd = feedRuns.map((r) => r.items / r.seconds);
  const lines = [
    `Registry feeds on ${items.toLocaleString('en-GB')} implanted items (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}); median of ${RUNS} runs.`,
    '',
    '| measure | result |',
    '|---|---:|',
    `| FHIR Bulk Data export, national NJR, all types (${exportRuns[0]?.output ?? ''}) | ${median(exportRuns.map((r) => r.seconds)).toFixed(1)} s = **${Math.round(median(ex)).toLocaleString('en-GB')} items/s** (runs: ${ex.map((x) => Math.round(x).toLocaleString('en-GB')).join(', ')}) |`,
    `| … peak RSS of the process during the export | ${(median(exportRuns.map((r) => r.peakRss)) / 2 ** 20).toFixed(0)} MiB |`,
    `| change feed from the start, pages of 1,000 procedures (${feedRuns[0]?.pages ?? 0} pages, audited) | ${median(feedRuns.map((r) => r.seconds)).toFixed(1)} s = **${Math.round(median(fd)).toLocaleString('en-GB')} items/s** (runs: ${fd.map((x) => Math.round(x).toLocaleString('en-GB')).join(', ')}) |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await bench.close();
}
