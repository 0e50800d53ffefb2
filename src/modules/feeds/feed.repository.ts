import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { DecisionStatus, ItemAction, Side } from '../../domain/vocabulary.js';
import type { TenancyScope } from '../../shared/actor.js';
import { catalogueColumn } from '../products/product.repository.js';

/** A position in the feed: the transaction that last changed a procedure, and the change's sequence number. */
export interface FeedPosition {
  readonly xid: string;
  readonly seq: string;
}

/**
 * The next procedures after `after`, in feed order, that no running
 * transaction can still change behind the reader: only positions whose
 * transaction id is below the snapshot's xmin (the oldest transaction still
 * in progress) are returned. A transaction that commits late therefore shows
 * up after positions already handed out, never before them. Run it in a
 * REPEATABLE READ transaction, so the rows and the horizon agree.
 */
export async function nextChangedProcedures(
  db: Kysely<Database>,
  scope: TenancyScope,
  after: FeedPosition | null,
  limit: number,
): Promise<{ id: string; position: FeedPosition }[]> {
  const start = after ?? { xid: '0', seq: '0' };
  // The text forms get their own names: ORDER BY would otherwise sort by them, as text.
  const rows = await sql<{ id: string; xid_text: string; seq_text: string }>`
    select id, change_xid::text as xid_text, change_seq::text as seq_text
    from procedures
    where (change_xid, change_seq) > (${start.xid}::xid8, ${start.seq}::bigint)
      and change_xid < pg_snapshot_xmin(pg_current_snapshot())
      ${scope.kind === 'organisation' ? sql`and organisation_id = ${scope.organisationId}` : sql``}
    order by change_xid, change_seq
    limit ${limit}
  `.execute(db);
  return rows.rows.map((r) => ({ id: r.id, position: { xid: r.xid_text, seq: r.seq_text } }));
}

export interface FeedProcedure {
  readonly id: string;
  readonly organisationId: string;
  readonly odsCode: string;
  readonly patientId: string;
  readonly nhsNumber: string;
  readonly dateOfBirth: string | null;
  readonly status: 'open' | 'completed';
  readonly procedureCode: string | null;
  readonly side: Side | null;
  readonly startedAt: Date;
  readonly completedAt: Date | null;
  readonly location: { id: string; gln: string; glnExtension: string; name: string } | null;
  readonly leadClinician: { id: string; gsrn: string | null; localId: string | null; name: string | null } | null;
}

export async function loadProcedures(db: Kysely<Database>, ids: readonly string[]): Promise<FeedProcedure[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('procedures as p')
    .innerJoin('organisations as o', 'o.id', 'p.organisation_id')
    .innerJoin('patients as pt', 'pt.id', 'p.patient_id')
    .leftJoin('locations as l', 'l.id', 'p.location_id')
    .leftJoin('staff as s', 's.id', 'p.lead_clinician_id')
    .select([
      'p.id',
      'p.organisation_id',
      'o.ods_code',
      'p.patient_id',
      'pt.nhs_number',
      'pt.date_of_birth',
      'p.status',
      'p.procedure_code',
      'p.side',
      'p.started_at',
      'p.completed_at',
      'l.id as location_id',
      'l.gln',
      'l.gln_extension',
      'l.name as location_name',
      's.id as staff_id',
      's.gsrn as staff_gsrn',
      's.local_id as staff_local_id',
      's.name as staff_name',
    ])
    // One array parameter, not a thousand: far cheaper to bind and plan.
    .where(sql<boolean>`p.id = any(${[...ids]}::uuid[])`)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    organisationId: r.organisation_id,
    odsCode: r.ods_code,
    patientId: r.patient_id,
    nhsNumber: r.nhs_number,
    dateOfBirth: r.date_of_birth,
    status: r.status,
    procedureCode: r.procedure_code,
    side: r.side,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    location: r.location_id === null ? null : { id: r.location_id, gln: r.gln ?? '', glnExtension: r.gln_extension ?? '', name: r.location_name ?? '' },
    leadClinician: r.staff_id === null ? null : { id: r.staff_id, gsrn: r.staff_gsrn, localId: r.staff_local_id, name: r.staff_name },
  }));
}

