import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, RecallScopesTable, RecallsTable } from '../../db/database.js';
import type { ContactStatus, Disposition, EntryType, StockStatus } from '../../domain/vocabulary.js';
import type { TenancyScope } from '../../shared/actor.js';
import type { Device } from '../../domain/device.js';
import { listFacts, MATCH_KINDS, recallPredicates, SHORT_LIST, type Listed, type MatchKind, type RecallScope } from './recall.matching.js';

/**
 * A scope as stored. A list of at most SHORT_LIST values is read with its scope
 * (the recall shows it, and recall queries match it from memory, as index
 * ranges); a longer one stays in recall_scope_members, counted, joined by the
 * queries and read page by page (scopeMembers).
 */
export interface StoredScope extends RecallScope {
  readonly id: string;
  readonly ordinal: number;
  readonly lotCount: number;
  readonly serialCount: number;
}

export interface Recall {
  readonly id: string;
  readonly organisationId: string | null;
  readonly reference: string;
  readonly title: string;
  readonly manufacturer: string | null;
  readonly issuedAt: string | null;
  readonly status: 'active' | 'closed';
  readonly createdAt: Date;
  readonly closedAt: Date | null;
  readonly closeReason: string | null;
  readonly scopes: readonly StoredScope[];
}

/** A scope as a notice gives it: its lists in full. */
export interface RecallScopeInput extends Omit<RecallScope, 'lots' | 'serials'> {
  readonly lots?: readonly string[] | undefined;
  readonly serials?: readonly string[] | undefined;
}

export interface NewRecall {
  readonly organisationId: string | null;
  readonly reference: string;
  readonly title: string;
  readonly manufacturer: string | null;
  readonly issuedAt: string | null;
  readonly createdBy: string;
  readonly scopes: readonly RecallScopeInput[];
}

type ScopeRow = Selectable<RecallScopesTable>;

/** The scope's list: its values if read (short), else where its rows are. */
function listOf(row: ScopeRow, count: number, values: readonly string[] | undefined): Listed | undefined {
  if (count === 0) return undefined;
  return values ?? { scopeIds: [row.id], count };
}

const toScope = (r: ScopeRow, values?: { lots?: readonly string[]; serials?: readonly string[] }): StoredScope => ({
  id: r.id,
  ordinal: r.ordinal,
  lotCount: r.lot_count,
  serialCount: r.serial_count,
  ...(r.gtin !== null ? { gtin: r.gtin } : { hibc: { lic: r.hibc_lic ?? '', pcn: r.hibc_pcn ?? '' } }),
  ...(r.lot_count > 0 ? { lots: listOf(r, r.lot_count, values?.lots) } : {}),
  ...(r.serial_count > 0 ? { serials: listOf(r, r.serial_count, values?.serials) } : {}),
  ...(r.serial_from !== null && r.serial_to !== null ? { serialRange: { from: r.serial_from, to: r.serial_to } } : {}),
  ...(r.expiry_from !== null ? { expiryFrom: r.expiry_from } : {}),
  ...(r.expiry_to !== null ? { expiryTo: r.expiry_to } : {}),
  ...(r.manufactured_from !== null ? { manufacturedFrom: r.manufactured_from } : {}),
  ...(r.manufactured_to !== null ? { manufacturedTo: r.manufactured_to } : {}),
  ...(r.all_lots ? { allLots: true } : {}),
});

const toRecall = (r: Selectable<RecallsTable>, scopes: readonly StoredScope[]): Recall => ({
  id: r.id,
  organisationId: r.organisation_id,
  reference: r.reference,
  title: r.title,
  manufacturer: r.manufacturer,
  issuedAt: r.issued_at,
  status: r.status,
  createdAt: r.created_at,
  closedAt: r.closed_at,
  closeReason: r.close_reason,
  scopes,
});

/** Distinct values, as the member rows hold them (a value listed twice is listed once). */
const distinct = (values: readonly string[] | undefined): string[] => [...new Set(values ?? [])];

/** Rows per INSERT of member rows: two arrays of this many values per statement. */
const MEMBER_BATCH = 50_000;

