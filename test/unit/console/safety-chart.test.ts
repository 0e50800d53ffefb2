import t from 'tap';
import { chartMonths, monthName, monthsBack, nextMonth, scaleOf } from '../../../src/console/recalls/safety-chart.js';
import type { SafetyMonth } from '../../../src/console/recalls/types.js';

t.test('months', async (t) => {
  t.equal(nextMonth('2026-12'), '2027-01');
  t.equal(nextMonth('2026-01'), '2026-02');
  t.equal(monthsBack('2026-03', 11), '2025-04');
  t.equal(monthsBack('2026-03', 0), '2026-03');
  t.equal(monthName('2026-01'), 'Jan 2026');
});

t.test('the axis has a round top and whole ticks', async (t) => {
  t.same(scaleOf(0), { top: 5, ticks: [0, 1, 2, 3, 4, 5] });
  t.same(scaleOf(7), { top: 10, ticks: [0, 2, 4, 6, 8, 10] });
  t.same(scaleOf(20), { top: 20, ticks: [0, 5, 10, 15, 20] });
  t.same(scaleOf(130), { top: 200, ticks: [0, 50, 100, 150, 200] });
});

t.test('the series: found at scan and check, prevented = put aside + not opened, overrides', async (t) => {
  const month = {
    month: '2026-01',
    scanning: { items: 5, barcode: 3, manual: 2, barcodeShare: 0.6 },
    totals: {
      scans: { critical: 3, warning: 1, info: 0 },
      checks: { critical: 2, warning: 0, info: 1, all: 4 },
      decisions: { notUsed: 1, overridden: 1, pending: 1 },
      criticalChecks: { notOpened: 1, followedByImplantScan: 1 },
    },
    rules: [],
  } satisfies SafetyMonth;
  t.same(chartMonths([month]), [{ month: '2026-01', found: 5, prevented: 2, overridden: 1 }]);
});
