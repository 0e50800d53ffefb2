/**
 * Stock: goods received by scanning, moved, written off, returned to the supplier, quarantined and
 * released. Each request is one transaction: the ledger rows, the stock on hand they change, the audit
 * row and the answer stored under its Idempotency-Key commit together, or nothing does. A retry (same
 * key, same body) is answered the first answer; the same key with another body is refused.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { isDeadlock, isUniqueViolation } from '../../db/errors.js';
import type { Device } from '../../domain/device.js';
import { addDays, allocate, expiryStatus, lineQuantity, matchesLine, MOVEMENT_EFFECTS, repeatedUnit, type StockProduct } from '../../domain/stock.js';
import type { EntryType, StockMovementKind, StockStatus, WriteOffReason } from '../../domain/vocabulary.js';
import { requireOrganisation, tenancyOf, type RequestContext, type TenancyScope } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { auditRowOf, recordAudit, recordListAudit } from '../audit/audit.service.js';
import { findIdempotencyRecords, idempotencyId, storeIdempotentAnswers } from '../idempotency/idempotency.repository.js';
import { requestHash } from '../idempotency/request-hash.js';
import { resolveLocation, type LocationRef } from '../locations/location.service.js';
import { findLocation } from '../locations/location.repository.js';
import { findProductsFor } from '../products/product.repository.js';
import { manualDevice } from '../scans/scan.rules.js';
import { readProductLabel } from '../scans/scan.service.js';
import {
  addOnHand,
  expiringOnHand,
  insertMovements,
  locationIdsByGln,
  locationsByIds,
  movementsOfGroup,
  onHandForUpdate,
  onHandOf,
  patientsOfProcedures,
  searchMovements,
  searchOnHand,
  shortOnHand,
  takeOnHand,
  unitsOnHand,
  type Movement,
  type MovementFilter,
  type NewMovement,
  type OnHandAddition,
  type OnHandRow,
  type StockFilter,
} from './stock.repository.js';

/** A product on a stock line as the request gives it. */
export interface StockLineInput {
  readonly barcode?: string | undefined;
  readonly manual?: { gtin: string; lotNumber?: string | undefined; serialNumber?: string | undefined; expirationDate?: string | undefined } | undefined;
  readonly quantity?: number | undefined;
}

export type StockRequest =
  | { readonly kind: 'received'; readonly location: LocationRef; readonly scans: readonly StockLineInput[]; readonly supplier?: string | undefined; readonly orderRef?: string | undefined; readonly consignment: boolean }
  | { readonly kind: 'moved'; readonly from: LocationRef | 'unlocated'; readonly to: LocationRef; readonly lines: readonly StockLineInput[] }
  | { readonly kind: 'written-off'; readonly location: LocationRef; readonly reason: WriteOffReason; readonly note?: string | undefined; readonly lines: readonly StockLineInput[] }
  | { readonly kind: 'returned-to-supplier'; readonly location: LocationRef; readonly supplier?: string | undefined; readonly reference?: string | undefined; readonly lines: readonly StockLineInput[] }
  | { readonly kind: 'quarantined' | 'released'; readonly location: LocationRef; readonly reason: string; readonly lines: readonly StockLineInput[] };

/** A line read: the product, how it was entered, and how many. */
interface ReadLine extends StockProduct {
  readonly device: Device;
  readonly entryType: EntryType;
  readonly raw: string | null;
  readonly quantity: number;
}

const AUDIT_ACTIONS: Readonly<Record<StockRequest['kind'], string>> = {
  received: 'stock.receive',
  moved: 'stock.move',
  'written-off': 'stock.write-off',
  'returned-to-supplier': 'stock.return',
  quarantined: 'stock.quarantine',
  released: 'stock.release',
};

const linesOf = (r: StockRequest) => (r.kind === 'received' ? r.scans : r.lines);
const lineName = (r: StockRequest, index: number) => `${r.kind === 'received' ? 'scans' : 'lines'}[${index}]`;

