import t from 'tap';
import { caseCost, spreadOf } from '../../../src/domain/cost.js';

t.test('a case costs its consumed units at the prices in force', async (t) => {
  t.same(caseCost([]), { units: 0, pricedUnits: 0, unpricedUnits: 0, costMinor: 0, complete: true }, 'nothing consumed: complete, at zero');
  t.same(caseCost([{ units: 1, unitPriceMinor: 65000 }, { units: 3, unitPriceMinor: 1915 }]), { units: 4, pricedUnits: 4, unpricedUnits: 0, costMinor: 70745, complete: true });
});

t.test('an unpriced unit makes the case incomplete, never cheaper', async (t) => {
  t.same(caseCost([{ units: 1, unitPriceMinor: 15000 }, { units: 2, unitPriceMinor: null }]), { units: 3, pricedUnits: 1, unpricedUnits: 2, costMinor: 15000, complete: false });
});

t.test('the spread is of complete cases; incomplete ones are counted apart', async (t) => {
  t.same(spreadOf([]), { cases: 0, incompleteCases: 0, casesWithoutConsumption: 0, minMinor: null, medianMinor: null, maxMinor: null, meanMinor: null });
  const cases = [
    { costMinor: 15000, complete: true, units: 1 },
    { costMinor: 65000, complete: true, units: 2 },
    { costMinor: 30000, complete: true, units: 1 },
    { costMinor: 100, complete: false, units: 3 },
    { costMinor: 0, complete: true, units: 0 },
  ];
  t.same(spreadOf(cases), { cases: 5, incompleteCases: 1, casesWithoutConsumption: 1, minMinor: 15000, medianMinor: 30000, maxMinor: 65000, meanMinor: 36667 }, 'a case that consumed nothing is not free');
  t.same(spreadOf([{ costMinor: 100, complete: false, units: 1 }]), { cases: 1, incompleteCases: 1, casesWithoutConsumption: 0, minMinor: null, medianMinor: null, maxMinor: null, meanMinor: null });
});
