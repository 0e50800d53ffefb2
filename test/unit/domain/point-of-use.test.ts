import fc from 'fast-check';
import t from 'tap';
import { heldPlace, stepsBetween, wantedPlace, type Held, type ItemAtPointOfUse, type ItemMovement, type Step, type Wanted } from '../../../src/domain/point-of-use.js';
import { DISPOSITIONS, ITEM_ACTIONS } from '../../../src/domain/vocabulary.js';

const GTIN = '09506000134352';
const item = (over: Partial<ItemAtPointOfUse> = {}): ItemAtPointOfUse => ({
  status: 'active',
  action: 'implanted',
  issuingAgency: 'GS1',
  di: GTIN,
  lotNumber: 'L1',
  serialNumber: null,
  expirationDate: '2028-12-31',
  decision: null,
  ...over,
});
const product = { issuingAgency: 'GS1', di: GTIN, lotNumber: 'L1', serialNumber: null, expirationDate: '2028-12-31' };
const unit = { ...product, locationId: 'THEATRE', consignment: false };

t.test('where the unit should be', async (t) => {
  t.same(wantedPlace(item()), { place: 'used', product });
  t.same(wantedPlace(item({ action: 'wasted' })), { place: 'used', product }, 'opened and wasted: it left the shelf');
  t.same(wantedPlace(item({ action: 'explanted' })), { place: 'shelf' }, 'an explant comes out of a patient, not off a shelf');
  t.same(wantedPlace(item({ action: 'returned' })), { place: 'shelf' }, 'brought to theatre and returned unopened');
  t.same(wantedPlace(item({ status: 'voided' })), { place: 'shelf' });
  t.same(wantedPlace(item({ di: null, issuingAgency: null })), { place: 'shelf' }, 'a lot label waiting for its product names nothing to take');
  t.same(wantedPlace(item({ decision: { status: 'pending', disposition: null } })), { place: 'used', product }, 'pending: it was opened');
  t.same(wantedPlace(item({ decision: { status: 'implanted', disposition: null } })), { place: 'used', product });
  t.same(wantedPlace(item({ decision: { status: 'not-used', disposition: 'returned-to-stock' } })), { place: 'shelf' });
  t.same(wantedPlace(item({ decision: { status: 'not-used', disposition: 'quarantined' } })), { place: 'quarantined', product });
  t.same(wantedPlace(item({ decision: { status: 'not-used', disposition: 'wasted' } })), { place: 'used', product });
  t.same(wantedPlace(item({ decision: { status: 'not-used', disposition: null } })), { place: 'used', product }, 'where it went is not known: not claimed back');
});

t.test('where the ledger holds it', async (t) => {
  const m = (kind: ItemMovement['kind']): ItemMovement => ({ ...unit, kind });
  t.same(heldPlace([]), { place: 'shelf' });
  t.same(heldPlace([m('consumed')]), { place: 'used', unit });
  t.same(heldPlace([m('consumed'), m('returned-to-stock')]), { place: 'shelf' });
  t.same(heldPlace([m('consumed'), m('returned-to-stock'), m('quarantined')]), { place: 'quarantined', unit });
  t.same(heldPlace([m('consumed'), m('returned-to-stock'), m('quarantined'), m('released')]), { place: 'shelf' });
});

t.test('the steps between', async (t) => {
  const used: Held = { place: 'used', unit };
  t.same(stepsBetween({ place: 'shelf' }, { place: 'shelf' }), []);
  t.same(stepsBetween({ place: 'shelf' }, { place: 'used', product }), [{ kind: 'consumed', product }]);
  t.same(stepsBetween(used, { place: 'used', product }), [], 'already taken');
  t.same(stepsBetween(used, { place: 'used', product: { ...product, expirationDate: null } }), [], 'no expiry on the record: any expiry is the product');
  t.same(stepsBetween(used, { place: 'shelf' }), [{ kind: 'returned-to-stock', unit }]);
  t.same(stepsBetween(used, { place: 'quarantined', product }), [{ kind: 'returned-to-stock', unit }, { kind: 'quarantined', unit }], 'held where it was taken from');
  t.same(stepsBetween({ place: 'quarantined', unit }, { place: 'used', product }), [{ kind: 'released', unit }]);
  t.same(stepsBetween(used, { place: 'used', product: { ...product, lotNumber: 'L2' } }), [{ kind: 'returned-to-stock', unit }], 'the wrong product goes back first');
});

/** Applies steps as the service does, a taking finding its product where it was used. */
function apply(held: Held, steps: readonly Step[]): Held {
  if (steps.length === 0) return held;
  return heldPlace(steps.map((s): ItemMovement => (s.kind === 'consumed' ? { ...s.product, locationId: 'THEATRE', consignment: false, kind: 'consumed' } : { ...s.unit, kind: s.kind })));
}

t.test('any history of corrections ends where the record says, within three rounds each', async (t) => {
  const anItem = fc.record({
    status: fc.constantFrom('active' as const, 'voided' as const),
    action: fc.constantFrom(...ITEM_ACTIONS),
    issuingAgency: fc.constant('GS1'),
    di: fc.constantFrom(GTIN, null),
    lotNumber: fc.constantFrom('L1', 'L2', null),
    serialNumber: fc.constantFrom('S1', null),
    expirationDate: fc.constantFrom('2028-12-31', null),
    decision: fc.option(fc.record({ status: fc.constantFrom('pending' as const, 'not-used' as const, 'implanted' as const), disposition: fc.option(fc.constantFrom(...DISPOSITIONS)) })),
  });
  fc.assert(
    fc.property(fc.array(anItem, { minLength: 1, maxLength: 8 }), (history) => {
      let held: Held = { place: 'shelf' };
      for (const state of history) {
        const wanted: Wanted = wantedPlace(state);
        for (let round = 0; round < 3; round++) held = apply(held, stepsBetween(held, wanted));
        if (stepsBetween(held, wanted).length !== 0) return false;
        if (held.place !== wanted.place) return false;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass('2,000 histories');
});
