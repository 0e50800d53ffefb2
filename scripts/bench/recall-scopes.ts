/**
 * Recalls of national size against the point of use and the recall list, through the
 * real HTTP service (this process) on a real Postgres:
 *   - scan latency, one scanner sending scans one after the other over keep-alive HTTP,
 *     half of them listed serials of the recalled product, half not, in three states:
 *       none     no recall active;
 *       national three national recalls of 100,000 serials each, all of the scanned product;
 *       alike    three recalls of the shape the attack review sent: 100 scopes × 1,300
 *                serials of the scanned product (~1.5 MB each);
 *       distinct the same, each scope with an expiry window of its own, so that no two
 *                scopes are alike (mergeAlike cannot make them one): the worst case;
 *     the states alternate BENCH_ROUNDS times (recalls are switched on and off in SQL,
 *     as closing one through the API is for good);
 *   - GET /v1/recalls with the three national recalls, then with all nine, and
 *     GET /v1/recalls/{id} of a 100,000-serial recall: bytes and latency.
 * A listed serial must be answered PRODUCT_RECALLED and an unlisted one not, or the run fails.
 *
 *   npm run bench:recall-scopes
 *   BENCH_SCANS=300 BENCH_ROUNDS=3 BENCH_ITEMS=100000 npm run bench:recall-scopes
 *
 * Postgres: a throwaway embedded cluster (fsync off: the states differ in reads, not commits),
 * with BENCH_ITEMS implants seeded in the background (./seed.ts).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { ensureBootstrapKey } from '../../src/modules/api-keys/api-key.service.js';
import { GS, nhsNumber } from '../data/scan-mix.js';
import { openBenchDatabase, seedItems } from './seed.js';

const SCANS = Number(process.env.BENCH_SCANS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';
/** The recalled product (a valid GTIN-14). */
const GTIN = '09506000134352';
const SCANS_PER_PROCEDURE = 20;