/** Stores a recall, its scopes and their listed lots and serials (as rows); answers its id. */
export async function insertRecall(db: Kysely<Database>, r: NewRecall): Promise<string> {
  const row = await db
    .insertInto('recalls')
    .values({ organisation_id: r.organisationId, reference: r.reference, title: r.title, manufacturer: r.manufacturer, issued_at: r.issuedAt, created_by: r.createdBy })
    .returning('id')
    .executeTakeFirstOrThrow();
  const lists = r.scopes.map((s) => ({ lots: distinct(s.lots), serials: distinct(s.serials) }));
  const scopes = await db
    .insertInto('recall_scopes')
    .values(
      r.scopes.map((s, ordinal) => ({
        recall_id: row.id,
        ordinal,
        gtin: s.gtin ?? null,
        hibc_lic: s.hibc?.lic ?? null,
        hibc_pcn: s.hibc?.pcn ?? null,
        lot_count: lists[ordinal]?.lots.length ?? 0,
        serial_count: lists[ordinal]?.serials.length ?? 0,
        serial_from: s.serialRange?.from ?? null,
        serial_to: s.serialRange?.to ?? null,
        expiry_from: s.expiryFrom ?? null,
        expiry_to: s.expiryTo ?? null,
        manufactured_from: s.manufacturedFrom ?? null,
        manufactured_to: s.manufacturedTo ?? null,
        all_lots: s.allLots === true,
      })),
    )
    .returning(['id', 'ordinal'])
    .execute();
  for (const kind of ['lot', 'serial'] as const) {
    const ids: string[] = [];
    const values: string[] = [];
    for (const scope of scopes) {
      for (const value of lists[scope.ordinal]?.[kind === 'lot' ? 'lots' : 'serials'] ?? []) {
        ids.push(scope.id);
        values.push(value);
      }
    }
    for (let k = 0; k < values.length; k += MEMBER_BATCH) {
      await sql`
        insert into recall_scope_members (scope_id, kind, value)
        select m.scope_id, ${kind}, m.value from unnest(${ids.slice(k, k + MEMBER_BATCH)}::uuid[], ${values.slice(k, k + MEMBER_BATCH)}::text[]) as m(scope_id, value)`.execute(db);
    }
  }
  return row.id;
}

/** The scopes of these recalls, with their short lists read (two queries whatever the number). */
async function scopesOf(db: Kysely<Database>, recallIds: readonly string[]): Promise<Map<string, StoredScope[]>> {
  const map = new Map<string, StoredScope[]>(recallIds.map((id) => [id, []]));
  if (recallIds.length === 0) return map;
  const rows = await db.selectFrom('recall_scopes').selectAll().where('recall_id', 'in', recallIds).orderBy('recall_id').orderBy('ordinal').execute();
  const shortLots = rows.filter((r) => r.lot_count > 0 && r.lot_count <= SHORT_LIST).map((r) => r.id);
  const shortSerials = rows.filter((r) => r.serial_count > 0 && r.serial_count <= SHORT_LIST).map((r) => r.id);
  const values = new Map<string, { lots: string[]; serials: string[] }>();
  if (shortLots.length > 0 || shortSerials.length > 0) {
    const members = await db
      .selectFrom('recall_scope_members')
      .select(['scope_id', 'kind', 'value'])
      .where((eb) =>
        eb.or([
          ...(shortLots.length > 0 ? [eb.and([eb('scope_id', 'in', shortLots), eb('kind', '=', 'lot')])] : []),
          ...(shortSerials.length > 0 ? [eb.and([eb('scope_id', 'in', shortSerials), eb('kind', '=', 'serial')])] : []),
        ]),
      )
      .orderBy('scope_id')
      .orderBy('kind')
      .orderBy('value')
      .execute();
    for (const m of members) {
      const lists = values.get(m.scope_id) ?? { lots: [], serials: [] };
      (m.kind === 'lot' ? lists.lots : lists.serials).push(m.value);
      values.set(m.scope_id, lists);
    }
  }
  for (const row of rows) {
    const lists = values.get(row.id);
    map.get(row.recall_id)?.push(toScope(row, { ...(row.lot_count <= SHORT_LIST ? { lots: lists?.lots ?? [] } : {}), ...(row.serial_count <= SHORT_LIST ? { serials: lists?.serials ?? [] } : {}) }));
  }
  return map;
}

export async function findRecall(db: Kysely<Database>, id: string): Promise<Recall | undefined> {
  const row = await db.selectFrom('recalls').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return toRecall(row, (await scopesOf(db, [id])).get(id) ?? []);
}

const seenBy = (scope: TenancyScope) => (scope.kind === 'organisation' ? sql<boolean>`(r.organisation_id is null or r.organisation_id = ${scope.organisationId})` : sql<boolean>`true`);

/**
 * A page of the recalls an actor sees (its organisation's and the national ones;
 * a national key sees all), newest first, after the recall `after` (keyset:
 * creation time, then id). Undefined when `after` is no recall the actor sees.
 */
export async function listRecalls(db: Kysely<Database>, scope: TenancyScope, page: { after?: string | undefined; limit: number }): Promise<Recall[] | undefined> {
  let query = db.selectFrom('recalls as r').selectAll('r').where(seenBy(scope)).orderBy('r.created_at', 'desc').orderBy('r.id', 'desc').limit(page.limit);
  if (page.after !== undefined) {
    const after = await db.selectFrom('recalls as r').select(['r.created_at', 'r.id']).where('r.id', '=', page.after).where(seenBy(scope)).executeTakeFirst();
    if (!after) return undefined;
    query = query.where(sql<boolean>`(r.created_at, r.id) < (select c.created_at, c.id from recalls c where c.id = ${after.id})`);
  }
  const rows = await query.execute();
  const scopes = await scopesOf(db, rows.map((r) => r.id));
  return rows.map((r) => toRecall(r, scopes.get(r.id) ?? []));
}

