/**
 * Several instances on one database: two real service processes share the
 * FHIR export jobs and their files. One is frozen mid-export (SIGSTOP, as a
 * hung or partitioned machine), the other takes the job over when its lease
 * runs out and finishes it; the frozen one, woken, finds its attempt given up
 * and writes nothing more; either instance serves the files, byte for byte the
 * same, and killing the first (SIGKILL) changes nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import t from 'tap';
import { seedItems } from '../../scripts/bench/seed.js';
import { createTestDatabase } from '../helpers/database.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const BOOTSTRAP = 'bootstrap-secret-for-the-two-instances-test-01';
// Five service processes start in this file, each compiling the service's TypeScript as it loads.
t.setTimeout(300_000);
const ITEMS = 20_000;

async function call(base: string, method: string, url: string, key: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

interface Manifest {
  output: { type: string; url: string; count: number }[];
}

/** Polls an export's status until it is done: the manifest, and the status codes answered before it. */
async function finish(base: string, statusPath: string, key: string): Promise<{ manifest: Manifest | undefined; answers: number[] }> {
  const answers: number[] = [];
  for (let i = 0; i < 600; i++) {
    const res = await call(base, 'GET', statusPath, key);
    if (res.status === 200) return { manifest: (await res.json()) as Manifest, answers };
    answers.push(res.status);
    await res.arrayBuffer();
    if (res.status !== 202) break;
    await sleep(100);
  }
  return { manifest: undefined, answers };
}

/** Waits until the first instance has written part of the export's files (it is mid-export), then calls `then`. */
async function whenMidExport(db: Awaited<ReturnType<typeof createTestDatabase>>['db'], id: string, then: () => void) {
  for (let i = 0; i < 2000; i++) {
    const job = await db.selectFrom('bulk_exports').select(['status', 'attempt', 'lease_owner']).where('id', '=', id).executeTakeFirstOrThrow();
    const parts = Number((await sql<{ n: string }>`select count(*) as n from bulk_export_parts where export_id = ${id}`.execute(db)).rows[0]?.n);
    if (job.status === 'running' && parts > 0) {
      then();
      return { attempt: job.attempt, owner: job.lease_owner, parts };
    }
    if (job.status !== 'running' && job.status !== 'accepted') return undefined;
    await sleep(5);
  }
  return undefined;
}

async function registryKey(base: string): Promise<string> {
  const created = await call(base, 'POST', '/v1/api-keys', BOOTSTRAP, { name: 'NJR feed', role: 'registry', registry: 'NJR', national: true });
  if (created.status !== 201) throw new Error(`key: ${created.status}`);
  return String(((await created.json()) as { key: string }).key);
}

async function kickOff(base: string, key: string): Promise<{ statusPath: string; id: string }> {
  const res = await call(base, 'GET', '/fhir/R4/Group/NJR/$export', key, undefined, { prefer: 'respond-async', accept: 'application/fhir+json' });
  if (res.status !== 202) throw new Error(`kick-off: ${res.status} ${await res.text()}`);
  const statusPath = new URL(String(res.headers.get('content-location'))).pathname;
  return { statusPath, id: statusPath.split('/').pop() ?? '' };
}

