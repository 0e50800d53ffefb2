/**
 * Theatre scanners as load: N concurrent scanners over keep-alive HTTP, each
 * opening a procedure for a new patient every SCANS_PER_PROCEDURE scans and
 * sending the ScannerMix. The ingestion benchmark runs them in a separate
 * process (./ingest-load.ts); the fault tests and the fault run in-process.
 *
 * Retries: a request that fails at the transport (connection reset, refused)
 * or answers 503 is sent again with the same Idempotency-Key and body after a
 * short pause, as a scanner would, until it gets an answer of record.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/database.js';
import { MIX_GTINS, nhsNumber, RECALLED_LOT, ScannerMix, type MixScan } from '../data/scan-mix.js';

export interface LoadOptions {
  readonly url: string;
  readonly scannerKey: string;
  /** 'scans' drives the real route; 'baseline' the one-row-per-transaction route. */
  readonly target: 'scans' | 'baseline';
  readonly scanners: number;
  /** Stop after this long (ms) ... */
  readonly durationMs?: number;
  /** ... or after this many scans in all (the fault runs use a fixed N). */
  readonly totalScans?: number;
  /** Latencies and counts before this (ms) are not reported. */
  readonly warmupMs: number;
  readonly seed: number;
  /** Pause before a retry (ms). */
  readonly retryDelayMs?: number;
}

export interface LoadReport {
  readonly target: LoadOptions['target'];
  readonly seconds: number;
  /** Scans answered 201 in the measured window (first answers and replays). */
  readonly acknowledged: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly byStatus: Record<string, number>;
  /** Answers that were not what a correct service gives (e.g. a 201 for an unreadable scan). */
  readonly unexpected: number;
  /** Requests sent again after a transport error or a 503. */
  readonly retries: number;
  readonly transportErrors: number;
  /** Every scan's Idempotency-Key answered 201 without the replay header: a new record. */
  readonly newRecords: number;
  /** Idempotency-Keys of every scan acknowledged 201 (for the fault runs' reconciliation). */
  readonly acknowledgedKeys?: readonly string[];
  readonly procedures: number;
}

const SCANS_PER_PROCEDURE = 20;