/** One page of a scope's lots or serials, in byte order, after the value `after`. */
export async function scopeMembers(db: Kysely<Database>, scopeId: string, kind: 'lot' | 'serial', page: { after?: string | undefined; limit: number }): Promise<string[]> {
  let query = db.selectFrom('recall_scope_members').select('value').where('scope_id', '=', scopeId).where('kind', '=', kind).orderBy('value').limit(page.limit);
  if (page.after !== undefined) query = query.where('value', '>', page.after);
  return (await query.execute()).map((r) => r.value);
}

export async function closeRecall(db: Kysely<Database>, id: string, at: Date, reason: string | null): Promise<void> {
  await db.updateTable('recalls').set({ status: 'closed', closed_at: at, close_reason: reason }).where('id', '=', id).where('status', '=', 'active').execute();
}

export interface AffectedItem {
  readonly itemId: string;
  readonly organisationId: string;
  readonly odsCode: string;
  readonly patientId: string;
  readonly nhsNumber: string;
  readonly procedureId: string;
  readonly procedureStartedAt: Date;
  readonly locationName: string | null;
  readonly locationGln: string | null;
  readonly clinician: string | null;
  readonly side: string | null;
  readonly gtin: string | null;
  readonly di: string | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly entryType: 'barcode' | 'manual';
  readonly explantedAt: Date | null;
  readonly match: MatchKind;
  readonly contactStatus: ContactStatus;
  /** pending: a critical warning is still undecided; override: implanted despite one. */
  readonly decision: AffectedDecision | null;
  /** Voided after the recall was entered: when, and the name of the key that voided it. */
  readonly voided: { readonly at: Date; readonly by: string | null } | null;
}

export type AffectedDecision = 'pending' | 'override';

/** An item's decision as the recall list shows it (a voided item has nothing left to decide). */
export const affectedDecision = sql<AffectedDecision | null>`case when i.status = 'voided' then null when i.decision_status = 'pending' then 'pending' when i.decision_status = 'implanted' then 'override' end`;

/** Which items of the list to keep (none given: all); an item must pass each filter given. */
export interface AffectedFilter {
  /** Its contact status is one of these (no contact recorded: identified). */
  readonly statuses?: readonly ContactStatus[] | undefined;
  /** It matched in one of these ways. */
  readonly matches?: readonly MatchKind[] | undefined;
}

export interface AffectedQuery extends AffectedFilter {
  readonly scopes: readonly RecallScope[];
  readonly tenancy: TenancyScope;
  /** For the contact status of each item; none for ad-hoc questions. */
  readonly recallId?: string | undefined;
  /** Items after this id (keyset pagination). */
  readonly after?: string | undefined;
  /** Only this item (to check that it is affected). */
  readonly itemId?: string | undefined;
  readonly limit: number;
}

/** When the item was voided (its latest void), and by which key. */
export const voidedAt = sql<Date | null>`(select max(v.recorded_at) from scans v where v.item_id = i.id and v.kind = 'void')`;
export const voidedBy = sql<string | null>`(select k.name from scans v join api_keys k on k.id = v.actor_key_id where v.item_id = i.id and v.kind = 'void' order by v.recorded_at desc limit 1)`;

/**
 * Active items, and items voided after the recall was entered: a void must not
 * take a patient off a recall unnoticed, so such an item stays on the list,
 * marked voided and by whom, for the safety officer to review.
 */
const activeOrVoidedSince = (recallId: string) =>
  sql<boolean>`(i.status = 'active' or (i.status = 'voided' and ${voidedAt} > (select r.created_at from recalls r where r.id = ${recallId})))`;

/**
 * The affected items of a recall (joins, scope predicates, tenancy and the filter), before
 * choosing columns. The filter is here so that the pages, the CSV and the audit row of an
 * export all answer the same list.
 */
export function affectedBase(db: Kysely<Database>, q: Omit<AffectedQuery, 'limit' | 'after'>) {
  const { where, matchKind } = recallPredicates(q.scopes);
  let query = db
    .selectFrom('items as i')
    .innerJoin('organisations as o', 'o.id', 'i.organisation_id')
    .leftJoin('locations as l', 'l.id', 'i.location_id')
    .leftJoin('staff as st', 'st.id', 'i.lead_clinician_id')
    .leftJoin('items as ex', 'ex.id', 'i.explanted_by_item_id')
    .where(q.recallId === undefined ? sql<boolean>`i.status = 'active'` : activeOrVoidedSince(q.recallId))
    .where('i.action', '=', 'implanted')
    // Put aside after a critical warning: stock to quarantine, not a patient (see notUsedItems).
    .where(sql<boolean>`i.decision_status is distinct from 'not-used'`)
    .where(where);
  if (q.tenancy.kind === 'organisation') query = query.where('i.organisation_id', '=', q.tenancy.organisationId);
  if (q.matches !== undefined) query = query.where(sql<boolean>`${matchKind} = any(${[...q.matches]}::text[])`);
  if (q.statuses !== undefined) query = query.where(sql<boolean>`${contactStatus(q.recallId)} = any(${[...q.statuses]}::text[])`);
  return query;
}

