import t, { type Test } from 'tap';
import {
  confidenceInterval,
  greenwoodStdErr,
  kaplanMeier,
  survivalAt,
  survivalTable,
  Z_95,
  type KaplanMeierStep,
  type SurvivalObservation,
} from '../../../src/modules/outcomes/kaplan-meier.js';

/**
 * The 6-MP arm of Freireich et al. (1963), as tabulated by Gehan (1965):
 * weeks of remission for 21 patients, "+" marking a censored time.
 */
const SIX_MP = '6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+'
  .split(' ')
  .map((s) => ({ time: Number.parseFloat(s), event: !s.endsWith('+') }));

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const close = (t: Test, actual: number, expected: number, tolerance: number, message: string): void => {
  t.ok(Math.abs(actual - expected) <= tolerance, `${message}: ${actual} ≈ ${expected} (±${tolerance})`);
};

// Expected values are written as the estimator's product of (1 - d/n), so that they are equal in floating point too.
const eventSteps = (curve: readonly KaplanMeierStep[]): KaplanMeierStep[] => curve.filter((s) => s.events > 0);

t.test('6-MP arm: the published Kaplan–Meier table (Klein & Moeschberger ex. 4.1; Kleinbaum & Klein)', async (t) => {
  const curve = eventSteps(kaplanMeier(SIX_MP));
  const published = [
    { time: 6, atRisk: 21, events: 3, survival: 0.857, stdErr: 0.076 },
    { time: 7, atRisk: 17, events: 1, survival: 0.807, stdErr: 0.087 },
    { time: 10, atRisk: 15, events: 1, survival: 0.753, stdErr: 0.096 },
    { time: 13, atRisk: 12, events: 1, survival: 0.69, stdErr: 0.107 },
    { time: 16, atRisk: 11, events: 1, survival: 0.627, stdErr: 0.114 },
    { time: 22, atRisk: 7, events: 1, survival: 0.538, stdErr: 0.128 },
    { time: 23, atRisk: 6, events: 1, survival: 0.448, stdErr: 0.135 },
  ];
  t.equal(curve.length, published.length, 'seven distinct event times');
  published.forEach((row, i) => {
    const s = curve[i] as KaplanMeierStep;
    t.equal(s.time, row.time, `time ${row.time}`);
    t.equal(s.atRisk, row.atRisk, `at risk at ${row.time}`);
    t.equal(s.events, row.events, `events at ${row.time}`);
    t.equal(round3(s.survival), row.survival, `S(${row.time}) to 3 decimals`);
    t.equal(round3(s.stdErr), row.stdErr, `Greenwood SE at ${row.time} to 3 decimals`);
  });
  // Exact products: S(6) = 18/21, S(23) = 18/21 · 16/17 · 14/15 · 11/12 · 10/11 · 6/7 · 5/6.
  close(t, (curve[0] as KaplanMeierStep).survival, 18 / 21, 1e-15, 'S(6) exact');
  close(t, (curve[6] as KaplanMeierStep).survival, (18 / 21) * (16 / 17) * (14 / 15) * (11 / 12) * (10 / 11) * (6 / 7) * (5 / 6), 1e-15, 'S(23) exact');
});

t.test('6-MP arm: every distinct time is a step, censor-only ones with 0 events', async (t) => {
  const curve = kaplanMeier(SIX_MP);
  t.same(
    curve.map((s) => [s.time, s.atRisk, s.events, s.censored]),
    [
      [6, 21, 3, 1],
      [7, 17, 1, 0],
      [9, 16, 0, 1],
      [10, 15, 1, 1],
      [11, 13, 0, 1],
      [13, 12, 1, 0],
      [16, 11, 1, 0],
      [17, 10, 0, 1],
      [19, 9, 0, 1],
      [20, 8, 0, 1],
      [22, 7, 1, 0],
      [23, 6, 1, 0],
      [25, 5, 0, 1],
      [32, 4, 0, 2],
      [34, 2, 0, 1],
      [35, 1, 0, 1],
    ],
  );
  const at9 = curve.find((s) => s.time === 9) as KaplanMeierStep;
  const at7 = curve.find((s) => s.time === 7) as KaplanMeierStep;
  t.equal(at9.survival, at7.survival, 'a censoring does not move S');
  t.equal(at9.greenwoodSum, at7.greenwoodSum);
  t.equal((curve[curve.length - 1] as KaplanMeierStep).survival, (curve.find((s) => s.time === 23) as KaplanMeierStep).survival);
});

