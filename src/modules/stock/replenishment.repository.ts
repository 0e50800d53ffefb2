/**
 * Replenishment's SQL: par levels (`par_levels`, append-only: the latest row of a location and product is
 * in force) and the reads of the to-order report and the consignment list over the stock ledger and stock
 * on hand. Days are Europe/London calendar days, turned into instants here by Postgres.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { TenancyScope } from '../../shared/actor.js';

export interface NewParLevel {
  readonly organisationId: string;
  readonly setGroup: string;
  readonly locationId: string;
  readonly issuingAgency: string;
  readonly di: string;
  readonly par: number;
  readonly reorderAt: number | null;
  readonly actorKeyId: string;
}

export interface ParLevelRow extends NewParLevel {
  readonly id: string;
  readonly recordedAt: Date;
}

type ParLevelSelect = { id: string; organisation_id: string; set_group: string; location_id: string; issuing_agency: string; di: string; par: number; reorder_at: number | null; actor_key_id: string; recorded_at: Date };

const toParLevel = (r: ParLevelSelect): ParLevelRow => ({
  id: r.id,
  organisationId: r.organisation_id,
  setGroup: r.set_group,
  locationId: r.location_id,
  issuingAgency: r.issuing_agency,
  di: r.di,
  par: r.par,
  reorderAt: r.reorder_at,
  actorKeyId: r.actor_key_id,
  recordedAt: r.recorded_at,
});

export async function insertParLevels(db: Kysely<Database>, levels: readonly NewParLevel[]): Promise<ParLevelRow[]> {
  if (levels.length === 0) return [];
  const rows = await db
    .insertInto('par_levels')
    .values(
      levels.map((l) => ({
        organisation_id: l.organisationId,
        set_group: l.setGroup,
        location_id: l.locationId,
        issuing_agency: l.issuingAgency,
        di: l.di,
        par: l.par,
        reorder_at: l.reorderAt,
        actor_key_id: l.actorKeyId,
      })),
    )
    .returningAll()
    .execute();
  return rows.map(toParLevel);
}

const organisationOf = (scope: TenancyScope, column: string) => (scope.kind === 'organisation' ? sql`${sql.ref(column)} = ${scope.organisationId}` : sql`true`);
const locationsOf = (locationIds: readonly string[] | undefined, column: string) => (locationIds === undefined ? sql`true` : sql`${sql.ref(column)} = any(${[...locationIds]}::uuid[])`);

/**
 * The latest setting of every location and product (ended ones included: the caller decides what is in
 * force), by organisation, location and product; or, with `history`, every setting in the order recorded.
 */
export async function parLevels(db: Kysely<Database>, scope: TenancyScope, locationIds: readonly string[] | undefined, history: boolean): Promise<ParLevelRow[]> {
  const where = sql`${organisationOf(scope, 'p.organisation_id')} and ${locationsOf(locationIds, 'p.location_id')}`;
  const rows = history
    ? await sql<ParLevelSelect>`select p.* from par_levels p where ${where} order by p.id`.execute(db)
    : await sql<ParLevelSelect>`
        select * from (
          select distinct on (p.organisation_id, p.location_id, p.di, p.issuing_agency) p.*
          from par_levels p where ${where}
          order by p.organisation_id, p.location_id, p.di, p.issuing_agency, p.id desc
        ) latest order by organisation_id, location_id, di, issuing_agency`.execute(db);
  return rows.rows.map(toParLevel);
}

/** One location and product: what is on hand there, and what the point of use took from there and put back in the window. */
export interface PositionRow {
  readonly organisationId: string;
  readonly locationId: string;
  readonly issuingAgency: string;
  readonly di: string;
  readonly available: number;
  readonly quarantined: number;
  readonly shortfall: number;
  readonly consumed: number;
  readonly returned: number;
}

/**
 * Stock positions of every location and product that has a par level set (ever) or was consumed at the
 * point of use in the window, from the first day (`from`) through the last (`through`), Europe/London.
 */
export async function stockPositions(db: Kysely<Database>, scope: TenancyScope, locationIds: readonly string[] | undefined, window: { readonly from: string; readonly through: string }): Promise<PositionRow[]> {
  const start = sql`(${window.from}::date::timestamp at time zone 'Europe/London')`;
  const end = sql`((${window.through}::date + 1)::timestamp at time zone 'Europe/London')`;
  const rows = await sql<{ organisation_id: string; location_id: string; issuing_agency: string; di: string; available: number; quarantined: number; shortfall: number; consumed: number; returned: number }>`
    with keys as (
      select distinct p.organisation_id, p.location_id, p.issuing_agency, p.di from par_levels p
      where ${organisationOf(scope, 'p.organisation_id')} and ${locationsOf(locationIds, 'p.location_id')}
      union
      select distinct m.organisation_id, m.location_id, m.issuing_agency, m.di from stock_movements m
      where m.kind in ('consumed', 'returned-to-stock') and m.location_id is not null
        and ${organisationOf(scope, 'm.organisation_id')} and ${locationsOf(locationIds, 'm.location_id')}
        and m.recorded_at >= ${start} and m.recorded_at < ${end}
    )
    select k.organisation_id, k.location_id, k.issuing_agency, k.di,
      coalesce(h.available, 0)::int as available, coalesce(h.quarantined, 0)::int as quarantined, coalesce(h.shortfall, 0)::int as shortfall,
      coalesce(u.consumed, 0)::int as consumed, coalesce(u.returned, 0)::int as returned
    from keys k
    left join lateral (
      select sum(s.quantity) filter (where s.status = 'available') as available, sum(s.quantity) filter (where s.status = 'quarantined') as quarantined,
        -sum(s.quantity) filter (where s.status = 'available' and s.quantity < 0) as shortfall
      from stock_on_hand s
      where s.organisation_id = k.organisation_id and s.location_id = k.location_id and s.di = k.di and s.issuing_agency = k.issuing_agency
    ) h on true
    left join lateral (
      select sum(m.quantity) filter (where m.kind = 'consumed') as consumed, sum(m.quantity) filter (where m.kind = 'returned-to-stock') as returned
      from stock_movements m
      where m.organisation_id = k.organisation_id and m.location_id = k.location_id and m.kind in ('consumed', 'returned-to-stock')
        and m.recorded_at >= ${start} and m.recorded_at < ${end} and m.di = k.di and m.issuing_agency = k.issuing_agency
    ) u on true
    order by k.organisation_id, k.location_id, k.di, k.issuing_agency`.execute(db);
  return rows.rows.map((r) => ({
    organisationId: r.organisation_id,
    locationId: r.location_id,
    issuingAgency: r.issuing_agency,
    di: r.di,
    available: r.available,
    quarantined: r.quarantined,
    shortfall: r.shortfall,
    consumed: r.consumed,
    returned: r.returned,
  }));
}

