import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import type { Awaiting, Database, EntryType, ItemAction, ItemsTable, ScansTable } from '../../db/database.js';
import type { Procedure } from '../procedures/procedure.repository.js';
import type { Device } from './scan.rules.js';

export interface Item extends Device {
  readonly id: string;
  readonly organisationId: string;
  readonly procedureId: string;
  readonly patientId: string;
  readonly action: ItemAction;
  readonly status: 'active' | 'voided';
  readonly entryType: EntryType;
  readonly scannerId: string | null;
  readonly awaiting: Awaiting | null;
  readonly explantOfItemId: string | null;
  readonly explantedByItemId: string | null;
  readonly firstScannedAt: Date;
}

export interface Scan {
  readonly id: string;
  readonly organisationId: string;
  readonly procedureId: string;
  readonly itemId: string | null;
  readonly kind: 'product' | 'void';
  readonly action: ItemAction | null;
  readonly entryType: EntryType | null;
  readonly raw: string | null;
  readonly device: Device;
  readonly voidsScanId: string | null;
  readonly reason: string | null;
  readonly lateEntry: boolean;
  readonly warnings: unknown;
  readonly scannerId: string | null;
  readonly scannedAt: Date;
  readonly recordedAt: Date;
  readonly actorKeyId: string;
}

const toItem = (r: Selectable<ItemsTable>): Item => ({
  id: r.id,
  organisationId: r.organisation_id,
  procedureId: r.procedure_id,
  patientId: r.patient_id,
  action: r.action,
  status: r.status,
  issuingAgency: r.issuing_agency,
  di: r.di,
  gtin: r.gtin,
  hibcLic: r.hibc_lic,
  hibcPcn: r.hibc_pcn,
  hibcCheck: r.hibc_check,
  lotNumber: r.lot_number,
  serialNumber: r.serial_number,
  expirationDate: r.expiration_date,
  manufacturingDate: r.manufacturing_date,
  entryType: r.entry_type,
  scannerId: r.scanner_id,
  awaiting: r.awaiting,
  explantOfItemId: r.explant_of_item_id,
  explantedByItemId: r.explanted_by_item_id,
  firstScannedAt: r.first_scanned_at,
});

const toScan = (r: Selectable<ScansTable>): Scan => ({
  id: r.id,
  organisationId: r.organisation_id,
  procedureId: r.procedure_id,
  itemId: r.item_id,
  kind: r.kind,
  action: r.action,
  entryType: r.entry_type,
  raw: r.raw,
  device: {
    issuingAgency: r.issuing_agency,
    di: r.di,
    gtin: r.issuing_agency === 'GS1' ? r.di : null,
    hibcLic: null,
    hibcPcn: null,
    hibcCheck: null,
    lotNumber: r.lot_number,
    serialNumber: r.serial_number,
    expirationDate: r.expiration_date,
    manufacturingDate: r.manufacturing_date,
  },
  voidsScanId: r.voids_scan_id,
  reason: r.reason,
  lateEntry: r.late_entry,
  warnings: r.warnings,
  scannerId: r.scanner_id,
  scannedAt: r.scanned_at,
  recordedAt: r.recorded_at,
  actorKeyId: r.actor_key_id,
});

const deviceColumns = (d: Device) => ({
  issuing_agency: d.issuingAgency,
  di: d.di,
  gtin: d.gtin,
  hibc_lic: d.hibcLic,
  hibc_pcn: d.hibcPcn,
  hibc_check: d.hibcCheck,
  lot_number: d.lotNumber,
  serial_number: d.serialNumber,
  expiration_date: d.expirationDate,
  manufacturing_date: d.manufacturingDate,
});

// --- idempotency ---------------------------------------------------------------------------

export type Claim = { readonly claimed: true } | { readonly claimed: false; readonly requestHash: Buffer; readonly statusCode: number | null; readonly response: unknown };

/**
 * Claims an Idempotency-Key for this request. A concurrent request with the same
 * key waits on the unique index until the first one commits, then sees it as taken
 * (or claims it, if the first rolled back).
 */
export async function claimIdempotencyKey(db: Kysely<Database>, organisationId: string, key: string, requestHash: Buffer): Promise<Claim> {
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({ organisation_id: organisationId, key, request_hash: requestHash })
    .onConflict((oc) => oc.columns(['organisation_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted) return { claimed: true };
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response'])
    .where('organisation_id', '=', organisationId)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return { claimed: false, requestHash: row.request_hash, statusCode: row.status_code, response: row.response };
}

export async function storeIdempotentResponse(db: Kysely<Database>, organisationId: string, key: string, statusCode: number, response: unknown): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ status_code: statusCode, response: JSON.stringify(response) })
    .where('organisation_id', '=', organisationId)
    .where('key', '=', key)
    .execute();
}

