/**
 * The stock ledger (`stock_movements`, append-only) and its projection (`stock_on_hand`). The only
 * place stock SQL lives. Movements and the on-hand rows they change are written in the caller's
 * transaction; the rows a movement takes from are locked first (`for update`, in id order).
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, StockMovementsTable, StockOnHandTable } from '../../db/database.js';
import type { StockProduct } from '../../domain/stock.js';
import type { EntryType, StockMovementKind, StockStatus } from '../../domain/vocabulary.js';
import type { TenancyScope } from '../../shared/actor.js';

export interface OnHandRow extends StockProduct {
  readonly id: string;
  readonly organisationId: string;
  readonly locationId: string | null;
  readonly status: StockStatus;
  readonly consignment: boolean;
  readonly quantity: number;
}

const toOnHand = (r: Selectable<StockOnHandTable>): OnHandRow => ({
  id: r.id,
  organisationId: r.organisation_id,
  locationId: r.location_id,
  issuingAgency: r.issuing_agency,
  di: r.di,
  lotNumber: r.lot_number,
  serialNumber: r.serial_number,
  expirationDate: r.expiration_date,
  status: r.status,
  consignment: r.consignment,
  quantity: r.quantity,
});

/** The rows on hand at a location (null: unlocated) of these products, locked for the movement about to take from them. */
export async function onHandForUpdate(db: Kysely<Database>, organisationId: string, locationId: string | null, dis: readonly string[]): Promise<OnHandRow[]> {
  if (dis.length === 0) return [];
  const rows = await db
    .selectFrom('stock_on_hand')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    // `is null` or `=`, never `is not distinct from`: an index serves those two.
    .where((eb) => (locationId === null ? eb('location_id', 'is', null) : eb('location_id', '=', locationId)))
    .where('di', 'in', [...new Set(dis)])
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.map(toOnHand);
}

/** Serialised units of these products on hand anywhere in the organisation. */
export async function unitsOnHand(db: Kysely<Database>, organisationId: string, units: ReadonlyArray<Pick<StockProduct, 'issuingAgency' | 'di' | 'serialNumber'>>): Promise<OnHandRow[]> {
  const serialised = units.filter((u) => u.serialNumber !== null);
  if (serialised.length === 0) return [];
  const rows = await sql<Selectable<StockOnHandTable>>`
    select s.* from stock_on_hand s
    join unnest(${serialised.map((u) => u.di)}::text[], ${serialised.map((u) => u.issuingAgency)}::text[], ${serialised.map((u) => u.serialNumber)}::text[]) as q(di, issuing_agency, serial_number)
      on s.di = q.di and s.issuing_agency = q.issuing_agency and s.serial_number = q.serial_number
    where s.organisation_id = ${organisationId} and s.quantity > 0`.execute(db);
  return rows.rows.map(toOnHand);
}

export interface NewMovement extends StockProduct {
  readonly organisationId: string;
  readonly movementGroup: string;
  readonly kind: StockMovementKind;
  readonly locationId: string | null;
  readonly toLocationId: string | null;
  readonly entryType: EntryType;
  readonly raw: string | null;
  readonly quantity: number;
  readonly consignment: boolean;
  readonly reason: string | null;
  readonly note: string | null;
  readonly supplier: string | null;
  readonly orderRef: string | null;
  readonly actorKeyId: string;
  /** Point of use: the procedure and item the unit was used (or put aside) in. */
  readonly procedureId?: string | null;
  readonly itemId?: string | null;
  /** A recall's quarantine or return: the recall it was done for. */
  readonly recallId?: string | null;
  /** Point of use: the status a consumed unit was taken from, and a returned one goes back into. */
  readonly unitStatus?: StockStatus | null;
}

export interface Movement extends NewMovement {
  readonly id: string;
  readonly recordedAt: Date;
}

export async function insertMovements(db: Kysely<Database>, movements: readonly NewMovement[]): Promise<Movement[]> {
  if (movements.length === 0) return [];
  const rows = await db
    .insertInto('stock_movements')
    .values(
      movements.map((m) => ({
        organisation_id: m.organisationId,
        movement_group: m.movementGroup,
        kind: m.kind,
        location_id: m.locationId,
        to_location_id: m.toLocationId,
        entry_type: m.entryType,
        raw: m.raw,
        issuing_agency: m.issuingAgency,
        di: m.di,
        lot_number: m.lotNumber,
        serial_number: m.serialNumber,
        expiration_date: m.expirationDate,
        quantity: m.quantity,
        consignment: m.consignment,
        reason: m.reason,
        note: m.note,
        supplier: m.supplier,
        order_ref: m.orderRef,
        actor_key_id: m.actorKeyId,
        procedure_id: m.procedureId ?? null,
        item_id: m.itemId ?? null,
        recall_id: m.recallId ?? null,
        unit_status: m.unitStatus ?? null,
      })),
    )
    .returning(['id', 'recorded_at'])
    .execute();
  return rows.map((r, i) => ({ ...(movements[i] as NewMovement), id: r.id, recordedAt: r.recorded_at }));
}