/** A consignment unit used at the point of use and not returned since, with its case and the receipt that brought it in. */
export interface ConsignmentUsedRow {
  readonly id: string;
  readonly organisationId: string;
  readonly locationId: string | null;
  readonly issuingAgency: string;
  readonly di: string;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly quantity: number;
  readonly consumedAt: Date;
  readonly procedureId: string;
  readonly procedureCode: string | null;
  readonly startedAt: Date;
  /** The case's start as a calendar date in Europe/London. */
  readonly procedureDate: string;
  /** The case's start to the microsecond: the page key. */
  readonly startedKey: string;
  readonly itemId: string;
  readonly supplier: string | null;
  readonly orderRef: string | null;
  readonly receivedAt: Date | null;
}

export interface ConsignmentFilter {
  /** The first and last day of the procedures' start (Europe/London), inclusive. */
  readonly from: string;
  readonly to: string;
  readonly supplier?: string | undefined;
}

/**
 * Consignment units consumed at the point of use in cases started from `from` through `to` (Europe/London),
 * and not since returned to stock (a voided scan, a unit put aside), ordered by the case's start then the
 * ledger; a page after a (started_at, id) key. The supplier is the one on the latest consignment receipt of
 * the unit (its serial, else its lot) in the organisation before it was consumed.
 */
export async function consignmentUsed(
  db: Kysely<Database>,
  scope: TenancyScope,
  filter: ConsignmentFilter,
  page: { readonly after?: { readonly startedAt: string; readonly id: string } | undefined; readonly limit: number },
): Promise<ConsignmentUsedRow[]> {
  const start = sql`(${filter.from}::date::timestamp at time zone 'Europe/London')`;
  const end = sql`((${filter.to}::date + 1)::timestamp at time zone 'Europe/London')`;
  const after = page.after === undefined ? sql`true` : sql`(p.started_at, c.id) > (${page.after.startedAt}::timestamptz, ${page.after.id}::bigint)`;
  const supplier = filter.supplier === undefined ? sql`true` : sql`lower(r.supplier) = lower(${filter.supplier})`;
  const rows = await sql<{
    id: string;
    organisation_id: string;
    location_id: string | null;
    issuing_agency: string;
    di: string;
    lot_number: string | null;
    serial_number: string | null;
    expiration_date: string | null;
    quantity: number;
    recorded_at: Date;
    procedure_id: string;
    procedure_code: string | null;
    started_at: Date;
    procedure_date: string;
    started_key: string;
    item_id: string;
    supplier: string | null;
    order_ref: string | null;
    received_at: Date | null;
  }>`
    select c.id, c.organisation_id, c.location_id, c.issuing_agency, c.di, c.lot_number, c.serial_number,
      to_char(c.expiration_date, 'YYYY-MM-DD') as expiration_date, c.quantity, c.recorded_at,
      c.procedure_id, p.procedure_code, p.started_at, c.item_id,
      to_char(p.started_at at time zone 'Europe/London', 'YYYY-MM-DD') as procedure_date,
      to_char(p.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as started_key, r.supplier, r.order_ref, r.recorded_at as received_at
    from stock_movements c
    join procedures p on p.id = c.procedure_id
    left join lateral (
      select r.supplier, r.order_ref, r.recorded_at from stock_movements r
      where r.organisation_id = c.organisation_id and r.kind = 'received' and r.consignment
        and r.di = c.di and r.issuing_agency = c.issuing_agency and r.id < c.id
        and (case when c.serial_number is not null then r.serial_number = c.serial_number
                  else r.serial_number is null and r.lot_number is not distinct from c.lot_number end)
      order by r.id desc limit 1
    ) r on true
    where c.kind = 'consumed' and c.consignment and ${organisationOf(scope, 'c.organisation_id')}
      and p.started_at >= ${start} and p.started_at < ${end}
      and not exists (select 1 from stock_movements b where b.item_id = c.item_id and b.kind = 'returned-to-stock' and b.id > c.id)
      and ${supplier} and ${after}
    order by p.started_at, c.id
    limit ${page.limit}`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    organisationId: r.organisation_id,
    locationId: r.location_id,
    issuingAgency: r.issuing_agency,
    di: r.di,
    lotNumber: r.lot_number,
    serialNumber: r.serial_number,
    expirationDate: r.expiration_date,
    quantity: r.quantity,
    consumedAt: r.recorded_at,
    procedureId: r.procedure_id,
    procedureCode: r.procedure_code,
    startedAt: r.started_at,
    procedureDate: r.procedure_date,
    startedKey: r.started_key,
    itemId: r.item_id,
    supplier: r.supplier,
    orderRef: r.order_ref,
    receivedAt: r.received_at,
  }));
}