// --- scans ---------------------------------------------------------------------------------

export interface NewScan {
  readonly organisationId: string;
  readonly procedureId: string;
  readonly itemId: string | null;
  readonly kind: 'product' | 'void';
  readonly action: ItemAction | null;
  readonly entryType: EntryType | null;
  readonly raw: string | null;
  readonly parsed: unknown;
  readonly device: Device | null;
  readonly voidsScanId: string | null;
  readonly reason: string | null;
  readonly lateEntry: boolean;
  readonly warnings: unknown;
  readonly scannerId: string | null;
  readonly scannedAt: Date;
  readonly actorKeyId: string;
}

export async function insertScan(db: Kysely<Database>, s: NewScan): Promise<Scan> {
  const d = s.device;
  const row = await db
    .insertInto('scans')
    .values({
      organisation_id: s.organisationId,
      procedure_id: s.procedureId,
      item_id: s.itemId,
      kind: s.kind,
      action: s.action,
      entry_type: s.entryType,
      raw: s.raw,
      parsed: s.parsed === null ? null : JSON.stringify(s.parsed),
      issuing_agency: d?.issuingAgency ?? null,
      di: d?.di ?? null,
      lot_number: d?.lotNumber ?? null,
      serial_number: d?.serialNumber ?? null,
      expiration_date: d?.expirationDate ?? null,
      manufacturing_date: d?.manufacturingDate ?? null,
      voids_scan_id: s.voidsScanId,
      reason: s.reason,
      late_entry: s.lateEntry,
      warnings: JSON.stringify(s.warnings),
      scanner_id: s.scannerId,
      scanned_at: s.scannedAt,
      actor_key_id: s.actorKeyId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toScan(row);
}

export async function findScan(db: Kysely<Database>, id: string): Promise<Scan | undefined> {
  const row = await db.selectFrom('scans').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toScan(row);
}

export async function isScanVoided(db: Kysely<Database>, scanId: string): Promise<boolean> {
  const row = await db.selectFrom('scans').select('id').where('voids_scan_id', '=', scanId).executeTakeFirst();
  return row !== undefined;
}

/** Every scan of a procedure, oldest first. */
export async function scansOfProcedure(db: Kysely<Database>, procedureId: string): Promise<Scan[]> {
  return (await db.selectFrom('scans').selectAll().where('procedure_id', '=', procedureId).orderBy('recorded_at').orderBy('id').execute()).map(toScan);
}

/** The product scans of an item that have not been voided, oldest first. */
export async function liveScansOfItem(db: Kysely<Database>, itemId: string): Promise<Scan[]> {
  return (
    await db
      .selectFrom('scans as s')
      .selectAll('s')
      .where('s.item_id', '=', itemId)
      .where('s.kind', '=', 'product')
      .where(notVoided)
      .orderBy('s.recorded_at')
      .orderBy('s.id')
      .execute()
  ).map(toScan);
}

const notVoided = (eb: ExpressionBuilder<Database & { s: ScansTable }, 's'>) =>
  eb.not(eb.exists(eb.selectFrom('scans as v').select('v.id').whereRef('v.voids_scan_id', '=', 's.id')));

/** Whether the same raw label was scanned (and not voided) in the procedure by the same scanner since `since`. */
export async function sameRawScannedSince(db: Kysely<Database>, procedureId: string, scannerId: string | null, raw: string, since: Date): Promise<boolean> {
  const row = await db
    .selectFrom('scans as s')
    .select('s.id')
    .where('s.procedure_id', '=', procedureId)
    .where('s.kind', '=', 'product')
    .where('s.raw', '=', raw)
    .where(sql<boolean>`s.scanner_id is not distinct from ${scannerId}`)
    .where('s.scanned_at', '>=', since)
    .where(notVoided)
    .executeTakeFirst();
  return row !== undefined;
}

// --- items ---------------------------------------------------------------------------------

export interface NewItem {
  readonly organisationId: string;
  readonly procedure: Pick<Procedure, 'id' | 'startedAt' | 'locationId' | 'leadClinicianId' | 'side'>;
  readonly patientId: string;
  readonly action: ItemAction;
  readonly device: Device;
  readonly entryType: EntryType;
  readonly scannerId: string | null;
  readonly awaiting: Awaiting | null;
  readonly firstScannedAt: Date;
}

export async function insertItem(db: Kysely<Database>, i: NewItem): Promise<Item> {
  const row = await db
    .insertInto('items')
    .values({
      organisation_id: i.organisationId,
      procedure_id: i.procedure.id,
      procedure_started_at: i.procedure.startedAt,
      location_id: i.procedure.locationId,
      lead_clinician_id: i.procedure.leadClinicianId,
      side: i.procedure.side,
      patient_id: i.patientId,
      nhs_number: (eb) => eb.selectFrom('patients').select('nhs_number').where('id', '=', i.patientId),
      action: i.action,
      ...deviceColumns(i.device),
      entry_type: i.entryType,
      scanner_id: i.scannerId,
      awaiting: i.awaiting,
      first_scanned_at: i.firstScannedAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toItem(row);
}

export async function updateItem(
  db: Kysely<Database>,
  id: string,
  patch: { device?: Device; awaiting?: Awaiting | null; status?: 'active' | 'voided'; explantOfItemId?: string | null; explantedByItemId?: string | null },
  at: Date,
): Promise<Item> {
  const row = await db
    .updateTable('items')
    .set({
      ...(patch.device ? deviceColumns(patch.device) : {}),
      ...(patch.awaiting !== undefined ? { awaiting: patch.awaiting } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.explantOfItemId !== undefined ? { explant_of_item_id: patch.explantOfItemId } : {}),
      ...(patch.explantedByItemId !== undefined ? { explanted_by_item_id: patch.explantedByItemId } : {}),
      updated_at: at,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toItem(row);
}

export async function findItem(db: Kysely<Database>, id: string): Promise<Item | undefined> {
  const row = await db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toItem(row);
}

export async function itemsOfProcedure(db: Kysely<Database>, procedureId: string): Promise<Item[]> {
  return (await db.selectFrom('items').selectAll().where('procedure_id', '=', procedureId).orderBy('first_scanned_at').orderBy('id').execute()).map(toItem);
}

/** The newest item of the procedure, from this scanner since `since`, still waiting for the given half of its label. */
export async function findPendingItem(db: Kysely<Database>, procedureId: string, scannerId: string | null, awaiting: Awaiting, since: Date): Promise<Item | undefined> {
  const row = await db
    .selectFrom('items')
    .selectAll()
    .where('procedure_id', '=', procedureId)
    .where('status', '=', 'active')
    .where('awaiting', '=', awaiting)
    .where(sql<boolean>`scanner_id is not distinct from ${scannerId}`)
    .where('first_scanned_at', '>=', since)
    .orderBy('first_scanned_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row && toItem(row);
}

/**
 * Whether this serial of this device is implanted (and not since explanted) in
 * another patient, in any organisation: a serial is one physical device.
 */
export async function serialImplantedElsewhere(db: Kysely<Database>, di: string, serial: string, patientId: string): Promise<boolean> {
  const row = await db
    .selectFrom('items')
    .select('id')
    .where('di', '=', di)
    .where('serial_number', '=', serial)
    .where('action', '=', 'implanted')
    .where('status', '=', 'active')
    .where('explanted_by_item_id', 'is', null)
    .where('patient_id', '<>', patientId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function serialInProcedure(db: Kysely<Database>, procedureId: string, di: string, serial: string, exceptItemId: string | null): Promise<boolean> {
  let query = db
    .selectFrom('items')
    .select('id')
    .where('procedure_id', '=', procedureId)
    .where('status', '=', 'active')
    .where('di', '=', di)
    .where('serial_number', '=', serial);
  if (exceptItemId !== null) query = query.where('id', '<>', exceptItemId);
  return (await query.executeTakeFirst()) !== undefined;
}

/**
 * The implant an explant removes: same patient (by NHS number, so a revision
 * at another hospital links to the primary operation) and device, by serial if
 * known, else by lot; the newest not yet explanted.
 */
export async function findImplantToExplant(db: Kysely<Database>, explant: Item, device: Device): Promise<Item | undefined> {
  if (device.di === null) return undefined;
  let query = db
    .selectFrom('items')
    .selectAll()
    .where('nhs_number', '=', (eb) => eb.selectFrom('items as e').select('e.nhs_number').where('e.id', '=', explant.id))
    .where('di', '=', device.di)
    .where('action', '=', 'implanted')
    .where('status', '=', 'active')
    .where('explanted_by_item_id', 'is', null)
    .where('id', '<>', explant.id)
    // Only an implant done before the explant's operation can be what it removes.
    .where('procedure_started_at', '<=', (eb) => eb.selectFrom('items as e').select('e.procedure_started_at').where('e.id', '=', explant.id));
  if (device.serialNumber !== null) query = query.where('serial_number', '=', device.serialNumber);
  else if (device.lotNumber !== null) query = query.where('lot_number', '=', device.lotNumber);
  else return undefined;
  const row = await query.orderBy('first_scanned_at', 'desc').executeTakeFirst();
  return row && toItem(row);
}
