import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import type { TenancyScope } from '../../shared/actor.js';

export interface DataQualityRow {
  readonly odsCode: string;
  readonly locationGln: string | null;
  readonly locationName: string | null;
  readonly items: number;
  readonly scanned: number;
  readonly manual: number;
  readonly missingLot: number;
  readonly missingSerial: number;
  readonly missingLotAndSerial: number;
  readonly unknownProduct: number;
  readonly incompleteSplitLabels: number;
  readonly pendingDecisions: number;
  readonly overrides: number;
  readonly notUsedAfterWarning: number;
  readonly criticalWithoutDecision: number;
  readonly deviceOnlyScans: number;
}

/** An implant recorded before decisions existed whose scan raised a critical warning: nobody recorded what was done. */
const criticalWithoutDecision = sql<boolean>`(i.action = 'implanted' and i.decision_status is null and exists (
  select 1 from scans s where s.item_id = i.id and s.kind = 'product' and s.warnings @> '[{"severity": "critical"}]'::jsonb))`;

/**
 * The product scans of an item (not voided) recorded with no person named: neither signed in nor badged for
 * the case. By the item's index (scans_item); an item's scans are few.
 */
const deviceOnlyScansOfItem = sql<string>`(select count(*) from scans s
  where s.item_id = i.id and s.kind = 'product' and s.attribution = 'device-only'
    and not exists (select 1 from scans v where v.voids_scan_id = s.id))`;

/**
 * Items of procedures started in [from, to), active (not voided), counted per organisation and location;
 * with the device-only scans of those items (a voided item's scans are all voided, so these are every
 * device-only product scan of the procedures that was not voided).
 */
export async function dataQuality(db: Kysely<Database>, scope: TenancyScope, from: Date, to: Date): Promise<DataQualityRow[]> {
  let query = db
    .selectFrom('items as i')
    .innerJoin('procedures as p', 'p.id', 'i.procedure_id')
    .innerJoin('organisations as o', 'o.id', 'i.organisation_id')
    .leftJoin('locations as l', 'l.id', 'p.location_id')
    .leftJoin('products as pr', 'pr.di', 'i.di')
    .leftJoin('product_overrides as po', (join) => join.onRef('po.organisation_id', '=', 'i.organisation_id').onRef('po.di', '=', 'i.di'))
    .where('i.status', '=', 'active')
    .where('p.started_at', '>=', from)
    .where('p.started_at', '<', to)
    .select((eb) => [
      'o.ods_code',
      'l.gln',
      'l.name',
      eb.fn.countAll<string>().as('items'),
      eb.fn.countAll<string>().filterWhere('i.entry_type', '=', 'barcode').as('scanned'),
      eb.fn.countAll<string>().filterWhere('i.entry_type', '=', 'manual').as('manual'),
      eb.fn.countAll<string>().filterWhere('i.lot_number', 'is', null).as('missing_lot'),
      eb.fn.countAll<string>().filterWhere('i.serial_number', 'is', null).as('missing_serial'),
      eb.fn
        .countAll<string>()
        .filterWhere((f) => f.and([f('i.lot_number', 'is', null), f('i.serial_number', 'is', null)]))
        .as('missing_both'),
      eb.fn
        .countAll<string>()
        .filterWhere((f) => f.and([f('i.di', 'is not', null), f('pr.di', 'is', null), f('po.di', 'is', null)]))
        .as('unknown_product'),
      eb.fn.countAll<string>().filterWhere('i.awaiting', 'is not', null).as('incomplete'),
      eb.fn.countAll<string>().filterWhere('i.decision_status', '=', 'pending').as('pending'),
      eb.fn.countAll<string>().filterWhere('i.decision_status', '=', 'implanted').as('overrides'),
      eb.fn.countAll<string>().filterWhere('i.decision_status', '=', 'not-used').as('not_used'),
      eb.fn.countAll<string>().filterWhere(criticalWithoutDecision).as('undecided'),
      sql<string>`coalesce(sum(${deviceOnlyScansOfItem}), 0)`.as('device_only'),
    ])
    .groupBy(['o.ods_code', 'l.gln', 'l.name'])
    .orderBy('o.ods_code')
    .orderBy('l.gln');
  if (scope.kind === 'organisation') query = query.where('i.organisation_id', '=', scope.organisationId);
  const rows = await query.execute();
  return rows.map((r) => ({
    odsCode: r.ods_code,
    locationGln: r.gln,
    locationName: r.name,
    items: Number(r.items),
    scanned: Number(r.scanned),
    manual: Number(r.manual),
    missingLot: Number(r.missing_lot),
    missingSerial: Number(r.missing_serial),
    missingLotAndSerial: Number(r.missing_both),
    unknownProduct: Number(r.unknown_product),
    incompleteSplitLabels: Number(r.incomplete),
    pendingDecisions: Number(r.pending),
    overrides: Number(r.overrides),
    notUsedAfterWarning: Number(r.not_used),
    criticalWithoutDecision: Number(r.undecided),
    deviceOnlyScans: Number(r.device_only),
  }));
}