t.test('6-MP arm: log(-log) confidence intervals, derived by hand', async (t) => {
  /*
   * z = 1.959963984540054.
   * t = 6: S = 18/21 = 0.857143; Greenwood sum v = 3/(21·18) = 1/126 = 0.00793651.
   *   log S = ln(6/7) = -0.1541507; se(θ) = √v / |log S| = 0.0890871 / 0.1541507 = 0.5779221.
   *   exp(z·se) = exp(1.1327155) = 3.104046 -> lower = S^3.104046 = exp(-0.1541507 · 3.104046) = exp(-0.478491) = 0.619718.
   *   exp(-z·se) = 0.3221602      -> upper = S^0.3221602 = exp(-0.0496614) = 0.951552.
   * t = 23: S = 0.4481793; v = 3/(21·18) + 1/(17·16) + 1/(15·14) + 1/(12·11) + 1/(11·10) + 1/(7·6) + 1/(6·5)
   *   = 0.00793651 + 0.00367647 + 0.00476190 + 0.00757576 + 0.00909091 + 0.02380952 + 0.03333333 = 0.09018441.
   *   log S = -0.8025620; se(θ) = 0.3003072 / 0.8025620 = 0.3741857.
   *   exp(z·se) = exp(0.7333904) = 2.082128 -> lower = exp(-0.8025620 · 2.082128) = exp(-1.671037) = 0.188052.
   *   exp(-z·se) = 0.4802779      -> upper = exp(-0.8025620 · 0.4802779) = exp(-0.385453) = 0.680143.
   * (The brief quoted R as "roughly 0.185–0.682" at t = 23; the formula gives 0.188–0.680, which is what is asserted.)
   */
  const curve = eventSteps(kaplanMeier(SIX_MP));
  const at6 = curve[0] as KaplanMeierStep;
  const at23 = curve[6] as KaplanMeierStep;
  close(t, at6.greenwoodSum, 1 / 126, 1e-15, 'Greenwood sum at 6');
  close(t, at23.greenwoodSum, 3 / (21 * 18) + 1 / (17 * 16) + 1 / (15 * 14) + 1 / (12 * 11) + 1 / (11 * 10) + 1 / (7 * 6) + 1 / (6 * 5), 1e-15, 'Greenwood sum at 23');
  const ci6 = confidenceInterval(at6.survival, at6.greenwoodSum, Z_95);
  close(t, ci6.lower, 0.619718, 5e-6, 'lower at 6');
  close(t, ci6.upper, 0.951552, 5e-6, 'upper at 6');
  const ci23 = confidenceInterval(at23.survival, at23.greenwoodSum, Z_95);
  close(t, ci23.lower, 0.188052, 5e-6, 'lower at 23');
  close(t, ci23.upper, 0.680143, 5e-6, 'upper at 23');
  t.ok(ci23.lower < at23.survival && at23.survival < ci23.upper, 'the interval holds S');
  t.same(confidenceInterval(at6.survival, at6.greenwoodSum), ci6, 'z defaults to 95%');
  const ci90 = confidenceInterval(at6.survival, at6.greenwoodSum, 1.6448536269514722);
  t.ok(ci90.lower > ci6.lower && ci90.upper < ci6.upper, 'a 90% interval is narrower');
  t.equal(greenwoodStdErr(at6.survival, at6.greenwoodSum), at6.stdErr, 'the exported Greenwood SE is the step SE');
});