/** Reads every line before any transaction opens (the parser is pure): a line that does not read refuses the request, naming it. */
function readLines(request: StockRequest, today: Date): ReadLine[] {
  const lines = linesOf(request).map((line, index): ReadLine => {
    const name = lineName(request, index);
    let device: Device;
    let onLabel: number | undefined;
    if (line.barcode !== undefined) {
      try {
        const read = readProductLabel(line.barcode, today);
        device = read.device;
        onLabel = read.parsed.quantity;
      } catch (error) {
        // The label's own refusal already says that nothing was recorded.
        if (error instanceof ProblemError) throw new ProblemError(error.code, `${name}: ${error.message}`, { ...error.extensions, index });
        throw error;
      }
    } else device = manualDevice(line.manual as NonNullable<StockLineInput['manual']>);
    if (device.di === null || device.issuingAgency === null) {
      throw new ProblemError('STOCK_LINE_INVALID', `${name}: the label names no product (no GTIN or HIBC product code). Scan the product label. Nothing was recorded.`, { index });
    }
    const product = { issuingAgency: device.issuingAgency, di: device.di, lotNumber: device.lotNumber, serialNumber: device.serialNumber, expirationDate: device.expirationDate };
    const quantity = lineQuantity(product, line.quantity, onLabel);
    if (!quantity.ok) throw new ProblemError('STOCK_LINE_INVALID', `${name}: ${quantity.message}. Nothing was recorded.`, { index });
    return { ...product, device, entryType: line.barcode !== undefined ? 'barcode' : 'manual', raw: line.barcode ?? null, quantity: quantity.quantity };
  });
  const repeated = repeatedUnit(lines);
  if (repeated) {
    throw new ProblemError('STOCK_LINE_INVALID', `${lineName(request, repeated.index)} is the unit ${lineName(request, repeated.first)} already names (the same serial). Nothing was recorded.`, { index: repeated.index });
  }
  return lines;
}

/** Another transaction stored an answer under this Idempotency-Key first. */
class IdempotencyRace extends Error {}

/** A serialised unit received by a concurrent request first: on hand elsewhere (the unique index) or here (the check). */
const isUnitRace = (error: unknown) =>
  isUniqueViolation(error, 'stock_on_hand_one_unit') || ((error as { code?: unknown; constraint?: unknown })?.code === '23514' && (error as { constraint?: unknown }).constraint === 'stock_on_hand_unit_once');

export type MovementAnswer = Awaited<ReturnType<typeof movementAnswer>>;

/**
 * Records one stock request, exactly once per Idempotency-Key. A concurrent twin (the same key in flight)
 * waits for the first to commit and is answered its answer; a deadlock between two movements crossing
 * between the same places is tried again.
 */
export async function recordStockMovement(
  db: Kysely<Database>,
  ctx: RequestContext,
  request: StockRequest,
  clock: Clock,
  idempotencyKey: string,
): Promise<{ readonly body: MovementAnswer; readonly replayed: boolean }> {
  const organisationId = requireOrganisation(ctx);
  const lines = readLines(request, clock.now());
  return exactlyOnce(db, organisationId, idempotencyKey, requestHash('POST /v1/stock', request), async (trx) => {
    const body = await applyMovement(trx, ctx, organisationId, request, lines, clock.now());
    return { body, audit: auditRowOf(ctx, { action: AUDIT_ACTIONS[request.kind], organisationId, detail: { movementGroup: body.movementGroup, lines: lines.length, units: lines.reduce((n, l) => n + l.quantity, 0) } }) };
  });
}

/**
 * A stock write exactly once per Idempotency-Key: the work, its audit row and its answer stored under the
 * key commit together. A retry (the same key and request) is answered the first answer; the same key with
 * another request is refused. A concurrent twin, a serialised unit received by a concurrent request, or a
 * deadlock between two movements crossing: looked at again.
 */