/** Takes quantities from locked rows: a row taken whole is deleted (the projection keeps no empty rows). */
export async function takeOnHand(db: Kysely<Database>, takes: ReadonlyArray<{ readonly row: OnHandRow; readonly quantity: number }>): Promise<void> {
  const whole = takes.filter((t) => t.quantity === t.row.quantity).map((t) => t.row.id);
  const part = takes.filter((t) => t.quantity !== t.row.quantity);
  if (whole.length > 0) await db.deleteFrom('stock_on_hand').where('id', 'in', whole).execute();
  if (part.length > 0) {
    await sql`
      update stock_on_hand s set quantity = s.quantity - t.quantity, updated_at = now()
      from unnest(${part.map((t) => t.row.id)}::bigint[], ${part.map((t) => t.quantity)}::int[]) as t(id, quantity)
      where s.id = t.id`.execute(db);
  }
}

export interface OnHandAddition extends StockProduct {
  readonly organisationId: string;
  readonly locationId: string | null;
  readonly status: StockStatus;
  readonly consignment: boolean;
  readonly quantity: number;
}

/**
 * Adds to stock on hand, by signed amounts (one addition per key: the caller sums them, the takings
 * first). A row brought to zero is deleted by the table's trigger; a taking with nothing to take from
 * leaves a negative row (point of use only: the discrepancy report).
 */
export async function addOnHand(db: Kysely<Database>, additions: readonly OnHandAddition[]): Promise<void> {
  if (additions.length === 0) return;
  await db
    .insertInto('stock_on_hand')
    .values(
      additions.map((a) => ({
        organisation_id: a.organisationId,
        location_id: a.locationId,
        issuing_agency: a.issuingAgency,
        di: a.di,
        lot_number: a.lotNumber,
        serial_number: a.serialNumber,
        expiration_date: a.expirationDate,
        status: a.status,
        consignment: a.consignment,
        quantity: a.quantity,
      })),
    )
    .onConflict((oc) => oc.constraint('stock_on_hand_key').doUpdateSet({ quantity: sql`stock_on_hand.quantity + excluded.quantity`, updated_at: sql`now()` }))
    .execute();
}

/** The rows on hand now for these products at these locations (the answer of a movement). */
export async function onHandOf(db: Kysely<Database>, organisationId: string, locationIds: ReadonlyArray<string | null>, dis: readonly string[]): Promise<OnHandRow[]> {
  if (dis.length === 0) return [];
  const located = locationIds.filter((l): l is string => l !== null);
  const rows = await db
    .selectFrom('stock_on_hand')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('di', 'in', [...new Set(dis)])
    .where((eb) => eb.or([...(located.length > 0 ? [eb('location_id', 'in', located)] : []), ...(locationIds.includes(null) ? [eb('location_id', 'is', null)] : [])]))
    .orderBy('id')
    .execute();
  return rows.map(toOnHand);
}

export interface StockFilter {
  /** undefined: every location; null: the unlocated account only. */
  readonly locationIds?: readonly string[] | null;
  readonly di?: string;
  readonly lotNumber?: string;
  readonly status?: StockStatus;
  /** ISO date: only stock that expires before it. */
  readonly expiresBefore?: string;
}

/** One page of stock on hand in a stable order (organisation, location, product, lot, serial, expiry, status, consignment: the row id breaks ties), after a row id. */
export async function searchOnHand(db: Kysely<Database>, scope: TenancyScope, filter: StockFilter, page: { readonly after?: string; readonly limit: number }): Promise<OnHandRow[]> {
  let q = db.selectFrom('stock_on_hand').selectAll();
  if (scope.kind === 'organisation') q = q.where('organisation_id', '=', scope.organisationId);
  if (filter.locationIds !== undefined) q = filter.locationIds === null ? q.where('location_id', 'is', null) : q.where('location_id', 'in', filter.locationIds);
  if (filter.di !== undefined) q = q.where('di', '=', filter.di);
  if (filter.lotNumber !== undefined) q = q.where('lot_number', '=', filter.lotNumber);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.expiresBefore !== undefined) q = q.where('expiration_date', '<', filter.expiresBefore);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  const rows = await q.orderBy('id').limit(page.limit).execute();
  return rows.map(toOnHand);
}

