import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import type { CheckedDevice } from '../../domain/compatibility/check.js';
import type { ClinicalAttributes } from '../../domain/compatibility/attributes.js';
import type { Database, ItemsTable, ScansTable } from '../../db/database.js';
import type { Awaiting, DecisionStatus, Disposition, EntryType, ItemAction } from '../../domain/vocabulary.js';
import type { Person } from '../../shared/actor.js';
import type { Procedure } from '../procedures/procedure.repository.js';
import type { Device } from '../../domain/device.js';
import type { LabelIdentifiers } from './scan.rules.js';
import { catalogueColumn } from '../products/product.repository.js';
import { organisationRulesColumn, type OrganisationRulesJson } from '../compatibility/compatibility.repository.js';

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
  /** Null when no critical warning asked for one (or the item predates decisions). */
  readonly decision: ItemDecision | null;
}

/** The decision a critical warning asked for, as it stands. */
export interface ItemDecision {
  readonly status: DecisionStatus;
  readonly id: string | null;
  readonly reason: string | null;
  readonly disposition: Disposition | null;
  readonly decidedAt: Date | null;
  readonly decidedBy: string | null;
}

/**
 * Who a scan is attributed to, by the strongest evidence when it was recorded: the signed-in person of the
 * session that sent it; else the staff member badged for the case (its lead clinician); else the device alone.
 */
export type ScanAttribution =
  | { readonly kind: 'person'; readonly person: Person; readonly staffId: null }
  | { readonly kind: 'badge'; readonly person: null; readonly staffId: string }
  | { readonly kind: 'device-only'; readonly person: null; readonly staffId: null };

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
  /** Null for a scan recorded before attribution existed (never guessed). */
  readonly attribution: ScanAttribution | null;
}

/** A column the check `scans_attribution` guarantees for the row's kind of attribution. */
function present(value: string | null, column: string): string {
  if (value === null) throw new Error(`scans.${column} is null where scans_attribution requires it`);
  return value;
}

function attributionOfRow(r: Selectable<ScansTable>): ScanAttribution | null {
  switch (r.attribution) {
    case null:
      return null;
    case 'person':
      return {
        kind: 'person',
        person: { provider: present(r.person_issuer, 'person_issuer'), subject: present(r.person_subject, 'person_subject'), name: present(r.person_name, 'person_name') },
        staffId: null,
      };
    case 'badge':
      return { kind: 'badge', person: null, staffId: present(r.staff_id, 'staff_id') };
    case 'device-only':
      return { kind: 'device-only', person: null, staffId: null };
  }
}

const attributionColumns = (a: ScanAttribution) => ({
  attribution: a.kind,
  person_issuer: a.person?.provider ?? null,
  person_subject: a.person?.subject ?? null,
  person_name: a.person?.name ?? null,
  staff_id: a.staffId,
});

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
  decision:
    r.decision_status === null
      ? null
      : { status: r.decision_status, id: r.decision_id, reason: r.decision_reason, disposition: r.decision_disposition, decidedAt: r.decided_at, decidedBy: r.decided_by },
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
  attribution: attributionOfRow(r),
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
  readonly attribution: ScanAttribution;
}

const scanValues = (s: NewScan & { readonly id?: string }) => {
  const d = s.device;
  return {
    ...(s.id !== undefined ? { id: s.id } : {}),
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
    // The time of each row, not of the transaction: scans recorded together keep their order.
    recorded_at: sql<Date>`clock_timestamp()`,
    actor_key_id: s.actorKeyId,
    ...attributionColumns(s.attribution),
  };
};

export async function insertScan(db: Kysely<Database>, s: NewScan): Promise<Scan> {
  return toScan(await db.insertInto('scans').values(scanValues(s)).returningAll().executeTakeFirstOrThrow());
}

