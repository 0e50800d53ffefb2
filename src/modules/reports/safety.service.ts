/**
 * The safety report (issue 16, "Evidence"): per calendar month (Europe/London)
 * and per rule, what the point-of-use checks found at scan time and before
 * opening, what the theatre decided, and how much was scanned rather than
 * typed. The evidence a trust's board and the national Scan4Safety programme
 * ask for. Counts only: no patient, procedure or item is named.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { tenancyOf, type RequestContext } from '../../shared/actor.js';
import { csvLine } from '../../shared/csv.js';
import { recordAudit } from '../audit/audit.service.js';
import {
  organisationsInScope,
  safetyCheckCounts,
  safetyScanCounts,
  scanningShare,
  type SafetyCheckRow,
  type SafetyCountsRow,
  type ScanningShareRow,
} from './report.repository.js';
import { monthsBetween, type SafetyMonth, type SafetyReport } from './safety.schemas.js';

/** The months from `from` up to, not including, `to` (YYYY-MM). */
export function monthList(from: string, to: string): string[] {
  const year = Number(from.slice(0, 4));
  const month = Number(from.slice(5, 7)) - 1;
  return Array.from({ length: monthsBetween(from, to) }, (_, k) => {
    const index = year * 12 + month + k;
    return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
  });
}

const noSeverities = () => ({ critical: 0, warning: 0, info: 0 });
const emptyRule = (rule: string, code: string): SafetyMonth['rules'][number] => ({
  rule,
  code,
  scans: noSeverities(),
  checks: noSeverities(),
  decisions: { notUsed: 0, overridden: 0, pending: 0 },
  criticalChecks: { notOpened: 0, followedByImplantScan: 0 },
});
const emptyMonth = (month: string): SafetyMonth => ({
  month,
  scanning: { items: 0, barcode: 0, manual: 0, barcodeShare: null },
  totals: {
    scans: noSeverities(),
    checks: { ...noSeverities(), all: 0 },
    decisions: { notUsed: 0, overridden: 0, pending: 0 },
    criticalChecks: { notOpened: 0, followedByImplantScan: 0 },
  },
  rules: [],
});

type Counted = Pick<SafetyMonth['rules'][number], 'scans' | 'checks' | 'decisions' | 'criticalChecks'>;

function addScanRow(into: Counted, r: SafetyCountsRow) {
  for (const s of ['critical', 'warning', 'info'] as const) into.scans[s] += r.scans[s];
  into.decisions.notUsed += r.notUsed;
  into.decisions.overridden += r.overridden;
  into.decisions.pending += r.pending;
}
function addCheckRow(into: Counted, r: SafetyCheckRow) {
  for (const s of ['critical', 'warning', 'info'] as const) into.checks[s] += r.checks[s];
  into.criticalChecks.notOpened += r.notOpened;
  into.criticalChecks.followedByImplantScan += r.followedByImplantScan;
}
function addMonth(into: SafetyMonth, m: SafetyMonth) {
  into.scanning.items += m.scanning.items;
  into.scanning.barcode += m.scanning.barcode;
  into.scanning.manual += m.scanning.manual;
  for (const s of ['critical', 'warning', 'info'] as const) {
    into.totals.scans[s] += m.totals.scans[s];
    into.totals.checks[s] += m.totals.checks[s];
  }
  into.totals.checks.all += m.totals.checks.all;
  for (const k of ['notUsed', 'overridden', 'pending'] as const) into.totals.decisions[k] += m.totals.decisions[k];
  for (const k of ['notOpened', 'followedByImplantScan'] as const) into.totals.criticalChecks[k] += m.totals.criticalChecks[k];
  for (const rule of m.rules) {
    const mine = ruleOf(into, rule.rule, rule.code);
    for (const s of ['critical', 'warning', 'info'] as const) {
      mine.scans[s] += rule.scans[s];
      mine.checks[s] += rule.checks[s];
    }
    for (const k of ['notUsed', 'overridden', 'pending'] as const) mine.decisions[k] += rule.decisions[k];
    for (const k of ['notOpened', 'followedByImplantScan'] as const) mine.criticalChecks[k] += rule.criticalChecks[k];
  }
}
function ruleOf(month: SafetyMonth, rule: string, code: string) {
  let found = month.rules.find((r) => r.rule === rule && r.code === code);
  if (!found) month.rules.push((found = emptyRule(rule, code)));
  return found;
}
function finish(month: SafetyMonth): SafetyMonth {
  month.rules.sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  month.scanning.barcodeShare = month.scanning.items === 0 ? null : month.scanning.barcode / month.scanning.items;
  return month;
}

