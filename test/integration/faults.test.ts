/**
 * Faults under load, on a Postgres of this test's own (it is killed and
 * restarted, so not the suite's shared one): scanners send N scans over real
 * HTTP and retry with their Idempotency-Keys as a scanner does; afterwards
 * every acknowledged scan is stored exactly once. The longer run with the
 * published figures is `npm run faults` (scripts/faults/ingest-faults.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/create-db.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { ensureBootstrapKey } from '../../src/modules/api-keys/api-key.service.js';
import { killServiceConnections, reconcile, runLoad, setUpTrust } from '../../scripts/bench/scanners.js';

const ADMIN_KEY = 'faults-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('faults', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-faults-'));
  // Durable, as in production: an acknowledged scan must survive a crash of the server.
  let server: RunningPostgres = await startEmbeddedPostgres({ dataDir, durable: true, database: 'faults' });
  t.teardown(async () => {
    await server.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });
  const db = createDb({ url: server.url, poolSize: 10 });
  t.teardown(() => db.destroy());
  await migrateToLatest(db);
  await ensureBootstrapKey(db, ADMIN_KEY);
  const logs: string[] = [];
  const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'info' }), db, logStream: { write: (l) => void logs.push(l) } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());

  t.test('connections killed mid-load: N scans, exactly N stored', async (t) => {
    const scannerKey = await setUpTrust(url, ADMIN_KEY, 'RKILL');
    const N = 400;
    let done = false;
    const load = runLoad({ url, scannerKey, target: 'scans', scanners: 16, totalScans: N, warmupMs: 0, seed: 7, retryDelayMs: 20 }).finally(() => (done = true));
    let killed = 0;
    let killedBusy = 0;
    while (!done) {
      await sleep(40);
      const k = await killServiceConnections(server.adminUrl, 'faults');
      killed += k.killed;
      killedBusy += k.busy;
    }
    const report = await load;
    const sum = await reconcile(db, 'RKILL', report.acknowledgedKeys ?? []);
    t.comment(`N ${N}, connections killed ${killed} (${killedBusy} mid-query), retries ${report.retries}, acknowledged ${sum.acknowledged}, stored ${sum.stored}, lost ${sum.lost}, duplicated ${sum.duplicated}`);
    t.ok(killedBusy > 0, 'connections were killed while they worked');
    t.equal(report.unexpected, 0, 'every scan got the answer a correct service gives');
    t.equal(sum.lost, 0, 'lost = 0');
    t.equal(sum.duplicated, 0, 'duplicated = 0');
    t.equal(sum.stored, sum.acknowledged, 'as many stored as acknowledged');
    t.same(Object.keys(report.byStatus).sort(), ['201', '422'], 'answers of record only: recorded, or refused as unreadable');
    t.equal((report.byStatus['201'] ?? 0) + (report.byStatus['422'] ?? 0), N, 'every one of the N scans was answered');
  });

  t.test('Postgres crashes and restarts mid-run: 503 while down, recovery by itself, exactly N stored', async (t) => {
    const scannerKey = await setUpTrust(url, ADMIN_KEY, 'RCRASH');
    const N = 400;
    const load = runLoad({ url, scannerKey, target: 'scans', scanners: 16, totalScans: N, warmupMs: 0, seed: 11, retryDelayMs: 50 });
    await sleep(400);
    const port = server.port;
    await server.stop('immediate');

    // While it is down: 503 problem+json, retry-after, nothing internal.
    const ready = await fetch(`${url}/ready`);
    t.equal(ready.status, 503);
    const scanWhileDown = await fetch(`${url}/v1/procedures/00000000-0000-4000-8000-000000000000/scans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scannerKey}`, 'content-type': 'application/json', 'idempotency-key': 'while-down' },
      body: JSON.stringify({ barcode: '0109506000134352', action: 'implanted' }),
    });
    t.equal(scanWhileDown.status, 503);
    t.equal(scanWhileDown.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    t.equal(scanWhileDown.headers.get('retry-after'), '5');
    const problem = (await scanWhileDown.json()) as { code: string; detail: string };
    t.equal(problem.code, 'DATABASE_UNAVAILABLE');
    t.notMatch(JSON.stringify(problem), /ECONNREFUSED|127\.0\.0\.1|password|postgres:\/\//, 'no connection details');

    await sleep(800);
    server = await startEmbeddedPostgres({ dataDir, durable: true, database: 'faults', port });
    const report = await load;
    const sum = await reconcile(db, 'RCRASH', report.acknowledgedKeys ?? []);
    t.comment(`N ${N}, retries ${report.retries} (503s and transport errors), acknowledged ${sum.acknowledged}, stored ${sum.stored}, lost ${sum.lost}, duplicated ${sum.duplicated}`);
    t.ok(report.retries > 0, 'the scanners met the outage and retried');
    t.equal(report.unexpected, 0);
    t.equal(sum.lost, 0, 'lost = 0: every acknowledged scan survived the crash');
    t.equal(sum.duplicated, 0, 'duplicated = 0');
    t.equal((report.byStatus['201'] ?? 0) + (report.byStatus['422'] ?? 0), N, 'every one of the N scans was answered');
    t.equal((await fetch(`${url}/ready`)).status, 200, 'ready again, without restarting the service');
    t.notMatch(logs.join(''), /INTERNAL_ERROR/, 'no request failed with a 500');
  });

  t.test('shutdown drains: scans in flight when the service closes are answered and stored', async (t) => {
    const scannerKey = await setUpTrust(url, ADMIN_KEY, 'RDRAIN');
    const second = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), db });
    let received = 0;
    second.addHook('onRequest', async () => void received++);
    const secondUrl = await second.listen({ host: '127.0.0.1', port: 0 });
    const opened = await fetch(`${secondUrl}/v1/procedures`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scannerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ patient: { nhsNumber: '9434765919' } }),
    });
    const procedureId = ((await opened.json()) as { id: string }).id;
    received = 0;
    const keys = Array.from({ length: 40 }, (_, i) => `drain-${i}`);
    const answers = keys.map((key, i) =>
      fetch(`${secondUrl}/v1/procedures/${procedureId}/scans`, {
        method: 'POST',
        headers: { authorization: `Bearer ${scannerKey}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ barcode: `]d2010950600013435221DRAIN-${i}`, action: 'implanted', scannerId: 'D' }),
      }).then(async (r) => ({ status: r.status, body: await r.text(), connection: r.headers.get('connection') })),
    );
    while (received < keys.length) await sleep(1);
    await second.close();
    const results = await Promise.all(answers);
    // Answers given while the service closes end their connections: the close waits for no idle keep-alive client.
    t.ok(results.some((r) => r.connection === 'close'), 'answers during the close say Connection: close');
    t.same(
      results.map((r) => r.status),
      keys.map(() => 201),
      'every scan received before the close was answered 201',
    );
    const sum = await reconcile(db, 'RDRAIN', keys);
    t.match(sum, { acknowledged: 40, stored: 40, lost: 0, duplicated: 0 });
  });
});
