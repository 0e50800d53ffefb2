import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { missingSeparatorReadings, parseBarcode } from '../../barcode/index.js';
import { checkCompatibility, NOT_CHECKED, rulesForOrganisation, type CompatibilityFinding } from '../../domain/compatibility/index.js';
import type { ParseResult } from '../../barcode/types.js';
import { deviceFieldsOf } from '../../domain/device.js';
import type { Database } from '../../db/database.js';
import type { ItemAction, Side } from '../../domain/vocabulary.js';
import { isDeadlock, isUniqueViolation } from '../../db/errors.js';
import { canSee, requireOrganisation, type Actor, type RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Settled } from '../../shared/coalescer.js';
import { ProblemError } from '../../shared/problem.js';
import { scanTimeIssue, timeOutOfBounds } from '../../shared/time-bounds.js';
import { auditRowOf, recordAudit } from '../audit/audit.service.js';
import { findIdempotencyRecords, idempotencyId, storeIdempotentAnswers } from '../idempotency/idempotency.repository.js';
import { findProcedure, lockProcedures, type Procedure } from '../procedures/procedure.repository.js';
import { activeRecallsCovering } from '../recalls/recall.repository.js';
import { settlePointOfUse } from '../stock/point-of-use.service.js';
import {
  findImplantToExplant,
  findItem,
  findPendingItem,
  findScan,
  insertItems,
  insertScan,
  insertScans,
  isScanVoided,
  markDecisionPending,
  liveScansOfItem,
  recordedFacts,
  updateItem,
  type Item,
  type Scan,
  type ScanAttribution,
  type RecordedFacts,
} from './scan.repository.js';
import { awaitingFor, completes, deviceFromParse, manualDevice, mergeDevices, needsDecision, NO_DEVICE, scanWarnings, type Device, type RunOnSuspicion, type ScanWarning } from './scan.rules.js';

