/**
 * Implant survival (time to revision) by the Kaplan–Meier product-limit
 * estimator, as pure functions: no I/O, no framework.
 *
 * Conventions:
 * - Time is in years since implantation. An observation is either an event
 *   (revised at `time`) or censored at `time`: the end of its follow-up
 *   (death, loss to follow-up or the data extract date), when it was last
 *   known to be unrevised.
 * - Kaplan–Meier: at each distinct event time t with n at risk and d events,
 *   S(t) = S(t-) × (1 − d/n). Ties: events at t are processed before
 *   censorings at t, so an item censored at t still counts as at risk at t.
 *   S is a right-continuous step function, 1 before the first event.
 * - Greenwood: Var S(t) = S(t)² × Σ d/(n(n−d)) over event times ≤ t; the
 *   standard error is S × √Σ. A step with n = d (everyone left revised) adds
 *   no term: S is then 0 and its standard error is reported as 0.
 * - Confidence interval: the log(−log) transform (Kalbfleisch–Prentice; R
 *   survival's conf.type = "log-log"): θ = log(−log S), se(θ) = √Σ / |log S|,
 *   interval S^exp(z·se(θ)) … S^exp(−z·se(θ)). It stays inside [0, 1];
 *   S = 1 gives [1, 1] and S = 0 gives [0, 0].
 * - Cumulative revision (%) = 100 × (1 − S), with interval
 *   100 × (1 − upper) … 100 × (1 − lower).
 * - Nothing is rounded here; presentation rounds.
 */

/** z for a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

/** Years shown by default are capped at this many. */
export const MAX_DEFAULT_HORIZON_YEARS = 20;

export interface SurvivalObservation {
  readonly group: string;
  readonly label: string;
  /** Years since implantation, >= 0: to the revision, or to the end of follow-up. */
  readonly time: number;
  /** True: revised at `time`. False: censored at `time` (still unrevised then). */
  readonly revised: boolean;
  /** How many identical observations this row stands for (default 1): lets the database aggregate. */
  readonly count?: number;
}

export interface SurvivalTableOptions {
  /** Yearly points 0..N. Default: floor of the longest follow-up, capped at 20. */
  readonly horizonYears?: number;
  /** Normal quantile for the intervals. Default 1.959963984540054 (95%). */
  readonly z?: number;
}

export interface TimeToEvent {
  readonly time: number;
  readonly event: boolean;
  /** How many identical observations this stands for (default 1). */
  readonly count?: number;
}

/** One distinct observed time of the Kaplan–Meier step function. */
export interface KaplanMeierStep {
  readonly time: number;
  /** Observations with time >= this time. */
  readonly atRisk: number;
  readonly events: number;
  readonly censored: number;
  /** S(time), events at this time included. */
  readonly survival: number;
  /** Greenwood standard error of S(time). */
  readonly stdErr: number;
  /** Σ d/(n(n−d)) over event times <= this time: Greenwood's sum, for the intervals. */
  readonly greenwoodSum: number;
}

export interface SurvivalAtTime {
  readonly survival: number;
  readonly stdErr: number;
  readonly greenwoodSum: number;
  /** Observations still at risk at t: those with time >= t. */
  readonly atRisk: number;
}

export interface ConfidenceInterval {
  readonly lower: number;
  readonly upper: number;
}

export interface SurvivalPoint {
  readonly year: number;
  readonly atRisk: number;
  readonly survival: number;
  readonly survivalLower: number;
  readonly survivalUpper: number;
  /** 100 × (1 − survival). */
  readonly cumulativeRevisionPercent: number;
  readonly cumulativeRevisionLower: number;
  readonly cumulativeRevisionUpper: number;
  /** Greenwood standard error of survival. */
  readonly stdErr: number;
}

export interface SurvivalGroup {
  readonly group: string;
  readonly label: string;
  /** Observations in the group. */
  readonly n: number;
  /** Observations revised during follow-up. */
  readonly revisions: number;
  /** Years 0, 1, 2, … up to the horizon, ending at the last year with anyone at risk. */
  readonly points: readonly SurvivalPoint[];
}

function checkTime(time: number): void {
  if (!Number.isFinite(time) || time < 0) throw new RangeError(`time must be a finite number >= 0, got ${String(time)}`);
}

