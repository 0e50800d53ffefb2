/**
 * How a recall scope matches items, as SQL predicates over `items as i`.
 *
 * A recall must never miss a patient. So besides the items that certainly
 * match (the lot, serial or date that the notice lists was captured and is
 * listed), an item of the recalled product whose lot, serial or date was never
 * captured is a *possible* match, reported as `gtin-only`: it cannot be ruled out.
 */
import { sql, type RawBuilder } from 'kysely';

export interface RecallScope {
  readonly gtin?: string | undefined;
  readonly hibc?: { readonly lic: string; readonly pcn: string } | undefined;
  readonly lots?: readonly string[] | undefined;
  readonly serials?: readonly string[] | undefined;
  readonly serialRange?: { readonly from: string; readonly to: string } | undefined;
  readonly expiryFrom?: string | undefined;
  readonly expiryTo?: string | undefined;
  readonly manufacturedFrom?: string | undefined;
  readonly manufacturedTo?: string | undefined;
  readonly allLots?: boolean | undefined;
}

export const MATCH_KINDS = ['udi', 'lot', 'gtin-only', 'manual'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

type Predicate = RawBuilder<boolean>;

const TRUE: Predicate = sql<boolean>`true`;
const FALSE: Predicate = sql<boolean>`false`;
const or = (ps: readonly Predicate[]): Predicate => (ps.length === 0 ? FALSE : sql<boolean>`(${sql.join(ps, sql` or `)})`);
const and = (ps: readonly Predicate[]): Predicate => (ps.length === 0 ? TRUE : sql<boolean>`(${sql.join(ps, sql` and `)})`);

const isDigits = (s: string) => /^\d{1,30}$/.test(s);

/** Serial ranges compare as numbers when both ends are numbers, as text otherwise. */
function serialInRange(range: { from: string; to: string }): Predicate {
  if (isDigits(range.from) && isDigits(range.to)) {
    return sql<boolean>`(i.serial_number ~ '^[0-9]{1,30}$' and i.serial_number::numeric between ${range.from}::numeric and ${range.to}::numeric)`;
  }
  return sql<boolean>`(i.serial_number between ${range.from} and ${range.to})`;
}

/** A date window on a column: in the window, or (for possible matches) not captured. */
function window(column: 'expiration_date' | 'manufacturing_date', from: string | undefined, to: string | undefined) {
  if (from === undefined && to === undefined) return { exact: TRUE, unknown: FALSE, given: false };
  const col = sql.ref(`i.${column}`);
  const bounds: Predicate[] = [];
  if (from !== undefined) bounds.push(sql<boolean>`${col} >= ${from}::date`);
  if (to !== undefined) bounds.push(sql<boolean>`${col} <= ${to}::date`);
  return { exact: and(bounds), unknown: sql<boolean>`${col} is null`, given: true };
}

export interface ScopePredicates {
  /** Certainly affected: everything the scope lists was captured and matches. */
  readonly exact: Predicate;
  /** Affected or not ruled out (a superset of exact). */
  readonly possible: Predicate;
  /** Certainly affected, identified by its serial number. */
  readonly bySerial: Predicate;
}

export function scopePredicates(s: RecallScope): ScopePredicates {
  const product = s.gtin !== undefined ? sql<boolean>`i.gtin = ${s.gtin}` : sql<boolean>`(i.hibc_lic = ${s.hibc?.lic ?? ''} and i.hibc_pcn = ${s.hibc?.pcn ?? ''})`;

  const serialSelectors: Predicate[] = [];
  if (s.serials && s.serials.length > 0) serialSelectors.push(sql<boolean>`i.serial_number = any(${[...s.serials]}::text[])`);
  if (s.serialRange) serialSelectors.push(serialInRange(s.serialRange));
  const lotSelector = s.lots && s.lots.length > 0 ? sql<boolean>`i.lot_number = any(${[...s.lots]}::text[])` : undefined;
  const hasSelector = lotSelector !== undefined || serialSelectors.length > 0;

  const selectorExact = s.allLots === true || !hasSelector ? TRUE : or([...(lotSelector ? [lotSelector] : []), ...serialSelectors]);
  const selectorUnknown = s.allLots === true || !hasSelector
    ? FALSE
    : or([...(lotSelector ? [sql<boolean>`i.lot_number is null`] : []), ...(serialSelectors.length > 0 ? [sql<boolean>`i.serial_number is null`] : [])]);

  const expiry = window('expiration_date', s.expiryFrom, s.expiryTo);
  const made = window('manufacturing_date', s.manufacturedFrom, s.manufacturedTo);

  const exact = and([product, selectorExact, expiry.exact, made.exact]);
  const possible = and([
    product,
    or([selectorExact, selectorUnknown]),
    expiry.given ? or([expiry.exact, expiry.unknown]) : TRUE,
    made.given ? or([made.exact, made.unknown]) : TRUE,
  ]);
  const bySerial = and([product, or(serialSelectors), expiry.exact, made.exact]);
  return { exact, possible, bySerial };
}

/**
 * The WHERE of a recall (its scopes are alternatives) and how each row matched:
 * `manual` (typed in), `udi` (identified by its serial), `lot` (its lot, or a listed
 * date, was captured), `gtin-only` (the product matches; what would tell was never captured).
 */
export function recallPredicates(scopes: readonly RecallScope[]): { where: Predicate; products: Predicate; matchKind: RawBuilder<MatchKind> } {
  const ps = scopes.map(scopePredicates);
  // The products of the recall as one condition on the leading index column (implied by
  // `where`): for long lists it lets Postgres read the recall register index alone.
  const gtins = scopes.flatMap((s) => (s.gtin !== undefined ? [s.gtin] : []));
  const products = or([
    ...(gtins.length > 0 ? [sql<boolean>`i.gtin = any(${gtins}::text[])`] : []),
    ...scopes.flatMap((s) => (s.hibc ? [sql<boolean>`(i.hibc_lic = ${s.hibc.lic} and i.hibc_pcn = ${s.hibc.pcn})`] : [])),
  ]);
  const matchKind = sql<MatchKind>`case
    when i.entry_type = 'manual' then 'manual'
    when ${or(ps.map((p) => p.bySerial))} then 'udi'
    when ${or(ps.map((p) => p.exact))} and i.lot_number is not null then 'lot'
    when ${or(ps.map((p) => p.exact))} and i.serial_number is not null then 'udi'
    else 'gtin-only' end`;
  return { where: or(ps.map((p) => p.possible)), products, matchKind };
}