/** Assembles the report from the repository's rows (pure): every organisation × month, zero-filled. */
export function assembleSafetyReport(
  from: string,
  to: string,
  organisations: ReadonlyArray<{ id: string; odsCode: string }>,
  scans: readonly SafetyCountsRow[],
  checks: readonly SafetyCheckRow[],
  share: readonly ScanningShareRow[],
): SafetyReport {
  const months = monthList(from, to);
  const table = new Map(organisations.map((o) => [o.id, new Map(months.map((m) => [m, emptyMonth(m)]))]));
  const at = (organisationId: string, month: string) => table.get(organisationId)?.get(month);
  for (const r of scans) {
    const m = at(r.organisationId, r.month);
    if (!m) continue;
    addScanRow(r.rule === null || r.code === null ? m.totals : ruleOf(m, r.rule, r.code), r);
  }
  for (const r of checks) {
    const m = at(r.organisationId, r.month);
    if (!m) continue;
    if (r.rule === null || r.code === null) {
      addCheckRow(m.totals, r);
      m.totals.checks.all += r.checks.all;
    } else addCheckRow(ruleOf(m, r.rule, r.code), r);
  }
  for (const r of share) {
    const m = at(r.organisationId, r.month);
    if (!m) continue;
    m.scanning.items += r.items;
    m.scanning.barcode += r.barcode;
    m.scanning.manual += r.manual;
  }
  const all = months.map(emptyMonth);
  const byOrganisation = organisations.map((o) => ({
    organisation: o.odsCode,
    months: months.map((m, k) => {
      const month = finish(at(o.id, m) ?? emptyMonth(m));
      addMonth(all[k] ?? emptyMonth(m), month);
      return month;
    }),
  }));
  return { from, to, timeZone: 'Europe/London', months: all.map(finish), byOrganisation };
}

export async function safetyReport(db: Kysely<Database>, ctx: RequestContext, from: string, to: string, format: 'json' | 'csv'): Promise<SafetyReport> {
  const organisations = await organisationsInScope(db, tenancyOf(ctx.actor));
  const period = { organisationIds: organisations.map((o) => o.id), fromMonth: from, toMonth: to };
  // One snapshot: a scan committed between two of the queries must not be counted by one and not the other.
  const [scans, checks, share] = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => [await safetyScanCounts(trx, period), await safetyCheckCounts(trx, period), await scanningShare(trx, period)] as const);
  // Counts only, no patient data: audited as a report read.
  await recordAudit(db, ctx, { action: 'report.safety', organisationId: ctx.actor.organisationId, detail: { from, to, format, organisations: organisations.length } });
  return assembleSafetyReport(from, to, organisations, scans, checks, share);
}

/** The CSV's columns, in order (documented in the README and the OpenAPI description). */
export const SAFETY_CSV_COLUMNS = [
  'organisation',
  'month',
  'rule',
  'code',
  'scans_critical',
  'scans_warning',
  'scans_info',
  'checks_critical',
  'checks_warning',
  'checks_info',
  'not_used',
  'overridden',
  'pending',
  'checks_not_opened',
  'checks_followed_by_implant_scan',
  'checks_all',
  'items',
  'items_barcode',
  'items_manual',
] as const;

/**
 * One row per organisation, month and rule; first in each month the row of
 * all rules together (`rule` = `all`, no code), the only one with
 * `checks_all` and the scanning counts.
 */
export function safetyCsv(report: SafetyReport): string {
  let out = csvLine(SAFETY_CSV_COLUMNS);
  const counts = (c: Counted) => [
    c.scans.critical,
    c.scans.warning,
    c.scans.info,
    c.checks.critical,
    c.checks.warning,
    c.checks.info,
    c.decisions.notUsed,
    c.decisions.overridden,
    c.decisions.pending,
    c.criticalChecks.notOpened,
    c.criticalChecks.followedByImplantScan,
  ];
  for (const { organisation, months } of report.byOrganisation) {
    for (const m of months) {
      out += csvLine([organisation, m.month, 'all', null, ...counts(m.totals), m.totals.checks.all, m.scanning.items, m.scanning.barcode, m.scanning.manual]);
      for (const r of m.rules) out += csvLine([organisation, m.month, r.rule, r.code, ...counts(r), null, null, null, null]);
    }
  }
  return out;
}