/** Many scans in one statement, in the order given (each with its id chosen by the caller). */
export async function insertScans(db: Kysely<Database>, scans: ReadonlyArray<NewScan & { readonly id: string }>): Promise<Scan[]> {
  if (scans.length === 0) return [];
  const rows = new Map((await db.insertInto('scans').values(scans.map(scanValues)).returningAll().execute()).map((r) => [r.id, toScan(r)]));
  return scans.map((s) => rows.get(s.id) as Scan);
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

/** Many items in one statement, in the order given (each with its id chosen by the caller). */
export async function insertItems(db: Kysely<Database>, items: ReadonlyArray<NewItem & { readonly id: string }>): Promise<Item[]> {
  if (items.length === 0) return [];
  const rows = await db
    .insertInto('items')
    .values(
      items.map((i) => ({
        id: i.id,
        organisation_id: i.organisationId,
        procedure_id: i.procedure.id,
        procedure_started_at: i.procedure.startedAt,
        location_id: i.procedure.locationId,
        lead_clinician_id: i.procedure.leadClinicianId,
        side: i.procedure.side,
        patient_id: i.patientId,
        nhs_number: (eb: ExpressionBuilder<Database, 'items'>) => eb.selectFrom('patients').select('nhs_number').where('id', '=', i.patientId),
        action: i.action,
        ...deviceColumns(i.device),
        entry_type: i.entryType,
        scanner_id: i.scannerId,
        awaiting: i.awaiting,
        first_scanned_at: i.firstScannedAt,
      })),
    )
    .returningAll()
    .execute();
  const byId = new Map(rows.map((r) => [r.id, toItem(r)]));
  return items.map((i) => byId.get(i.id) as Item);
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

/** Items whose scan raised a critical warning while implanting: they wait for the theatre's decision. */
export async function markDecisionPending(db: Kysely<Database>, ids: readonly string[], at: Date): Promise<Map<string, Item>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .updateTable('items')
    .set({ decision_status: 'pending', decision_id: null, decision_reason: null, decision_disposition: null, decided_at: null, decided_by: null, updated_at: at })
    .where('id', 'in', [...ids])
    // A decision already made stands: a later scan of the item (the other half of a split label) does not undo it.
    .where((eb) => eb.or([eb('decision_status', 'is', null), eb('decision_status', '=', 'pending')]))
    .returningAll()
    .execute();
  return new Map(rows.map((r) => [r.id, toItem(r)]));
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

export interface RecordedFactsQuery {
  readonly procedureId: string;
  /** The organisation whose view of the catalogue applies (its own values over the national record). */
  readonly organisationId: string;
  readonly patientId: string;
  readonly scannerId: string | null;
  /** The label as read; null for a manual entry. */
  readonly raw: string | null;
  /** Double-scan window start. */
  readonly since: Date;
  readonly device: Pick<Device, 'di' | 'gtin' | 'hibcLic' | 'hibcPcn' | 'serialNumber' | 'lotNumber'>;
  /** The item this scan made or completed (not a duplicate of itself); null for a check before opening, which makes none. */
  readonly itemId: string | null;
}

/** What the records say about a scanned device (double scans, serials elsewhere, the catalogue, recalls): the rules' input from the database. */
export interface RecordedFacts {
  /** The same raw label, not voided, from the same scanner in the procedure since `since`. */
  readonly sameRawScannedSince: boolean;
  /** This serial of this device is implanted, and not since explanted, in another patient, in any organisation (a serial is one device). */
  readonly serialImplantedElsewhere: boolean;
  /** Another active item of the procedure has this serial of this device. */
  readonly serialInProcedure: boolean;
  /** The product's record says whether it is an implant; null when the product is not known. */
  readonly implantable: boolean | null;
  /** Which production identifiers the product's label carries, from the catalogue; null when not known. */
  readonly productionIdentifiers: LabelIdentifiers | null;
  readonly productKnown: boolean;
  /** An active recall names this product (GTIN or HIBC LIC + PCN), or lists lots and this is a lot label without its product; whether it covers the item is for the recall's own predicates. */
  readonly recallNamesProduct: boolean;
  /** The product as the compatibility checks see it: its manufacturer and clinical attributes (null: the catalogue has none). */
  readonly compatibility: CheckedDevice;
  /** The other items still implanted in the procedure, as the checks see them; read only when the product has clinical attributes. */
  readonly implantedAlongside: readonly CheckedDevice[];
  /** The organisation's own compatibility rules and waivers (null: none, or a product the checks do not read). */
  readonly organisationRules: OrganisationRulesJson | null;
  /**
   * The organisation's stock holds this unit (its serial), or units of this lot, in quarantine: held back
   * (a recall, damage) and not to be used.
   */
  readonly quarantinedInStock: boolean;
}

/** What the warnings of many scans depend on, in one query (one round trip for a whole batch), in the order asked. */
export async function recordedFacts(db: Kysely<Database>, queries: readonly RecordedFactsQuery[]): Promise<RecordedFacts[]> {
  if (queries.length === 0) return [];
  const column = <T>(f: (q: RecordedFactsQuery) => T) => queries.map(f);
  // An item still in the patient: not this scan's own, not voided, implanted (or implanted after a critical warning), not explanted.
  const stillImplanted = sql`i.id is distinct from q.item_id and i.status = 'active' and i.action = 'implanted'
    and (i.decision_status is null or i.decision_status = 'implanted') and i.explanted_by_item_id is null`;
  const rows = await sql<{
    same_raw: boolean;
    serial_elsewhere: boolean;
    serial_in_procedure: boolean;
    product_known: boolean;
    implantable: boolean | null;
    label_lot: boolean | null;
    label_serial: boolean | null;
    label_expiry: boolean | null;
    label_manufacturing: boolean | null;
    recall_names: boolean;
    manufacturer: string | null;
    clinical: ClinicalAttributes | null;
    alongside: CheckedDevice[] | null;
    organisation_rules: OrganisationRulesJson | null;
    quarantined: boolean;
  }>`
    select
      (q.raw is not null and exists (
        select 1 from scans s
        where s.procedure_id = q.procedure_id and s.kind = 'product' and s.raw = q.raw
          and s.scanner_id is not distinct from q.scanner_id and s.scanned_at >= q.since
          and not exists (select 1 from scans v where v.voids_scan_id = s.id))) as same_raw,
      (q.di is not null and q.serial_number is not null and exists (
        select 1 from items i
        where i.di = q.di and i.serial_number = q.serial_number and i.action = 'implanted' and i.status = 'active'
          and i.decision_status is distinct from 'not-used'
          and i.explanted_by_item_id is null and i.patient_id <> q.patient_id)) as serial_elsewhere,
      (q.di is not null and q.serial_number is not null and exists (
        select 1 from items i
        where i.procedure_id = q.procedure_id and i.status = 'active' and i.di = q.di and i.serial_number = q.serial_number
          and i.id is distinct from q.item_id)) as serial_in_procedure,
      (pr.di is not null or po.di is not null) as product_known,
      ${catalogueColumn('implantable')} as implantable, ${catalogueColumn('label_lot')} as label_lot,
      ${catalogueColumn('label_serial')} as label_serial, ${catalogueColumn('label_expiry')} as label_expiry,
      ${catalogueColumn('label_manufacturing')} as label_manufacturing,
      (exists (
        select 1 from recall_scopes rs join recalls r on r.id = rs.recall_id
        where r.status = 'active' and (rs.gtin = q.gtin or (rs.hibc_lic = q.hibc_lic and rs.hibc_pcn = q.hibc_pcn)))
       -- A lot label without its product: a recall that lists its lot may name it.
       or (q.gtin is null and q.hibc_lic is null and q.lot_number is not null and exists (
        select 1 from recall_scope_members m join recall_scopes rs on rs.id = m.scope_id join recalls r on r.id = rs.recall_id
        where m.kind = 'lot' and m.value = (q.lot_number collate "C") and r.status = 'active'))) as recall_names,
      ${catalogueColumn('manufacturer')} as manufacturer,
      ${catalogueColumn('clinical')} as clinical,
      -- For the compatibility checks, only when the product has clinical attributes: what else is in the patient's
      -- joint. The items implanted in this case, and, for a left or right case, those still implanted on that side by
      -- earlier operations (a revision's retained stem), in any organisation (as revision links are). Each described
      -- by this organisation's view of the catalogue.
      case when ${catalogueColumn('clinical')} is not null then (
        select coalesce(json_agg(json_build_object('itemId', i.id, 'manufacturer', coalesce(io.manufacturer, ip.manufacturer),
                                                   'clinical', coalesce(io.clinical, ip.clinical), 'retained', i.retained)
                                 order by i.first_scanned_at, i.id), '[]'::json)
        -- Two arms, each on its own index (items_procedure; items_revision by NHS number), never an OR join.
        from (
          select i.id, i.di, i.first_scanned_at, false as retained
          from items i
          where i.procedure_id = q.procedure_id and ${stillImplanted}
          union all
          select i.id, i.di, i.first_scanned_at, true
          from procedures qp
          join patients qpt on qpt.id = qp.patient_id
          join items i on i.nhs_number = qpt.nhs_number and i.action = 'implanted' and i.side = qp.side
                      and i.procedure_started_at < qp.started_at
          where qp.id = q.procedure_id and qp.side in ('left', 'right') and ${stillImplanted}
        ) i
        left join products ip on ip.di = i.di
        left join product_overrides io on io.organisation_id = q.organisation_id and io.di = i.di
      ) end as alongside,
      -- The rules in force are the organisation's: its own rules and the national ones it has not waived.
      case when ${catalogueColumn('clinical')} is not null then ${organisationRulesColumn(sql.ref('q.organisation_id'))} end as organisation_rules,
      -- The unit, or its lot, held in quarantine in the organisation's stock (index stock_on_hand_lot).
      (q.di is not null and (q.serial_number is not null or q.lot_number is not null) and exists (
        select 1 from stock_on_hand sq
        where sq.organisation_id = q.organisation_id and sq.di = q.di and sq.status = 'quarantined' and sq.quantity > 0
          and (case when q.serial_number is not null then sq.serial_number = q.serial_number else sq.lot_number = q.lot_number end))) as quarantined
    from unnest(${column((q) => q.procedureId)}::uuid[], ${column((q) => q.patientId)}::uuid[], ${column((q) => q.scannerId)}::text[],
                ${column((q) => q.raw)}::text[], ${column((q) => q.since)}::timestamptz[], ${column((q) => q.device.di)}::text[],
                ${column((q) => q.device.gtin)}::text[], ${column((q) => q.device.hibcLic)}::text[], ${column((q) => q.device.hibcPcn)}::text[],
                ${column((q) => q.device.serialNumber)}::text[], ${column((q) => q.itemId)}::uuid[], ${column((q) => q.device.lotNumber)}::text[],
                ${column((q) => q.organisationId)}::uuid[])
      with ordinality as q(procedure_id, patient_id, scanner_id, raw, since, di, gtin, hibc_lic, hibc_pcn, serial_number, item_id, lot_number, organisation_id, n)
    left join products pr on pr.di = q.di
    left join product_overrides po on po.organisation_id = q.organisation_id and po.di = q.di
    order by q.n`.execute(db);
  return rows.rows.map((r) => ({
    sameRawScannedSince: r.same_raw,
    serialImplantedElsewhere: r.serial_elsewhere,
    serialInProcedure: r.serial_in_procedure,
    productKnown: r.product_known,
    implantable: r.implantable,
    productionIdentifiers:
      r.label_lot === null && r.label_serial === null && r.label_expiry === null && r.label_manufacturing === null
        ? null
        : { lotNumber: r.label_lot, serialNumber: r.label_serial, expirationDate: r.label_expiry, manufacturingDate: r.label_manufacturing },
    recallNamesProduct: r.recall_names,
    compatibility: { manufacturer: r.manufacturer, clinical: r.clinical },
    implantedAlongside: r.alongside ?? [],
    organisationRules: r.organisation_rules,
    quarantinedInStock: r.quarantined,
  }));
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
    .where(sql<boolean>`decision_status is distinct from 'not-used'`)
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