t.test('confidenceInterval: the ends and bad input', async (t) => {
  t.same(confidenceInterval(1, 0, Z_95), { lower: 1, upper: 1 });
  t.same(confidenceInterval(0, 0.5, Z_95), { lower: 0, upper: 0 });
  t.same(confidenceInterval(0.5, 0, Z_95), { lower: 0.5, upper: 0.5 }, 'no variance, no width');
  t.throws(() => confidenceInterval(1.1, 0, Z_95), RangeError);
  t.throws(() => confidenceInterval(Number.NaN, 0, Z_95), RangeError);
  t.throws(() => confidenceInterval(0.5, -1, Z_95), RangeError);
  t.throws(() => confidenceInterval(0.5, 0.1, Number.POSITIVE_INFINITY), RangeError);
  t.equal(greenwoodStdErr(0, 1), 0);
});

t.test('all censored: S = 1 everywhere', async (t) => {
  const curve = kaplanMeier([
    { time: 1, event: false },
    { time: 2, event: false },
    { time: 2, event: false },
  ]);
  t.ok(curve.every((s) => s.survival === 1 && s.stdErr === 0 && s.greenwoodSum === 0));
  t.same(survivalAt(curve, 5), { survival: 1, stdErr: 0, greenwoodSum: 0, atRisk: 0 });
  t.same(survivalAt(curve, 2), { survival: 1, stdErr: 0, greenwoodSum: 0, atRisk: 2 });
});

t.test('everyone revised at the same time: S = 0 with interval [0, 0]', async (t) => {
  const curve = kaplanMeier([
    { time: 3, event: true },
    { time: 3, event: true },
    { time: 3, event: true },
  ]);
  t.same(curve, [{ time: 3, atRisk: 3, events: 3, censored: 0, survival: 0, stdErr: 0, greenwoodSum: 0 }]);
  const at = survivalAt(curve, 3);
  t.same(confidenceInterval(at.survival, at.greenwoodSum, Z_95), { lower: 0, upper: 0 });
  t.equal(survivalAt(curve, 2.9).survival, 1, 'just before: 1');
  t.equal(survivalAt(curve, 2.9).atRisk, 3);
});

t.test('empty input', async (t) => {
  t.same(kaplanMeier([]), []);
  t.same(survivalAt([], 0), { survival: 1, stdErr: 0, greenwoodSum: 0, atRisk: 0 });
  t.same(survivalTable([]), []);
});

t.test('ties: events at t come before censorings at t', async (t) => {
  // 4 at risk at t = 1: 1 revised, 1 censored at the same time -> S = 3/4, not 2/3.
  const curve = kaplanMeier([
    { time: 1, event: false },
    { time: 1, event: true },
    { time: 2, event: true },
    { time: 3, event: false },
  ]);
  t.same(
    curve.map((s) => [s.time, s.atRisk, s.events, s.censored]),
    [
      [1, 4, 1, 1],
      [2, 2, 1, 0],
      [3, 1, 0, 1],
    ],
  );
  t.equal((curve[0] as KaplanMeierStep).survival, 1 - 1 / 4);
  t.equal((curve[1] as KaplanMeierStep).survival, (1 - 1 / 4) * (1 - 1 / 2));
  close(t, (curve[1] as KaplanMeierStep).greenwoodSum, 1 / (4 * 3) + 1 / (2 * 1), 1e-15, 'Greenwood sum');
  t.equal((curve[1] as KaplanMeierStep).stdErr, (3 / 8) * Math.sqrt(1 / 12 + 1 / 2));
  t.same(
    kaplanMeier([...SIX_MP].reverse()),
    kaplanMeier(SIX_MP),
    'input order does not matter',
  );
});

t.test('survivalAt: right-continuous steps and numbers at risk', async (t) => {
  const curve = kaplanMeier(SIX_MP);
  t.same(survivalAt(curve, 0), { survival: 1, stdErr: 0, greenwoodSum: 0, atRisk: 21 }, 'before the first event');
  t.same(survivalAt(curve, 5.99), { survival: 1, stdErr: 0, greenwoodSum: 0, atRisk: 21 });
  t.equal(survivalAt(curve, -1).survival, 1);
  t.equal(survivalAt(curve, 6).survival, 1 - 3 / 21, 'at the event time, the event counts');
  t.equal(survivalAt(curve, 6).atRisk, 21, 'and all 21 were at risk at 6');
  t.equal(survivalAt(curve, 6.5).survival, 1 - 3 / 21);
  t.equal(survivalAt(curve, 6.5).atRisk, 17, 'at 6.5: those with time >= 6.5');
  t.equal(round3(survivalAt(curve, 12).survival), 0.753);
  t.equal(survivalAt(curve, 12).atRisk, 12);
  t.equal(round3(survivalAt(curve, 30).survival), 0.448);
  t.equal(survivalAt(curve, 30).atRisk, 4);
  t.equal(survivalAt(curve, 35).atRisk, 1);
  t.equal(survivalAt(curve, 36).atRisk, 0);
  t.equal(round3(survivalAt(curve, 100).survival), 0.448, 'after the last time: the last value');
  t.throws(() => survivalAt(curve, Number.NaN), RangeError);
});

