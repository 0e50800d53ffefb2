import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { parseBarcode } from '../../barcode/index.js';
import type { ParseResult } from '../../barcode/types.js';
import type { Database, ItemAction } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { canSee, requireOrganisation, type RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit } from '../audit/audit.service.js';
import { findProcedure } from '../procedures/procedure.repository.js';
import { findProductByDi } from '../products/product.repository.js';
import { activeRecallsCovering } from '../recalls/recall.repository.js';
import {
  claimIdempotencyKey,
  findImplantToExplant,
  findItem,
  findPendingItem,
  findScan,
  insertItem,
  insertScan,
  isScanVoided,
  liveScansOfItem,
  sameRawScannedSince,
  serialImplantedElsewhere,
  serialInProcedure,
  storeIdempotentResponse,
  updateItem,
  type Item,
  type Scan,
} from './scan.repository.js';
import { awaitingFor, completes, deviceFromParse, manualDevice, mergeDevices, NO_DEVICE, scanWarnings, type Device, type ScanWarning } from './scan.rules.js';

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

export interface ScanOutcome {
  readonly statusCode: number;
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
});

export const toItemApi = (i: Item) => ({
  id: i.id,
  procedureId: i.procedureId,
  action: i.action,
  status: i.status,
  issuingAgency: i.issuingAgency,
  di: i.di,
  gtin: i.gtin,
  hibc: i.hibcLic !== null && i.hibcPcn !== null ? { lic: i.hibcLic, pcn: i.hibcPcn } : null,
  lotNumber: i.lotNumber,
  serialNumber: i.serialNumber,
  expirationDate: i.expirationDate,
  manufacturingDate: i.manufacturingDate,
  entryType: i.entryType,
  awaiting: i.awaiting,
  explantOfItemId: i.explantOfItemId,
  explantedByItemId: i.explantedByItemId,
  firstScannedAt: i.firstScannedAt.toISOString(),
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

/** Reads the barcode, or refuses it (422) with the parser's explanation. Nothing is stored on refusal. */
function readProductLabel(barcode: string, today: Date): { device: Device; parsed: ParseResult } {
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

/**
 * Records one scan at the point of use, exactly once per Idempotency-Key: the
 * scan row, the item it creates or completes (split labels), the explant link,
 * the warnings and the audit row are one transaction. A scan with warnings is
 * still recorded: losing the record of what is inside a patient is the worst outcome.
 */
export async function recordScan(
  db: Kysely<Database>,
  ctx: RequestContext,
  procedureId: string,
  idempotencyKey: string,
  input: RecordScanInput,
  clock: Clock,
): Promise<ScanOutcome> {
  const organisationId = requireOrganisation(ctx);
  const hash = requestHash(procedureId, input);
  return db.transaction().execute(async (trx) => {
    const claim = await claimIdempotencyKey(trx, organisationId, idempotencyKey, hash);
    if (!claim.claimed) {
      if (!claim.requestHash.equals(hash)) {
        throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different scan. Use a new key for a new scan.');
      }
      return { statusCode: claim.statusCode ?? 201, body: claim.response as ScanResponse, replayed: true };
    }

    const procedure = await findProcedure(trx, procedureId, true);
    if (!procedure || procedure.organisationId !== organisationId) throw new ProblemError('NOT_FOUND', 'No such procedure.');
    if (procedure.status === 'completed' && !input.lateEntry) {
      throw new ProblemError('PROCEDURE_COMPLETED', 'The procedure is completed: send lateEntry with a reason to record this scan.');
    }

    const now = clock.now();
    const scannedAt = input.scannedAt ?? now;
    const manual = input.manual !== undefined;
    const read = input.barcode !== undefined ? readProductLabel(input.barcode, now) : undefined;
    const scanned: Device = read?.device ?? (input.manual ? manualDevice(input.manual) : NO_DEVICE);
    const scannerId = input.scannerId ?? null;
    const raw = input.barcode ?? null;
    const sameScanJustBefore = raw !== null && (await sameRawScannedSince(trx, procedure.id, scannerId, raw, new Date(scannedAt.getTime() - DOUBLE_SCAN_WINDOW_MS)));

    // Split labels: the other half of a pending item from this scanner, if it is waiting.
    let item: Item | undefined;
    let device = scanned;
    const awaiting = awaitingFor(scanned, manual);
    if (awaiting !== null) {
      const other = awaiting === 'product-label' ? 'secondary-label' : 'product-label';
      const pending = await findPendingItem(trx, procedure.id, scannerId, other, new Date(scannedAt.getTime() - SPLIT_LABEL_WINDOW_MS));
      if (pending && completes(pending, scanned)) {
        device = mergeDevices(pending, scanned);
        item = await updateItem(trx, pending.id, { device, awaiting: awaitingFor(device, false) }, now);
      }
    }
    item ??= await insertItem(trx, {
      organisationId,
      procedure,
      patientId: procedure.patientId,
      action: input.action,
      device,
      entryType: manual ? 'manual' : 'barcode',
      scannerId,
      awaiting,
      firstScannedAt: scannedAt,
    });

    let explantMatched: boolean | null = null;
    if (item.action === 'explanted' && device.di !== null && item.explantOfItemId === null) {
      const implant = await findImplantToExplant(trx, item, device);
      explantMatched = implant !== undefined;
      if (implant) {
        item = await updateItem(trx, item.id, { explantOfItemId: implant.id }, now);
        await updateItem(trx, implant.id, { explantedByItemId: item.id }, now);
      }
    }

    const product = device.di === null ? undefined : await findProductByDi(trx, device.di);
    const serial = device.di !== null && device.serialNumber !== null;
    const warnings = scanWarnings({
      device,
      action: item.action,
      scanDate: dateInTheatre.format(scannedAt),
      product: product ? { implantable: product.implantable } : null,
      serialImplantedElsewhere: serial && (await serialImplantedElsewhere(trx, device.di as string, device.serialNumber as string, procedure.patientId)),
      serialAlreadyInProcedure: serial && (await serialInProcedure(trx, procedure.id, device.di as string, device.serialNumber as string, item.id)),
      sameScanJustBefore,
      awaiting: item.awaiting,
      explantMatched,
      // Quarantine: an active recall (the organisation's or a national one) that covers the device.
      recalls: await activeRecallsCovering(trx, organisationId, device),
      parserWarnings: read?.parsed.warnings ?? [],
    });

    const scan = await insertScan(trx, {
      organisationId,
      procedureId: procedure.id,
      itemId: item.id,
      kind: 'product',
      action: input.action,
      entryType: manual ? 'manual' : 'barcode',
      raw,
      parsed: read ? read.parsed : (input.manual ?? null),
      device: scanned,
      voidsScanId: null,
      reason: input.lateEntry?.reason ?? null,
      lateEntry: input.lateEntry !== undefined,
      warnings,
      scannerId,
      scannedAt,
      actorKeyId: ctx.actor.keyId,
    });
    await recordAudit(trx, ctx, {
      action: 'scan.record',
      organisationId,
      patientIds: [procedure.patientId],
      procedureIds: [procedure.id],
      detail: { scanId: scan.id, itemId: item.id, warnings: warnings.map((w) => w.code) },
    });

    const body: ScanResponse = { scan: toScanApi(scan), item: toItemApi(item), warnings };
    await storeIdempotentResponse(trx, organisationId, idempotencyKey, 201, body);
    return { statusCode: 201, body, replayed: false };
  });
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
      });
      const item = target.itemId === null ? undefined : await rebuildItem(trx, target.itemId, now);
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