export async function exactlyOnce<T>(
  db: Kysely<Database>,
  organisationId: string,
  idempotencyKey: string,
  hash: Buffer,
  work: (trx: Kysely<Database>) => Promise<{ readonly body: T; readonly audit: ReturnType<typeof auditRowOf> }>,
): Promise<{ readonly body: T; readonly replayed: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const earlier = (await findIdempotencyRecords(db, [{ organisationId, key: idempotencyKey }])).get(idempotencyId(organisationId, idempotencyKey));
    if (earlier) {
      if (!earlier.requestHash.equals(hash)) throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for another request. Use a new key for another stock movement.');
      return { body: earlier.response as T, replayed: true };
    }
    try {
      const body = await db.transaction().execute(async (trx) => {
        const { body, audit } = await work(trx);
        const stored = await storeIdempotentAnswers(trx, [{ organisationId, key: idempotencyKey, requestHash: hash, statusCode: 201, response: body }], [audit]);
        if (stored !== 1) throw new IdempotencyRace();
        return body;
      });
      return { body, replayed: false };
    } catch (error) {
      const again = error instanceof IdempotencyRace || isDeadlock(error) || isUnitRace(error);
      if (again && attempt < 3) continue;
      throw error;
    }
  }
}

async function applyMovement(trx: Kysely<Database>, ctx: RequestContext, organisationId: string, request: StockRequest, lines: readonly ReadLine[], now: Date) {
  const effect = MOVEMENT_EFFECTS[request.kind];
  const where = request.kind === 'moved' ? request.from : request.location;
  const locationId = where === 'unlocated' ? null : (await resolveLocation(trx, organisationId, where, now)).id;
  const toLocationId = request.kind === 'moved' ? (await resolveLocation(trx, organisationId, request.to, now)).id : null;
  if (request.kind === 'moved' && toLocationId === locationId) throw new ProblemError('STOCK_LINE_INVALID', 'The stock is already there: `from` and `to` are the same location.');
  const movementGroup = randomUUID();
  const base = {
    organisationId,
    movementGroup,
    kind: request.kind,
    locationId,
    toLocationId,
    reason: request.kind === 'written-off' || request.kind === 'quarantined' || request.kind === 'released' ? request.reason : null,
    note: request.kind === 'written-off' ? (request.note ?? null) : request.kind === 'returned-to-supplier' ? (request.reference ?? null) : null,
    supplier: request.kind === 'received' || request.kind === 'returned-to-supplier' ? (request.supplier ?? null) : null,
    orderRef: request.kind === 'received' ? (request.orderRef ?? null) : null,
    actorKeyId: ctx.actor.keyId,
  } satisfies MovementBase;

  const movements =
    request.kind === 'received'
      ? await receiveLines(trx, organisationId, lines, base, request.consignment)
      : await takeLines(trx, request, organisationId, lines, base);
  if (effect.puts !== null) await putOnHand(trx, organisationId, movements, effect.puts.status, effect.puts.at === 'destination' ? toLocationId : locationId);
  const recorded = await insertMovements(trx, movements);
  const places = [...new Set([locationId, ...(toLocationId === null ? [] : [toLocationId])])];
  const after = await onHandOf(trx, organisationId, places, lines.map((l) => l.di));
  return movementAnswer(trx, organisationId, movementGroup, recorded, after.filter((r) => lines.some((l) => matchesLine(r, l))));
}

type MovementBase = Omit<NewMovement, keyof StockProduct | 'entryType' | 'raw' | 'quantity' | 'consignment'>;

/** Receiving: each line as it reads, once no serialised unit of it is on hand already. */
async function receiveLines(trx: Kysely<Database>, organisationId: string, lines: readonly ReadLine[], base: MovementBase, consignment: boolean): Promise<NewMovement[]> {
  await refuseUnitsOnHand(trx, organisationId, lines);
  return lines.map((line) => ({ ...base, ...productOf(line), entryType: line.entryType, raw: line.raw, quantity: line.quantity, consignment }));
}

/**
 * Taking: the rows on hand at the location locked, each line's quantity allocated from them in turn
 * (all or nothing: 409 STOCK_INSUFFICIENT), then taken. A ledger row per line and row on hand it took from.
 */
