/**
 * tap `before`: provisions the real Postgres the suite runs on. With
 * TEST_DATABASE_URL it uses that server; otherwise it starts a throwaway
 * cluster from the embedded binaries (fsync off) in a temporary folder. Then
 * it migrates a template database once; each test file clones it.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDb } from '../../src/db/create-db.js';
import { isAlive, startEmbeddedPostgres, stopEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { databaseUrl, STATE_FILE, type TestPostgresState } from './postgres-state.js';

const PREFIX = 'implant-trace-test-pg-';

/**
 * Clusters of earlier runs whose tap process is gone (a run killed before its
 * `after` script) are stopped and removed, so they never pile up on a machine.
 */
async function removeOrphanedClusters(): Promise<void> {
  for (const name of await readdir(os.tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    const runner = Number.parseInt(await readFile(path.join(dir, 'runner.pid'), 'utf8').catch(() => ''), 10);
    if (Number.isInteger(runner) && isAlive(runner)) continue;
    await stopEmbeddedPostgres(dir).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}


let adminUrl = process.env.TEST_DATABASE_URL;
let embeddedDataDir: string | null = null;
if (!adminUrl) {
  await removeOrphanedClusters();
  embeddedDataDir = await mkdtemp(path.join(os.tmpdir(), PREFIX));
  // The tap process (our parent) owns this cluster; its `after` script stops it.
  await writeFile(path.join(embeddedDataDir, 'runner.pid'), `${process.ppid}\n`);
  const server = await startEmbeddedPostgres({ dataDir: embeddedDataDir, durable: false, database: 'postgres' });
  adminUrl = server.adminUrl;
}

const template = `implant_trace_template_${process.pid}_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${admin.escapeIdentifier(template)}`);
await admin.end();

const db = createDb({ url: databaseUrl(adminUrl, template), poolSize: 1 });
await migrateToLatest(db);
await db.destroy();

const state: TestPostgresState = { adminUrl, template, embeddedDataDir };
await writeFile(STATE_FILE, JSON.stringify(state), { mode: 0o600 });
