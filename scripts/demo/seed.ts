/**
 * Seeds the demo trust through the service's own API (app.inject on the real
 * app, on the real database): every rule, ledger row, audit row, idempotency
 * record and feed position is the one the service writes for a theatre or a
 * procurement team. No SQL here.
 *
 * Two years of history are replayed with the app's clock set to each moment
 * (the clock is a dependency of the app, as in the tests): a case scanned in
 * March 2025 is checked for expiry against March 2025, and its scans carry
 * that time. Times the database stamps itself (when a row was stored, when an
 * audit event or a decision was written) are the day of seeding: they say
 * when the record was made, which is true.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { ensureBootstrapKey } from '../../src/modules/api-keys/api-key.service.js';
import { findOrganisationByOdsCode } from '../../src/modules/organisations/organisation.repository.js';
import { listRecalls } from '../../src/modules/recalls/recall.repository.js';
import type { Clock } from '../../src/shared/clock.js';
import { demoPlan, labelOf, manualEntryOf, type DemoPlan, type PlannedContacts, type PlannedProcedure, type PlannedRecall, type PlannedScan } from './plan.js';
import { DEMO_TRUST, MANUFACTURERS, PRODUCTS, RECALL, STAFF, THEATRES } from './trust.js';

export interface DemoKeys {
  readonly admin: string;
  readonly scanner: string;
  readonly procurement: string;
  readonly registry: string;
}

export interface SeedDemoOptions {
  readonly db: Db;
  /** The end of the history (default: now). */
  readonly now?: Date;
  /** A national admin secret to set up with (BOOTSTRAP_ADMIN_KEY); without one, a one-off key is made and revoked at the end. */
  readonly bootstrapAdminKey?: string | undefined;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export type SeedDemoResult =
  | { readonly status: 'seeded'; readonly keys: DemoKeys; readonly plan: DemoPlan; readonly recall: { readonly id: string; readonly patients: number; readonly items: number }; readonly requests: number; readonly seconds: number }
  | { readonly status: 'already-seeded' }
  /** The trust is there without its recall: an earlier seed stopped part way. */
  | { readonly status: 'incomplete' };

/** Whether the demo trust is in the database, whole (its recall, entered near the end, is there) or not. */
async function demoPresent(db: Db): Promise<'already-seeded' | 'incomplete' | undefined> {
  const org = await findOrganisationByOdsCode(db, DEMO_TRUST.odsCode);
  if (!org) return undefined;
  const recalls = (await listRecalls(db, { kind: 'organisation', organisationId: org.id }, { limit: 100 })) ?? [];
  return recalls.some((r) => r.reference === RECALL.reference) ? 'already-seeded' : 'incomplete';
}

/** A clock the seed moves through the history. */
class ReplayClock implements Clock {
  private at: Date;
  constructor(at: Date) {
    this.at = at;
  }
  set(at: Date): void {
    this.at = at;
  }
  now(): Date {
    return new Date(this.at);
  }
}

const MINUTE_MS = 60_000;

/** The API as the seed calls it: one request, its expected status, or an error that says which step failed (never a patient identifier). */
class Api {
  requests = 0;
  constructor(private readonly app: FastifyInstance) {}

  async call<T = Record<string, unknown>>(step: string, key: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, expect: number, payload?: unknown, headers: Record<string, string> = {}): Promise<T> {
    this.requests++;
    const res = await this.app.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...headers }, ...(payload === undefined ? {} : { payload: payload as string | object }) });
    if (res.statusCode !== expect) {
      let why: string;
      try {
        const problem = res.json<{ code?: string; detail?: string }>();
        why = `${problem.code ?? ''} ${problem.detail ?? ''}`;
      } catch {
        why = res.body.slice(0, 200);
      }
      throw new Error(`demo seed, ${step}: ${method} ${url.replace(/\?.*/, '')} answered ${res.statusCode}, expected ${expect}: ${why}`);
    }
    return (res.body === '' ? undefined : res.json()) as T;
  }
}

/** Builds the app the seed talks to: the real one, quiet, on the given database, with the replay clock. */
async function seedingApp(db: Db, clock: Clock): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  // The exporter needs a folder; the seed exports nothing.
  const exportDir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-demo-'));
  const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', EXPORT_DIR: exportDir, AUTH_CACHE_SECONDS: '300' }), db, clock });
  const close = async () => {
    await app.close();
    await rm(exportDir, { recursive: true, force: true });
  };
  return { app, close };
}

/**
 * The national admin the seed sets up with: BOOTSTRAP_ADMIN_KEY when the
 * installation has one, else a one-off key (revoked when the seed ends).
 */