async function takeLines(trx: Kysely<Database>, request: StockRequest, organisationId: string, lines: readonly ReadLine[], base: MovementBase): Promise<NewMovement[]> {
  const effect = MOVEMENT_EFFECTS[request.kind];
  const rows = await onHandForUpdate(trx, organisationId, base.locationId, lines.map((l) => l.di));
  const left = new Map(rows.map((r) => [r.id, r.quantity]));
  const taken = new Map<string, { row: OnHandRow; quantity: number }>();
  const movements: NewMovement[] = [];
  for (const [index, line] of lines.entries()) {
    const candidates = rows.filter((r) => matchesLine(r, line)).map((r) => ({ ...r, quantity: left.get(r.id) ?? 0 }));
    const allocation = allocate(candidates, effect, line.quantity);
    if (!allocation.ok) {
      throw new ProblemError(
        'STOCK_INSUFFICIENT',
        `${lineName(request, index)}: ${line.quantity} wanted, ${allocation.onHand} on hand ${effect.takes.join(' or ')} there (counting the lines before it). Nothing was recorded.`,
        { index, wanted: line.quantity, onHand: allocation.onHand, statuses: effect.takes },
      );
    }
    for (const take of allocation.takes) {
      const row = rows.find((r) => r.id === take.row.id) as OnHandRow;
      left.set(row.id, (left.get(row.id) ?? 0) - take.quantity);
      taken.set(row.id, { row, quantity: (taken.get(row.id)?.quantity ?? 0) + take.quantity });
      movements.push({ ...base, ...productOf(row), entryType: line.entryType, raw: line.raw, quantity: take.quantity, consignment: row.consignment });
    }
  }
  await takeOnHand(trx, [...taken.values()]);
  return movements;
}

/** Putting: what the movements bring, summed per row on hand (one upsert per key), at the location and status the movement puts. */
async function putOnHand(trx: Kysely<Database>, organisationId: string, movements: readonly NewMovement[], status: StockStatus, locationId: string | null): Promise<void> {
  const sums = new Map<string, OnHandAddition>();
  for (const m of movements) {
    const key = JSON.stringify([m.issuingAgency, m.di, m.lotNumber, m.serialNumber, m.expirationDate, m.consignment]);
    const sum = sums.get(key);
    sums.set(key, sum ? { ...sum, quantity: sum.quantity + m.quantity } : { ...productOf(m), organisationId, locationId, status, consignment: m.consignment, quantity: m.quantity });
  }
  await addOnHand(trx, [...sums.values()]);
}

const productOf = (p: StockProduct): StockProduct => ({ issuingAgency: p.issuingAgency, di: p.di, lotNumber: p.lotNumber, serialNumber: p.serialNumber, expirationDate: p.expirationDate });

/** A serialised unit on hand in the organisation cannot be received again (409 STOCK_UNIT_ON_HAND, saying where it is). */
async function refuseUnitsOnHand(db: Kysely<Database>, organisationId: string, lines: readonly ReadLine[]): Promise<void> {
  const [unit] = await unitsOnHand(db, organisationId, lines);
  if (unit === undefined) return;
  const index = lines.findIndex((l) => l.di === unit.di && l.serialNumber === unit.serialNumber);
  const place = unit.locationId === null ? 'unlocated' : ((await locationsByIds(db, [unit.locationId])).get(unit.locationId)?.name ?? 'a location');
  throw new ProblemError('STOCK_UNIT_ON_HAND', `scans[${index}]: serial ${unit.serialNumber} of ${unit.di} is on hand already (${unit.status}, ${place}). Nothing was recorded.`, {
    index,
    onHand: { location: place, status: unit.status },
  });
}

/** What a movement answers (and a retry replays): its rows and the stock on hand after it. */
async function movementAnswer(db: Kysely<Database>, organisationId: string, movementGroup: string, movements: readonly Movement[], onHand: readonly OnHandRow[]) {
  const places = await locationsByIds(db, [...movements.flatMap((m) => [m.locationId, m.toLocationId]), ...onHand.map((r) => r.locationId)]);
  const products = await findProductsFor(db, organisationId, [...new Set(onHand.map((r) => r.di))]);
  return {
    movementGroup,
    movements: movements.map((m) => toMovementApi(m, places)),
    onHand: onHand.map((r) => toOnHandApi(r, places, products)),
  };
}

