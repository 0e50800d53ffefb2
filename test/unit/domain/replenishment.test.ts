import t from 'tap';
import { averagePerDay, checkParLines, levelInForce, lookBack, toOrder, type ParLine } from '../../../src/domain/replenishment.js';

const line = (over: Partial<ParLine> = {}): ParLine => ({ location: 'L', issuingAgency: 'GS1', di: '09506000134352', par: 10, reorderAt: null, ...over });

t.test('the latest setting is in force unless it is 0 (ended)', async (t) => {
  t.equal(levelInForce(undefined), undefined);
  t.same(levelInForce({ par: 5, reorderAt: 2 }), { par: 5, reorderAt: 2 });
  t.equal(levelInForce({ par: 0, reorderAt: null }), undefined);
});

t.test('a request’s lines: each location and product once, a reorder point at most the par, none on an ending', async (t) => {
  t.equal(checkParLines([line(), line({ di: '09506000134369' }), line({ location: 'M' }), line({ issuingAgency: 'HIBCC' })]), undefined);
  t.equal(checkParLines([line({ par: 0 }), line({ location: 'M', par: 4, reorderAt: 4 })]), undefined);
  t.match(checkParLines([line(), line({ par: 3 })]), { index: 1, message: /lines\[0\]/ });
  t.match(checkParLines([line({ par: 3, reorderAt: 4 })]), { index: 0, message: /above the par/ });
  t.match(checkParLines([line({ par: 0, reorderAt: 0 })]), { index: 0, message: /ends/ });
  t.match(checkParLines([line({ par: -1 })]), { index: 0 });
  t.match(checkParLines([line({ par: 1.5 })]), { index: 0 });
});

t.test('the window of the last N days ends today, today included', async (t) => {
  t.same(lookBack('2026-12-08', 1), { from: '2026-12-08', through: '2026-12-08' });
  t.same(lookBack('2026-12-08', 30), { from: '2026-11-09', through: '2026-12-08' });
  t.same(lookBack('2026-03-01', 2), { from: '2026-02-28', through: '2026-03-01' });
});

t.test('to order: par less available, never below 0; shortfalls count; quarantine does not', async (t) => {
  const cases: Array<[string, { par: number; reorderAt: number | null }, { available: number; quarantined: number; shortfall: number; consumed: number; returned: number }, number, Record<string, unknown>]> = [
    ['below par', { par: 10, reorderAt: 4 }, { available: 3, quarantined: 2, shortfall: 0, consumed: 7, returned: 1 }, 30, { toOrder: 7, netConsumption: 6, averagePerDay: 0.2, atReorderPoint: true, quarantined: 2 }],
    ['at par', { par: 10, reorderAt: null }, { available: 10, quarantined: 0, shortfall: 0, consumed: 0, returned: 0 }, 30, { toOrder: 0, netConsumption: 0, averagePerDay: 0, atReorderPoint: false }],
    ['above par', { par: 2, reorderAt: 1 }, { available: 5, quarantined: 0, shortfall: 0, consumed: 1, returned: 0 }, 7, { toOrder: 0, averagePerDay: 0.14, atReorderPoint: false }],
    ['a shortfall', { par: 2, reorderAt: 0 }, { available: -1, quarantined: 4, shortfall: 2, consumed: 3, returned: 0 }, 1, { toOrder: 3, available: -1, shortfall: 2, netConsumption: 3, averagePerDay: 3, atReorderPoint: true }],
    ['more returned than used in the window', { par: 1, reorderAt: null }, { available: 1, quarantined: 0, shortfall: 0, consumed: 0, returned: 2 }, 30, { netConsumption: 0, toOrder: 0 }],
  ];
  for (const [name, level, position, days, expected] of cases) t.match(toOrder(level, position, days), expected, name);
  t.equal(averagePerDay(1, 3), 0.33);
  t.equal(averagePerDay(5, 0), 0);
});
