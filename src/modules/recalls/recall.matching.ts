/**
 * How a recall scope matches items, as SQL predicates over `items as i`.
 *
 * A recall must never miss a patient. So besides the items that certainly
 * match (the lot, serial or date that the notice lists was captured and is
 * listed), an item of the recalled product whose lot, serial or date was never
 * captured is a *possible* match, reported as `gtin-only`: it cannot be ruled out.
 * Below that come the matches that imperfect input leaves, each for a person
 * to check against the label (see MATCH_REASONS):
 * - `lot-run-on`: the captured lot begins with a listed lot and runs on into
 *   what reads as further element strings (a dropped GS folded a serial in);
 * - `lot-similar`: a typed lot differs from a listed one only in letter case or
 *   in characters people confuse (O/0, I/L/1, S/5, B/8, Z/2);
 * - `lot-without-product`: a lot label scanned without its product label (no
 *   GTIN or HIBC product was ever joined to it) whose lot is listed.
 */
import { sql, type RawBuilder } from 'kysely';
import { RUN_ON_TAIL_AIS } from '../../barcode/index.js';

/** A tail that starts with an AI a dropped GS can fold into a lot (the parser's RUN_ON_TAIL_AIS) and a value. */
const RUN_ON_TAIL = `^(${[...RUN_ON_TAIL_AIS].sort().join('|')}).`;

/**
 * A scope's list of lots or serials: the values themselves (a short list, or an
 * ad-hoc question), or the rows of a stored scope (`recall_scope_members`,
 * migration 2026_12_07_1000), which the queries join instead of carrying the
 * list: a national recall may list a hundred thousand serials.
 */
export type Listed = readonly string[] | StoredList;

export interface StoredList {
  readonly scopeId: string;
  /** How many distinct values the list holds. */
  readonly count: number;
}

export const isStored = (list: Listed): list is StoredList => 'scopeId' in list;
/**
 * The longest list a stored scope is read with (shown with its recall, matched from memory,
 * as index ranges for lots); a longer one is joined as rows (see recall.repository.ts).
 */
export const SHORT_LIST = 200;

export const listSize = (list: Listed | undefined): number => (list === undefined ? 0 : isStored(list) ? list.count : list.length);

export interface RecallScope {
  readonly gtin?: string | undefined;
  readonly hibc?: { readonly lic: string; readonly pcn: string } | undefined;
  readonly lots?: Listed | undefined;
  readonly serials?: Listed | undefined;
  readonly serialRange?: { readonly from: string; readonly to: string } | undefined;
  readonly expiryFrom?: string | undefined;
  readonly expiryTo?: string | undefined;
  readonly manufacturedFrom?: string | undefined;
  readonly manufacturedTo?: string | undefined;
  readonly allLots?: boolean | undefined;
}