type Places = Awaited<ReturnType<typeof locationsByIds>>;
type Products = Awaited<ReturnType<typeof findProductsFor>>;

const placeOf = (places: Places, id: string | null) => {
  const place = id === null ? undefined : places.get(id);
  return place === undefined ? null : { ...place, glnExtension: place.glnExtension === '' ? null : place.glnExtension };
};

const productView = (p: StockProduct) => ({
  issuingAgency: p.issuingAgency,
  di: p.di,
  gtin: p.issuingAgency === 'GS1' ? p.di : null,
  lotNumber: p.lotNumber,
  serialNumber: p.serialNumber,
  expirationDate: p.expirationDate,
});

const toMovementApi = (m: Movement, places: Places) => ({
  id: m.id,
  kind: m.kind,
  location: placeOf(places, m.locationId),
  toLocation: placeOf(places, m.toLocationId),
  ...productView(m),
  entryType: m.entryType,
  quantity: m.quantity,
  consignment: m.consignment,
  reason: m.reason,
  note: m.note,
  supplier: m.supplier,
  orderRef: m.orderRef,
  procedureId: m.procedureId ?? null,
  itemId: m.itemId ?? null,
  recallId: m.recallId ?? null,
  recordedAt: m.recordedAt.toISOString(),
});

const toOnHandApi = (r: OnHandRow, places: Places, products: Products) => ({
  location: placeOf(places, r.locationId),
  ...productView(r),
  brand: products.get(r.di)?.brand ?? null,
  model: products.get(r.di)?.model ?? null,
  status: r.status,
  consignment: r.consignment,
  quantity: r.quantity,
});

export type OnHandApi = ReturnType<typeof toOnHandApi>;

/** The rows of one movement group the actor may see (404 otherwise), audited. */
export async function getMovementGroup(db: Kysely<Database>, ctx: RequestContext, movementGroup: string) {
  const movements = await movementsOfGroup(db, tenancyOf(ctx.actor), movementGroup);
  const first = movements[0];
  if (first === undefined) throw new ProblemError('NOT_FOUND', 'No stock movement of this id here.');
  await recordAudit(db, ctx, { action: 'stock.movement.read', organisationId: first.organisationId, detail: { movementGroup } });
  const places = await locationsByIds(db, movements.flatMap((m) => [m.locationId, m.toLocationId]));
  return { movementGroup, movements: movements.map((m) => toMovementApi(m, places)) };
}

/** Opaque cursors: `s1.` + base64url of the last row's id. */
const CURSOR_PREFIX = 's1.';
const encodeCursor = (id: string) => CURSOR_PREFIX + Buffer.from(id, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const id = cursor.startsWith(CURSOR_PREFIX) ? Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8') : '';
  if (!/^\d{1,19}$/.test(id) || BigInt(id) > 0x7fff_ffff_ffff_ffffn) throw new ProblemError('CURSOR_INVALID', 'The cursor is not one this list issued. Resume from the last nextCursor received, or start without `cursor`.');
  return id;
}

export interface StockQuery {
  readonly location?: string | undefined;
  readonly gtin?: string | undefined;
  readonly lot?: string | undefined;
  readonly status?: StockStatus | undefined;
  readonly expiresBefore?: string | undefined;
  readonly cursor?: string | undefined;
  readonly limit: number;
}

/**
 * The locations a `location` filter names: a GLN (an organisation's own; a national key reads it in every
 * organisation that registered it), "unlocated" (null), or every location (undefined). None found: nothing matches.
 */
export async function locationFilter(db: Kysely<Database>, scope: TenancyScope, location: string | undefined): Promise<readonly string[] | null | undefined> {
  if (location === undefined) return undefined;
  if (location === 'unlocated') return null;
  if (scope.kind === 'national') return locationIdsByGln(db, location);
  const found = await findLocation(db, scope.organisationId, location, null);
  return found === undefined ? [] : [found.id];
}

