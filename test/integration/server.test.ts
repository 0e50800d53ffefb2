/**
 * The service as an operator runs it: the real entry point in its own
 * process, on a DATABASE_URL or on its embedded Postgres under DATA_DIR.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startEmbeddedPostgres, stopEmbeddedPostgres } from '../../src/db/embedded.js';
import { createTestDatabase } from '../helpers/database.js';
import { runServerToExit, startServer } from '../helpers/server-process.js';

const BOOTSTRAP = 'bootstrap-secret-for-the-server-process-test-0001';

async function call(base: string, method: string, url: string, body?: unknown, key = BOOTSTRAP) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

t.test('a bad configuration stops the boot, naming the variable', async (t) => {
  const { code, stderr } = await runServerToExit({ PORT: 'abc', LOG_LEVEL: 'loud' });
  t.equal(code, 78);
  t.match(stderr, /PORT must be a whole number/);
  t.match(stderr, /LOG_LEVEL must be one of/);
});

t.test('on DATABASE_URL, with BOOTSTRAP_ADMIN_KEY: set up by script, then a graceful stop', async (t) => {
  const { url: databaseUrl } = await createTestDatabase(t);
  const server = await startServer({ DATABASE_URL: databaseUrl, BOOTSTRAP_ADMIN_KEY: BOOTSTRAP });
  t.teardown(() => void server.child.kill('SIGKILL'));

  t.equal((await fetch(`${server.url}/health`)).status, 200);
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { openapi: string };
  t.equal(doc.openapi, '3.1.0');

  t.equal((await call(server.url, 'POST', '/v1/organisations', { odsCode: 'RRK', name: 'Trust' })).status, 201);
  const scanner = await call(server.url, 'POST', '/v1/api-keys', { name: 'Theatre 1', role: 'scanner', organisation: 'RRK' });
  t.equal(scanner.status, 201);
  const noKey = await fetch(`${server.url}/v1/organisations`);
  t.equal(noKey.status, 401);
  t.equal(noKey.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  const wrongRole = await call(server.url, 'GET', '/v1/organisations', undefined, String(scanner.body.key));
  t.equal(wrongRole.status, 403);

  // A request in flight when SIGTERM arrives is completed, not cut off: its headers are in,
  // its body is still arriving.
  const body = JSON.stringify({ odsCode: 'RH8', name: 'Arrives during shutdown' });
  const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${server.url}/v1/organisations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      server.child.kill('SIGTERM');
      setTimeout(() => req.end(body.slice(10)), 500);
    }, 200);
  });
  const drained = await inFlight;
  t.equal(drained.status, 201, 'the in-flight request completed during shutdown');
  t.equal(await server.exited, 0, 'then the process exits 0');
  t.notMatch(server.output(), BOOTSTRAP, 'the bootstrap secret is never logged');
  t.notMatch(server.output(), String(scanner.body.key));
});

t.test('embedded Postgres: no set-up, data kept across restarts, recovery after a kill', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-embedded-'));
  t.teardown(async () => {
    await stopEmbeddedPostgres(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });
  const env = { DATA_DIR: dataDir, BOOTSTRAP_ADMIN_KEY: BOOTSTRAP };
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');

  const first = await startServer(env);
  t.equal((await fetch(`${first.url}/ready`)).status, 200);
  t.notMatch(first.output(), /WARNING/, 'the embedded database is durable: no warning at boot');
  t.equal((await call(first.url, 'POST', '/v1/organisations', { odsCode: 'RH8', name: 'Kept' })).status, 201);
  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0);
  t.notOk(existsSync(pidFile), 'a graceful stop also stops the embedded database');

  const second = await startServer(env);
  const orgs = await call(second.url, 'GET', '/v1/organisations');
  t.same((orgs.body.items as Array<{ odsCode: string }>).map((o) => o.odsCode), ['RH8'], 'data survived the restart');

  await t.test('while it runs, a second process on the same DATA_DIR is refused', async (t) => {
    await t.rejects(startEmbeddedPostgres({ dataDir, durable: true }), /in use by another running process/);
  });

  second.child.kill('SIGKILL');
  await second.exited;
  t.ok(existsSync(pidFile), 'SIGKILL leaves the embedded postgres running');

  const third = await startServer(env);
  t.match(third.output(), /stopping a stale embedded postgres/);
  const again = await call(third.url, 'GET', '/v1/organisations');
  t.same((again.body.items as Array<{ odsCode: string }>).map((o) => o.odsCode), ['RH8'], 'recovered, data intact');
  third.child.kill('SIGTERM');
  t.equal(await third.exited, 0);
});

t.test('embedded Postgres: a stop that fails is an error, never reported as stopped', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-stop-'));
  const logs: string[] = [];
  const server = await startEmbeddedPostgres({ dataDir, durable: false, database: 'postgres', log: (line: string) => void logs.push(line) });
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
  const ownerFile = path.join(dataDir, 'postgres.owner');
  t.teardown(async () => {
    await chmod(pidFile, 0o600).catch(() => undefined);
    await server.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });
  // pg_ctl can no longer read the server's PID file: it cannot stop it, nor say whether it runs.
  await chmod(pidFile, 0o000);
  await t.rejects(server.stop(), /pg_ctl stop failed .* cannot be told/);
  t.ok(existsSync(ownerFile), 'the data directory still names its owner');
  t.notOk(logs.some((l) => /stopped/.test(l)), 'nothing claims the server stopped');
  await chmod(pidFile, 0o600);
  await server.stop();
  t.notOk(existsSync(ownerFile), 'a stop that works releases the data directory');
  t.ok(logs.some((l) => /embedded postgres stopped/.test(l)));
});