export const MATCH_KINDS = ['udi', 'lot', 'gtin-only', 'manual', 'lot-run-on', 'lot-similar', 'lot-without-product'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

/** Each match kind in plain words, for the people who review the list. */
export const MATCH_REASONS: Readonly<Record<MatchKind, string>> = {
  udi: 'Identified by its serial number.',
  lot: 'Its lot (or a listed date) was captured and is listed.',
  'gtin-only': 'The product is recalled, and what would rule this item out (lot, serial or date) was never captured.',
  manual: 'Typed in, not scanned: check the record against the notice.',
  'lot-run-on':
    'The recorded lot begins with a listed lot and runs on into what reads as a serial or date: a scanner probably dropped the separator. Check the lot printed on the label.',
  'lot-similar': 'The lot was typed in and differs from a listed one only in letter case or in easily confused characters (O/0, I/L/1, S/5, B/8, Z/2). Check the lot printed on the label.',
  'lot-without-product': 'A lot label scanned without its product label: the lot is listed, the product was never recorded. Check which product was used.',
};

/**
 * A lot as people confuse it when they type it: upper case, and O I L S B Z
 * read as the digits they resemble. Indexed for typed items (migration
 * 2026_12_07_0800): keep the two expressions identical.
 */
export const confusableLot = (lot: RawBuilder<unknown>) => sql<string>`translate(upper(${lot}), 'OILSBZ', '011582')`;

/**
 * Lots compare byte for byte (collation "C"), as the recall register index is
 * keyed: equality is the same in every deterministic collation, and a prefix
 * is a range (below). Serials too, as the stored lists are kept.
 */
const LOT = sql`(i.lot_number collate "C")`;
const SERIAL = sql`(i.serial_number collate "C")`;
/** Above every string that starts with a prefix, in collation "C": the prefix and the last code point. */
const PREFIX_END = '\u{10FFFF}';
/** Past this many listed lots, the lot-run-on check is one correlated test instead of one index range per lot. */
const RANGE_LOTS = 200;

type Predicate = RawBuilder<boolean>;

const TRUE: Predicate = sql<boolean>`true`;
const FALSE: Predicate = sql<boolean>`false`;
const or = (ps: readonly Predicate[]): Predicate => (ps.length === 0 ? FALSE : sql<boolean>`(${sql.join(ps, sql` or `)})`);
const and = (ps: readonly Predicate[]): Predicate => (ps.length === 0 ? TRUE : sql<boolean>`(${sql.join(ps, sql` and `)})`);

const isDigits = (s: string) => /^\d{1,30}$/.test(s);

/** The rows of a stored list, by the primary key of recall_scope_members (scope, kind, value). */
const members = (list: StoredList, kind: 'lot' | 'serial') => sql`recall_scope_members m where m.scope_id = ${list.scopeId} and m.kind = ${sql.lit(kind)}`;

/**
 * `value` (collation "C") is on the list. A stored list is probed by its
 * primary key, one row at a time at scan time; over many items Postgres may
 * hash the list once instead (an EXISTS on an equality can be hashed).
 */
function onList(list: Listed, kind: 'lot' | 'serial', value: RawBuilder<unknown>): Predicate {
  if (!isStored(list)) return sql<boolean>`${value} = any(${[...list]}::text[])`;
  return sql<boolean>`exists (select 1 from ${members(list, kind)} and m.value = ${value})`;
}

/** A run-on tail: what follows the first `length` characters of the lot reads as further element strings. */
const tailAfter = (length: RawBuilder<unknown>) => sql<boolean>`substr(i.lot_number, ${length} + 1) ~ ${RUN_ON_TAIL}`;

/** The lot begins with a listed lot and runs on past it (see `lot-run-on`). */
function runsOnPast(lots: Listed): Predicate {
  if (isStored(lots)) {
    // Each proper prefix of the lot, probed in the list: as many index lookups as the lot has characters.
    return sql<boolean>`exists (select 1 from ${members(lots, 'lot')} and m.value = any(array(
      select left(i.lot_number, p.n) collate "C" from generate_series(1, length(i.lot_number) - 1) as p(n) where ${tailAfter(sql.ref('p.n'))})))`;
  }
  // A lot that begins with a listed lot: a range of the recall register index per listed lot.
  if (lots.length <= RANGE_LOTS) {
    return or(lots.map((l) => sql<boolean>`(${LOT} > ${l} and ${LOT} < ${l + PREFIX_END} and starts_with(i.lot_number, ${l}) and ${tailAfter(sql`length(${l}::text)`)})`));
  }
  return sql<boolean>`exists (select 1 from unnest(${[...lots]}::text[]) as l(lot) where starts_with(i.lot_number, l.lot) and ${tailAfter(sql`length(l.lot)`)})`;
}

/** A typed lot that is a listed lot as people confuse it (see `lot-similar`). */
function confusedWith(lots: Listed): Predicate {
  const typed = confusableLot(sql.ref('i.lot_number'));
  if (isStored(lots)) return sql<boolean>`exists (select 1 from ${members(lots, 'lot')} and ${confusableLot(sql`(m.value collate "default")`)} = ${typed})`;
  return sql<boolean>`${typed} = any(array(select ${confusableLot(sql.ref('l.lot'))} from unnest(${[...lots]}::text[]) as l(lot)))`;
}

/** Serial ranges compare as numbers when both ends are numbers, as text otherwise. */
function serialInRange(range: { from: string; to: string }): Predicate {
  if (isDigits(range.from) && isDigits(range.to)) {
    return sql<boolean>`(i.serial_number ~ '^[0-9]{1,30}$' and i.serial_number::numeric between ${range.from}::numeric and ${range.to}::numeric)`;
  }
  // Byte order, whatever the database's collation (under en-US, 'a150' sorts between 'A100' and 'A199').
  return sql<boolean>`((i.serial_number collate "C") between ${range.from} and ${range.to})`;
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
  /** The weaker matches: items that imperfect input may have hidden (see the module comment). */
  readonly runOn: Predicate;
  readonly similar: Predicate;
  readonly withoutProduct: Predicate;
}

export function scopePredicates(s: RecallScope): ScopePredicates {
  const product = s.gtin !== undefined ? sql<boolean>`i.gtin = ${s.gtin}` : sql<boolean>`(i.hibc_lic = ${s.hibc?.lic ?? ''} and i.hibc_pcn = ${s.hibc?.pcn ?? ''})`;

  const serialSelectors: Predicate[] = [];
  if (s.serials !== undefined && listSize(s.serials) > 0) serialSelectors.push(onList(s.serials, 'serial', SERIAL));
  if (s.serialRange) serialSelectors.push(serialInRange(s.serialRange));
  const lotSelector = s.lots !== undefined && listSize(s.lots) > 0 ? onList(s.lots, 'lot', LOT) : undefined;
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

  // The weaker matches apply to listed lots; the windows still hold where a date was captured.
  const lots = s.allLots !== true && s.lots !== undefined && listSize(s.lots) > 0 ? s.lots : undefined;
  if (lots === undefined) return { exact, possible, bySerial, runOn: FALSE, similar: FALSE, withoutProduct: FALSE };
  const windows = [expiry.given ? or([expiry.exact, expiry.unknown]) : TRUE, made.given ? or([made.exact, made.unknown]) : TRUE];
  const runOn = and([product, runsOnPast(lots), ...windows]);
  // Typed lots only: a scanner does not confuse O with 0, a person may.
  const similar = and([product, sql<boolean>`i.entry_type = 'manual'`, confusedWith(lots), ...windows]);
  // A lot label scanned alone: its lot as scanned.
  // (`lot_number is not null` lets Postgres read the small partial index of such items whatever the list.)
  const withoutProduct = and([sql<boolean>`(i.gtin is null and i.hibc_lic is null and i.lot_number is not null)`, onList(lots, 'lot', LOT), ...windows]);
  return { exact, possible, bySerial, runOn, similar, withoutProduct };
}

/**
 * The WHERE of a recall (its scopes are alternatives) and how each row matched:
 * `manual` (typed in), `udi` (identified by its serial), `lot` (its lot, or a listed
 * date, was captured), `gtin-only` (the product matches; what would tell was never
 * captured), then the weaker kinds of MATCH_REASONS.
 */
export function recallPredicates(scopes: readonly RecallScope[]): { where: Predicate; products: Predicate; matchKind: RawBuilder<MatchKind> } {
  const ps = scopes.map(scopePredicates);
  // The products of the recall as one condition on the leading index column (implied by
  // `where`): for long lists it lets Postgres read the recall register index alone.
  const gtins = scopes.flatMap((s) => (s.gtin !== undefined ? [s.gtin] : []));
  const products = or([
    ...(gtins.length > 0 ? [sql<boolean>`i.gtin = any(${gtins}::text[])`] : []),
    ...scopes.flatMap((s) => (s.hibc ? [sql<boolean>`(i.hibc_lic = ${s.hibc.lic} and i.hibc_pcn = ${s.hibc.pcn})`] : [])),
    // Lot labels scanned without their product carry no product to index by.
    ...ps.filter((_, k) => listSize(scopes[k]?.lots) > 0 && scopes[k]?.allLots !== true).map((p) => p.withoutProduct),
  ]);
  const possible = or(ps.map((p) => p.possible));
  const matchKind = sql<MatchKind>`case
    when i.entry_type = 'manual' and ${possible} then 'manual'
    when ${or(ps.map((p) => p.bySerial))} then 'udi'
    when ${or(ps.map((p) => p.exact))} and i.lot_number is not null then 'lot'
    when ${or(ps.map((p) => p.exact))} and i.serial_number is not null then 'udi'
    when ${possible} then 'gtin-only'
    when ${or(ps.map((p) => p.runOn))} then 'lot-run-on'
    when ${or(ps.map((p) => p.similar))} then 'lot-similar'
    else 'lot-without-product' end`;
  const where = or(ps.flatMap((p) => [p.possible, p.runOn, p.similar, p.withoutProduct]));
  return { where, products, matchKind };
}