export interface FeedItem {
  readonly id: string;
  readonly procedureId: string;
  readonly action: ItemAction;
  readonly status: 'active' | 'voided';
  readonly issuingAgency: string | null;
  readonly di: string | null;
  readonly gtin: string | null;
  readonly hibcLic: string | null;
  readonly hibcPcn: string | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly manufacturingDate: string | null;
  readonly entryType: 'barcode' | 'manual';
  readonly awaiting: 'product-label' | 'secondary-label' | null;
  readonly decision: DecisionStatus | null;
  readonly firstScannedAt: Date;
  readonly procedureStartedAt: Date;
  readonly product: { brand: string | null; model: string | null; manufacturer: string | null } | null;
  /** For an explant: the implant it removed (possibly at another organisation). */
  readonly revisionOf: { itemId: string; procedureId: string; implantedAt: Date } | null;
  /** For an implant: the explant that removed it. */
  readonly revisedBy: { itemId: string; procedureId: string; revisedAt: Date } | null;
}

export async function loadItems(db: Kysely<Database>, procedureIds: readonly string[]): Promise<FeedItem[]> {
  if (procedureIds.length === 0) return [];
  const rows = await db
    .selectFrom('items as i')
    .leftJoin('products as pr', 'pr.di', 'i.di')
    .leftJoin('product_overrides as po', (join) => join.onRef('po.organisation_id', '=', 'i.organisation_id').onRef('po.di', '=', 'i.di'))
    .leftJoin('items as implant', 'implant.id', 'i.explant_of_item_id')
    .leftJoin('items as explant', 'explant.id', 'i.explanted_by_item_id')
    .select([
      'i.id',
      'i.procedure_id',
      'i.action',
      'i.status',
      'i.issuing_agency',
      'i.di',
      'i.gtin',
      'i.hibc_lic',
      'i.hibc_pcn',
      'i.lot_number',
      'i.serial_number',
      'i.expiration_date',
      'i.manufacturing_date',
      'i.entry_type',
      'i.awaiting',
      'i.decision_status',
      'i.first_scanned_at',
      'i.procedure_started_at',
      sql<boolean>`pr.di is not null or po.di is not null`.as('product_known'),
      catalogueColumn<string>('brand').as('brand'),
      catalogueColumn<string>('model').as('model'),
      catalogueColumn<string>('manufacturer').as('manufacturer'),
      'implant.id as implant_id',
      'implant.procedure_id as implant_procedure_id',
      'implant.procedure_started_at as implant_started_at',
      'explant.id as explant_id',
      'explant.procedure_id as explant_procedure_id',
      'explant.procedure_started_at as explant_started_at',
    ])
    .where(sql<boolean>`i.procedure_id = any(${[...procedureIds]}::uuid[])`)
    .orderBy('i.procedure_id')
    .orderBy('i.first_scanned_at')
    .orderBy('i.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    procedureId: r.procedure_id,
    action: r.action,
    status: r.status,
    issuingAgency: r.issuing_agency,
    di: r.di,
    gtin: r.gtin,
    hibcLic: r.hibc_lic,
    hibcPcn: r.hibc_pcn,
    lotNumber: r.lot_number,
    serialNumber: r.serial_number,
    expirationDate: r.expiration_date,
    manufacturingDate: r.manufacturing_date,
    entryType: r.entry_type,
    awaiting: r.awaiting,
    decision: r.decision_status,
    firstScannedAt: r.first_scanned_at,
    procedureStartedAt: r.procedure_started_at,
    product: !r.product_known ? null : { brand: r.brand, model: r.model, manufacturer: r.manufacturer },
    revisionOf:
      r.implant_id === null || r.implant_procedure_id === null || r.implant_started_at === null
        ? null
        : { itemId: r.implant_id, procedureId: r.implant_procedure_id, implantedAt: r.implant_started_at },
    revisedBy:
      r.explant_id === null || r.explant_procedure_id === null || r.explant_started_at === null
        ? null
        : { itemId: r.explant_id, procedureId: r.explant_procedure_id, revisedAt: r.explant_started_at },
  }));
}