async function setUpKey(db: Db, configured: string | undefined): Promise<{ key: string; oneOff: boolean }> {
  if (configured !== undefined) {
    if ((await ensureBootstrapKey(db, configured)) === 'revoked') throw new Error('BOOTSTRAP_ADMIN_KEY names a revoked key; unset it to seed the demo');
    return { key: configured, oneOff: false };
  }
  const key = `demo-set-up-${randomBytes(24).toString('base64url')}`;
  await ensureBootstrapKey(db, key);
  return { key, oneOff: true };
}

async function revokeOneOff(api: Api, setUp: { key: string; oneOff: boolean }): Promise<void> {
  if (!setUp.oneOff) return;
  const me = await api.call<{ keyId: string }>('revoking the set-up key', setUp.key, 'GET', '/v1/me', 200);
  await api.call('revoking the set-up key', setUp.key, 'DELETE', `/v1/api-keys/${me.keyId}`, 204);
}

/** Issues the demo trust's four keys (one per role) with a national admin key. */
async function issueKeys(api: Api, adminKey: string): Promise<DemoKeys> {
  const key = async (role: keyof DemoKeys, name: string) =>
    (await api.call<{ key: string }>(`issuing the ${role} key`, adminKey, 'POST', '/v1/api-keys', 201, { name, role, organisation: DEMO_TRUST.odsCode, ...(role === 'registry' ? { registry: 'NJR' } : {}) })).key;
  return {
    admin: await key('admin', 'Demo: trust administrator'),
    scanner: await key('scanner', 'Demo: theatre tablets'),
    procurement: await key('procurement', 'Demo: procurement and MDSO'),
    registry: await key('registry', 'Demo: NJR feed'),
  };
}

/**
 * Theatres work side by side: the history is replayed in lanes, each its own
 * app with its own clock, a patient's operations always in one lane and in
 * order (a revision after the operation it revises). Lanes share nothing a
 * case of another patient depends on (serials are unique), and their commits
 * share the database's flushes, which is where a lone lane spends its time.
 */
const LANES = 8;

/**
 * Seeds the demo trust, or answers `already-seeded` (and changes nothing)
 * when it is already in the database, `incomplete` when an earlier seed of it
 * stopped part way (it cannot be finished in place).
 */
