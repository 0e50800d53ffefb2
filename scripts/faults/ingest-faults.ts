/**
 * The long fault run: scanners send N scans over real HTTP while Postgres
 * connections are killed and Postgres itself crashes and restarts, then the
 * database is reconciled against what the scanners were told. The suite runs
 * the same checks briefly (test/integration/faults.test.ts); this prints the
 * figures docs/BENCHMARKS.md publishes.
 *
 *   npm run faults
 *   FAULT_SCANS=20000 FAULT_SCANNERS=50 FAULT_CRASHES=5 npm run faults
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/create-db.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { ensureBootstrapKey } from '../../src/modules/api-keys/api-key.service.js';
import { killServiceConnections, reconcile, runLoad, setUpTrust, type LoadReport, type Reconciliation } from '../bench/scanners.js';

const N = Number(process.env.FAULT_SCANS ?? 10_000);
const SCANNERS = Number(process.env.FAULT_SCANNERS ?? 50);
const CRASHES = Number(process.env.FAULT_CRASHES ?? 3);
const ADMIN_KEY = 'fault-run-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';
const say = (m: string) => process.stderr.write(`${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-fault-run-'));
let server: RunningPostgres = await startEmbeddedPostgres({ dataDir, durable: true, database: 'faults' });
const db = createDb({ url: server.url, poolSize: 10 });
const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', EXPORT_DIR: path.join(dataDir, 'exports') }), db });
let failed = false;
try {
  await migrateToLatest(db);
  await ensureBootstrapKey(db, ADMIN_KEY);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const rows: Array<{ fault: string; injected: string; report: LoadReport; sum: Reconciliation; seconds: number }> = [];

  // 1. Connections killed, every 100 ms, for the whole run.
  {
    const scannerKey = await setUpTrust(url, ADMIN_KEY, 'RKILL');
    let done = false;
    const t0 = performance.now();
    const load = runLoad({ url, scannerKey, target: 'scans', scanners: SCANNERS, totalScans: N, warmupMs: 0, seed: 1, retryDelayMs: 50 }).finally(() => (done = true));
    let killed = 0;
    let busy = 0;
    while (!done) {
      await sleep(100);
      const k = await killServiceConnections(server.adminUrl, 'faults');
      killed += k.killed;
      busy += k.busy;
    }
    const report = await load;
    rows.push({ fault: 'connections killed every 100 ms', injected: `${killed} killed (${busy} mid-query)`, report, sum: await reconcile(db, 'RKILL', report.acknowledgedKeys ?? []), seconds: (performance.now() - t0) / 1000 });
  }

  // 2. Postgres crashes (immediate stop: no clean shutdown) and restarts, CRASHES times, down 2 s each.
  {
    const scannerKey = await setUpTrust(url, ADMIN_KEY, 'RCRASH');
    let done = false;
    const t0 = performance.now();
    const load = runLoad({ url, scannerKey, target: 'scans', scanners: SCANNERS, totalScans: N, warmupMs: 0, seed: 2, retryDelayMs: 100 }).finally(() => (done = true));
    let crashes = 0;
    let answered503 = 0;
    while (!done && crashes < CRASHES) {
      await sleep(1500);
      if (done) break;
      const port = server.port;
      await server.stop('immediate');
      crashes++;
      const down = await fetch(`${url}/ready`);
      if (down.status === 503) answered503++;
      await sleep(2000);
      server = await startEmbeddedPostgres({ dataDir, durable: true, database: 'faults', port });
    }
    const report = await load;
    const ready = (await fetch(`${url}/ready`)).status;
    rows.push({
      fault: `Postgres crashed and restarted ${crashes}×, down 2 s each`,
      injected: `${crashes} crashes; /ready answered 503 while down ${answered503}/${crashes}; ${ready} after`,
      report,
      sum: await reconcile(db, 'RCRASH', report.acknowledgedKeys ?? []),
      seconds: (performance.now() - t0) / 1000,
    });
  }

  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, embedded PostgreSQL (fsync on), ${SCANNERS} scanners retrying with their Idempotency-Keys:`,
    '',
    '| fault | N | injected | retries | answered 201 / 422 | acknowledged (distinct) | stored | lost | duplicated | time |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.fault} | ${N.toLocaleString('en-GB')} | ${r.injected} | ${r.report.retries.toLocaleString('en-GB')} | ${(r.report.byStatus['201'] ?? 0).toLocaleString('en-GB')} / ${(r.report.byStatus['422'] ?? 0).toLocaleString('en-GB')} | ${r.sum.acknowledged.toLocaleString('en-GB')} | ${r.sum.stored.toLocaleString('en-GB')} | ${r.sum.lost} | ${r.sum.duplicated} | ${r.seconds.toFixed(0)} s |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const r of rows) {
    const answered = Object.values(r.report.byStatus).reduce((a, b) => a + b, 0);
    if (r.sum.lost !== 0 || r.sum.duplicated !== 0 || r.report.unexpected !== 0 || answered !== N) {
      say(`FAILED: ${r.fault}: lost ${r.sum.lost}, duplicated ${r.sum.duplicated}, unexpected ${r.report.unexpected}, answered ${answered} of ${N}`);
      failed = true;
    }
  }
} finally {
  await app.close();
  await db.destroy();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
