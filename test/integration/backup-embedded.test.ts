/**
 * The embedded database, through the commands an operator runs: the service
 * runs on DATA_DIR and takes scans while `npm run backup` copies it; the
 * service stops, DATA_DIR is deleted; `npm run restore` brings it back into
 * an empty DATA_DIR; the service starts on it and answers as before. The
 * new cluster's transaction ids start low: the restore moves them past the
 * backup's, or a registry holding a feed cursor would miss what comes next.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { backupSource, restoreTarget } from '../../src/db/backup/target.js';
import { runningEmbeddedPostgres, stopEmbeddedPostgres } from '../../src/db/embedded.js';
import { countsPrinted, fingerprint, rowsOf, runScript, startWriters, withClient } from '../helpers/backup.js';
import { startServer } from '../helpers/server-process.js';
import { GS, GTIN, GTIN_B, nhsNumber } from '../helpers/theatre.js';

const BOOTSTRAP = 'bootstrap-secret-for-the-backup-test-000000001';

async function call(base: string, method: string, url: string, body?: unknown, key = BOOTSTRAP, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are checked by the assertions
  const json: Record<string, any> = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: res.status, body: json, text };
}

async function must(base: string, method: string, url: string, body: unknown, key: string, status: number) {
  const res = await call(base, method, url, body, key, { 'idempotency-key': crypto.randomUUID() });
  if (res.status !== status) throw new Error(`${method} ${url}: ${res.status} ${res.text}`);
  return res.body;
}

async function drainFeed(base: string, key: string, after: string | null) {
  const procedures: string[] = [];
  let cursor = after;
  for (;;) {
    const res = await call(base, 'GET', `/v1/feeds/procedures?registry=NJR&limit=50${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`, undefined, key);
    if (res.status !== 200) throw new Error(`feed: ${res.status} ${res.text}`);
    procedures.push(...(res.body.entries as Array<{ procedureId: string }>).map((e) => e.procedureId));
    cursor = res.body.nextCursor as string | null;
    if (res.body.hasMore !== true) return { procedures, cursor };
  }
}

t.test('the embedded database: backed up while the service takes scans, DATA_DIR deleted, restored into an empty one, served again', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-backup-embedded-'));
  const backups = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-backups-'));
  t.teardown(async () => {
    await stopEmbeddedPostgres(dataDir);
    await rm(dataDir, { recursive: true, force: true });
    await rm(backups, { recursive: true, force: true });
  });
  const env = { DATA_DIR: dataDir, BOOTSTRAP_ADMIN_KEY: BOOTSTRAP };
  const first = await startServer(env);
  t.teardown(() => void first.child.kill('SIGKILL'));
  const base = first.url;

  await must(base, 'POST', '/v1/organisations', { odsCode: 'RRK', name: 'Example Trust' }, BOOTSTRAP, 201);
  const key = async (role: string, extra: object = {}) => (await must(base, 'POST', '/v1/api-keys', { name: role, role, organisation: 'RRK', ...extra }, BOOTSTRAP, 201)).key as string;
  const scanner = await key('scanner');
  const procurement = await key('procurement');
  const registry = await key('registry', { registry: 'NJR' });
  await must(base, 'PUT', `/v1/products/${GTIN}`, { brand: 'Hip Stem X', manufacturer: 'Acme', implantable: true }, procurement, 200);
  for (let k = 0; k < 4; k++) {
    const proc = await must(base, 'POST', '/v1/procedures', { patient: { nhsNumber: nhsNumber(50_000 + k) }, location: { gln: '9506000134369' }, side: 'left' }, scanner, 201);
    await must(base, 'POST', `/v1/procedures/${proc.id}/scans`, { barcode: `]d201${GTIN}17301231` + `10L${k % 2}${GS}21S-${k}` }, scanner, 201);
  }
  const recall = await must(base, 'POST', '/v1/recalls', { reference: 'FSN-EMB-1', title: 'Lot L1', scope: [{ gtin: GTIN, lots: ['L1'] }] }, procurement, 201);
  const affected = async (at: string) => {
    const answer = (await call(at, 'GET', `/v1/recalls/${recall.id}/patients?limit=100`, undefined, procurement)).body;
    // When it was asked, not what it says.
    delete answer.asOf;
    return answer;
  };
  const answerBefore = await affected(base);
  const open = await must(base, 'POST', '/v1/procedures', { patient: { nhsNumber: nhsNumber(50_100) } }, scanner, 201);

  const writers = startWriters(async (body, idempotencyKey) => {
    const res = await call(base, 'POST', `/v1/procedures/${open.id}/scans`, body, scanner, { 'idempotency-key': idempotencyKey });
    return { status: res.status, scanId: (res.body as { scan?: { id: string } }).scan?.id, text: res.text };
  });
  await writers.waitFor(10);
  // A registry that has read the feed up to now, as the backup begins.
  const feedAtBackup = await drainFeed(base, registry, null);
  const file = path.join(backups, 'embedded.backup.gz');
  const backup = await runScript('backup', ['--out', file], { DATA_DIR: dataDir });
  const ackedAtEnd = writers.acked.length;
  await writers.waitFor(ackedAtEnd + 3);
  await writers.stop();
  t.equal(backup.code, 0, `exit 0${backup.code === 0 ? '' : `: ${backup.stderr}`}`);
  t.match(backup.stderr, /backup: backing up the embedded database in \S+ \(running, port \d+\)/, 'beside the running service, on its server');
  const { password } = JSON.parse(await readFile(path.join(dataDir, 'postgres-credentials.json'), 'utf8')) as { password: string };
  t.notOk(backup.stderr.includes(password), 'the database password is never printed');
  t.equal((await stat(file)).mode & 0o777, 0o600, 'the file (patient data, key hashes, registry secrets) is readable by its owner only');
  t.notOk(existsSync(`${file}.partial`), 'written as .partial, renamed once complete');
  const inFile = countsPrinted(backup.stderr);

  const running = await runningEmbeddedPostgres(dataDir);
  if (!running) throw new Error('the service’s embedded database is not running');
  const live = rowsOf(await withClient(running.url, fingerprint));
  t.ok((live.scans ?? 0) > (inFile.scans ?? 0), `the service went on taking scans (${inFile.scans} in the backup, ${live.scans} at the end)`);
  // A scan also takes its unit from stock at the point of use: the ledger and stock on hand move with it.
  const written = new Set(['scans', 'items', 'idempotency_keys', 'audit_events', 'stock_movements', 'stock_on_hand']);
  t.same(
    Object.fromEntries(Object.entries(live).filter(([table]) => !written.has(table))),
    Object.fromEntries(Object.entries(inFile).filter(([table]) => !written.has(table))),
    'every table the scanners did not write holds in the backup what the live database holds',
  );
  // A registry that read on after the backup: what it received since is lost with the service's database.
  const feedLatest = await drainFeed(base, registry, feedAtBackup.cursor);
  t.same(feedLatest.procedures, [open.id], 'the scans after the backup moved the open procedure on');

  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0);
  await rm(dataDir, { recursive: true, force: true });
  t.notOk(existsSync(dataDir), 'DATA_DIR is gone');

  const restore = await runScript('restore', ['--in', file], { DATA_DIR: dataDir });
  t.equal(restore.code, 0, `exit 0${restore.code === 0 ? '' : `: ${restore.stderr}`}`);
  t.match(restore.stderr, /initialising embedded postgres in /, 'into a new, empty cluster');
  t.match(restore.stderr, /advancing this server's transaction ids from \d+ past the backup's \d+/);
  t.same(countsPrinted(restore.stderr), inFile, 'every table, as many rows as the backup holds');
  const again = await runScript('restore', ['--in', file], { DATA_DIR: dataDir });
  t.equal(again.code, 1, 'a second restore over it is refused');
  t.match(again.stderr, /failed, nothing was restored: The database "implant_trace" is not empty/);

  const second = await startServer(env);
  t.teardown(() => void second.child.kill('SIGKILL'));
  await t.rejects(restoreTarget(loadConfig(env), () => undefined), /The embedded database in \S+ is running \(the service is using it\)\. Stop the service, then restore\./, 'no restore under a running service');
  const restoredRunning = await runningEmbeddedPostgres(dataDir);
  if (!restoredRunning) throw new Error('the restored embedded database is not running');
  t.same(rowsOf(await withClient(restoredRunning.url, fingerprint)), inFile, 'the service started on it and changed nothing');
  t.same(await affected(second.url), answerBefore, 'the recall’s affected patients as before');
  const everything = await drainFeed(second.url, registry, null);
  t.same(new Set(everything.procedures), new Set([...feedAtBackup.procedures, open.id]), 'the feed hands out every restored procedure (none hides behind the new cluster’s transaction ids)');
  const fresh = await call(second.url, 'POST', `/v1/procedures/${open.id}/scans`, { barcode: `01${GTIN_B}10AFTER${GS}21AFTER-1` }, scanner, { 'idempotency-key': crypto.randomUUID() });
  t.equal(fresh.status, 201, 'a scan is recorded after the restore');
  t.same((await drainFeed(second.url, registry, feedAtBackup.cursor)).procedures, [open.id], 'a registry resuming from the cursor it held at the backup receives what changed since, the new scan included');
  const resume = /resumes from (v1\.\S+) \(what it received after the backup/.exec(restore.stderr)?.[1];
  t.ok(resume, 'the restore names the cursor for registries that read on after the backup');
  t.same((await drainFeed(second.url, registry, resume ?? null)).procedures, [open.id], 'from it, they receive the changes made after the restore');
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);

  // With the service stopped, the backup starts the cluster for itself, and stops it after.
  const cold = await runScript('backup', ['--out', path.join(backups, 'cold.backup.gz')], { DATA_DIR: dataDir });
  t.equal(cold.code, 0, `exit 0${cold.code === 0 ? '' : `: ${cold.stderr}`}`);
  t.match(cold.stderr, /embedded postgres listening[\s\S]*backing up the embedded database in \S+\n[\s\S]*embedded postgres stopped/);
  t.equal((countsPrinted(cold.stderr).scans ?? 0) - (inFile.scans ?? 0), 1, 'it holds the scan made after the restore');
  t.notOk(await runningEmbeddedPostgres(dataDir), 'and leaves the cluster stopped, as it found it');
  const nowhere = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-no-cluster-'));
  t.teardown(() => rm(nowhere, { recursive: true, force: true }));
  await t.rejects(backupSource(loadConfig({ DATA_DIR: nowhere }), () => undefined), /There is no embedded database in \S+ \(DATA_DIR\) to back up/);
});