function countOf(o: { readonly count?: number }): number {
  const count = o.count ?? 1;
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${String(count)}`);
  return count;
}

/** Greenwood's standard error of S from Greenwood's sum Σ d/(n(n−d)). */
export function greenwoodStdErr(survival: number, greenwoodSum: number): number {
  if (survival <= 0) return 0;
  return survival * Math.sqrt(greenwoodSum);
}

/** The Kaplan–Meier step function: one step per distinct time, censor-only times included (events 0). */
export function kaplanMeier(times: readonly TimeToEvent[]): KaplanMeierStep[] {
  let atRisk = 0;
  for (const o of times) {
    checkTime(o.time);
    atRisk += countOf(o);
  }
  const sorted = [...times].sort((a, b) => a.time - b.time);
  const steps: KaplanMeierStep[] = [];
  let survival = 1;
  let greenwoodSum = 0;
  let i = 0;
  while (i < sorted.length) {
    const time = (sorted[i] as TimeToEvent).time;
    let events = 0;
    let censored = 0;
    while (i < sorted.length && (sorted[i] as TimeToEvent).time === time) {
      const o = sorted[i] as TimeToEvent;
      if (o.event) events += countOf(o);
      else censored += countOf(o);
      i++;
    }
    if (events > 0) {
      survival *= 1 - events / atRisk;
      if (atRisk > events) greenwoodSum += events / (atRisk * (atRisk - events));
      else survival = 0;
    }
    steps.push({ time, atRisk, events, censored, survival, stdErr: greenwoodStdErr(survival, greenwoodSum), greenwoodSum });
    atRisk -= events + censored;
  }
  return steps;
}

/** Index of the last step with time <= t, or -1. The curve is in time order, as kaplanMeier returns it. */
function lastStepAtOrBefore(curve: readonly KaplanMeierStep[], t: number): number {
  let lo = 0;
  let hi = curve.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((curve[mid] as KaplanMeierStep).time <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** S(t) of a right-continuous step function (1 before the first event), and the number at risk at t. */
export function survivalAt(curve: readonly KaplanMeierStep[], t: number): SurvivalAtTime {
  if (Number.isNaN(t)) throw new RangeError('t must be a number');
  const at = lastStepAtOrBefore(curve, t);
  const step = at >= 0 ? (curve[at] as KaplanMeierStep) : undefined;
  // At risk at t: those whose time is >= t, i.e. the atRisk of the first step at or after t.
  const first = step !== undefined && step.time === t ? step : curve[at + 1];
  const atRisk = first?.atRisk ?? 0;
  if (step === undefined) return { survival: 1, stdErr: 0, greenwoodSum: 0, atRisk };
  return { survival: step.survival, stdErr: step.stdErr, greenwoodSum: step.greenwoodSum, atRisk };
}

/** Pointwise interval for S by the log(−log) transform of Greenwood's variance. */
export function confidenceInterval(survival: number, greenwoodSum: number, z: number = Z_95): ConfidenceInterval {
  if (!(survival >= 0 && survival <= 1)) throw new RangeError(`survival must be in [0, 1], got ${String(survival)}`);
  if (!(greenwoodSum >= 0)) throw new RangeError(`greenwoodSum must be >= 0, got ${String(greenwoodSum)}`);
  if (!(Number.isFinite(z) && z >= 0)) throw new RangeError(`z must be a finite number >= 0, got ${String(z)}`);
  if (survival === 1) return { lower: 1, upper: 1 };
  if (survival === 0) return { lower: 0, upper: 0 };
  const seTheta = Math.sqrt(greenwoodSum) / Math.abs(Math.log(survival));
  return { lower: survival ** Math.exp(z * seTheta), upper: survival ** Math.exp(-z * seTheta) };
}

function byLabelThenGroup(a: SurvivalGroup, b: SurvivalGroup): number {
  const byLabel = a.label.localeCompare(b.label, 'en', { numeric: true });
  if (byLabel !== 0) return byLabel;
  if (a.label !== b.label) return a.label < b.label ? -1 : 1;
  if (a.group === b.group) return 0;
  return a.group < b.group ? -1 : 1;
}

/**
 * Kaplan–Meier per group at years 0..horizon. A group's points stop at the
 * last year with anyone still at risk (year 0 is always there). The label of
 * a group is that of its first observation. Groups are sorted by label (numbers
 * in labels compared as numbers: "Cup 2" before "Cup 10"), then by group.
 */
export function survivalTable(observations: readonly SurvivalObservation[], options: SurvivalTableOptions = {}): SurvivalGroup[] {
  const z = options.z ?? Z_95;
  if (!(Number.isFinite(z) && z >= 0)) throw new RangeError(`z must be a finite number >= 0, got ${String(z)}`);
  let maxTime = 0;
  for (const o of observations) {
    checkTime(o.time);
    if (o.time > maxTime) maxTime = o.time;
  }
  let horizon: number;
  if (options.horizonYears === undefined) horizon = Math.min(Math.floor(maxTime), MAX_DEFAULT_HORIZON_YEARS);
  else {
    if (!(Number.isFinite(options.horizonYears) && options.horizonYears >= 0)) {
      throw new RangeError(`horizonYears must be a finite number >= 0, got ${String(options.horizonYears)}`);
    }
    horizon = Math.floor(options.horizonYears);
  }

  const byGroup = new Map<string, { label: string; times: TimeToEvent[]; n: number; revisions: number }>();
  for (const o of observations) {
    let g = byGroup.get(o.group);
    if (g === undefined) {
      g = { label: o.label, times: [], n: 0, revisions: 0 };
      byGroup.set(o.group, g);
    }
    const count = countOf(o);
    g.times.push({ time: o.time, event: o.revised, count });
    g.n += count;
    if (o.revised) g.revisions += count;
  }

  const groups: SurvivalGroup[] = [];
  for (const [group, g] of byGroup) {
    const curve = kaplanMeier(g.times);
    const points: SurvivalPoint[] = [];
    for (let year = 0; year <= horizon; year++) {
      const at = survivalAt(curve, year);
      if (year > 0 && at.atRisk === 0) break;
      const ci = confidenceInterval(at.survival, at.greenwoodSum, z);
      points.push({
        year,
        atRisk: at.atRisk,
        survival: at.survival,
        survivalLower: ci.lower,
        survivalUpper: ci.upper,
        cumulativeRevisionPercent: 100 * (1 - at.survival),
        cumulativeRevisionLower: 100 * (1 - ci.upper),
        cumulativeRevisionUpper: 100 * (1 - ci.lower),
        stdErr: at.stdErr,
      });
    }
    groups.push({ group, label: g.label, n: g.n, revisions: g.revisions, points });
  }
  return groups.sort(byLabelThenGroup);
}
