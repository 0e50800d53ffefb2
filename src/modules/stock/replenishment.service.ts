/**
 * Replenishment: par levels (set in one transaction with the audit row and the answer stored under the
 * request's Idempotency-Key, as stock movements are), the to-order report and the consignment units used,
 * to be invoiced. The arithmetic is pure (src/domain/replenishment.ts); the reads are in
 * replenishment.repository.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { checkParLines, levelInForce, lookBack, toOrder, averagePerDay } from '../../domain/replenishment.js';
import { requireOrganisation, tenancyOf, type RequestContext, type TenancyScope } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { auditRowOf, recordAudit } from '../audit/audit.service.js';
import { findIdempotencyRecords, idempotencyId, storeIdempotentAnswers } from '../idempotency/idempotency.repository.js';
import { requestHash } from '../idempotency/request-hash.js';
import { resolveLocation, type LocationRef } from '../locations/location.service.js';
import { findProductsFor } from '../products/product.repository.js';
import { consignmentUsed, insertParLevels, parLevels, stockPositions, type ConsignmentUsedRow, type ParLevelRow } from './replenishment.repository.js';
import { locationsByIds } from './stock.repository.js';
import { auditNamingCases, dateInLondon, locationFilter } from './stock.service.js';

/** A par-level line as the request gives it. */
export interface ParLevelInput {
  readonly location: LocationRef;
  readonly gtin?: string | undefined;
  readonly hibc?: { readonly lic: string; readonly pcn: string; readonly uom: string } | undefined;
  readonly par?: number | undefined;
  readonly reorderAt?: number | undefined;
  readonly remove?: true | undefined;
}

/** The product a line names, as stock names it: a GTIN, or an HIBC labeller, product code and unit-of-measure digit. */
const productOf = (line: ParLevelInput) =>
  line.gtin !== undefined ? { issuingAgency: 'GS1', di: line.gtin } : { issuingAgency: 'HIBCC', di: `${line.hibc?.lic ?? ''}${line.hibc?.pcn ?? ''}${line.hibc?.uom ?? '0'}` };

class IdempotencyRace extends Error {}

export type ParLevelAnswer = Awaited<ReturnType<typeof recordParLevels>>;

/**
 * Sets par levels, all or nothing, exactly once per Idempotency-Key: a retry (same key, same body) is
 * answered the first answer; the same key with another body is refused. A line of par 0 (or `remove`) ends
 * the level; each setting is a new row (the history).
 */
export async function setParLevels(
  db: Kysely<Database>,
  ctx: RequestContext,
  lines: readonly ParLevelInput[],
  clock: Clock,
  idempotencyKey: string,
): Promise<{ readonly body: ParLevelAnswer; readonly replayed: boolean }> {
  const organisationId = requireOrganisation(ctx);
  const hash = requestHash('PUT /v1/stock/par-levels', lines);
  for (let attempt = 1; ; attempt++) {
    const earlier = (await findIdempotencyRecords(db, [{ organisationId, key: idempotencyKey }])).get(idempotencyId(organisationId, idempotencyKey));
    if (earlier) {
      if (!earlier.requestHash.equals(hash)) throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for another request. Use a new key for another setting of par levels.');
      return { body: earlier.response as ParLevelAnswer, replayed: true };
    }
    try {
      const body = await db.transaction().execute(async (trx) => {
        const body = await recordParLevels(trx, ctx, organisationId, lines, clock.now());
        const audit = auditRowOf(ctx, { action: 'stock.par-levels.set', organisationId, detail: { setGroup: body.setGroup, lines: lines.length } });
        const stored = await storeIdempotentAnswers(trx, [{ organisationId, key: idempotencyKey, requestHash: hash, statusCode: 200, response: body }], [audit]);
        if (stored !== 1) throw new IdempotencyRace();
        return body;
      });
      return { body, replayed: false };
    } catch (error) {
      if (error instanceof IdempotencyRace && attempt < 3) continue;
      throw error;
    }
  }
}

async function recordParLevels(trx: Kysely<Database>, ctx: RequestContext, organisationId: string, lines: readonly ParLevelInput[], now: Date) {
  const located = [];
  for (const line of lines) located.push({ ...line, ...productOf(line), locationId: (await resolveLocation(trx, organisationId, line.location, now)).id });
  const settings = located.map((l) => ({ location: l.locationId, issuingAgency: l.issuingAgency, di: l.di, par: l.remove === true ? 0 : (l.par ?? 0), reorderAt: l.reorderAt ?? null }));
  const refused = checkParLines(settings);
  if (refused) throw new ProblemError('STOCK_LINE_INVALID', `[${refused.index}]: ${refused.message}. Nothing was recorded.`, { index: refused.index });
  const setGroup = randomUUID();
  const rows = await insertParLevels(
    trx,
    settings.map((s) => ({ organisationId, setGroup, locationId: s.location, issuingAgency: s.issuingAgency, di: s.di, par: s.par, reorderAt: s.reorderAt, actorKeyId: ctx.actor.keyId })),
  );
  return { setGroup, levels: await parLevelViews(trx, rows) };
}