// ---------------------------------------------------------------------------
// The safety report (issue 16): what the point-of-use checks found and what
// came of it, per organisation, calendar month (Europe/London) and rule.

/** Counts by the severity of a finding. */
export interface SeverityCounts {
  readonly critical: number;
  readonly warning: number;
  readonly info: number;
}

/** What the scans and checks of one organisation, month and rule (or all rules: `rule` null) counted. */
export interface SafetyCountsRow {
  readonly organisationId: string;
  /** YYYY-MM, the Europe/London calendar month. */
  readonly month: string;
  /** The finding's rule, or its code when it names none; null: all rules together (each scan, check or item once). */
  readonly rule: string | null;
  readonly code: string | null;
  /** Scans (not voided) that raised it, by severity. */
  readonly scans: SeverityCounts;
  /** Items a critical finding of it stopped, by the decision in force now. */
  readonly notUsed: number;
  readonly overridden: number;
  readonly pending: number;
}

export interface SafetyCheckRow {
  readonly organisationId: string;
  readonly month: string;
  readonly rule: string | null;
  readonly code: string | null;
  /** Checks before opening that raised it, by severity; on the all-rules row `all` counts every check, with findings or none. */
  readonly checks: SeverityCounts & { readonly all: number };
  /** Checks with a critical finding of it after which the same device was not scanned as implanted in the procedure, and after which it was. */
  readonly notOpened: number;
  readonly followedByImplantScan: number;
}

export interface ScanningShareRow {
  readonly organisationId: string;
  readonly month: string;
  readonly items: number;
  readonly barcode: number;
  readonly manual: number;
}

export interface SafetyPeriod {
  /** Organisations counted (ids). */
  readonly organisationIds: readonly string[];
  /** First month counted and the month after the last, YYYY-MM (Europe/London). */
  readonly fromMonth: string;
  readonly toMonth: string;
}

const TIME_ZONE = 'Europe/London';
/** The instant a calendar month begins in London. */
const monthStart = (month: string) => sql<Date>`((${month}::text || '-01')::timestamp at time zone ${sql.lit(TIME_ZONE)})`;
const monthOf = (instant: RawBuilder<unknown>) => sql<string>`to_char(${instant} at time zone ${sql.lit(TIME_ZONE)}, 'YYYY-MM')`;
const uuids = (ids: readonly string[]) => sql`${[...ids]}::uuid[]`;
/** A scan that a later row of the ledger voided is not counted. */
const notVoided = (scan: string) => sql`not exists (select 1 from scans v where v.voids_scan_id = ${sql.ref(`${scan}.id`)})`;

const n = (v: string | number | null | undefined) => Number(v ?? 0);

/** The organisations a scope counts, by ODS code. */
export async function organisationsInScope(db: Kysely<Database>, scope: TenancyScope): Promise<{ id: string; odsCode: string }[]> {
  let query = db.selectFrom('organisations').select(['id', 'ods_code']).orderBy('ods_code');
  if (scope.kind === 'organisation') query = query.where('id', '=', scope.organisationId);
  return (await query.execute()).map((r) => ({ id: r.id, odsCode: r.ods_code }));
}

/**
 * Findings raised at scan time and what was decided about them. A product scan
 * not voided, scanned in the period (its `scanned_at`, the theatre's time the
 * service bounded), counts once per rule it raised, by the finding's severity;
 * the items a critical finding stopped count by their decision in force now
 * (corrections applied). Read through the partial index `scans_findings`
 * (whose predicate this repeats) and each item by its key. The all-rules row
 * (grouping set without rule) counts each scan and item once.
 */
export async function safetyScanCounts(db: Kysely<Database>, p: SafetyPeriod): Promise<SafetyCountsRow[]> {
  const { rows } = await sql<{
    organisation_id: string; month: string; rule: string | null; code: string | null; all_rules: number;
    critical: string; warning: string; info: string; not_used: string; overridden: string; pending: string;
  }>`
    with raised as (
      select s.id, s.organisation_id, s.item_id, ${monthOf(sql.ref('s.scanned_at'))} as month, s.warnings
      from scans s
      where s.organisation_id = any(${uuids(p.organisationIds)})
        and s.scanned_at >= ${monthStart(p.fromMonth)} and s.scanned_at < ${monthStart(p.toMonth)}
        and s.kind = 'product' and s.warnings <> '[]'::jsonb
        and ${notVoided('s')}
    ), findings as (
      select r.id, r.organisation_id, r.month, f.severity, f.code, coalesce(f.rule, f.code) as rule,
             case when f.severity = 'critical' then i.decision_status end as decision, i.id as item_id
      from raised r
      cross join lateral jsonb_to_recordset(r.warnings) as f (code text, severity text, rule text)
      left join items i on i.id = r.item_id and i.status = 'active'
    )
    select organisation_id, month, rule, code, grouping(rule, code) as all_rules,
      count(distinct id) filter (where severity = 'critical') as critical,
      count(distinct id) filter (where severity = 'warning') as warning,
      count(distinct id) filter (where severity = 'info') as info,
      count(distinct item_id) filter (where decision = 'not-used') as not_used,
      count(distinct item_id) filter (where decision = 'implanted') as overridden,
      count(distinct item_id) filter (where decision = 'pending') as pending
    from findings
    group by grouping sets ((organisation_id, month, rule, code), (organisation_id, month))
    order by organisation_id, month, all_rules desc, rule, code
  `.execute(db);
  return rows.map((r) => ({
    organisationId: r.organisation_id,
    month: r.month,
    rule: n(r.all_rules) === 0 ? r.rule : null,
    code: n(r.all_rules) === 0 ? r.code : null,
    scans: { critical: n(r.critical), warning: n(r.warning), info: n(r.info) },
    notUsed: n(r.not_used),
    overridden: n(r.overridden),
    pending: n(r.pending),
  }));
}

