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
 *
 * A scope's lists of lots and serials are values (short lists, ad-hoc questions),
 * rows of `recall_scope_members` (long lists: joined, never carried in the query),
 * or, at scan time, what those rows say of the one device (`listFacts`): three
 * forms of the same tests (`Listed`), so the recall list, its counts, its CSV and
 * the warning at scan time never disagree, whatever the size of a notice.
 */
import { sql, type RawBuilder } from 'kysely';
import { RUN_ON_TAIL_AIS } from '../../barcode/index.js';

/** A tail that starts with an AI a dropped GS can fold into a lot (the parser's RUN_ON_TAIL_AIS) and a value. */
const RUN_ON_TAIL = `^(${[...RUN_ON_TAIL_AIS].sort().join('|')}).`;

/**
 * A scope's list of lots or serials: the values themselves (a short list, or an
 * ad-hoc question), or the rows of a stored scope (`recall_scope_members`,
 * migration 2026_12_07_1000), which the queries join instead of carrying the
 * list (a national recall may list a hundred thousand serials), or, at scan
 * time, what those rows say of the one device scanned (looked up beforehand by
 * `listFacts`, the same tests on the same rows).
 */
export type Listed = readonly string[] | StoredList | ProbedList;

export interface StoredList {
  /** The stored scopes whose rows make the list (several when alike scopes are matched as one: see mergeAlike). */
  readonly scopeIds: readonly string[];
  /** How many values the list holds (distinct within each scope). */
  readonly count: number;
}

/** What a stored list says of the device at hand (`i`): its lot or serial is listed, its lot runs on past a listed one, or is one as people confuse it. */
export interface ListFacts {
  readonly listed: boolean;
  readonly runsOn: boolean;
  readonly confused: boolean;
}

export interface ProbedList {
  readonly probed: ListFacts;
  readonly count: number;
}

export const isStored = (list: Listed): list is StoredList => 'scopeIds' in list;
export const isProbed = (list: Listed): list is ProbedList => 'probed' in list;
/** The values of a list held in memory; undefined for rows. */
export const valuesOf = (list: Listed | undefined): readonly string[] | undefined => (list === undefined || isStored(list) || isProbed(list) ? undefined : list);
/**
 * The longest list a stored scope is read with (shown with its recall, matched from memory,
 * as index ranges for lots); a longer one is joined as rows (see recall.repository.ts).
 */
export const SHORT_LIST = 200;

export const listSize = (list: Listed | undefined): number => (list === undefined ? 0 : (valuesOf(list)?.length ?? (list as StoredList | ProbedList).count));