/** The next page's cursor: after the last row when the page is full (more may follow), else none. */
const nextCursorOf = (rows: ReadonlyArray<{ readonly id: string }>, limit: number) => {
  const last = rows.at(-1);
  return rows.length === limit && last !== undefined ? encodeCursor(last.id) : null;
};

/** The filter a stock query names, with its locations resolved (an empty list: a GLN not registered, nothing matches). */
async function stockFilterOf(db: Kysely<Database>, scope: TenancyScope, query: Omit<StockQuery, 'cursor' | 'limit'>): Promise<StockFilter> {
  const locationIds = await locationFilter(db, scope, query.location);
  return {
    ...(locationIds !== undefined && { locationIds }),
    ...(query.gtin !== undefined && { di: query.gtin }),
    ...(query.lot !== undefined && { lotNumber: query.lot }),
    ...(query.status !== undefined && { status: query.status }),
    ...(query.expiresBefore !== undefined && { expiresBefore: query.expiresBefore }),
  };
}

/** One page of stock on hand (an organisation's own; every organisation's for a national key), audited. */
export async function listStock(db: Kysely<Database>, ctx: RequestContext, query: StockQuery) {
  const scope = tenancyOf(ctx.actor);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const filter = await stockFilterOf(db, scope, query);
  const rows = filter.locationIds?.length === 0 ? [] : await searchOnHand(db, scope, filter, { ...(after !== undefined && { after }), limit: query.limit });
  await recordAudit(db, ctx, { action: 'stock.list', organisationId: ctx.actor.organisationId, detail: { results: rows.length } });
  return { items: await viewsOf(db, rows), nextCursor: nextCursorOf(rows, query.limit) };
}

const CSV_PAGE = 1000;

/**
 * The whole filtered list of stock on hand, a page at a time as it is read (constant memory), audited
 * before the first row: the export of `GET /v1/stock?format=csv`.
 */
export async function allStock(db: Kysely<Database>, ctx: RequestContext, query: Omit<StockQuery, 'cursor' | 'limit'>): Promise<AsyncIterable<OnHandApi[]>> {
  const scope = tenancyOf(ctx.actor);
  const filter = await stockFilterOf(db, scope, query);
  await recordAudit(db, ctx, { action: 'stock.list', organisationId: ctx.actor.organisationId, detail: { format: 'csv' } });
  return (async function* pages() {
    if (filter.locationIds?.length === 0) return;
    let after: string | undefined;
    for (;;) {
      const rows = await searchOnHand(db, scope, filter, { ...(after !== undefined && { after }), limit: CSV_PAGE });
      if (rows.length > 0) yield await viewsOf(db, rows);
      if (rows.length < CSV_PAGE) return;
      after = rows.at(-1)?.id;
    }
  })();
}

export interface MovementQuery {
  readonly location?: string | undefined;
  readonly gtin?: string | undefined;
  readonly lot?: string | undefined;
  readonly kind?: StockMovementKind | undefined;
  readonly cursor?: string | undefined;
  readonly limit: number;
}

/** One page of the ledger, oldest first (the rows from or to a location when one is asked for), audited. */
export async function listMovements(db: Kysely<Database>, ctx: RequestContext, query: MovementQuery) {
  const scope = tenancyOf(ctx.actor);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const locationIds = await locationFilter(db, scope, query.location);
  const filter: MovementFilter = {
    ...(locationIds !== undefined && { locationIds }),
    ...(query.gtin !== undefined && { di: query.gtin }),
    ...(query.lot !== undefined && { lotNumber: query.lot }),
    ...(query.kind !== undefined && { kind: query.kind }),
  };
  const rows = locationIds?.length === 0 ? [] : await searchMovements(db, scope, filter, { ...(after !== undefined && { after }), limit: query.limit });
  await auditNamingCases(db, ctx, 'stock.movements', rows, { results: rows.length });
  const places = await locationsByIds(db, rows.flatMap((m) => [m.locationId, m.toLocationId]));
  return { items: rows.map((m) => ({ movementGroup: m.movementGroup, ...toMovementApi(m, places) })), nextCursor: nextCursorOf(rows, query.limit) };
}