/**
 * Findings raised by checks before opening (`checked_at`, the database's
 * clock), through the index (organisation_id, checked_at). A check with a
 * critical finding is followed by an implant scan when a product scan of the
 * same device (same DI, and the same serial when the check read one, else the
 * same lot, or none on both), action implanted, not voided, was recorded in the
 * same procedure after the check; otherwise the box was not opened: an error
 * prevented before opening. Found by the index (procedure_id, recorded_at).
 */
export async function safetyCheckCounts(db: Kysely<Database>, p: SafetyPeriod): Promise<SafetyCheckRow[]> {
  const { rows } = await sql<{
    organisation_id: string; month: string; rule: string | null; code: string | null; all_rules: number;
    all_checks: string; critical: string; warning: string; info: string; not_opened: string; followed: string;
  }>`
    with checked as (
      select c.id, c.organisation_id, ${monthOf(sql.ref('c.checked_at'))} as month, c.findings,
        c.outcome = 'critical' and exists (
          select 1 from scans s
          where s.procedure_id = c.procedure_id and s.recorded_at > c.checked_at
            and s.kind = 'product' and s.action = 'implanted' and s.di = c.di
            and case when c.serial_number is not null then s.serial_number = c.serial_number
                     else s.lot_number is not distinct from c.lot_number end
            and ${notVoided('s')}
        ) as followed
      from pre_use_checks c
      where c.organisation_id = any(${uuids(p.organisationIds)})
        and c.checked_at >= ${monthStart(p.fromMonth)} and c.checked_at < ${monthStart(p.toMonth)}
    ), findings as (
      select c.id, c.organisation_id, c.month, c.followed, f.severity, f.code, coalesce(f.rule, f.code) as rule
      from checked c
      left join lateral jsonb_to_recordset(c.findings) as f (code text, severity text, rule text) on true
    )
    select organisation_id, month, rule, code, grouping(rule, code) as all_rules,
      count(distinct id) as all_checks,
      count(distinct id) filter (where severity = 'critical') as critical,
      count(distinct id) filter (where severity = 'warning') as warning,
      count(distinct id) filter (where severity = 'info') as info,
      count(distinct id) filter (where severity = 'critical' and not followed) as not_opened,
      count(distinct id) filter (where severity = 'critical' and followed) as followed
    from findings
    group by grouping sets ((organisation_id, month, rule, code), (organisation_id, month))
    -- a check that found nothing has no rule: it counts on the all-rules row only
    having grouping(rule, code) <> 0 or rule is not null
    order by organisation_id, month, all_rules desc, rule, code
  `.execute(db);
  return rows.map((r) => ({
    organisationId: r.organisation_id,
    month: r.month,
    rule: n(r.all_rules) === 0 ? r.rule : null,
    code: n(r.all_rules) === 0 ? r.code : null,
    checks: { all: n(r.all_checks), critical: n(r.critical), warning: n(r.warning), info: n(r.info) },
    notOpened: n(r.not_opened),
    followedByImplantScan: n(r.followed),
  }));
}

/** Active (not voided) items by their first scan's month and how they were entered, through `items_organisation_scanned`. */
export async function scanningShare(db: Kysely<Database>, p: SafetyPeriod): Promise<ScanningShareRow[]> {
  const { rows } = await sql<{ organisation_id: string; month: string; items: string; barcode: string; manual: string }>`
    select i.organisation_id, ${monthOf(sql.ref('i.first_scanned_at'))} as month,
      count(*) as items,
      count(*) filter (where i.entry_type = 'barcode') as barcode,
      count(*) filter (where i.entry_type = 'manual') as manual
    from items i
    where i.organisation_id = any(${uuids(p.organisationIds)})
      and i.first_scanned_at >= ${monthStart(p.fromMonth)} and i.first_scanned_at < ${monthStart(p.toMonth)}
      and i.status = 'active'
    group by 1, 2
  `.execute(db);
  return rows.map((r) => ({ organisationId: r.organisation_id, month: r.month, items: n(r.items), barcode: n(r.barcode), manual: n(r.manual) }));
}