export interface RecallScope {
  /** A stored scope's id: its lists are rows of recall_scope_members, whatever `lots` and `serials` hold. */
  readonly id?: string | undefined;
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
/**
 * OR and AND, folding the constants as SQL's three-valued logic does (x or true is true,
 * x and false is false, whatever x, null included): a scope whose lists were probed for
 * the device at hand (ProbedList) shrinks to what is left to decide.
 */
const or = (given: readonly Predicate[]): Predicate => {
  if (given.includes(TRUE)) return TRUE;
  const ps = given.filter((p) => p !== FALSE);
  return ps.length === 0 ? FALSE : ps.length === 1 ? (ps[0] as Predicate) : sql<boolean>`(${sql.join(ps, sql` or `)})`;
};
const and = (given: readonly Predicate[]): Predicate => {
  if (given.includes(FALSE)) return FALSE;
  const ps = given.filter((p) => p !== TRUE);
  return ps.length === 0 ? TRUE : ps.length === 1 ? (ps[0] as Predicate) : sql<boolean>`(${sql.join(ps, sql` and `)})`;
};

const isDigits = (s: string) => /^\d{1,30}$/.test(s);

/** Rows of recall_scope_members of one kind: a FROM and WHERE to add conditions to. */
type Rows = (kind: 'lot' | 'serial') => RawBuilder<unknown>;

/** The rows of a stored list (by (kind, value) to probe one value, by the primary key (scope, kind, value) to read a list). */
const rowsOf =
  (list: StoredList): Rows =>
  (kind) =>
    list.scopeIds.length === 1
      ? sql`recall_scope_members m where m.scope_id = ${list.scopeIds[0]} and m.kind = ${sql.lit(kind)}`
      : sql`recall_scope_members m where m.scope_id = any(${[...list.scopeIds]}::uuid[]) and m.kind = ${sql.lit(kind)}`;

/** A run-on tail: what follows the first `length` characters of the lot reads as further element strings. */
const tailAfter = (length: RawBuilder<unknown>) => sql<boolean>`substr(i.lot_number, ${length} + 1) ~ ${RUN_ON_TAIL}`;

/**
 * The three tests on stored rows. A value is probed by an index, one row at a time at scan
 * time; over many items Postgres may hash the list once instead (an EXISTS on an equality can be hashed).
 */
const onRows = (rows: Rows, kind: 'lot' | 'serial', value: RawBuilder<unknown>) => sql<boolean>`exists (select 1 from ${rows(kind)} and m.value = ${value})`;
// Each proper prefix of the lot, probed in the list: as many index lookups as the lot has characters.
const runsOnRows = (rows: Rows) =>
  sql<boolean>`exists (select 1 from ${rows('lot')} and m.value = any(array(
    select left(i.lot_number, p.n) collate "C" from generate_series(1, length(i.lot_number) - 1) as p(n) where ${tailAfter(sql.ref('p.n'))})))`;
const confusedRows = (rows: Rows) => sql<boolean>`exists (select 1 from ${rows('lot')} and ${confusableLot(sql`(m.value collate "default")`)} = ${confusableLot(sql.ref('i.lot_number'))})`;

/**
 * What the lists of the stored scope `scopeId` (an SQL expression: a column) say of `i`, for
 * ProbedList: the very tests the queries run on stored rows, so a scan and the recall lists agree.
 */
export function listFacts(scopeId: RawBuilder<string>) {
  const rows: Rows = (kind) => sql`recall_scope_members m where m.scope_id = ${scopeId} and m.kind = ${sql.lit(kind)}`;
  return { lotListed: onRows(rows, 'lot', LOT), serialListed: onRows(rows, 'serial', SERIAL), lotRunsOn: runsOnRows(rows), lotConfused: confusedRows(rows) };
}

const lit = (fact: boolean): Predicate => (fact ? TRUE : FALSE);

/** `value` (collation "C"; the lot or serial of `i`) is on the list. */
function onList(list: Listed, kind: 'lot' | 'serial', value: RawBuilder<unknown>): Predicate {
  if (isProbed(list)) return lit(list.probed.listed);
  if (isStored(list)) return onRows(rowsOf(list), kind, value);
  return sql<boolean>`${value} = any(${[...list]}::text[])`;
}

/** The lot begins with a listed lot and runs on past it (see `lot-run-on`). */
function runsOnPast(lots: Listed): Predicate {
  if (isProbed(lots)) return lit(lots.probed.runsOn);
  if (isStored(lots)) return runsOnRows(rowsOf(lots));
  // A lot that begins with a listed lot: a range of the recall register index per listed lot.
  if (lots.length <= RANGE_LOTS) {
    return or(lots.map((l) => sql<boolean>`(${LOT} > ${l} and ${LOT} < ${l + PREFIX_END} and starts_with(i.lot_number, ${l}) and ${tailAfter(sql`length(${l}::text)`)})`));
  }
  return sql<boolean>`exists (select 1 from unnest(${[...lots]}::text[]) as l(lot) where starts_with(i.lot_number, l.lot) and ${tailAfter(sql`length(l.lot)`)})`;
}

/** A typed lot that is a listed lot as people confuse it (see `lot-similar`). */
function confusedWith(lots: Listed): Predicate {
  if (isProbed(lots)) return lit(lots.probed.confused);
  if (isStored(lots)) return confusedRows(rowsOf(lots));
  return sql<boolean>`${confusableLot(sql.ref('i.lot_number'))} = any(array(select ${confusableLot(sql.ref('l.lot'))} from unnest(${[...lots]}::text[]) as l(lot)))`;
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
 * Scopes that differ only in their lists match as one scope listing all their values: the
 * scope predicates are the product and date windows AND (a listed lot OR a listed serial OR
 * the serial range), or what could not be captured, so for scopes of the same product,
 * serial range, windows and all-lots flag, and all with a selector (or all without), the
 * OR of the scopes is the scope of the union of their lists. A notice in a hundred scopes
 * of one product (one per page of serials) is then one predicate, not a hundred, at every scan.
 */
export function mergeAlike(scopes: readonly RecallScope[]): RecallScope[] {
  const groups = new Map<string, RecallScope[]>();
  for (const s of scopes) {
    const selector = listSize(s.lots) + listSize(s.serials) > 0 || s.serialRange !== undefined;
    const key = JSON.stringify([s.gtin, s.hibc?.lic, s.hibc?.pcn, s.serialRange?.from, s.serialRange?.to, s.expiryFrom, s.expiryTo, s.manufacturedFrom, s.manufacturedTo, s.allLots === true, selector]);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()].map((group) => (group.length === 1 ? (group[0] as RecallScope) : { ...(group[0] as RecallScope), id: undefined, lots: union(group, 'lots'), serials: union(group, 'serials') }));
}

/**
 * The lists of alike scopes as one: their values when every list is in memory and the union
 * is short (or the scopes are not stored); what they say of the device when each was probed
 * (any of them lists it); else the rows of every stored scope.
 */
function union(group: readonly RecallScope[], which: 'lots' | 'serials'): Listed | undefined {
  const lists = group.flatMap((s) => (listSize(s[which]) > 0 ? [{ list: s[which] as Listed, id: s.id }] : []));
  if (lists.length === 0) return undefined;
  const count = lists.reduce((n, l) => n + listSize(l.list), 0);
  const inMemory = lists.flatMap((l) => valuesOf(l.list) ?? []);
  const stored = lists.every((l) => l.id !== undefined);
  if (lists.every((l) => valuesOf(l.list) !== undefined)) {
    const values = [...new Set(inMemory)];
    if (!stored || values.length <= SHORT_LIST) return values;
  }
  const probed = lists.flatMap((l) => (isProbed(l.list) ? [l.list.probed] : []));
  if (probed.length === lists.length) {
    return { probed: { listed: probed.some((f) => f.listed), runsOn: probed.some((f) => f.runsOn), confused: probed.some((f) => f.confused) }, count };
  }
  return { scopeIds: lists.map((l) => l.id as string), count };
}

/**
 * The WHERE of a recall (its scopes are alternatives) and how each row matched:
 * `manual` (typed in), `udi` (identified by its serial), `lot` (its lot, or a listed
 * date, was captured), `gtin-only` (the product matches; what would tell was never
 * captured), then the weaker kinds of MATCH_REASONS.
 */
export function recallPredicates(given: readonly RecallScope[]): { where: Predicate; products: Predicate; matchKind: RawBuilder<MatchKind> } {
  const scopes = mergeAlike(given);
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