/** The two halves of a split label combine when scanned by one scanner within this time. */
export const SPLIT_LABEL_WINDOW_MS = 120_000;
/** The same label scanned again by the same scanner within this time is flagged as a likely double scan. */
export const DOUBLE_SCAN_WINDOW_MS = 5_000;
/** Expiry is a calendar date where the theatre is. */
const THEATRE_TIME_ZONE = 'Europe/London';
const dateInTheatre = new Intl.DateTimeFormat('en-CA', { timeZone: THEATRE_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

export interface RecordScanInput {
  readonly barcode?: string | undefined;
  readonly manual?: { gtin: string; lotNumber?: string | undefined; serialNumber?: string | undefined; expirationDate?: string | undefined } | undefined;
  readonly action: ItemAction;
  readonly scannedAt?: Date | undefined;
  readonly scannerId?: string | undefined;
  readonly lateEntry?: { reason: string } | undefined;
}

export interface ScanResponse {
  readonly scan: ReturnType<typeof toScanApi>;
  readonly item: ReturnType<typeof toItemApi>;
  readonly warnings: readonly ScanWarning[];
}

/** A recorded scan (the route answers 201 Created, first time and on every replay). */
export interface ScanOutcome {
  readonly body: ScanResponse;
  /** A retry answered from the first request's stored response. */
  readonly replayed: boolean;
}

export const toScanApi = (s: Scan) => ({
  id: s.id,
  procedureId: s.procedureId,
  itemId: s.itemId,
  kind: s.kind,
  action: s.action,
  entryType: s.entryType,
  raw: s.raw,
  issuingAgency: s.device.issuingAgency,
  di: s.device.di,
  lotNumber: s.device.lotNumber,
  serialNumber: s.device.serialNumber,
  expirationDate: s.device.expirationDate,
  manufacturingDate: s.device.manufacturingDate,
  voidsScanId: s.voidsScanId,
  reason: s.reason,
  lateEntry: s.lateEntry,
  scannerId: s.scannerId,
  scannedAt: s.scannedAt.toISOString(),
  recordedAt: s.recordedAt.toISOString(),
  attribution: s.attribution,
});

/**
 * Who a scan is attributed to, by the strongest evidence there is when it is recorded: the person signed
 * in to the session that sent it (or, with a device key, the session signed in on that device); else the
 * staff member at the scanner, the case team's most recently badged member still in the case (a badge
 * scanned, never a GSRN or local id typed in); else the device (its key) alone.
 * From what the request and the locked procedure already hold: no query.
 */
export function attributionOf(actor: Actor, procedure: Pick<Procedure, 'scanningStaffId'>): ScanAttribution {
  if (actor.person !== undefined) {
    const { provider, subject, name } = actor.person;
    return { kind: 'person', person: { provider, subject, name }, staffId: null };
  }
  if (procedure.scanningStaffId !== null) return { kind: 'badge', person: null, staffId: procedure.scanningStaffId };
  return { kind: 'device-only', person: null, staffId: null };
}

/** An answer stored before attribution existed has none: it replays as null ("recorded before attribution"). */
function storedAnswer(response: unknown): ScanResponse {
  const body = response as Omit<ScanResponse, 'scan'> & { scan: Omit<ScanResponse['scan'], 'attribution'> & { attribution?: ScanAttribution | null } };
  return { ...body, scan: { ...body.scan, attribution: body.scan.attribution ?? null } };
}

export const toItemApi = (i: Item) => ({
  id: i.id,
  procedureId: i.procedureId,
  action: i.action,
  status: i.status,
  ...deviceFieldsOf(i),
  awaiting: i.awaiting,
  explantOfItemId: i.explantOfItemId,
  explantedByItemId: i.explantedByItemId,
  firstScannedAt: i.firstScannedAt.toISOString(),
  decision: i.decision && {
    status: i.decision.status,
    reason: i.decision.reason,
    disposition: i.decision.disposition,
    decidedAt: i.decision.decidedAt?.toISOString() ?? null,
    decidedBy: i.decision.decidedBy,
  },
});

function requestHash(procedureId: string, input: RecordScanInput): Buffer {
  const canonical = JSON.stringify([
    procedureId,
    input.barcode ?? null,
    input.manual ? [input.manual.gtin, input.manual.lotNumber ?? null, input.manual.serialNumber ?? null, input.manual.expirationDate ?? null] : null,
    input.action,
    input.scannedAt?.toISOString() ?? null,
    input.scannerId ?? null,
    input.lateEntry?.reason ?? null,
  ]);
  return createHash('sha256').update(canonical).digest();
}

/** The values of a scan that may have swallowed what followed them through a dropped GS, with every other reading. */
function runOnSuspicions(parsed: ParseResult, today: Date): RunOnSuspicion[] {
  const suspicions: RunOnSuspicion[] = [];
  for (const w of parsed.warnings) {
    const value = w.ai === undefined ? undefined : parsed.ais?.[w.ai];
    if (w.code !== 'POSSIBLE_MISSING_SEPARATOR' || w.ai === undefined || value === undefined) continue;
    suspicions.push({ ai: w.ai, value, readings: missingSeparatorReadings(w.ai, value, parsed.ais ?? {}, { today }) });
  }
  return suspicions;
}

/** Reads the barcode, or refuses it (422) with the parser's explanation. Nothing is stored on refusal. */
export function readProductLabel(barcode: string, today: Date): { device: Device; parsed: ParseResult } {
  const parsed = parseBarcode(barcode, { today });
  if (!parsed.valid) {
    throw new ProblemError('BARCODE_INVALID', `The barcode does not read: ${parsed.error?.message ?? 'unknown error'}. Nothing was recorded.`, {
      parse: JSON.parse(JSON.stringify(parsed)) as unknown,
    });
  }
  const device = deviceFromParse(parsed);
  if (device.di === null && device.lotNumber === null && device.serialNumber === null && device.expirationDate === null) {
    const what = parsed.ais?.['8018'] ? 'a patient wristband' : parsed.ais?.['414'] ? 'a location label' : parsed.ais?.['8017'] ? 'a staff badge' : 'not a product label';
    throw new ProblemError('NOT_A_PRODUCT_LABEL', `This is ${what}, not a product. Scan products here; patients and places when opening the procedure.`);
  }
  return { device, parsed };
}

export interface ScanRequest {
  readonly ctx: RequestContext;
  readonly procedureId: string;
  readonly idempotencyKey: string;
  readonly input: RecordScanInput;
}

/** Another transaction stored an answer under one of the batch's Idempotency-Keys first. */
class IdempotencyRace extends Error {}

/** A barcode as read before any transaction opens: the device, or the refusal that will be its answer. */
type Read = { readonly device: Device; readonly parsed: ParseResult } | ProblemError | undefined;

function readBeforehand(input: RecordScanInput, today: Date): Read {
  if (input.barcode === undefined) return undefined;
  try {
    return readProductLabel(input.barcode, today);
  } catch (error) {
    if (error instanceof ProblemError) return error;
    throw error;
  }
}

/**
 * Records scans at the point of use, each exactly once per Idempotency-Key,
 * several in one transaction: the scan rows, the items they create or complete
 * (split labels), the explant links, the warnings, the decisions they ask for,
 * the audit rows and the stored answers commit together, so one durable commit
 * acknowledges them all. A scan with warnings is still recorded: losing the
 * record of what is inside a patient is the worst outcome.
 *
 * Barcodes are read before the transaction opens (the parser is pure). One
 * scan's refusal (an unreadable barcode, a completed procedure, a reused key, a
 * time out of bounds) is that scan's answer alone. Anything else that stops the
 * transaction (a key taken by a concurrent request, a deadlock, a lost
 * connection) stores nothing of the batch, and each scan is then recorded again
 * on its own.
 */
export async function recordScans(db: Kysely<Database>, requests: readonly ScanRequest[], clock: Clock): Promise<Array<Settled<ScanOutcome>>> {
  const readAt = clock.now();
  const reads = requests.map((r) => readBeforehand(r.input, readAt));
  return recordReadScans(db, requests, reads, clock);
}

async function recordReadScans(db: Kysely<Database>, requests: readonly ScanRequest[], reads: readonly Read[], clock: Clock): Promise<Array<Settled<ScanOutcome>>> {
  for (let attempt = 1; ; attempt++) {
    const results: Array<Settled<ScanOutcome>> = [];
    try {
      await db.transaction().execute(async (trx) => {
        // Scans of one procedure are recorded in turn (split labels and double scans depend on the one before),
        // each turn a millisecond later at least, so their times keep their order.
        let last = -Infinity;
        for (const wave of wavesByProcedure(requests)) {
          const now = new Date(Math.max(clock.now().getTime(), last + 1));
          last = now.getTime();
          const settled = await recordWave(trx, wave.map((i) => ({ req: requests[i] as ScanRequest, read: reads[i] })), now);
          for (const [index, result] of settled) results[wave[index] as number] = result;
        }
      });
      return results;
    } catch (error) {
      if (requests.length > 1) {
        // In turn, so that scans of one procedure keep their order.
        const alone: Array<Settled<ScanOutcome>> = [];
        for (const [i, r] of requests.entries()) alone.push(...(await recordReadScans(db, [r], [reads[i]], clock)));
        return alone;
      }
      // The concurrent request with our key has committed now: the next attempt answers its response. A
      // deadlock (two batches taking the same units from stock in crossed order) ended this one: again.
      if ((error instanceof IdempotencyRace || isDeadlock(error)) && attempt < 3) continue;
      return [{ ok: false, error }];
    }
  }
}

/** Request indices in waves with at most one scan per procedure each, in arrival order. */
function wavesByProcedure(requests: readonly ScanRequest[]): number[][] {
  const waves: number[][] = [];
  const seen = new Map<string, number>();
  requests.forEach((r, i) => {
    const wave = seen.get(r.procedureId) ?? 0;
    seen.set(r.procedureId, wave + 1);
    (waves[wave] ??= []).push(i);
  });
  return waves;
}

interface Fresh {
  readonly index: number;
  readonly req: ScanRequest;
  readonly read: Read;
  readonly organisationId: string;
  readonly hash: Buffer;
}

interface Accepted extends Fresh {
  readonly procedure: Procedure;
  readonly parsed: ParseResult | undefined;
  readonly scanned: Device;
  readonly scannedAt: Date;
  readonly manual: boolean;
  readonly awaiting: ReturnType<typeof awaitingFor>;
  device: Device;
  item?: Item;
  /** The item was inserted by this scan (nothing of it is in the stock ledger yet). */
  fresh: boolean;
  explantMatched: boolean | null;
}

/** The answers of a wave, by index in the wave. */
type WaveResults = Array<[number, Settled<ScanOutcome>]>;

/**
 * Scans of distinct procedures, in one transaction, in named phases: claim the
 * keys, accept or refuse each scan, join split labels, insert new items, link
 * explants, gather facts and build the scan rows (warnings, decisions asked
 * for), persist. Answers [index in wave, result].
 */
async function recordWave(trx: Kysely<Database>, wave: ReadonlyArray<{ req: ScanRequest; read: Read }>, now: Date): Promise<WaveResults> {
  const results: WaveResults = [];
  const refuse = (index: number, error: unknown) => {
    if (!(error instanceof ProblemError)) throw error;
    results.push([index, { ok: false, error }]);
  };
  const fresh = identify(wave, refuse);
  const claimed = await claimKeys(trx, fresh);
  const accepted = acceptOrReplay(fresh, claimed, now, results, refuse);
  if (accepted.length === 0) return results;
  await joinSplitLabels(trx, accepted, now);
  await insertNewItems(trx, accepted);
  await linkExplants(trx, accepted, now);
  const rows = await buildScanRows(trx, accepted, now);
  await askForDecisions(trx, accepted, rows, now);
  await consumeAtPointOfUse(trx, accepted);
  const answers = await persist(trx, accepted, rows);
  accepted.forEach((a, k) => results.push([a.index, { ok: true, value: answers[k] as ScanOutcome }]));
  return results;
}

/** Phase: who is asking, and the hash that tells a retry from another request under the same key. */
function identify(wave: ReadonlyArray<{ req: ScanRequest; read: Read }>, refuse: (index: number, error: unknown) => void): Fresh[] {
  const fresh: Fresh[] = [];
  wave.forEach(({ req, read }, index) => {
    try {
      fresh.push({ index, req, read, organisationId: requireOrganisation(req.ctx), hash: requestHash(req.procedureId, req.input) });
    } catch (error) {
      refuse(index, error);
    }
  });
  return fresh;
}

/** Phase: lock the procedures, then read any answers already stored under the keys. */
async function claimKeys(trx: Kysely<Database>, fresh: readonly Fresh[]) {
  // Locked first: a retry waiting behind its own first attempt then sees that attempt's stored answer.
  const procedures = await lockProcedures(trx, fresh.map((f) => f.req.procedureId));
  const stored = await findIdempotencyRecords(trx, fresh.map((f) => ({ organisationId: f.organisationId, key: f.req.idempotencyKey })));
  return { procedures, stored };
}

/** Phase: a retry is answered from its stored answer; a scan that breaks a rule is refused; the rest go on. */
function acceptOrReplay(
  fresh: readonly Fresh[],
  claimed: Awaited<ReturnType<typeof claimKeys>>,
  now: Date,
  results: WaveResults,
  refuse: (index: number, error: unknown) => void,
): Accepted[] {
  const accepted: Accepted[] = [];
  for (const f of fresh) {
    try {
      const record = claimed.stored.get(idempotencyId(f.organisationId, f.req.idempotencyKey));
      if (record) {
        if (!record.requestHash.equals(f.hash)) {
          throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different scan. Use a new key for a new scan.');
        }
        results.push([f.index, { ok: true, value: { body: storedAnswer(record.response), replayed: true } }]);
        continue;
      }
      const { input } = f.req;
      const procedure = claimed.procedures.get(f.req.procedureId);
      if (!procedure || procedure.organisationId !== f.organisationId) throw new ProblemError('NOT_FOUND', 'No such procedure.');
      if (procedure.status === 'completed' && !input.lateEntry) {
        throw new ProblemError('PROCEDURE_COMPLETED', 'The procedure is completed: send lateEntry with a reason to record this scan.');
      }
      const timeIssue = input.scannedAt === undefined ? undefined : scanTimeIssue(input.scannedAt, now, procedure.startedAt);
      if (timeIssue) throw timeOutOfBounds('scannedAt', timeIssue);
      if (f.read instanceof ProblemError) throw f.read;
      const manual = input.manual !== undefined;
      const scanned: Device = f.read?.device ?? (input.manual ? manualDevice(input.manual) : NO_DEVICE);
      const awaiting = awaitingFor(scanned, manual);
      accepted.push({ ...f, procedure, parsed: f.read?.parsed, scanned, scannedAt: input.scannedAt ?? now, manual, awaiting, device: scanned, fresh: false, explantMatched: null });
    } catch (error) {
      refuse(f.index, error);
    }
  }
  return accepted;
}

/** Phase: the other half of a pending item from this scanner, if it is waiting (rare: a query each). */
async function joinSplitLabels(trx: Kysely<Database>, accepted: readonly Accepted[], now: Date): Promise<void> {
  for (const a of accepted) {
    if (a.awaiting === null) continue;
    const other = a.awaiting === 'product-label' ? 'secondary-label' : 'product-label';
    const pending = await findPendingItem(trx, a.procedure.id, a.req.input.scannerId ?? null, other, new Date(a.scannedAt.getTime() - SPLIT_LABEL_WINDOW_MS));
    if (pending && completes(pending, a.scanned)) {
      a.device = mergeDevices(pending, a.scanned);
      a.item = await updateItem(trx, pending.id, { device: a.device, awaiting: awaitingFor(a.device, false) }, now);
    }
  }
}

/** Phase: one item for each scan that joined none. */
async function insertNewItems(trx: Kysely<Database>, accepted: readonly Accepted[]): Promise<void> {
  const toInsert = accepted.filter((a) => a.item === undefined);
  const inserted = await insertItems(
    trx,
    toInsert.map((a) => ({
      id: randomUUID(),
      organisationId: a.organisationId,
      procedure: a.procedure,
      patientId: a.procedure.patientId,
      action: a.req.input.action,
      device: a.device,
      entryType: a.manual ? 'manual' : 'barcode',
      scannerId: a.req.input.scannerId ?? null,
      awaiting: a.awaiting,
      firstScannedAt: a.scannedAt,
    })),
  );
  toInsert.forEach((a, k) => {
    a.item = inserted[k];
    a.fresh = true;
  });
}

/** Phase: an explant is linked to the implant it removes (rare: a query each). */
async function linkExplants(trx: Kysely<Database>, accepted: readonly Accepted[], now: Date): Promise<void> {
  for (const a of accepted) {
    let item = a.item as Item;
    if (item.action !== 'explanted' || a.device.di === null || item.explantOfItemId !== null) continue;
    const implant = await findImplantToExplant(trx, item, a.device);
    a.explantMatched = implant !== undefined;
    if (implant) {
      item = await updateItem(trx, item.id, { explantOfItemId: implant.id }, now);
      await updateItem(trx, implant.id, { explantedByItemId: item.id }, now);
      a.item = item;
    }
  }
}

/** Phase: what the service knows about each device (one query for the batch, recalls where named), as warnings on the scan rows. */
async function buildScanRows(trx: Kysely<Database>, accepted: readonly Accepted[], now: Date) {
  const facts = await recordedFacts(
    trx,
    accepted.map((a) => ({
      procedureId: a.procedure.id,
      organisationId: a.procedure.organisationId,
      patientId: a.procedure.patientId,
      scannerId: a.req.input.scannerId ?? null,
      raw: a.req.input.barcode ?? null,
      since: new Date(a.scannedAt.getTime() - DOUBLE_SCAN_WINDOW_MS),
      device: a.device,
      itemId: (a.item as Item).id,
    })),
  );
  const recalls = await recallsNaming(trx, accepted.map((a, k) => ({ organisationId: a.organisationId, device: a.device, manual: a.manual, named: facts[k]?.recallNamesProduct === true })));
  return accepted.map((a, k) => {
    const item = a.item as Item;
    const warnings = deviceWarnings({
      device: a.device,
      action: item.action,
      at: a.scannedAt,
      side: a.procedure.side,
      facts: facts[k] as RecordedFacts,
      recalls: recalls[k] ?? [],
      parsed: a.parsed,
      awaiting: item.awaiting,
      explantMatched: a.explantMatched,
      now,
      compatibility: 'when-described',
    });
    return {
      id: randomUUID(),
      organisationId: a.organisationId,
      procedureId: a.procedure.id,
      itemId: item.id,
      kind: 'product' as const,
      action: a.req.input.action,
      entryType: a.manual ? ('manual' as const) : ('barcode' as const),
      raw: a.req.input.barcode ?? null,
      parsed: a.parsed ?? a.req.input.manual ?? null,
      device: a.scanned,
      voidsScanId: null,
      reason: a.req.input.lateEntry?.reason ?? null,
      lateEntry: a.req.input.lateEntry !== undefined,
      warnings,
      scannerId: a.req.input.scannerId ?? null,
      scannedAt: a.scannedAt,
      actorKeyId: a.req.ctx.actor.keyId,
      attribution: attributionOf(a.req.ctx.actor, a.procedure),
    };
  });
}

/**
 * Quarantine: the active recalls (the organisation's or national ones) that cover each device. Only the
 * few devices whose product a recall names at all (`named`, from the facts query) are checked against the
 * recall's lots, serials and dates.
 */
export async function recallsNaming(
  db: Kysely<Database>,
  devices: ReadonlyArray<{ organisationId: string; device: Device; manual: boolean; named: boolean }>,
): Promise<Array<Awaited<ReturnType<typeof activeRecallsCovering>>>> {
  const recalls: Array<Awaited<ReturnType<typeof activeRecallsCovering>>> = [];
  for (const d of devices) recalls.push(d.named ? await activeRecallsCovering(db, d.organisationId, d.device, d.manual ? 'manual' : 'barcode') : []);
  return recalls;
}

/** What the theatre is told about a device at the point of use: by a scan, or by a check before opening. */
export interface DeviceWarningsInput {
  readonly device: Device;
  readonly action: ItemAction;
  /** When it was scanned or checked: expiry is judged on that date in the theatre. */
  readonly at: Date;
  readonly side: Procedure['side'];
  readonly facts: RecordedFacts;
  readonly recalls: Awaited<ReturnType<typeof activeRecallsCovering>>;
  readonly parsed: ParseResult | undefined;
  readonly awaiting: Item['awaiting'];
  readonly explantMatched: boolean | null;
  readonly now: Date;
  /**
   * A scan checks compatibility only for products the catalogue describes (one without clinical attributes
   * raises nothing there); a check before opening always does, and says when it could not.
   */
  readonly compatibility: 'when-described' | 'always';
}

/**
 * The compatibility findings under the rules in force for the procedure's organisation (the national
 * rules it has not waived, then its own). An own rule whose stored definition no longer reads is said
 * to be not checked, never skipped silently.
 */
function compatibilityFindings(fact: RecordedFacts, side: Side): CompatibilityFinding[] {
  const { rules, unreadable } = rulesForOrganisation(fact.organisationRules);
  const findings = checkCompatibility(rules, { side, candidate: fact.compatibility, implanted: fact.implantedAlongside });
  if (fact.compatibility.clinical === null) return findings;
  for (const id of unreadable) {
    findings.push({ rule: id, code: NOT_CHECKED, severity: 'info', message: `Not checked: the organisation's rule ${id} could not be read. Tell the safety officer.`, withItemId: null });
  }
  return findings;
}

export function deviceWarnings(i: DeviceWarningsInput): ScanWarning[] {
  const fact = i.facts;
  return scanWarnings({
    device: i.device,
    action: i.action,
    scanDate: dateInTheatre.format(i.at),
    product: fact.productKnown ? { implantable: fact.implantable, productionIdentifiers: fact.productionIdentifiers } : null,
    runOns: i.parsed ? runOnSuspicions(i.parsed, i.now) : [],
    serialImplantedElsewhere: fact.serialImplantedElsewhere,
    quarantinedInStock: fact.quarantinedInStock,
    serialAlreadyInProcedure: fact.serialInProcedure,
    sameScanJustBefore: fact.sameRawScannedSince,
    awaiting: i.awaiting,
    explantMatched: i.explantMatched,
    recalls: i.recalls,
    parserWarnings: i.parsed?.warnings ?? [],
    compatibility:
      i.action === 'implanted' && (fact.compatibility.clinical !== null || i.compatibility === 'always')
        ? compatibilityFindings(fact, i.side ?? 'not-applicable')
        : [],
  });
}

type ScanRow = Awaited<ReturnType<typeof buildScanRows>>[number];

/** Phase: each item implanted or wasted takes its unit from the theatre's stock (src/modules/stock/point-of-use.service.ts). */
async function consumeAtPointOfUse(trx: Kysely<Database>, accepted: readonly Accepted[]): Promise<void> {
  await settlePointOfUse(
    trx,
    accepted.map((a) => ({ item: a.item as Item, locationId: a.procedure.locationId, fresh: a.fresh, actorKeyId: a.req.ctx.actor.keyId })),
  );
}

/**
 * Phase: an item being implanted that raised a critical warning is not recorded as in the patient: it
 * waits for the theatre's decision (put aside, or implanted anyway with a reason).
 */
async function askForDecisions(trx: Kysely<Database>, accepted: readonly Accepted[], rows: readonly ScanRow[], now: Date): Promise<void> {
  const pending = await markDecisionPending(
    trx,
    accepted.flatMap((a, k) => (needsDecision(a.item as Item, rows[k]?.warnings ?? []) ? [(a.item as Item).id] : [])),
    now,
  );
  for (const a of accepted) a.item = pending.get((a.item as Item).id) ?? a.item;
}

/** Phase: the scan rows, then the audit rows and the answers under their keys, in one statement. */
async function persist(trx: Kysely<Database>, accepted: readonly Accepted[], rows: readonly ScanRow[]): Promise<ScanOutcome[]> {
  const scans = await insertScans(trx, rows);
  const answers = accepted.map((a, k): ScanOutcome => ({
    body: { scan: toScanApi(scans[k] as Scan), item: toItemApi(a.item as Item), warnings: rows[k]?.warnings ?? [] },
    replayed: false,
  }));
  const storedNow = await storeIdempotentAnswers(
    trx,
    accepted.map((a, k) => ({ organisationId: a.organisationId, key: a.req.idempotencyKey, requestHash: a.hash, statusCode: 201, response: answers[k]?.body })),
    accepted.map((a, k) =>
      auditRowOf(a.req.ctx, {
        action: 'scan.record',
        organisationId: a.organisationId,
        patientIds: [a.procedure.patientId],
        procedureIds: [a.procedure.id],
        detail: { scanId: scans[k]?.id, itemId: a.item?.id, warnings: rows[k]?.warnings.map((w) => w.code) },
      }),
    ),
  );
  if (storedNow !== accepted.length) throw new IdempotencyRace('An Idempotency-Key of this batch was taken by a concurrent request');
  return answers;
}

/**
 * Voids a scan: a new ledger row pointing at it, never a deletion. The item is
 * rebuilt from its scans that remain; with none left it is voided too (and an
 * explant it recorded no longer marks its implant as explanted).
 */
export async function voidScan(db: Kysely<Database>, ctx: RequestContext, scanId: string, reason: string, clock: Clock) {
  try {
    return await db.transaction().execute(async (trx) => {
      const target = await findScan(trx, scanId);
      if (!target || !canSee(ctx.actor, target.organisationId) || ctx.actor.organisationId === null) throw new ProblemError('NOT_FOUND', 'No such scan.');
      if (target.kind !== 'product') throw new ProblemError('SCAN_NOT_VOIDABLE', 'A void cannot itself be voided.');
      const procedure = await findProcedure(trx, target.procedureId, true);
      if (!procedure) throw new ProblemError('NOT_FOUND', 'No such scan.');
      if (await isScanVoided(trx, scanId)) throw new ProblemError('SCAN_ALREADY_VOIDED', 'This scan was already voided.');
      const now = clock.now();
      const voidRow = await insertScan(trx, {
        organisationId: target.organisationId,
        procedureId: target.procedureId,
        itemId: target.itemId,
        kind: 'void',
        action: null,
        entryType: null,
        raw: null,
        parsed: null,
        device: null,
        voidsScanId: target.id,
        reason,
        lateEntry: procedure.status === 'completed',
        warnings: [],
        scannerId: null,
        scannedAt: now,
        actorKeyId: ctx.actor.keyId,
        attribution: attributionOf(ctx.actor, procedure),
      });
      const item = target.itemId === null ? undefined : await rebuildItem(trx, target.itemId, now);
      // What the voided scan took from stock goes back (or the unit as the item now reads is taken instead).
      if (item) await settlePointOfUse(trx, [{ item, locationId: procedure.locationId, fresh: false, actorKeyId: ctx.actor.keyId }]);
      await recordAudit(trx, ctx, {
        action: 'scan.void',
        organisationId: target.organisationId,
        patientIds: [procedure.patientId],
        procedureIds: [procedure.id],
        detail: { scanId: target.id, voidId: voidRow.id, itemId: target.itemId },
      });
      return { scan: toScanApi(voidRow), item: item ? toItemApi(item) : null };
    });
  } catch (error) {
    // Two voids of one scan racing: the unique index lets one through.
    if (isUniqueViolation(error)) throw new ProblemError('SCAN_ALREADY_VOIDED', 'This scan was already voided.');
    throw error;
  }
}

/** Re-derives an item from the scans of it that are not voided. */
async function rebuildItem(db: Kysely<Database>, itemId: string, now: Date): Promise<Item> {
  const item = (await findItem(db, itemId)) as Item;
  const live = await liveScansOfItem(db, itemId);
  if (live.length === 0) {
    if (item.explantOfItemId !== null) await updateItem(db, item.explantOfItemId, { explantedByItemId: null }, now);
    return updateItem(db, itemId, { status: 'voided', awaiting: null, explantOfItemId: null }, now);
  }
  const folded = live.map((s) => s.device).reduce((a, b) => mergeDevices(a, b));
  // The ledger keeps the GS1/HIBC identity fields; the HIBC label parts stay as first read.
  const device: Device = { ...folded, hibcLic: item.hibcLic, hibcPcn: item.hibcPcn, hibcCheck: item.hibcCheck };
  return updateItem(db, itemId, { device, awaiting: awaitingFor(device, item.entryType === 'manual') }, now);
}