/**
 * Who is on the affected list, per row (organisation, patient, procedure), without the rest:
 * what an export of the whole list discloses, for its audit row.
 */
export async function affectedPatientIds(
  db: Kysely<Database>,
  q: Omit<AffectedQuery, 'limit' | 'after'>,
): Promise<Array<{ organisationId: string; patientId: string; procedureId: string }>> {
  const { products } = recallPredicates(q.scopes);
  const rows = await affectedBase(db, q).where(products).select(['i.organisation_id', 'i.patient_id', 'i.procedure_id']).distinct().execute();
  return rows.map((r) => ({ organisationId: r.organisation_id, patientId: r.patient_id, procedureId: r.procedure_id }));
}

function affectedSelect(db: Kysely<Database>, q: Omit<AffectedQuery, 'limit' | 'after'>) {
  const { matchKind } = recallPredicates(q.scopes);
  return affectedBase(db, q).select([
    'i.id as item_id',
    'i.organisation_id',
    'o.ods_code',
    'i.patient_id',
    'i.nhs_number',
    'i.procedure_id',
    'i.procedure_started_at as started_at',
    'l.name as location_name',
    'l.gln as location_gln',
    sql<string | null>`coalesce(st.name, st.local_id, st.gsrn)`.as('clinician'),
    'i.side',
    'i.gtin',
    'i.di',
    'i.lot_number',
    'i.serial_number',
    'i.expiration_date',
    'i.entry_type',
    'ex.first_scanned_at as explanted_at',
    matchKind.as('match'),
    affectedDecision.as('decision'),
    sql<Date | null>`case when i.status = 'voided' then ${voidedAt} end`.as('voided_at'),
    sql<string | null>`case when i.status = 'voided' then ${voidedBy} end`.as('voided_by'),
  ]);
}

export const latestContact = (recallId: string | undefined) =>
  recallId === undefined
    ? sql<ContactStatus | null>`null`
    : sql<ContactStatus | null>`(select rc.status from recall_contacts rc where rc.recall_id = ${recallId} and rc.item_id = i.id order by rc.id desc limit 1)`;

/** The contact status of `i`: its latest step, or identified while none is recorded. */
export const contactStatus = (recallId: string | undefined) => sql<ContactStatus>`coalesce(${latestContact(recallId)}, 'identified')`;

type AffectedRow = Awaited<ReturnType<ReturnType<typeof affectedSelectWithContact>['execute']>>[number];

function affectedSelectWithContact(db: Kysely<Database>, q: Omit<AffectedQuery, 'limit' | 'after'>) {
  return affectedSelect(db, q).select(latestContact(q.recallId).as('contact_status')).orderBy('i.id');
}

/** One page of affected items, ordered by item id (stable while new scans arrive). */
export async function affectedItems(db: Kysely<Database>, q: AffectedQuery): Promise<AffectedItem[]> {
  let query = affectedSelectWithContact(db, q).limit(q.limit);
  if (q.after !== undefined) query = query.where('i.id', '>', q.after);
  if (q.itemId !== undefined) query = query.where('i.id', '=', q.itemId);
  return (await query.execute()).map(toAffected);
}

function toAffected(r: AffectedRow): AffectedItem {
  return {
    itemId: r.item_id,
    organisationId: r.organisation_id,
    odsCode: r.ods_code,
    patientId: r.patient_id,
    nhsNumber: r.nhs_number,
    procedureId: r.procedure_id,
    procedureStartedAt: r.started_at,
    locationName: r.location_name,
    locationGln: r.location_gln,
    clinician: r.clinician,
    side: r.side,
    gtin: r.gtin,
    di: r.di,
    lotNumber: r.lot_number,
    serialNumber: r.serial_number,
    expirationDate: r.expiration_date,
    entryType: r.entry_type,
    explantedAt: r.explanted_at,
    match: r.match,
    contactStatus: r.contact_status ?? 'identified',
    decision: r.decision,
    voided: r.voided_at === null ? null : { at: r.voided_at, by: r.voided_by },
  };
}

export interface AffectedCounts {
  readonly items: number;
  readonly patients: number;
  readonly byMatch: Readonly<Record<MatchKind, number>>;
  readonly byStatus: Readonly<Record<ContactStatus, number>>;
  readonly explanted: number;
  /** Items of the recall put aside after a critical warning: not patients, units to quarantine. */
  readonly notUsed: number;
  /** The recall's stock: on the shelves, quarantined, returned to the supplier. */
  readonly stock: ShelfCounts;
}