interface Answer {
  status: number;
  replayed: boolean;
  body: string;
}

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.scanners });
  const base = new URL(o.url);
  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    new Promise<Answer>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${o.scannerKey}`, ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, replayed: res.headers['idempotency-replayed'] === 'true', body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  let retries = 0;
  let transportErrors = 0;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Sends until the answer is one of record: not a transport error, not a 503. */
  const reliably = async (path: string, body: unknown, headers: Record<string, string>): Promise<Answer> => {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        retries++;
        await pause(o.retryDelayMs ?? 100);
      }
      try {
        const answer = await post(path, body, headers);
        if (answer.status !== 503) return answer;
      } catch {
        transportErrors++;
      }
    }
  };

  const started = performance.now();
  const measuredFrom = started + o.warmupMs;
  const endAt = o.durationMs === undefined ? Infinity : started + o.durationMs;
  let remaining = o.totalScans ?? Infinity;
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  const acknowledgedKeys: string[] = [];
  let acknowledged = 0;
  let unexpected = 0;
  let newRecords = 0;
  let procedures = 0;
  let lastAnswer = started;

  const scanner = async (index: number) => {
    const mix = new ScannerMix(`S${index}`, o.seed * 1000 + index);
    let procedureId = '';
    for (let n = 0; performance.now() < endAt && remaining > 0; n++) {
      // Counted before any await, so that concurrent scanners send exactly totalScans between them.
      remaining--;
      if (o.target === 'scans' && n % SCANS_PER_PROCEDURE === 0) {
        // One Idempotency-Key per procedure: a retry after a lost answer opens no second one.
        const opened = await reliably('/v1/procedures', { patient: { nhsNumber: nhsNumber(o.seed * 1_000_000 + index * 10_000 + n) } }, { 'idempotency-key': randomUUID() });
        if (opened.status !== 201) throw new Error(`opening a procedure answered ${opened.status}: ${opened.body}`);
        procedureId = (JSON.parse(opened.body) as { id: string }).id;
        mix.startProcedure();
        procedures++;
      }
      const scan: MixScan = mix.next();
      const path = o.target === 'scans' ? `/v1/procedures/${procedureId}/scans` : '/bench/baseline';
      const t0 = performance.now();
      const answer = await reliably(path, scan.body, { 'idempotency-key': scan.idempotencyKey });
      const t1 = performance.now();
      lastAnswer = t1;
      if (answer.status === 201) acknowledgedKeys.push(scan.idempotencyKey);
      if (answer.status === 201 && !answer.replayed) newRecords++;
      if (o.target === 'scans' && answer.status !== scan.expect) {
        unexpected++;
        if (unexpected <= 3) process.stderr.write(`unexpected ${answer.status} for ${scan.kind} ${JSON.stringify(scan.body)}: ${answer.body.slice(0, 300)}\n`);
      }
      if (t0 < measuredFrom) continue;
      latencies.push(t1 - t0);
      byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
      if (answer.status === 201) acknowledged++;
    }
  };
  await Promise.all(Array.from({ length: o.scanners }, (_, i) => scanner(i)));
  agent.destroy();

  const seconds = (lastAnswer - Math.min(measuredFrom, lastAnswer)) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    target: o.target,
    seconds,
    acknowledged,
    perSecond: seconds > 0 ? latencies.length / seconds : 0,
    p50: pct(50),
    p95: pct(95),
    p99: pct(99),
    max: latencies.at(-1) ?? 0,
    byStatus,
    unexpected,
    retries,
    transportErrors,
    newRecords,
    ...(o.totalScans !== undefined ? { acknowledgedKeys } : {}),
    procedures,
  };
}

/**
 * Clinical attributes for a described catalogue (the compatibility checks then run on every implant
 * scanned): one maker's hip and knee parts that fit one another, so the mix raises the warnings a
 * real case would (a second head in a case of twenty scans) and a wrong side now and then (a left
 * femoral component beside a right one), not a critical finding on every scan.
 */
const CLINICAL_CATALOGUE = [
  { component: 'femoral-stem', laterality: 'none', system: 'Bench Hip', taper: '12/14' },
  { component: 'femoral-head', laterality: 'none', system: 'Bench Hip', taper: '12/14', bearing: 'ceramic', headDiameterMm: 32 },
  { component: 'acetabular-shell', laterality: 'none', system: 'Bench Hip', innerDiameterMm: 52, outerDiameterMm: 54 },
  { component: 'acetabular-liner', laterality: 'none', system: 'Bench Hip', bearing: 'polyethylene', innerDiameterMm: 32, outerDiameterMm: 52 },
  { component: 'femoral-component', laterality: 'left', system: 'Bench Knee' },
  { component: 'femoral-component', laterality: 'right', system: 'Bench Knee' },
  { component: 'tibial-tray', laterality: 'none', system: 'Bench Knee' },
  { component: 'tibial-insert', laterality: 'none', system: 'Bench Knee', bearing: 'polyethylene' },
] as const;

/**
 * One trust ready for the scanners, through the API: the organisation, its
 * scanner and procurement keys, the mix's products and the recall of its
 * recalled lot (with `clinical`, the products' clinical attributes too). Answers the scanner key.
 */
export async function setUpTrust(url: string, adminKey: string, odsCode = 'RBENCH', options: { readonly clinical?: boolean } = {}): Promise<string> {
  const api = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  await api('POST', '/v1/organisations', adminKey, { odsCode, name: `Trust ${odsCode}` });
  const scannerKey = String((await api('POST', '/v1/api-keys', adminKey, { name: 'scanners', role: 'scanner', organisation: odsCode })).key);
  const procurementKey = String((await api('POST', '/v1/api-keys', adminKey, { name: 'procurement', role: 'procurement', organisation: odsCode })).key);
  for (const [i, gtin] of MIX_GTINS.entries()) {
    const clinical = options.clinical ? { clinical: CLINICAL_CATALOGUE[i % CLINICAL_CATALOGUE.length] } : {};
    await api('PUT', `/v1/products/${gtin}`, procurementKey, { brand: `Implant ${i}`, manufacturer: 'Orthopaedics Ltd', implantable: true, ...clinical });
  }
  await api('POST', '/v1/recalls', procurementKey, { reference: `FSN-${odsCode}-1`, title: 'Recall of one lot', scope: [{ gtin: MIX_GTINS[0], lots: [RECALLED_LOT] }] });
  return scannerKey;
}

export interface Reconciliation {
  /** Distinct scans (Idempotency-Keys) the scanners were told were recorded. */
  readonly acknowledged: number;
  /** Product scans stored in the procedures the run opened. */
  readonly stored: number;
  /** Acknowledged, yet not stored. */
  readonly lost: number;
  /** Stored more than once, or stored without being acknowledged. */
  readonly duplicated: number;
}

/**
 * Compares what the scanners were told with what the database holds: each
 * acknowledged key must have its stored answer, the scan that answer names
 * must exist, and there must be no other product scan in the run's procedures.
 */
export async function reconcile(db: Kysely<Database>, organisationOds: string, acknowledgedKeys: readonly string[]): Promise<Reconciliation> {
  const keys = [...new Set(acknowledgedKeys)];
  const found = await sql<{ n: string }>`
    select count(*) as n
    from idempotency_keys k
    join organisations o on o.id = k.organisation_id and o.ods_code = ${organisationOds}
    join scans s on s.id = (k.response->'scan'->>'id')::uuid
    where k.key = any(${keys}::text[])`.execute(db);
  const stored = await sql<{ n: string }>`
    select count(*) as n from scans s join organisations o on o.id = s.organisation_id and o.ods_code = ${organisationOds}
    where s.kind = 'product'`.execute(db);
  const matched = Number(found.rows[0]?.n ?? 0);
  const total = Number(stored.rows[0]?.n ?? 0);
  return { acknowledged: keys.length, stored: total, lost: keys.length - matched, duplicated: total - matched };
}

/**
 * Kills every connection the service holds to this database, busy or idle, as a
 * failing network or a DBA would. Answers how many, and how many were mid-query.
 */
export async function killServiceConnections(adminUrl: string, database: string): Promise<{ killed: number; busy: number }> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const r = await client.query<{ busy: boolean }>(
      `select state <> 'idle' as busy, pg_terminate_backend(pid) from pg_stat_activity where application_name = 'implant-trace' and datname = $1`,
      [database],
    );
    return { killed: r.rowCount ?? 0, busy: r.rows.filter((row) => row.busy).length };
  } finally {
    await client.end();
  }
}