type Places = Awaited<ReturnType<typeof locationsByIds>>;
type Products = Awaited<ReturnType<typeof findProductsFor>>;

const placeOf = (places: Places, id: string | null) => {
  const place = id === null ? undefined : places.get(id);
  return place === undefined ? null : { ...place, glnExtension: place.glnExtension === '' ? null : place.glnExtension };
};

/** Brand and model of each organisation's products, by its own catalogue. */
async function cataloguesOf(db: Kysely<Database>, rows: ReadonlyArray<{ readonly organisationId: string; readonly di: string }>): Promise<Map<string, Products>> {
  const byOrganisation = new Map<string, Set<string>>();
  for (const r of rows) byOrganisation.set(r.organisationId, (byOrganisation.get(r.organisationId) ?? new Set()).add(r.di));
  return new Map(await Promise.all([...byOrganisation].map(async ([org, dis]) => [org, await findProductsFor(db, org, [...dis])] as const)));
}

function productView(catalogues: Map<string, Products>, r: { readonly organisationId: string; readonly issuingAgency: string; readonly di: string }) {
  const product = catalogues.get(r.organisationId)?.get(r.di);
  return { issuingAgency: r.issuingAgency, di: r.di, gtin: r.issuingAgency === 'GS1' ? r.di : null, brand: product?.brand ?? null, model: product?.model ?? null };
}

async function parLevelViews(db: Kysely<Database>, rows: readonly ParLevelRow[]) {
  const places = await locationsByIds(db, rows.map((r) => r.locationId));
  const catalogues = await cataloguesOf(db, rows);
  return rows.map((r) => ({
    location: placeOf(places, r.locationId) as NonNullable<ReturnType<typeof placeOf>>,
    ...productView(catalogues, r),
    par: r.par,
    reorderAt: r.reorderAt,
    setGroup: r.setGroup,
    setAt: r.recordedAt.toISOString(),
  }));
}

/** The locations a GLN filter names (a national key: every organisation's of that GLN); undefined: every location. */
async function locationsNamed(db: Kysely<Database>, scope: TenancyScope, gln: string | undefined): Promise<readonly string[] | undefined> {
  const ids = await locationFilter(db, scope, gln);
  return ids === null ? [] : ids;
}

/** The par levels in force (or, with `history`, every setting, oldest first), audited. */
export async function listParLevels(db: Kysely<Database>, ctx: RequestContext, query: { readonly location?: string | undefined; readonly history?: 'true' | 'false' | undefined }) {
  const scope = tenancyOf(ctx.actor);
  const history = query.history === 'true';
  const locationIds = await locationsNamed(db, scope, query.location);
  const rows = locationIds?.length === 0 ? [] : await parLevels(db, scope, locationIds, history);
  const shown = history ? rows : rows.filter((r) => levelInForce(r) !== undefined);
  await recordAudit(db, ctx, { action: 'stock.par-levels.read', organisationId: ctx.actor.organisationId, detail: { history, results: shown.length } });
  return { items: await parLevelViews(db, shown) };
}

/**
 * The to-order report: each location and product with a par level in force, what is available there
 * (shortfalls counted against it), what is quarantined (not counted), the net consumption of the last
 * `days` days (Europe/London, the service's clock) and what to order to bring it to par; and the products
 * used there in the window with no par level. Audited.
 */
export async function toOrderReport(db: Kysely<Database>, ctx: RequestContext, query: { readonly location?: string | undefined; readonly days: number }, clock: Clock) {
  const scope = tenancyOf(ctx.actor);
  const today = dateInLondon.format(clock.now());
  const window = lookBack(today, query.days);
  const locationIds = await locationsNamed(db, scope, query.location);
  const [positions, levels] = locationIds?.length === 0 ? [[], []] : await Promise.all([stockPositions(db, scope, locationIds, window), parLevels(db, scope, locationIds, false)]);
  const key = (r: { organisationId: string; locationId: string; issuingAgency: string; di: string }) => JSON.stringify([r.organisationId, r.locationId, r.issuingAgency, r.di]);
  const inForce = new Map(levels.flatMap((l) => (levelInForce(l) === undefined ? [] : [[key(l), l] as const])));
  const places = await locationsByIds(db, positions.map((p) => p.locationId));
  const catalogues = await cataloguesOf(db, positions);
  const items = [];
  const usedWithoutPar = [];
  for (const p of positions) {
    const base = { location: placeOf(places, p.locationId) as NonNullable<ReturnType<typeof placeOf>>, ...productView(catalogues, p) };
    const level = inForce.get(key(p));
    if (level !== undefined) {
      const { atReorderPoint, toOrder: units, ...numbers } = toOrder(level, p, query.days);
      items.push({ ...base, ...numbers, par: level.par, reorderAt: level.reorderAt, toOrder: units, atReorderPoint });
    } else {
      // Used: more taken than put back in the window (a voided scan alone is not a use).
      const netConsumption = Math.max(0, p.consumed - p.returned);
      if (netConsumption > 0) usedWithoutPar.push({ ...base, available: p.available, quarantined: p.quarantined, shortfall: p.shortfall, netConsumption, averagePerDay: averagePerDay(netConsumption, query.days) });
    }
  }
  await recordAudit(db, ctx, { action: 'stock.to-order', organisationId: ctx.actor.organisationId, detail: { days: query.days, results: items.length, usedWithoutPar: usedWithoutPar.length } });
  return { today, from: window.from, days: query.days, items, usedWithoutPar };
}