const emptyCounts = (): { byMatch: Record<MatchKind, number>; byStatus: Record<ContactStatus, number> } => ({
  byMatch: Object.fromEntries(MATCH_KINDS.map((k) => [k, 0])) as Record<MatchKind, number>,
  byStatus: { identified: 0, contacted: 0, reviewed: 0, explanted: 0, deceased: 0, 'moved-away': 0, 'not-contactable': 0 },
});

/** The list of one recall (or of scopes not yet stored) to count. */
export interface CountQuery {
  readonly scopes: readonly RecallScope[];
  /** For contact statuses and voided items; none for a dry run. */
  readonly recallId?: string | undefined;
}

/**
 * The counts of the whole lists of several recalls, in two queries whatever their number
 * (one for the affected items, by recall, match and status, with distinct patients per
 * recall; one for the units put aside). A filter is never applied: the counts are what a
 * filtered view is read against.
 */
export async function countAffectedMany(db: Kysely<Database>, tenancy: TenancyScope, queries: readonly CountQuery[]): Promise<AffectedCounts[]> {
  if (queries.length === 0) return [];
  const affected = queries.map((q, k) => {
    const { matchKind } = recallPredicates(q.scopes);
    return affectedBase(db, { scopes: q.scopes, tenancy, recallId: q.recallId }).select([
      sql<number>`${sql.lit(k)}::int`.as('k'),
      matchKind.as('match'),
      contactStatus(q.recallId).as('status'),
      'i.patient_id',
      sql<boolean>`ex.first_scanned_at is not null`.as('explanted'),
    ]);
  });
  const [first, ...rest] = affected;
  const union = rest.reduce((u, q) => u.unionAll(q), first as NonNullable<typeof first>);
  const rows = await db
    .selectFrom(union.as('a'))
    .select([
      'a.k',
      'a.match',
      'a.status',
      sql<number>`grouping(a.match, a.status)`.as('total'),
      sql<string>`count(*)`.as('n'),
      sql<string>`count(*) filter (where a.explanted)`.as('explanted'),
      sql<string>`count(distinct a.patient_id)`.as('patients'),
    ])
    .groupBy(sql`grouping sets ((a.k, a.match, a.status), (a.k))`)
    .execute();
  const notUsed = await countNotUsedMany(db, tenancy, queries);
  const stock = await countShelfMany(db, tenancy, queries);
  const counts = queries.map((_, k) => ({ items: 0, patients: 0, explanted: 0, notUsed: notUsed[k] ?? 0, stock: stock[k] as ShelfCounts, ...emptyCounts() }));
  for (const r of rows) {
    const c = counts[r.k];
    if (!c) continue;
    if (Number(r.total) !== 0) {
      // The recall's own row: its items and distinct patients.
      c.items = Number(r.n);
      c.patients = Number(r.patients);
      c.explanted = Number(r.explanted);
    } else {
      c.byMatch[r.match] += Number(r.n);
      c.byStatus[r.status] += Number(r.n);
    }
  }
  return counts;
}

/** The counts of one recall's whole list (see countAffectedMany). */
export async function countAffected(db: Kysely<Database>, query: Omit<AffectedQuery, 'limit' | 'after'>): Promise<AffectedCounts> {
  const [counts] = await countAffectedMany(db, query.tenancy, [{ scopes: query.scopes, recallId: query.recallId }]);
  return counts as AffectedCounts;
}

export interface NotUsedItem {
  readonly itemId: string;
  readonly organisationId: string;
  readonly odsCode: string;
  /** For the audit row only: the list shows no patient. */
  readonly patientId: string;
  readonly procedureId: string;
  readonly procedureStartedAt: Date;
  readonly gtin: string | null;
  readonly di: string | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly disposition: Disposition | null;
  readonly reason: string | null;
  readonly decidedAt: Date | null;
}

/**
 * Items of the recall that were put aside after a critical warning (decision
 * not-used): units to find and quarantine, not patients. The patient id is read
 * for the audit row only; the list shows no patient.
 */
function notUsedBase(db: Kysely<Database>, q: Pick<AffectedQuery, 'scopes' | 'tenancy'>) {
  const { where, products } = recallPredicates(q.scopes);
  let query = db
    .selectFrom('items as i')
    .innerJoin('organisations as o', 'o.id', 'i.organisation_id')
    .where('i.status', '=', 'active')
    .where('i.action', '=', 'implanted')
    .where('i.decision_status', '=', 'not-used')
    .where(products)
    .where(where);
  if (q.tenancy.kind === 'organisation') query = query.where('i.organisation_id', '=', q.tenancy.organisationId);
  return query;
}