export async function seedDemo(options: SeedDemoOptions): Promise<SeedDemoResult> {
  const { db } = options;
  const present = await demoPresent(db);
  if (present) return { status: present };
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const plan = demoPlan(options.now ?? new Date());
  const clock = new ReplayClock(new Date(plan.now.getTime() - 731 * 24 * 60 * MINUTE_MS));
  const main = await seedingApp(db, clock);
  const api = new Api(main.app);
  const lanes: Array<{ api: Api; clock: ReplayClock; close: () => Promise<void> }> = [];
  const setUp = await setUpKey(db, options.bootstrapAdminKey);
  try {
    await api.call('registering the trust', setUp.key, 'POST', '/v1/organisations', 201, DEMO_TRUST);
    const keys = await issueKeys(api, setUp.key);
    await setUpTrust(api, keys);
    log(`trust, ${THEATRES.length} theatres, ${STAFF.length} staff and ${PRODUCTS.length} products registered; replaying ${plan.counts.procedures} procedures…`);

    // The history up to the recall, in lanes by patient; then the recall and what follows it, in turn.
    const recallAt = plan.events.find((e) => e.kind === 'recall')?.at;
    if (!recallAt) throw new Error('demo seed: the plan has no recall');
    const history = plan.events.filter((e): e is PlannedProcedure => e.kind === 'procedure' && e.startedAt < recallAt);
    const after = plan.events.filter((e) => !(e.kind === 'procedure' && e.startedAt < recallAt));
    const laneOf = new Map<string, number>();
    for (const p of history) if (!laneOf.has(p.patient.nhsNumber)) laneOf.set(p.patient.nhsNumber, laneOf.size % LANES);
    for (let i = 0; i < LANES; i++) {
      const laneClock = new ReplayClock(clock.now());
      const lane = await seedingApp(db, laneClock);
      lanes.push({ api: new Api(lane.app), clock: laneClock, close: lane.close });
    }
    let done = 0;
    await Promise.all(
      lanes.map(async (lane, i) => {
        for (const p of history) {
          if (laneOf.get(p.patient.nhsNumber) !== i) continue;
          await replayProcedure(lane.api, lane.clock, keys, p);
          if (++done % 100 === 0) log(`  ${done} of ${plan.counts.procedures} procedures`);
        }
      }),
    );
    let recall: { id: string; patients: number; items: number } | undefined;
    for (const event of after) {
      if (event.kind === 'procedure') await replayProcedure(api, clock, keys, event);
      else if (event.kind === 'recall') recall = await enterRecall(api, clock, keys, event);
      else if (recall) await trackContacts(api, clock, keys, recall.id, event);
    }
    if (!recall) throw new Error('demo seed: the recall was not entered');
    clock.set(new Date());
    await revokeOneOff(api, setUp);
    const requests = api.requests + lanes.reduce((sum, l) => sum + l.api.requests, 0);
    return { status: 'seeded', keys, plan, recall, requests, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    clock.set(new Date());
    await revokeOneOff(api, setUp).catch(() => undefined);
    throw error;
  } finally {
    for (const lane of lanes) await lane.close();
    await main.close();
  }
}

/**
 * A new set of keys for the demo trust (the first set is shown only once).
 * Undefined when the demo is not seeded here.
 */
export async function issueNewDemoKeys(options: Pick<SeedDemoOptions, 'db' | 'bootstrapAdminKey'>): Promise<DemoKeys | undefined> {
  if (!(await findOrganisationByOdsCode(options.db, DEMO_TRUST.odsCode))) return undefined;
  const clock = new ReplayClock(new Date());
  const { app, close } = await seedingApp(options.db, clock);
  const api = new Api(app);
  const setUp = await setUpKey(options.db, options.bootstrapAdminKey);
  try {
    return await issueKeys(api, setUp.key);
  } finally {
    await revokeOneOff(api, setUp).catch(() => undefined);
    await close();
  }
}

/** Theatres with their wall labels' GLNs, staff with their badges' GSRNs, the catalogue with what each label carries. */
async function setUpTrust(api: Api, keys: DemoKeys): Promise<void> {
  for (const t of THEATRES) await api.call('registering a theatre', keys.admin, 'POST', '/v1/locations', 201, { gln: t.gln, name: t.name, kind: 'theatre' });
  for (const s of STAFF) await api.call('registering staff', keys.admin, 'POST', '/v1/staff', 201, { gsrn: s.gsrn, name: s.name, role: s.role });
  // The catalogue arrives as suppliers publish it: a GUDID device file, with the flags for what each label carries.
  const imported = await api.call<{ accepted: number; rejected: unknown[] }>('importing the catalogue', keys.procurement, 'POST', '/v1/products/import', 200, catalogueCsv(), { 'content-type': 'text/csv' });
  if (imported.accepted !== PRODUCTS.length || imported.rejected.length > 0) throw new Error(`demo seed: the catalogue import rejected rows: ${JSON.stringify(imported.rejected)}`);
}

const csvCell = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** The demo catalogue in the GUDID device file's column names. */
export function catalogueCsv(): string {
  const header = ['primaryDI', 'issuingAgency', 'brandName', 'versionModelNumber', 'companyName', 'deviceDescription', 'implantable', 'lotBatch', 'serialNumber', 'expirationDate', 'manufacturingDate'];
  const yn = (b: boolean) => (b ? 'true' : 'false');
  const rows = PRODUCTS.map((p) =>
    [p.gtin, 'GS1', p.brand, p.model, MANUFACTURERS[p.maker].name, p.description, 'true', yn(p.carries.lotNumber), yn(p.carries.serialNumber), yn(p.carries.expirationDate), yn(p.carries.manufacturingDate)].map(csvCell).join(','),
  );
  return `${[header.join(','), ...rows].join('\n')}\n`;
}

interface ScanAnswer {
  readonly scan: { readonly id: string };
  readonly item: { readonly id: string };
  readonly warnings: ReadonlyArray<{ readonly code: string }>;
}

/** One case as the theatre tablet sends it: open, consent, each scan (decisions and voids as they happen), complete. */
async function replayProcedure(api: Api, clock: ReplayClock, keys: DemoKeys, p: PlannedProcedure): Promise<void> {
  clock.set(p.startedAt);
  const opened = await api.call<{ id: string }>(
    `opening ${p.ref}`,
    keys.scanner,
    'POST',
    '/v1/procedures',
    201,
    {
      patient: { nhsNumber: p.patient.nhsNumber, dateOfBirth: p.patient.dateOfBirth },
      location: { gln: p.theatre.gln },
      clinician: { gsrn: p.surgeon.gsrn },
      procedureCode: p.procedureCode,
      side: p.side,
    },
    { 'idempotency-key': p.ref },
  );
  if (p.firstForPatient && p.patient.njrConsent !== null) {
    await api.call(`recording consent in ${p.ref}`, keys.scanner, 'POST', '/v1/consents', 201, { nhsNumber: p.patient.nhsNumber, registry: 'NJR', status: p.patient.njrConsent });
  }
  for (const [k, s] of p.scans.entries()) await replayScan(api, clock, keys, p, opened.id, s, `${p.ref}-scan-${k + 1}`);
  clock.set(p.completedAt);
  await api.call(`completing ${p.ref}`, keys.scanner, 'POST', `/v1/procedures/${opened.id}/complete`, 200);
}

/** A scan at the moment it was read, then the decision or the void that followed it. */
async function replayScan(api: Api, clock: ReplayClock, keys: DemoKeys, p: PlannedProcedure, procedureId: string, s: PlannedScan, idempotencyKey: string): Promise<void> {
  clock.set(s.at);
  const body = s.entry === 'barcode' ? { barcode: labelOf(s.unit) } : { manual: manualEntryOf(s.unit, s.action !== 'explanted') };
  const answer = await api.call<ScanAnswer>(`scanning in ${p.ref}`, keys.scanner, 'POST', `/v1/procedures/${procedureId}/scans`, 201, { ...body, action: s.action, scannerId: p.theatre.scannerId }, { 'idempotency-key': idempotencyKey });
  // The seed checks itself: a warning the plan did not foresee means the data is not what the demo says it is.
  const got = answer.warnings.map((w) => w.code).sort();
  if (JSON.stringify(got) !== JSON.stringify([...s.expect].sort())) {
    throw new Error(`demo seed, ${idempotencyKey}: the service warned ${JSON.stringify(got)}, the plan expected ${JSON.stringify(s.expect)}`);
  }
  if (s.decision) {
    clock.set(new Date(s.at.getTime() + MINUTE_MS));
    await api.call(`deciding in ${p.ref}`, keys.scanner, 'POST', `/v1/items/${answer.item.id}/decision`, 200, s.decision);
  }
  if (s.voidReason !== undefined) {
    clock.set(new Date(s.at.getTime() + MINUTE_MS));
    await api.call(`voiding in ${p.ref}`, keys.scanner, 'POST', `/v1/scans/${answer.scan.id}/void`, 200, { reason: s.voidReason });
  }
}

async function enterRecall(api: Api, clock: ReplayClock, keys: DemoKeys, r: PlannedRecall): Promise<{ id: string; patients: number; items: number }> {
  clock.set(r.at);
  const created = await api.call<{ id: string; counts: { patients: number; items: number } }>('entering the recall', keys.procurement, 'POST', '/v1/recalls', 201, {
    reference: RECALL.reference,
    title: RECALL.title,
    manufacturer: RECALL.manufacturer,
    issuedAt: r.issuedAt,
    scope: [{ gtin: RECALL.gtin, lots: [RECALL.lot] }],
  });
  return { id: created.id, patients: created.counts.patients, items: created.counts.items };
}

interface AffectedPage {
  readonly items: ReadonlyArray<{ readonly itemId: string; readonly patient: { readonly nhsNumber: string }; readonly item: { readonly explantedAt: string | null } }>;
}

/** The MDSO's first days: the revised patient marked explanted, the first few contacted by letter, one reviewed in clinic. */
async function trackContacts(api: Api, clock: ReplayClock, keys: DemoKeys, recallId: string, c: PlannedContacts): Promise<void> {
  clock.set(c.at);
  const page = await api.call<AffectedPage>('reading the recall', keys.procurement, 'GET', `/v1/recalls/${recallId}/patients?limit=200`, 200);
  const rows = [...page.items].sort((a, b) => (a.patient.nhsNumber < b.patient.nhsNumber ? -1 : a.patient.nhsNumber > b.patient.nhsNumber ? 1 : 0));
  const url = (itemId: string) => `/v1/recalls/${recallId}/items/${itemId}`;
  for (const row of rows.filter((r) => r.item.explantedAt !== null)) {
    await api.call('tracking contact', keys.procurement, 'PATCH', url(row.itemId), 200, { status: 'explanted', note: 'Head exchanged at revision before the notice; no further action' });
  }
  const inPatients = rows.filter((r) => r.item.explantedAt === null);
  for (const row of inPatients.slice(0, c.contacted)) {
    await api.call('tracking contact', keys.procurement, 'PATCH', url(row.itemId), 200, { status: 'contacted', note: 'Letter sent; clinic review offered' });
  }
  clock.set(new Date(c.at.getTime() + 2 * 24 * 60 * MINUTE_MS));
  for (const row of inPatients.slice(0, c.reviewed)) {
    await api.call('tracking contact', keys.procurement, 'PATCH', url(row.itemId), 200, { status: 'reviewed', note: 'Seen in clinic; X-ray satisfactory; annual follow-up' });
  }
}
