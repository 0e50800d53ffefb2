/**
 * Backup and restore of a configured database (DATABASE_URL), end to end: a
 * realistic data set made through the API, a backup taken while scanners go on
 * writing, the database dropped, a restore into an empty one, and the
 * restored database compared row for row with the backup's snapshot and put
 * back to work. What a restore refuses is in backup-refusals.test.ts; the
 * embedded database, through the commands, in backup-embedded.test.ts.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { backupDatabase } from '../../src/db/backup/backup.js';
import { schemaContents } from '../../src/db/backup/catalog.js';
import { restoreDatabase } from '../../src/db/backup/restore.js';
import { createDb } from '../../src/db/create-db.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { fingerprint, injectScans, realisticData, recallAnswers, rowsOf, startWriters, withClient } from '../helpers/backup.js';
import { databaseUrl, readState } from '../helpers/postgres-state.js';
import { GS, GTIN_B, scan } from '../helpers/theatre.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-backup-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const { adminUrl } = readState();
const admin = (sql: string) => withClient(adminUrl, (c) => c.query(sql));

const contentsOf = (url: string) => withClient(url, (c) => schemaContents(c, 'public'));
const fingerprintOf = (url: string) => withClient(url, fingerprint);

async function feedDrain(app: TestApp, key: string, after: string | null) {
  const procedures: string[] = [];
  let cursor = after;
  for (;;) {
    const res = await app.request({ method: 'GET', url: `/v1/feeds/procedures?registry=NJR&limit=50${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`, key });
    if (res.statusCode !== 200) throw new Error(`feed: ${res.statusCode} ${res.body}`);
    const body = res.json<{ entries: Array<{ procedureId: string }>; nextCursor: string | null; hasMore: boolean }>();
    procedures.push(...body.entries.map((e) => e.procedureId));
    cursor = body.nextCursor;
    if (!body.hasMore) return { procedures, cursor };
  }
}

t.test('a backup taken while scanners write restores, row for row, into an empty database that then serves the API', async (t) => {
  const name = `backup_src_${Math.random().toString(36).slice(2, 10)}`;
  await admin(`create database ${name} template ${readState().template}`);
  t.teardown(() => admin(`drop database if exists ${name} with (force)`));
  const url = databaseUrl(adminUrl, name);
  const sourceDb = createDb({ url });
  t.teardown(() => sourceDb.destroy());
  const app = await buildTestApp(t, { db: sourceDb, bootstrap: true });
  const data = await realisticData(app);
  const answersBefore = await recallAnswers(app, data);
  const empty = Object.entries(rowsOf(await fingerprintOf(url))).filter(([, n]) => n === 0);
  t.same(empty, [], 'the data set has rows in every table');

  const writers = startWriters(injectScans(app, data.a.org.keys.scanner, data.a.openProcedureId));
  await writers.waitFor(10);
  // What the backup must hold: the snapshot of a transaction of our own, which the backup reads (pg_dump's --snapshot).
  const held = new pg.Client({ connectionString: url });
  await held.connect();
  await held.query('begin isolation level repeatable read, read only');
  const snapshot = (await held.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]?.id ?? '';
  const atSnapshot = await fingerprint(held);
  const ackedAtSnapshot = writers.acked.length;
  await writers.waitFor(ackedAtSnapshot + 5);
  const file = path.join(dir, 'configured.backup.gz');
  const summary = await backupDatabase({ url, output: createWriteStream(file), snapshot });
  const ackedAtEnd = writers.acked.length;
  await writers.waitFor(ackedAtEnd + 5);
  await writers.stop();
  await held.query('commit');
  await held.end();
  const feedBefore = await feedDrain(app, data.national.registry, null);
  const live = rowsOf(await fingerprintOf(url));
  t.ok(ackedAtEnd >= ackedAtSnapshot + 5, `the scanners went on writing after the snapshot and through the backup (${ackedAtSnapshot} scans acknowledged at the snapshot, ${ackedAtEnd} when the backup ended, ${writers.acked.length} in all)`);
  t.ok((live.scans ?? 0) > (rowsOf(atSnapshot).scans ?? 0), 'the live database moved on past the snapshot');
  t.same(Object.fromEntries(summary.tables.map((x) => [x.name, x.rows])), rowsOf(atSnapshot), 'the backup holds every table, with the snapshot’s row counts');
  t.equal((await stat(file)).size > 0, true);

  // Destroy it: the database is dropped, and an empty one made in its place.
  await admin(`drop database ${name} with (force)`);
  t.equal((await withClient(adminUrl, (c) => c.query('select 1 from pg_database where datname = $1', [name]))).rowCount, 0, 'the database is gone');
  await admin(`create database ${name} template template0`);
  t.same(await contentsOf(url), { tables: 0, others: 0 }, 'an empty database');

  const restored = await restoreDatabase({ url, input: createReadStream(file) });
  t.equal(restored.rows, summary.rows);
  t.equal(restored.transactionIdsAdvanced, 0n, 'the same server: its transaction ids are already past the backup’s');
  t.same(await fingerprintOf(url), atSnapshot, 'every table, row for row and column for column, as at the snapshot (the migrations table included)');

  // The restored database at work, in a new app.
  const db = createDb({ url });
  t.teardown(() => db.destroy());
  const restoredApp = await buildTestApp(t, { db, bootstrap: false });
  t.same(await recallAnswers(restoredApp, data), answersBefore, 'each recall’s affected patients, detail and CSV (its rows in any order) answer as before');

  const inBackup = new Set(await withClient(url, async (c) => (await c.query<{ id: string }>('select id from scans')).rows.map((r) => r.id)));
  const kept = writers.acked[0];
  const lost = writers.acked.at(-1);
  if (!kept || !lost) throw new Error('no scans were written');
  t.ok(inBackup.has(kept.scanId) && !inBackup.has(lost.scanId), 'scans acknowledged before the snapshot are restored, those after it are not');
  const again = await scan(restoredApp, data.a.org.keys.scanner, data.a.openProcedureId, kept.body, kept.idempotencyKey);
  t.equal(again.headers['idempotency-replayed'], 'true', 'a retry of a restored scan is answered from its first recording');
  t.equal(again.json().scan.id, kept.scanId);
  const maxAudit = await withClient(url, async (c) => BigInt((await c.query<{ n: string }>('select max(id)::text as n from audit_events')).rows[0]?.n ?? '0'));
  const redo = await scan(restoredApp, data.a.org.keys.scanner, data.a.openProcedureId, lost.body, lost.idempotencyKey);
  t.equal(redo.statusCode, 201, 'a scan the backup did not hold is recorded anew when its scanner retries');
  t.not(redo.headers['idempotency-replayed'], 'true');
  const newAudit = await withClient(url, async (c) => (await c.query<{ id: string }>('select id::text from audit_events where id > $1', [maxAudit.toString()])).rows);
  t.ok(newAudit.length > 0, 'the sequences continue after the restored rows (no key collides)');

  const feed = await feedDrain(restoredApp, data.national.registry, null);
  t.same(new Set(feed.procedures), new Set(feedBefore.procedures), 'the registry feed hands out the same procedures');
  const fresh = await scan(restoredApp, data.a.org.keys.scanner, data.a.openProcedureId, { barcode: `01${GTIN_B}10AFTER${GS}21AFTER-1` });
  t.equal(fresh.statusCode, 201);
  t.same((await feedDrain(restoredApp, data.national.registry, feedBefore.cursor)).procedures, [data.a.openProcedureId], 'a change after the restore comes after the cursor a registry held before it');
});