async function viewsOf(db: Kysely<Database>, rows: readonly OnHandRow[]): Promise<OnHandApi[]> {
  const places = await locationsByIds(db, rows.map((r) => r.locationId));
  const byOrganisation = new Map<string, string[]>();
  for (const r of rows) byOrganisation.set(r.organisationId, [...(byOrganisation.get(r.organisationId) ?? []), r.di]);
  const catalogues = new Map(await Promise.all([...byOrganisation].map(async ([org, dis]) => [org, await findProductsFor(db, org, [...new Set(dis)])] as const)));
  return rows.map((r) => toOnHandApi(r, places, catalogues.get(r.organisationId) ?? (new Map() as Products)));
}

/** Expiry is a calendar date where the stock is (as the scan path's PRODUCT_EXPIRED). */
export const dateInLondon = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/** What on hand expires within `days` of today (Europe/London), and what has expired and is still on a shelf, audited. */
export async function expiringStock(db: Kysely<Database>, ctx: RequestContext, days: number, clock: Clock) {
  const today = dateInLondon.format(clock.now());
  const through = addDays(today, days);
  const rows = await expiringOnHand(db, tenancyOf(ctx.actor), through);
  await recordAudit(db, ctx, { action: 'stock.expiring', organisationId: ctx.actor.organisationId, detail: { days, results: rows.length } });
  const views = await viewsOf(db, rows);
  return {
    today,
    through,
    items: views.map((v, i) => ({ ...v, expiry: expiryStatus((rows[i] as OnHandRow).expirationDate as string, today, days) === 'expired' ? ('expired' as const) : ('expiring' as const) })),
  };
}


/**
 * The discrepancy report: stock below zero, where the point of use took units the stock did not hold (not
 * received, received elsewhere, or scanned in a theatre with no location: the unlocated account), with
 * the case that last found each short. Audited.
 */
export async function stockDiscrepancies(db: Kysely<Database>, ctx: RequestContext) {
  const rows = await shortOnHand(db, tenancyOf(ctx.actor));
  await auditNamingCases(
    db,
    ctx,
    'stock.discrepancies',
    rows.map((r) => ({ organisationId: r.organisationId, procedureId: r.lastConsumption?.procedureId ?? null })),
    { results: rows.length },
  );
  const views = await viewsOf(db, rows);
  return {
    items: views.map((v, i) => {
      const last = (rows[i] as (typeof rows)[number]).lastConsumption;
      return { ...v, lastConsumption: last && { procedureId: last.procedureId, itemId: last.itemId, recordedAt: last.recordedAt.toISOString() } };
    }),
  };
}

/**
 * The audit of a stock read whose rows name cases (point-of-use movements: the procedure a unit was used
 * in): a procedure id is patient data, so the rows naming cases are audited as a patient list
 * (`recordListAudit`), each case with its patient; a read that names none is audited plainly.
 */
export async function auditNamingCases(
  db: Kysely<Database>,
  ctx: RequestContext,
  action: string,
  rows: ReadonlyArray<{ readonly organisationId: string; readonly procedureId?: string | null }>,
  detail: Readonly<Record<string, unknown>>,
): Promise<void> {
  const cases = rows.filter((r): r is { organisationId: string; procedureId: string } => typeof r.procedureId === 'string');
  if (cases.length === 0) return recordAudit(db, ctx, { action, organisationId: ctx.actor.organisationId, detail });
  const patients = await patientsOfProcedures(db, cases.map((c) => c.procedureId));
  const listed = cases.flatMap((c) => {
    const patientId = patients.get(c.procedureId);
    return patientId === undefined ? [] : [{ organisationId: c.organisationId, procedureId: c.procedureId, patientId }];
  });
  await recordListAudit(db, ctx, action, listed, detail);
}