/** Opaque cursors: `c1.` + base64url of the last row's case start (to the microsecond) and ledger id. */
const CURSOR_PREFIX = 'c1.';
const encodeCursor = (r: ConsignmentUsedRow) => CURSOR_PREFIX + Buffer.from(JSON.stringify([r.startedKey, r.id]), 'utf8').toString('base64url');
function decodeCursor(cursor: string): { startedAt: string; id: string } {
  try {
    if (cursor.startsWith(CURSOR_PREFIX)) {
      const [startedAt, id] = JSON.parse(Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8')) as unknown[];
      if (typeof startedAt === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(startedAt) && typeof id === 'string' && /^\d{1,18}$/.test(id)) return { startedAt, id };
    }
  } catch {
    // Not JSON: refused below.
  }
  throw new ProblemError('CURSOR_INVALID', 'The cursor is not one this list issued. Resume from the last nextCursor received, or start without `cursor`.');
}

export interface ConsignmentQuery {
  readonly from: string;
  readonly to: string;
  readonly supplier?: string | undefined;
  readonly cursor?: string | undefined;
  readonly limit: number;
}

async function consignmentViews(db: Kysely<Database>, rows: readonly ConsignmentUsedRow[]) {
  const places = await locationsByIds(db, rows.map((r) => r.locationId));
  const catalogues = await cataloguesOf(db, rows);
  return rows.map((r) => ({
    location: placeOf(places, r.locationId),
    ...productView(catalogues, r),
    lotNumber: r.lotNumber,
    serialNumber: r.serialNumber,
    expirationDate: r.expirationDate,
    quantity: r.quantity,
    procedure: { id: r.procedureId, code: r.procedureCode, date: r.procedureDate, startedAt: r.startedAt.toISOString() },
    itemId: r.itemId,
    consumedAt: r.consumedAt.toISOString(),
    supplier: r.supplier,
    orderRef: r.orderRef,
    receivedAt: r.receivedAt?.toISOString() ?? null,
  }));
}

export type ConsignmentUsedApi = Awaited<ReturnType<typeof consignmentViews>>[number];

/** The audit of the list: the cases it shows and their patients (src/modules/stock/stock.service.ts). */
const auditConsignment = (db: Kysely<Database>, ctx: RequestContext, rows: readonly ConsignmentUsedRow[], detail: Record<string, unknown>) =>
  auditNamingCases(db, ctx, 'stock.consignment-used', rows, { ...detail, results: rows.length });

/** One page of the consignment units used and not returned, to be invoiced, ordered by the case's date; audited with the cases shown. */
export async function listConsignmentUsed(db: Kysely<Database>, ctx: RequestContext, query: ConsignmentQuery) {
  const scope = tenancyOf(ctx.actor);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = await consignmentUsed(db, scope, query, { after, limit: query.limit });
  await auditConsignment(db, ctx, rows, { from: query.from, to: query.to });
  const last = rows.at(-1);
  return { items: await consignmentViews(db, rows), nextCursor: rows.length === query.limit && last !== undefined ? encodeCursor(last) : null };
}

const CSV_PAGE = 1000;

/** The whole list (the CSV), read a page at a time; audited with the cases shown. */
export async function allConsignmentUsed(db: Kysely<Database>, ctx: RequestContext, query: Omit<ConsignmentQuery, 'cursor' | 'limit'>): Promise<ConsignmentUsedApi[]> {
  const scope = tenancyOf(ctx.actor);
  const rows: ConsignmentUsedRow[] = [];
  let after: { startedAt: string; id: string } | undefined;
  for (;;) {
    const page = await consignmentUsed(db, scope, query, { after, limit: CSV_PAGE });
    rows.push(...page);
    const last = page.at(-1);
    if (page.length < CSV_PAGE || last === undefined) break;
    after = { startedAt: last.startedKey, id: last.id };
  }
  await auditConsignment(db, ctx, rows, { from: query.from, to: query.to, format: 'csv' });
  return consignmentViews(db, rows);
}