t.test('bad times are refused', async (t) => {
  t.throws(() => kaplanMeier([{ time: -1, event: true }]), RangeError);
  t.throws(() => kaplanMeier([{ time: Number.NaN, event: true }]), RangeError);
  t.throws(() => kaplanMeier([{ time: Number.POSITIVE_INFINITY, event: false }]), RangeError);
  t.throws(() => survivalTable([{ group: 'a', label: 'A', time: -0.5, revised: false }]), RangeError);
  t.throws(() => survivalTable([], { horizonYears: -1 }), RangeError);
  t.throws(() => survivalTable([], { z: Number.NaN }), RangeError);
});

const obs = (group: string, label: string, spec: string): SurvivalObservation[] =>
  spec.split(' ').map((s) => ({ group, label, time: Number.parseFloat(s), revised: !s.endsWith('+') }));

t.test('survivalTable: yearly points, per group, sorted by label then group', async (t) => {
  const observations = [
    ...obs('hip-2', 'Zeta stem', '0.5 1.5+ 2.2 3+ 4.7+'),
    ...obs('hip-1', 'Alpha cup', '1 2+ 2.5 3.5+ 5.2+ 6.9+'),
    ...obs('hip-3', 'Alpha cup', '7+'),
  ];
  const table = survivalTable(observations);
  t.same(
    table.map((g) => [g.group, g.label, g.n, g.revisions]),
    [
      ['hip-1', 'Alpha cup', 6, 2],
      ['hip-3', 'Alpha cup', 1, 0],
      ['hip-2', 'Zeta stem', 5, 2],
    ],
  );

  const alpha = table[0] as (typeof table)[number];
  // Default horizon: floor(7) = 7 years; hip-1 has nobody at risk at 7, so it stops at 6.
  t.same(
    alpha.points.map((p) => [p.year, p.atRisk]),
    [
      [0, 6],
      [1, 6],
      [2, 5],
      [3, 3],
      [4, 2],
      [5, 2],
      [6, 1],
    ],
  );
  const s1 = 1 - 1 / 6; // year 1: the revision at exactly 1 counts
  const s25 = s1 * (1 - 1 / 4); // at 2.5: 4 at risk (the one censored at 2 has gone), 1 revised
  t.same(
    alpha.points.map((p) => p.survival),
    [1, s1, s1, s25, s25, s25, s25],
  );
  for (const p of alpha.points) {
    t.equal(p.cumulativeRevisionPercent, 100 * (1 - p.survival), `year ${p.year}: 100(1 - S)`);
    t.equal(p.cumulativeRevisionLower, 100 * (1 - p.survivalUpper));
    t.equal(p.cumulativeRevisionUpper, 100 * (1 - p.survivalLower));
    const ci = confidenceInterval(p.survival, survivalAt(kaplanMeier(obs('x', 'x', '1 2+ 2.5 3.5+ 5.2+ 6.9+').map((o) => ({ time: o.time, event: o.revised }))), p.year).greenwoodSum, Z_95);
    t.same([p.survivalLower, p.survivalUpper], [ci.lower, ci.upper]);
  }
  t.same(alpha.points[0], {
    year: 0,
    atRisk: 6,
    survival: 1,
    survivalLower: 1,
    survivalUpper: 1,
    cumulativeRevisionPercent: 0,
    cumulativeRevisionLower: 0,
    cumulativeRevisionUpper: 0,
    stdErr: 0,
  });
  t.equal(alpha.points[3]?.stdErr, s25 * Math.sqrt(1 / (6 * 5) + 1 / (4 * 3)));

  const single = table[1] as (typeof table)[number];
  t.same(
    single.points.map((p) => p.year),
    [0, 1, 2, 3, 4, 5, 6, 7],
    'censored at exactly 7: still at risk at year 7',
  );

  const zeta = table[2] as (typeof table)[number];
  t.same(
    zeta.points.map((p) => [p.year, p.atRisk, p.cumulativeRevisionPercent]),
    [
      [0, 5, 0],
      [1, 4, 100 * (1 - (1 - 1 / 5))],
      [2, 3, 100 * (1 - (1 - 1 / 5))],
      [3, 2, 100 * (1 - (1 - 1 / 5) * (1 - 1 / 3))],
      [4, 1, 100 * (1 - (1 - 1 / 5) * (1 - 1 / 3))],
    ],
  );
});