export async function notUsedItems(db: Kysely<Database>, q: Pick<AffectedQuery, 'scopes' | 'tenancy' | 'limit' | 'after'>): Promise<NotUsedItem[]> {
  let query = notUsedBase(db, q)
    .select([
      'i.id',
      'i.organisation_id',
      'o.ods_code',
      'i.patient_id',
      'i.procedure_id',
      'i.procedure_started_at',
      'i.gtin',
      'i.di',
      'i.lot_number',
      'i.serial_number',
      'i.expiration_date',
      'i.decision_disposition',
      'i.decision_reason',
      'i.decided_at',
    ])
    .orderBy('i.id')
    .limit(q.limit);
  if (q.after !== undefined) query = query.where('i.id', '>', q.after);
  return (await query.execute()).map((r) => ({
    itemId: r.id,
    organisationId: r.organisation_id,
    odsCode: r.ods_code,
    patientId: r.patient_id,
    procedureId: r.procedure_id,
    procedureStartedAt: r.procedure_started_at,
    gtin: r.gtin,
    di: r.di,
    lotNumber: r.lot_number,
    serialNumber: r.serial_number,
    expirationDate: r.expiration_date,
    disposition: r.decision_disposition,
    reason: r.decision_reason,
    decidedAt: r.decided_at,
  }));
}

/** How many units of each recall were put aside, in one query whatever their number. */
async function countNotUsedMany(db: Kysely<Database>, tenancy: TenancyScope, queries: readonly CountQuery[]): Promise<number[]> {
  const [first, ...rest] = queries.map((q, k) => notUsedBase(db, { scopes: q.scopes, tenancy }).select(sql<number>`${sql.lit(k)}::int`.as('k')));
  if (!first) return [];
  const union = rest.reduce((u, q) => u.unionAll(q), first);
  const rows = await db.selectFrom(union.as('u')).select(['u.k', sql<string>`count(*)`.as('n')]).groupBy('u.k').execute();
  const counts = queries.map(() => 0);
  for (const r of rows) counts[r.k] = Number(r.n);
  return counts;
}

/** HIBC's unit of measure: one digit, the last character of its device identifier. */
const HIBC_UNITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

/** A row of stock on hand that a recall covers, and how (the same match kinds as the patients' list). */
export interface ShelfStockRow {
  readonly onHandId: string;
  readonly organisationId: string;
  readonly odsCode: string;
  /** Null: the organisation's "unlocated" account. */
  readonly location: { readonly id: string; readonly gln: string; readonly name: string } | null;
  readonly issuingAgency: string;
  readonly di: string;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly status: StockStatus;
  readonly consignment: boolean;
  readonly quantity: number;
  readonly match: MatchKind;
}

/**
 * The stock on hand a recall covers (issue 17): the very predicates of the patients' list, over the rows of
 * `stock_on_hand` seen as items (`i`): the GTIN or the HIBC labeller and product code from the device
 * identifier (HIBC's is labeller, product code and unit of measure), the lot, serial and expiry; a
 * manufacturing date stock does not know, which rules nothing out. In the order of the rows on hand.
 */
export async function shelfStock(db: Kysely<Database>, q: Pick<AffectedQuery, 'scopes' | 'tenancy' | 'limit' | 'after'>): Promise<ShelfStockRow[]> {
  const base = shelfBase(db, q);
  if (base === undefined) return [];
  let query = base.rows
    .innerJoin('organisations as o', 'o.id', 'i.organisation_id')
    .leftJoin('locations as loc', 'loc.id', 'i.location_id')
    .select([
      'i.id',
      'i.organisation_id',
      'o.ods_code',
      'loc.id as location_id',
      'loc.gln',
      'loc.name as location_name',
      'i.issuing_agency',
      'i.di',
      'i.lot_number',
      'i.serial_number',
      'i.expiration_date',
      'i.status',
      'i.consignment',
      'i.quantity',
      base.matchKind.as('match'),
    ])
    .orderBy('i.id')
    .limit(q.limit);
  if (q.after !== undefined) query = query.where('i.id', '>', q.after);
  return (await query.execute()).map((r) => ({
    onHandId: r.id,
    organisationId: r.organisation_id,
    odsCode: r.ods_code,
    location: r.location_id === null || r.gln === null || r.location_name === null ? null : { id: r.location_id, gln: r.gln, name: r.location_name },
    issuingAgency: r.issuing_agency,
    di: r.di,
    lotNumber: r.lot_number,
    serialNumber: r.serial_number,
    expirationDate: r.expiration_date,
    status: r.status,
    consignment: r.consignment,
    quantity: r.quantity,
    match: r.match,
  }));
}

/**
 * The rows on hand a recall's scopes cover, as a query over `i` (see shelfStock); undefined when no scope
 * names a product (nothing on a shelf can match).
 */
