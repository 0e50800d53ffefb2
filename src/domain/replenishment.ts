/**
 * Replenishment, as pure functions: par levels (which setting is in force, what a request may set), the
 * window of days a report looks back over, and the to-order arithmetic. No I/O: the stock service reads
 * the levels, the stock on hand and the ledger's point-of-use rows and applies these.
 */
import { addDays } from './stock.js';

/** A product as a par level names it. */
export interface ParProduct {
  readonly issuingAgency: string;
  readonly di: string;
}

/** One setting of a par level: 0 ends the level. */
export interface ParSetting {
  readonly par: number;
  readonly reorderAt: number | null;
}

/** The level in force given the latest setting of a location and product: none when it was set to 0 (ended). */
export function levelInForce<T extends ParSetting>(latest: T | undefined): T | undefined {
  return latest === undefined || latest.par === 0 ? undefined : latest;
}

/** A line of a par-level request: where, which product, and the setting (`par` 0: end it). */
export interface ParLine extends ParProduct, ParSetting {
  readonly location: string;
}

/**
 * Whether a request's lines may be recorded: the same location and product once, a reorder point no
 * higher than the par, none on a level that ends. The first refusal, naming the line.
 */
export function checkParLines(lines: readonly ParLine[]): { readonly index: number; readonly message: string } | undefined {
  const seen = new Map<string, number>();
  for (const [index, line] of lines.entries()) {
    if (!Number.isInteger(line.par) || line.par < 0) return { index, message: `the par ${line.par} is not a whole number of units (0 or more)` };
    if (line.reorderAt !== null) {
      if (line.par === 0) return { index, message: 'a level of 0 ends the par level: it takes no reorder point' };
      if (line.reorderAt > line.par) return { index, message: `the reorder point ${line.reorderAt} is above the par ${line.par}` };
    }
    const key = JSON.stringify([line.location, line.issuingAgency, line.di]);
    const first = seen.get(key);
    if (first !== undefined) return { index, message: `the same location and product as lines[${first}]` };
    seen.set(key, index);
  }
  return undefined;
}

/** The days a report of the last `days` days covers: the first and the last (today), ISO dates in the service's time zone. */
export function lookBack(today: string, days: number): { readonly from: string; readonly through: string } {
  return { from: addDays(today, -(days - 1)), through: today };
}

/** What the to-order report knows of one location and product. */
export interface StockPosition {
  /** Available on hand: the sum of the available rows, negative ones (shortfalls) included. */
  readonly available: number;
  /** Held, not counted. */
  readonly quarantined: number;
  /** Units the point of use took that were not on hand (the negative rows, as a positive count): already counted in `available`. */
  readonly shortfall: number;
  /** Units consumed at the point of use in the window, less those returned to stock. */
  readonly consumed: number;
  readonly returned: number;
}

export interface ToOrder {
  readonly available: number;
  readonly quarantined: number;
  readonly shortfall: number;
  /** Net consumption over the window: consumed less returned to stock (not below 0). */
  readonly netConsumption: number;
  /** Net consumption per day, to two decimals. */
  readonly averagePerDay: number;
  /** max(0, par − available). */
  readonly toOrder: number;
  /** At or below the reorder point (when one is set). */
  readonly atReorderPoint: boolean;
}

/** The to-order arithmetic of one location and product, with its par level, over a window of `days` days. */
export function toOrder(level: ParSetting, position: StockPosition, days: number): ToOrder {
  const netConsumption = Math.max(0, position.consumed - position.returned);
  return {
    available: position.available,
    quarantined: position.quarantined,
    shortfall: position.shortfall,
    netConsumption,
    averagePerDay: averagePerDay(netConsumption, days),
    toOrder: Math.max(0, level.par - position.available),
    atReorderPoint: level.reorderAt !== null && position.available <= level.reorderAt,
  };
}

/** Units per day, to two decimals. */
export function averagePerDay(units: number, days: number): number {
  return days <= 0 ? 0 : Math.round((units / days) * 100) / 100;
}