t.test('survivalTable: numbers in labels sort as numbers', async (t) => {
  const table = survivalTable([...obs('x', 'Cup 10', '1+'), ...obs('y', 'Cup 2', '1+'), ...obs('w', 'Cup 2', '1+')]);
  t.same(
    table.map((g) => g.group),
    ['w', 'y', 'x'],
  );
});

t.test('survivalTable: horizon option, the 20-year cap and z', async (t) => {
  const long = obs('k', 'Knee', '3 30+ 30+');
  t.equal(survivalTable(long)[0]?.points.length, 21, 'default capped at 20 years: 0..20');
  t.equal(survivalTable(long, { horizonYears: 25 })[0]?.points.length, 26, 'an explicit horizon is honoured');
  t.equal(survivalTable(long, { horizonYears: 2.9 })[0]?.points.length, 3, 'and floored');
  t.same(
    survivalTable(long, { horizonYears: 0 })[0]?.points.map((p) => p.year),
    [0],
    'year 0 is always there',
  );
  t.same(
    survivalTable(obs('z', 'Z', '0 0+'))[0]?.points,
    [
      {
        year: 0,
        atRisk: 2,
        survival: 0.5,
        survivalLower: confidenceInterval(0.5, 1 / 2, Z_95).lower,
        survivalUpper: confidenceInterval(0.5, 1 / 2, Z_95).upper,
        cumulativeRevisionPercent: 50,
        cumulativeRevisionLower: 100 * (1 - confidenceInterval(0.5, 1 / 2, Z_95).upper),
        cumulativeRevisionUpper: 100 * (1 - confidenceInterval(0.5, 1 / 2, Z_95).lower),
        stdErr: 0.5 * Math.sqrt(1 / 2),
      },
    ],
    'a revision at time 0 shows at year 0',
  );
  const wide = survivalTable(obs('k', 'Knee', '1 2 3+ 4+'), { z: 3 })[0]?.points[2];
  const narrow = survivalTable(obs('k', 'Knee', '1 2 3+ 4+'))[0]?.points[2];
  t.ok(wide !== undefined && narrow !== undefined && wide.survivalLower < narrow.survivalLower && wide.survivalUpper > narrow.survivalUpper, 'a bigger z: a wider interval');
});

t.test('counted observations (as the database aggregates them) give the same curve as one row each', async (t) => {
  const expanded = kaplanMeier(SIX_MP);
  const counted = new Map<string, { time: number; event: boolean; count: number }>();
  for (const o of SIX_MP) {
    const key = `${o.time}:${o.event}`;
    const c = counted.get(key);
    if (c) c.count++;
    else counted.set(key, { ...o, count: 1 });
  }
  t.ok(counted.size < SIX_MP.length, 'the data has ties to fold');
  t.same(kaplanMeier([...counted.values()]), expanded);
  const table = survivalTable([...counted.values()].map((o) => ({ group: 'g', label: 'G', time: o.time, revised: o.event, count: o.count })));
  t.equal(table[0]?.n, 21);
  t.equal(table[0]?.revisions, 9);
  t.throws(() => kaplanMeier([{ time: 1, event: true, count: 0 }]), RangeError);
  t.throws(() => kaplanMeier([{ time: 1, event: true, count: 1.5 }]), RangeError);
});