/** Stock on hand that expires on or before a date (the expired included), soonest first, by location. */
export async function expiringOnHand(db: Kysely<Database>, scope: TenancyScope, through: string): Promise<OnHandRow[]> {
  let q = db.selectFrom('stock_on_hand').selectAll().where('expiration_date', '<=', through).where('quantity', '>', 0);
  if (scope.kind === 'organisation') q = q.where('organisation_id', '=', scope.organisationId);
  const rows = await q.orderBy('expiration_date').orderBy('location_id').orderBy('id').execute();
  return rows.map(toOnHand);
}

/** GLN and name of these locations. */
export async function locationsByIds(db: Kysely<Database>, ids: ReadonlyArray<string | null>): Promise<Map<string, { gln: string; glnExtension: string | null; name: string }>> {
  const wanted = [...new Set(ids.filter((i): i is string => i !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('locations').select(['id', 'gln', 'gln_extension', 'name']).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, { gln: r.gln, glnExtension: r.gln_extension, name: r.name }]));
}

/** The locations of every organisation with this GLN (a national reader's location filter). */
export async function locationIdsByGln(db: Kysely<Database>, gln: string): Promise<string[]> {
  const rows = await db.selectFrom('locations').select('id').where('gln', '=', gln).execute();
  return rows.map((r) => r.id);
}

/** The rows of one movement group, in the order recorded. */
export async function movementsOfGroup(db: Kysely<Database>, scope: TenancyScope, movementGroup: string): Promise<Movement[]> {
  let q = db.selectFrom('stock_movements').selectAll().where('movement_group', '=', movementGroup);
  if (scope.kind === 'organisation') q = q.where('organisation_id', '=', scope.organisationId);
  const rows = await q.orderBy('id').execute();
  return rows.map(toMovement);
}

const toMovement = (r: Selectable<StockMovementsTable>): Movement => ({
  id: r.id,
  organisationId: r.organisation_id,
  movementGroup: r.movement_group,
  kind: r.kind,
  locationId: r.location_id,
  toLocationId: r.to_location_id,
  entryType: r.entry_type,
  raw: r.raw,
  issuingAgency: r.issuing_agency,
  di: r.di,
  lotNumber: r.lot_number,
  serialNumber: r.serial_number,
  expirationDate: r.expiration_date,
  quantity: r.quantity,
  consignment: r.consignment,
  reason: r.reason,
  note: r.note,
  supplier: r.supplier,
  orderRef: r.order_ref,
  actorKeyId: r.actor_key_id,
  procedureId: r.procedure_id,
  itemId: r.item_id,
  recallId: r.recall_id,
  recordedAt: r.recorded_at,
});

export interface MovementFilter {
  readonly locationIds?: readonly string[] | null;
  readonly di?: string;
  readonly lotNumber?: string;
  readonly kind?: StockMovementKind;
}

/** One page of the ledger in its order, after a row id: the rows from or to the locations asked for. */
export async function searchMovements(db: Kysely<Database>, scope: TenancyScope, filter: MovementFilter, page: { readonly after?: string; readonly limit: number }): Promise<Movement[]> {
  let q = db.selectFrom('stock_movements').selectAll();
  if (scope.kind === 'organisation') q = q.where('organisation_id', '=', scope.organisationId);
  const locations = filter.locationIds;
  if (locations === null) q = q.where('location_id', 'is', null);
  else if (locations !== undefined) q = q.where((eb) => eb.or([eb('location_id', 'in', locations), eb('to_location_id', 'in', locations)]));
  if (filter.di !== undefined) q = q.where('di', '=', filter.di);
  if (filter.lotNumber !== undefined) q = q.where('lot_number', '=', filter.lotNumber);
  if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  const rows = await q.orderBy('id').limit(page.limit).execute();
  return rows.map(toMovement);
}

/** A point-of-use movement of an item (what the ledger says became of its unit). */
export interface ItemMovementRow {
  readonly itemId: string;
  readonly kind: StockMovementKind;
  readonly locationId: string | null;
  readonly issuingAgency: string;
  readonly di: string;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly consignment: boolean;
  /** The status taken from or put back into (point of use); available for a decision's quarantine and release. */
  readonly status: StockStatus;
}

/** The point-of-use movements of these items, in the order recorded. */
export async function pointOfUseMovements(db: Kysely<Database>, itemIds: readonly string[]): Promise<ItemMovementRow[]> {
  if (itemIds.length === 0) return [];
  const rows = await db
    .selectFrom('stock_movements')
    .select(['item_id', 'kind', 'location_id', 'issuing_agency', 'di', 'lot_number', 'serial_number', 'expiration_date', 'consignment', 'unit_status'])
    .where('item_id', 'in', [...new Set(itemIds)])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    itemId: r.item_id as string,
    kind: r.kind,
    locationId: r.location_id,
    issuingAgency: r.issuing_agency,
    di: r.di,
    lotNumber: r.lot_number,
    serialNumber: r.serial_number,
    expirationDate: r.expiration_date,
    consignment: r.consignment,
    status: r.unit_status ?? 'available',
  }));
}