function shelfBase(db: Kysely<Database>, q: Pick<AffectedQuery, 'scopes' | 'tenancy'>) {
  // Every row a scope can cover has that scope's product: its GTIN, or its HIBC labeller and product code
  // with one digit of unit of measure. Named first, so that the rows are found by the index on
  // (organisation_id, di, lot_number) rather than by reading the organisation's whole stock.
  const dis = [...new Set(q.scopes.flatMap((s) => [...(s.gtin === undefined ? [] : [s.gtin]), ...(s.hibc ? HIBC_UNITS.map((u) => `${s.hibc?.lic}${s.hibc?.pcn}${u}`) : [])]))];
  if (dis.length === 0) return undefined;
  const { where, products, matchKind } = recallPredicates(q.scopes);
  let onHand = db
    .selectFrom('stock_on_hand as s')
    .select([
      's.id',
      's.organisation_id',
      's.location_id',
      's.issuing_agency',
      's.di',
      sql<string | null>`case when s.issuing_agency = 'GS1' then s.di end`.as('gtin'),
      sql<string | null>`case when s.issuing_agency = 'HIBCC' then left(s.di, 4) end`.as('hibc_lic'),
      sql<string | null>`case when s.issuing_agency = 'HIBCC' and length(s.di) > 5 then substr(s.di, 5, length(s.di) - 5) end`.as('hibc_pcn'),
      's.lot_number',
      's.serial_number',
      's.expiration_date',
      sql<string | null>`null::date`.as('manufacturing_date'),
      sql<EntryType>`'barcode'`.as('entry_type'),
      's.status',
      's.consignment',
      's.quantity',
    ])
    .where('s.quantity', '>', 0)
    .where('s.di', 'in', dis);
  if (q.tenancy.kind === 'organisation') onHand = onHand.where('s.organisation_id', '=', q.tenancy.organisationId);
  return { rows: db.selectFrom(onHand.as('i')).where(products).where(where), matchKind };
}

/** What a recall's stock comes to: units on the shelves it covers, by status, and units returned to the supplier for it. */
export interface ShelfCounts {
  readonly available: number;
  readonly quarantined: number;
  readonly returned: number;
}

/**
 * The shelf counts of several recalls in two queries whatever their number: the units on hand each covers
 * (by status), and the units sent back under each (`returned-to-supplier` rows naming the recall).
 */
async function countShelfMany(db: Kysely<Database>, tenancy: TenancyScope, queries: readonly CountQuery[]): Promise<ShelfCounts[]> {
  const counts = queries.map(() => ({ available: 0, quarantined: 0, returned: 0 }));
  const parts = queries.flatMap((q, k) => {
    const base = shelfBase(db, { scopes: q.scopes, tenancy });
    return base === undefined ? [] : [base.rows.select([sql<number>`${sql.lit(k)}::int`.as('k'), 'i.status', 'i.quantity'])];
  });
  const [first, ...rest] = parts;
  if (first !== undefined) {
    const union = rest.reduce((u, q) => u.unionAll(q), first);
    const rows = await db
      .selectFrom(union.as('u'))
      .select(['u.k', 'u.status', sql<string>`sum(u.quantity)`.as('n')])
      .groupBy(['u.k', 'u.status'])
      .execute();
    for (const r of rows) {
      const c = counts[r.k];
      if (c) c[r.status] = Number(r.n);
    }
  }
  const recallIds = queries.flatMap((q) => (q.recallId === undefined ? [] : [q.recallId]));
  if (recallIds.length > 0) {
    let returned = db
      .selectFrom('stock_movements')
      .select(['recall_id', sql<string>`sum(quantity)`.as('n')])
      .where('recall_id', 'in', recallIds)
      .where('kind', '=', 'returned-to-supplier')
      .groupBy('recall_id');
    if (tenancy.kind === 'organisation') returned = returned.where('organisation_id', '=', tenancy.organisationId);
    const byRecall = new Map((await returned.execute()).map((r) => [r.recall_id, Number(r.n)]));
    queries.forEach((q, k) => {
      if (q.recallId !== undefined) (counts[k] as { returned: number }).returned = byRecall.get(q.recallId) ?? 0;
    });
  }
  return counts;
}