t.test('two instances, one database: an export survives the instance that ran it', async (t) => {
  const { db, url: databaseUrl } = await createTestDatabase(t);
  await seedItems(db, { items: ITEMS, organisations: 2, products: 20, lotsPerProduct: 5, withScans: true, say: () => undefined });

  const env = { DATABASE_URL: databaseUrl, BOOTSTRAP_ADMIN_KEY: BOOTSTRAP, EXPORT_LEASE_SECONDS: '5', EXPORT_POLL_SECONDS: '1', LOG_LEVEL: 'info' };
  const servers: ServerProcess[] = [];
  t.teardown(async () => {
    for (const s of servers) {
      s.child.kill('SIGCONT');
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });
  const a = await startServer(env);
  servers.push(a);

  const key = await registryKey(a.url);

  // Kick-off at A: A takes the job at once. Freeze A once it has written part of a file: it holds the job, mid-export.
  const { statusPath, id } = await kickOff(a.url, key);
  const frozenAt = await whenMidExport(db, id, () => a.child.kill('SIGSTOP'));
  if (frozenAt === undefined) return t.fail('the export ended before the first instance could be frozen mid-way (make ITEMS larger)');
  t.equal(frozenAt.attempt, 1, 'A runs the first attempt');
  t.match(frozenAt.owner, new RegExp(`:${a.child.pid}:`), 'A holds the lease');
  const stillRunning = await db.selectFrom('bulk_exports').select('status').where('id', '=', id).executeTakeFirstOrThrow();
  t.equal(stillRunning.status, 'running', 'frozen mid-export, before its end');

  // B starts on the same database; when A's lease runs out, B takes the job over and finishes it.
  const b = await startServer(env);
  servers.push(b);
  const { manifest, answers } = await finish(b.url, statusPath, key);
  t.same([...new Set(answers)], [202], 'B answers "in progress" until it is done');
  if (manifest === undefined) return t.fail('B did not finish the export');
  const done = await db.selectFrom('bulk_exports').select(['status', 'attempt', 'lease_owner']).where('id', '=', id).executeTakeFirstOrThrow();
  t.equal(done.status, 'completed');
  t.equal(done.attempt, 2, 'completed by a second attempt');
  t.match(b.output(), /"exportId":"[^"]+","attempt":2,"output"/, 'B logged the export it completed');

  // A wakes: its attempt was given up; it writes no more and does not complete anything.
  a.child.kill('SIGCONT');
  for (let i = 0; i < 100 && !/taken over by another instance/.test(a.output()); i++) await sleep(100);
  t.match(a.output(), /bulk export taken over by another instance/, 'A notices the job is no longer its own');
  const after = await db.selectFrom('bulk_exports').select(['status', 'attempt']).where('id', '=', id).executeTakeFirstOrThrow();
  t.same(after, { status: 'completed', attempt: 2 }, 'the job stays as B completed it');
  const stale = await sql<{ n: string }>`select count(*) as n from bulk_export_parts where export_id = ${id} and attempt <> 2`.execute(db);
  t.equal(Number(stale.rows[0]?.n), 0, 'nothing of the first attempt is kept');

  // Either instance serves the files: the same bytes, every device once.
  const bodies: Record<string, Record<string, string>> = { a: {}, b: {} };
  for (const [name, server] of [['a', a], ['b', b]] as const) {
    for (const out of manifest.output) {
      const res = await call(server.url, 'GET', new URL(out.url).pathname, key);
      t.equal(res.status, 200, `${name} serves ${out.type}`);
      const text = await res.text();
      t.equal(Number(res.headers.get('content-length')), Buffer.byteLength(text), `${name}: Content-Length is the file's length`);
      bodies[name]![out.type] = text;
    }
  }
  t.same(bodies.a, bodies.b, 'both instances serve the same files');
  const devices = bodies.b!.Device!.trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
  t.equal(devices.length, ITEMS, 'every implanted item, once');
  t.equal(new Set(devices).size, ITEMS, 'no duplicates from the interrupted attempt');
  t.equal(manifest.output.find((o) => o.type === 'Device')?.count, ITEMS);

  // Killing A outright changes nothing for B.
  a.child.kill('SIGKILL');
  await a.exited;
  const again = await call(b.url, 'GET', statusPath, key);
  t.equal(again.status, 200);
  await again.arrayBuffer();
});

t.test('graceful stop hands an export back; an instance with EXPORT_WORKERS=0 accepts exports and leaves them to the others', async (t) => {
  const { db, url: databaseUrl } = await createTestDatabase(t);
  await seedItems(db, { items: ITEMS, organisations: 2, products: 20, lotsPerProduct: 5, withScans: true, say: () => undefined });
  // A lease far longer than the test: only the hand-back can let B start before it runs out.
  const env = { DATABASE_URL: databaseUrl, BOOTSTRAP_ADMIN_KEY: BOOTSTRAP, EXPORT_LEASE_SECONDS: '3600', EXPORT_POLL_SECONDS: '1' };
  const servers: ServerProcess[] = [];
  t.teardown(async () => {
    for (const s of servers) {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });
  const [api, a] = await Promise.all([startServer({ ...env, EXPORT_WORKERS: '0' }), startServer(env)]);
  servers.push(api, a);

  // Accepted by the API-only instance, run by A.
  const key = await registryKey(api.url);
  const { statusPath, id } = await kickOff(api.url, key);
  const stoppedAt = await whenMidExport(db, id, () => a.child.kill('SIGTERM'));
  if (stoppedAt === undefined) return t.fail('the export ended before the instance could be stopped mid-way');
  t.match(stoppedAt.owner, new RegExp(`:${a.child.pid}:`), 'A runs it, not the instance that accepted it');
  t.equal(await a.exited, 0, 'A stopped gracefully');
  t.match(a.output(), /bulk export handed back at shutdown/);
  const handedBack = await db.selectFrom('bulk_exports').select(['status', 'lease_owner']).where('id', '=', id).executeTakeFirstOrThrow();
  t.same(handedBack, { status: 'accepted', lease_owner: null }, 'the job waits for the next instance, leased to none');
  await sleep(1500);
  const waiting = await call(api.url, 'GET', statusPath, key);
  t.equal(waiting.status, 202, 'the API-only instance does not run it');
  t.equal(waiting.headers.get('x-progress'), 'queued');
  await waiting.arrayBuffer();

  const b = await startServer(env);
  servers.push(b);
  const { manifest } = await finish(api.url, statusPath, key);
  t.equal(manifest?.output.find((o) => o.type === 'Device')?.count, ITEMS, 'B ran it to the end; the API-only instance answers it');
});