/** What a point-of-use consumption looks for: the product, where it was used (null: unlocated). */
export interface ConsumptionQuery extends StockProduct {
  readonly organisationId: string;
  readonly locationId: string | null;
}

/**
 * The rows each consumption may take from, locked in id order, with the index of the consumption they
 * serve (a row may serve several): a serialised unit wherever its organisation holds it, in either status
 * (it is in the theatre now, whatever the record says); else the product's available stock where it was
 * used. The same lot and serial always; the same expiry when the label gives one.
 */
export async function consumptionCandidates(db: Kysely<Database>, queries: readonly ConsumptionQuery[]): Promise<Array<OnHandRow & { readonly query: number }>> {
  if (queries.length === 0) return [];
  const column = <T>(f: (q: ConsumptionQuery) => T) => queries.map(f);
  const rows = await sql<Selectable<StockOnHandTable> & { n: string }>`
    select s.*, q.n
    from unnest(${column((q) => q.organisationId)}::uuid[], ${column((q) => q.locationId)}::uuid[], ${column((q) => q.issuingAgency)}::text[],
                ${column((q) => q.di)}::text[], ${column((q) => q.lotNumber)}::text[], ${column((q) => q.serialNumber)}::text[],
                ${column((q) => q.expirationDate)}::date[])
      with ordinality as q(organisation_id, location_id, issuing_agency, di, lot_number, serial_number, expiration_date, n)
    join stock_on_hand s
      on s.organisation_id = q.organisation_id and s.di = q.di and s.issuing_agency = q.issuing_agency and s.quantity > 0
     and s.lot_number is not distinct from q.lot_number
     and (q.expiration_date is null or s.expiration_date = q.expiration_date)
     and ((q.serial_number is not null and s.serial_number = q.serial_number)
          or (q.serial_number is null and s.serial_number is null and s.status = 'available'
              and (s.location_id = q.location_id or (q.location_id is null and s.location_id is null))))
    order by s.id
    for update of s`.execute(db);
  return rows.rows.map((r) => ({ ...toOnHand(r), query: Number(r.n) - 1 }));
}

/** A row short: used at the point of use (or taken) without being on hand, with the latest consumption that took it. */
export interface ShortRow extends OnHandRow {
  readonly lastConsumption: { readonly procedureId: string; readonly itemId: string; readonly recordedAt: Date } | null;
}

/** Stock on hand below zero (the discrepancy report), by location, product, lot, serial; the unlocated account last. */
export async function shortOnHand(db: Kysely<Database>, scope: TenancyScope): Promise<ShortRow[]> {
  const organisation = scope.kind === 'organisation' ? sql`s.organisation_id = ${scope.organisationId}` : sql`true`;
  const rows = await sql<Selectable<StockOnHandTable> & { procedure_id: string | null; item_id: string | null; recorded_at: Date | null }>`
    select s.*, c.procedure_id, c.item_id, c.recorded_at
    from stock_on_hand s
    left join lateral (
      select m.procedure_id, m.item_id, m.recorded_at from stock_movements m
      where m.organisation_id = s.organisation_id and m.di = s.di and m.lot_number is not distinct from s.lot_number
        and m.kind = 'consumed' and m.serial_number is not distinct from s.serial_number
        and m.location_id is not distinct from s.location_id
      order by m.id desc limit 1
    ) c on true
    where s.quantity < 0 and ${organisation}
    order by s.organisation_id, s.location_id nulls last, s.di, s.lot_number nulls first, s.serial_number nulls first, s.id`.execute(db);
  return rows.rows.map((r) => ({
    ...toOnHand(r),
    lastConsumption: r.procedure_id === null || r.item_id === null || r.recorded_at === null ? null : { procedureId: r.procedure_id, itemId: r.item_id, recordedAt: r.recorded_at },
  }));
}

/** These rows on hand as they are now, locked (rows gone since are not answered). */
export async function onHandByIdsForUpdate(db: Kysely<Database>, ids: readonly string[]): Promise<OnHandRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('stock_on_hand').selectAll().where('id', 'in', [...new Set(ids)]).orderBy('id').forUpdate().execute();
  return rows.map(toOnHand);
}

/** The patient of each of these procedures (the audit of a stock read that names cases). */
export async function patientsOfProcedures(db: Kysely<Database>, procedureIds: readonly string[]): Promise<Map<string, string>> {
  if (procedureIds.length === 0) return new Map();
  const rows = await db.selectFrom('procedures').select(['id', 'patient_id']).where('id', 'in', [...new Set(procedureIds)]).execute();
  return new Map(rows.map((r) => [r.id, r.patient_id]));
}
