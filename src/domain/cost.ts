/**
 * Cost per case, as pure functions: a procedure's consumption priced line by line, and the spread of
 * case costs. A unit with no price in force is counted, never priced at zero: the case is then
 * incomplete, and its cost (of the priced units only) is a floor, which the spread leaves out. No I/O.
 */
import { meanMinor, medianMinor } from './money.js';

/** One product (and lot and serial) a case consumed, net of what went back, with the unit price in force on the case's date. */
export interface CostLine {
  readonly units: number;
  /** Minor units; null: no price in force on the case's date. */
  readonly unitPriceMinor: number | null;
}

export interface CaseCost {
  readonly units: number;
  readonly pricedUnits: number;
  readonly unpricedUnits: number;
  /** Of the priced units: the whole cost when `complete`, a floor otherwise. */
  readonly costMinor: number;
  /** Every unit priced (a case that consumed nothing is complete, at zero). */
  readonly complete: boolean;
}

export function caseCost(lines: readonly CostLine[]): CaseCost {
  let units = 0;
  let pricedUnits = 0;
  let costMinor = 0;
  for (const line of lines) {
    units += line.units;
    if (line.unitPriceMinor === null) continue;
    pricedUnits += line.units;
    costMinor += line.units * line.unitPriceMinor;
  }
  return { units, pricedUnits, unpricedUnits: units - pricedUnits, costMinor, complete: units === pricedUnits };
}

export interface Spread {
  /** Cases in the group. */
  readonly cases: number;
  /** Of which incomplete (a unit without a price): left out of the figures below, never counted as cheap. */
  readonly incompleteCases: number;
  /** Of which nothing consumed was recorded (no point-of-use scan took stock): left out too, never counted as free. */
  readonly casesWithoutConsumption: number;
  readonly minMinor: number | null;
  readonly medianMinor: number | null;
  readonly maxMinor: number | null;
  readonly meanMinor: number | null;
}

/** The spread of a group's case costs: min, median, max and mean over its complete cases that consumed something. */
export function spreadOf(cases: readonly Pick<CaseCost, 'costMinor' | 'complete' | 'units'>[]): Spread {
  const complete = cases.filter((c) => c.complete && c.units > 0).map((c) => c.costMinor);
  return {
    cases: cases.length,
    incompleteCases: cases.filter((c) => !c.complete).length,
    casesWithoutConsumption: cases.filter((c) => c.units === 0).length,
    minMinor: complete.length === 0 ? null : Math.min(...complete),
    medianMinor: medianMinor(complete),
    maxMinor: complete.length === 0 ? null : Math.max(...complete),
    meanMinor: meanMinor(complete),
  };
}