const say = (m: string) => process.stderr.write(`${m}\n`);
const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const bench = await openBenchDatabase({ shared_buffers: '1GB', work_mem: '64MB' }, say);
const db = bench.db;
try {
  await migrateToLatest(db);
  if (ITEMS > 0) await seedItems(db, { items: ITEMS, organisations: 10, products: 100, lotsPerProduct: 50, say });
  await ensureBootstrapKey(db, ADMIN_KEY);
  const bodyLimit = process.env.BODY_LIMIT_BYTES;
  const app = await buildApp({
    config: loadConfig({ LOG_LEVEL: 'error', DATA_DIR: os.tmpdir(), ...(bodyLimit ? { BODY_LIMIT_BYTES: bodyLimit } : {}) }),
    db,
    logStream: { write: (line: string) => void process.stderr.write(line) },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  const call = async (method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) => {
    const t0 = performance.now();
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
    return { ms, bytes: Buffer.byteLength(text), json: JSON.parse(text) as Record<string, unknown> };
  };

  // The organisation that scans, and the national procurement key that makes the recalls.
  await call('POST', '/v1/organisations', ADMIN_KEY, { odsCode: 'RSCOPE', name: 'Trust RSCOPE' });
  const scannerKey = String((await call('POST', '/v1/api-keys', ADMIN_KEY, { name: 'scanner', role: 'scanner', organisation: 'RSCOPE' })).json.key);
  const nationalKey = String((await call('POST', '/v1/api-keys', ADMIN_KEY, { name: 'MHRA', role: 'procurement', national: true })).json.key);

  // Three national recalls of 100,000 serials; three of 100 alike scopes × 1,300 serials; three of 100 scopes
  // × 1,300 serials each with an expiry window of its own (no two alike: the worst case). Serials disjoint.
  type State = 'none' | 'national' | 'alike' | 'distinct';
  const serial = (set: string, k: number) => `${set}${String(k).padStart(6, '0')}`;
  const made: Record<Exclude<State, 'none'>, Array<{ id: string; ms: number; requestBytes: number; set: string; count: number }>> = { national: [], alike: [], distinct: [] };
  const create = async (state: Exclude<State, 'none'>, r: number, scope: unknown[], set: string, count: number) => {
    const body = { reference: `FSN-${state.toUpperCase()}-${r}`, title: 'Lead insulation breach', manufacturer: 'Example Cardiac', scope };
    const res = await call('POST', '/v1/recalls', nationalKey, body);
    made[state].push({ id: String(res.json.id), ms: res.ms, requestBytes: JSON.stringify(body).length, set, count });
    say(`created ${body.reference} (${scope.length} scopes, ${count.toLocaleString('en-GB')} serials) in ${res.ms.toFixed(0)} ms`);
  };
  for (let r = 0; r < 3; r++) await create('national', r, [{ gtin: GTIN, serials: Array.from({ length: 100_000 }, (_, k) => serial(`N${r}-`, k)) }], `N${r}-`, 100_000);
  /** GET /v1/recalls, 11 times: the first answer's size, the median time of the others; or the first failure. */
  const listTimed = async (what: string) => {
    const runs = [];
    try {
      for (let k = 0; k < 11; k++) runs.push(await call('GET', '/v1/recalls', nationalKey));
    } catch (error) {
      say(`${what}: ${String(error).slice(0, 300)}`);
      return { failed: String(error).slice(0, 120) };
    }
    const result = { ms: median(runs.slice(1).map((r) => r.ms)), bytes: runs[0]?.bytes ?? 0, count: (runs[0]?.json.items as unknown[] | undefined)?.length ?? 0 };
    say(`${what}: ${result.bytes} bytes, ${result.ms.toFixed(1)} ms`);
    return result;
  };
  const listNational = await listTimed('GET /v1/recalls, 3 national recalls');
  // From 2000-01 on, a month apart, to 2099: every window holds the scanned expiry (2029-12-31).
  const window = (s: number) => ({ expiryFrom: `20${String(Math.floor(s / 12)).padStart(2, '0')}-${String((s % 12) + 1).padStart(2, '0')}-01`, expiryTo: '2099-12-31' });
  for (const state of ['alike', 'distinct'] as const) {
    for (let r = 0; r < 3; r++) {
      const set = `${state === 'alike' ? 'A' : 'D'}${r}-`;
      const scope = Array.from({ length: 100 }, (_, s) => ({ gtin: GTIN, ...(state === 'distinct' ? window(s) : {}), serials: Array.from({ length: 1300 }, (_, k) => serial(set, s * 1300 + k)) }));
      await create(state, r, scope, set, 130_000);
    }
  }
  const activate = async (ids: readonly string[]) => {
    await sql`update recalls set status = 'closed', closed_at = now() where status = 'active'`.execute(db);
    if (ids.length > 0) await sql`update recalls set status = 'active', closed_at = null where id = any(${[...ids]}::uuid[])`.execute(db);
  };

  // One scanner, scans one after the other; a new patient every 20 scans.
  let procedureId = '';
  let sent = 0;
  let patient = 0;
  async function scanLatencies(state: State, n: number): Promise<number[]> {
    const sets = state === 'none' ? made.national : made[state];
    const out: number[] = [];
    for (let k = 0; k < n; k++) {
      if (sent++ % SCANS_PER_PROCEDURE === 0) procedureId = String((await call('POST', '/v1/procedures', scannerKey, { patient: { nhsNumber: nhsNumber(900_000 + patient++) } })).json.id);
      const recall = sets[k % sets.length] ?? { set: 'X', count: 1 };
      const listed = k % 2 === 0;
      const value = listed ? serial(recall.set, (sent * 7919) % recall.count) : serial('U', sent);
      const res = await call('POST', `/v1/procedures/${procedureId}/scans`, scannerKey, { barcode: `]d201${GTIN}17291231` + `10LOT9${GS}21${value}` }, { 'idempotency-key': randomUUID() });
      const recalled = (res.json.warnings as Array<{ code: string }>).some((w) => w.code === 'PRODUCT_RECALLED');
      if (recalled !== (listed && state !== 'none')) throw new Error(`${state}: ${value} answered ${recalled ? '' : 'not '}PRODUCT_RECALLED`);
      out.push(res.ms);
    }
    return out;
  }

  const states = ['none', 'national', 'alike', 'distinct'] as const;
  await activate([]);
  await scanLatencies('none', 50); // warm-up
  const results: Record<State, number[][]> = { none: [], national: [], alike: [], distinct: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const state of states) {
      await activate(state === 'none' ? [] : made[state].map((m) => m.id));
      await scanLatencies(state, 10); // the first scans after a switch warm the caches
      const latencies = (await scanLatencies(state, SCANS)).sort((a, b) => a - b);
      results[state].push(latencies);
      say(`round ${round} ${state.padEnd(8)} p50 ${pct(latencies, 50).toFixed(1)} ms  p95 ${pct(latencies, 95).toFixed(1)} ms  p99 ${pct(latencies, 99).toFixed(1)} ms`);
    }
  }

  // The recall list with all nine, and one recall of 100,000 serials.
  await activate([...made.national, ...made.alike, ...made.distinct].map((m) => m.id));
  const listAll = await listTimed('GET /v1/recalls, 9 recalls');
  const ones = [];
  for (let k = 0; k < 11; k++) ones.push(await call('GET', `/v1/recalls/${made.national[0]?.id ?? ''}`, nationalKey));
  const one = { ms: median(ones.slice(1).map((r) => r.ms)), bytes: ones[0]?.bytes ?? 0 };
  await app.close();

  const row = (name: string, rs: number[][]) =>
    `| ${name} | ${median(rs.map((r) => pct(r, 50))).toFixed(1)} | ${median(rs.map((r) => pct(r, 95))).toFixed(1)} | ${median(rs.map((r) => pct(r, 99))).toFixed(1)} |`;
  const kb = (bytes: number) => `${(bytes / 1024).toLocaleString('en-GB', { maximumFractionDigits: 1 })} KiB`;
  const listRow = (what: string, r: Awaited<ReturnType<typeof listTimed>>) =>
    'failed' in r ? `| ${what} | failed: ${r.failed} | |` : `| ${what} (${r.count} listed) | ${kb(r.bytes)} | ${r.ms.toFixed(1)} |`;
  const created = (state: Exclude<State, 'none'>) => `${kb(made[state][0]?.requestBytes ?? 0)} body: ${median(made[state].map((m) => m.ms)).toFixed(0)} ms`;
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${ITEMS.toLocaleString('en-GB')} implants in the background; ${ROUNDS} rounds of ${SCANS} scans per state, medians of the rounds:`,
    '',
    '| recalls in force naming the scanned product | scan p50 ms | p95 ms | p99 ms |',
    '|---|---:|---:|---:|',
    row('none', results.none),
    `${row('3 national recalls × 100,000 serials', results.national)}`,
    row('3 recalls × 100 alike scopes × 1,300 serials (the attack review\'s shape)', results.alike),
    row('3 recalls × 100 scopes × 1,300 serials, each scope its own expiry window', results.distinct),
    '',
    '| request | answer | median ms |',
    '|---|---:|---:|',
    listRow('GET /v1/recalls, the 3 national recalls', listNational),
    listRow('GET /v1/recalls, all 9 recalls', listAll),
    `| GET /v1/recalls/{id}, 100,000 serials | ${kb(one.bytes)} | ${one.ms.toFixed(1)} |`,
    '',
    `Creating a recall (POST /v1/recalls, median of 3): 100,000 serials, ${created('national')}; 100 alike scopes × 1,300 serials, ${created('alike')}; 100 scopes with windows × 1,300 serials, ${created('distinct')}.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await bench.close();
}