export async function insertContact(
  db: Kysely<Database>,
  c: { recallId: string; itemId: string; status: ContactStatus; note: string | null; actorKeyId: string },
): Promise<{ id: string; recordedAt: Date }> {
  const row = await db
    .insertInto('recall_contacts')
    .values({ recall_id: c.recallId, item_id: c.itemId, status: c.status, note: c.note, actor_key_id: c.actorKeyId })
    .returning(['id', 'recorded_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, recordedAt: row.recorded_at };
}

export async function contactHistory(db: Kysely<Database>, recallId: string, itemId: string) {
  return db.selectFrom('recall_contacts').select(['status', 'note', 'recorded_at', 'actor_key_id']).where('recall_id', '=', recallId).where('item_id', '=', itemId).orderBy('id').execute();
}

/** An active recall that covers a scanned device, and how (a weaker kind asks the theatre to check the label). */
export interface CoveringRecall {
  readonly id: string;
  readonly reference: string;
  readonly title: string;
  readonly match: MatchKind;
}

/** The scanned device as a one-row `i`, so that the very predicates of the recall lists decide. */
const deviceRow = (device: Device, entryType: EntryType) => sql`
  select ${device.gtin}::text as gtin, ${device.hibcLic}::text as hibc_lic, ${device.hibcPcn}::text as hibc_pcn,
         ${device.lotNumber}::text as lot_number, ${device.serialNumber}::text as serial_number,
         ${device.expirationDate}::date as expiration_date, ${device.manufacturingDate}::date as manufacturing_date,
         ${entryType}::text as entry_type`;

type CandidateRow = ScopeRow & { reference: string; title: string; lot_listed: boolean; serial_listed: boolean; lot_runs_on: boolean; lot_confused: boolean };

/**
 * Active recalls that cover a scanned device (certainly, because what would
 * rule it out was not captured, or by one of the weaker kinds: a lot that
 * swallowed a tail, a lot that differs only in confusable characters, a lot
 * label without its product), among those the organisation sees.
 *
 * Two queries, each a few index lookups whatever the size of the recalls: the
 * scopes that name the device's product (or, for a lot label without its
 * product, that list its lot), each with what its lists say of the device (its
 * lot or serial listed, probed by key: `listFacts`); then the very predicates of
 * the recall lists on the device as a one-row `items as i`, those facts in place
 * of the lists. No list is read into memory, and no scope costs a subquery twice.
 */
export async function activeRecallsCovering(db: Kysely<Database>, organisationId: string, device: Device, entryType: EntryType): Promise<CoveringRecall[]> {
  const productless = device.gtin === null && device.hibcLic === null;
  if (productless && device.lotNumber === null) return [];
  const names = [
    ...(device.gtin !== null ? [sql<boolean>`s.gtin = ${device.gtin}`] : []),
    ...(device.hibcLic !== null && device.hibcPcn !== null ? [sql<boolean>`(s.hibc_lic = ${device.hibcLic} and s.hibc_pcn = ${device.hibcPcn})`] : []),
    // A lot label without its product: the scopes that list its lot.
    ...(productless ? [sql<boolean>`exists (select 1 from recall_scope_members m where m.scope_id = s.id and m.kind = 'lot' and m.value = (i.lot_number collate "C"))`] : []),
  ];
  const facts = listFacts(sql.ref('s.id'));
  const { rows } = await sql<CandidateRow>`
    with i as (${deviceRow(device, entryType)})
    select s.*, r.reference, r.title,
           s.lot_count > 0 and ${facts.lotListed} as lot_listed, s.serial_count > 0 and ${facts.serialListed} as serial_listed,
           s.lot_count > 0 and ${facts.lotRunsOn} as lot_runs_on, s.lot_count > 0 and ${facts.lotConfused} as lot_confused
    from recall_scopes s join recalls r on r.id = s.recall_id cross join i
    where r.status = 'active' and (r.organisation_id is null or r.organisation_id = ${organisationId}) and (${sql.join(names, sql` or `)})
    order by r.reference, s.recall_id, s.ordinal`.execute(db);
  if (rows.length === 0) return [];
  // Scopes by recall (a scope of another product cannot cover the device, so these are all that can).
  const recalls = new Map<string, { id: string; reference: string; title: string; scopes: RecallScope[] }>();
  for (const row of rows) {
    const recall = recalls.get(row.recall_id) ?? { id: row.recall_id, reference: row.reference, title: row.title, scopes: [] };
    const scope = toScope(row);
    recall.scopes.push({
      ...scope,
      lots: row.lot_count > 0 ? { probed: { listed: row.lot_listed, runsOn: row.lot_runs_on, confused: row.lot_confused }, count: row.lot_count } : undefined,
      serials: row.serial_count > 0 ? { probed: { listed: row.serial_listed, runsOn: false, confused: false }, count: row.serial_count } : undefined,
    });
    recalls.set(row.recall_id, recall);
  }
  const candidates = [...recalls.values()];
  const checks = candidates.map((c) => recallPredicates(c.scopes));
  const result = await sql<Record<string, boolean | MatchKind>>`
    with i as (${deviceRow(device, entryType)})
    select ${sql.join(checks.map((c, k) => sql`${c.where} as ${sql.ref(`m${k}`)}, ${c.matchKind} as ${sql.ref(`k${k}`)}`))} from i
  `.execute(db);
  const row = result.rows[0] ?? {};
  return candidates.flatMap((c, k) => (row[`m${k}`] === true ? [{ id: c.id, reference: c.reference, title: c.title, match: row[`k${k}`] as MatchKind }] : []));
}
