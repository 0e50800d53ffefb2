/**
 * The safety chart's figures (pure, unit-tested): per month, the critical
 * findings raised, the errors prevented and the overrides, and the scale.
 */
import type { SafetyMonth } from './types.js';

export interface ChartMonth {
  readonly month: string;
  /** Critical findings raised: scans with one, and checks before opening with one. */
  readonly found: number;
  /** Prevented: items put aside after a critical finding, and boxes not opened after a critical check. */
  readonly prevented: number;
  /** Implanted anyway, with a reason. */
  readonly overridden: number;
}

export const SERIES = [
  { key: 'found', label: 'Critical findings', className: 'series-found' },
  { key: 'prevented', label: 'Prevented (put aside or not opened)', className: 'series-prevented' },
  { key: 'overridden', label: 'Overridden, with a reason', className: 'series-overridden' },
] as const;

export function chartMonths(months: readonly SafetyMonth[]): ChartMonth[] {
  return months.map((m) => ({
    month: m.month,
    found: m.totals.scans.critical + m.totals.checks.critical,
    prevented: m.totals.decisions.notUsed + m.totals.criticalChecks.notOpened,
    overridden: m.totals.decisions.overridden,
  }));
}

/** A round top for the axis (1, 2, 5 × 10ⁿ, at least 5) and whole ticks: 4 or 5 steps. */
export function scaleOf(max: number): { top: number; ticks: number[] } {
  const want = Math.max(max, 5);
  const power = 10 ** Math.floor(Math.log10(want));
  const top = [1, 2, 5, 10].map((f) => f * power).find((v) => v >= want) ?? 10 * power;
  const step = Math.max(1, top / (String(top).startsWith('2') ? 4 : 5));
  return { top, ticks: Array.from({ length: Math.floor(top / step) + 1 }, (_, k) => k * step) };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** "2026-01" → "Jan 2026". */
export function monthName(month: string): string {
  return `${MONTHS[Number(month.slice(5, 7)) - 1] ?? month.slice(5, 7)} ${month.slice(0, 4)}`;
}

/** The month after YYYY-MM. */
export function nextMonth(month: string): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return m === 12 ? `${String(y + 1).padStart(4, '0')}-01` : `${month.slice(0, 4)}-${String(m + 1).padStart(2, '0')}`;
}

/** `count` months back from YYYY-MM (count 0: the same month). */
export function monthsBack(month: string, count: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 - count;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}
