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
const unit = { ...product, locationId: 'THEATRE', consignment: false, status: 'available' as const };
/** A unit taken from quarantine (a recalled serial scanned all the same). */
const held = { ...unit, status: 'quarantined' as const };

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
  t.same(heldPlace([m('consumed'), m('returned-to-stock'), m('quarantined')]), { place: 'quarantined', unit, own: true });
  t.same(heldPlace([m('consumed'), m('returned-to-stock'), m('quarantined'), m('released')]), { place: 'shelf' });
  const fromQuarantine = (kind: ItemMovement['kind']): ItemMovement => ({ ...held, kind });
  t.same(heldPlace([fromQuarantine('consumed')]), { place: 'used', unit: held });
  t.same(heldPlace([fromQuarantine('consumed'), fromQuarantine('returned-to-stock')]), { place: 'quarantined', unit: held, own: false }, 'back into the quarantine it came from');
});

t.test('the steps between', async (t) => {
  const used: Held = { place: 'used', unit };
  t.same(stepsBetween({ place: 'shelf' }, { place: 'shelf' }), []);
  t.same(stepsBetween({ place: 'shelf' }, { place: 'used', product }), [{ kind: 'consumed', product }]);
  t.same(stepsBetween(used, { place: 'used', product }), [], 'already taken');
  t.same(stepsBetween(used, { place: 'used', product: { ...product, expirationDate: null } }), [], 'no expiry on the record: any expiry is the product');
  t.same(stepsBetween(used, { place: 'shelf' }), [{ kind: 'returned-to-stock', unit }]);
  t.same(stepsBetween(used, { place: 'quarantined', product }), [{ kind: 'returned-to-stock', unit }, { kind: 'quarantined', unit }], 'held where it was taken from');
  t.same(stepsBetween({ place: 'quarantined', unit, own: true }, { place: 'used', product }), [{ kind: 'released', unit }]);
  t.same(stepsBetween(used, { place: 'used', product: { ...product, lotNumber: 'L2' } }), [{ kind: 'returned-to-stock', unit }], 'the wrong product goes back first');
});

t.test('a unit taken from quarantine goes back into quarantine, whatever the decision', async (t) => {
  const usedFromQuarantine: Held = { place: 'used', unit: held };
  t.same(stepsBetween(usedFromQuarantine, { place: 'shelf' }), [{ kind: 'returned-to-stock', unit: held }], 'returned: into its status, quarantined');
  t.same(stepsBetween(usedFromQuarantine, { place: 'quarantined', product }), [{ kind: 'returned-to-stock', unit: held }], 'held: putting it back is holding it');
  const back: Held = { place: 'quarantined', unit: held, own: false };
  t.same(stepsBetween(back, { place: 'shelf' }), [], 'not released by a decision to return it to stock');
  t.same(stepsBetween(back, { place: 'quarantined', product }), []);
  t.same(stepsBetween(back, { place: 'used', product }), [{ kind: 'consumed', product }], 'an override takes it again');
});

/** Applies steps as the service does, a taking finding its product in the status given (a serial may be in quarantine). */
function apply(before: Held, steps: readonly Step[], takenFrom: 'available' | 'quarantined'): Held {
  if (steps.length === 0) return before;
  return heldPlace(
    steps.map((s): ItemMovement =>
      s.kind === 'consumed'
        ? { ...s.product, locationId: 'THEATRE', consignment: false, status: s.product.serialNumber === null ? 'available' : takenFrom, kind: 'consumed' }
        : { ...s.unit, status: s.kind === 'returned-to-stock' ? s.unit.status : 'available', kind: s.kind },
    ),
  );
}

/** Where the stock holds the unit after the steps, as the service changes it: a return goes back into the status taken from. */
function statusAfter(before: Held, after: Held): 'used' | 'available' | 'quarantined' | 'untouched' {
  if (after.place === 'used') return 'used';
  if (after.place === 'quarantined') return 'quarantined';
  return before.place === 'shelf' ? 'untouched' : 'available';
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
    fc.property(fc.array(anItem, { minLength: 1, maxLength: 8 }), fc.constantFrom('available' as const, 'quarantined' as const), (history, takenFrom) => {
      let held: Held = { place: 'shelf' };
      let everFromQuarantine = false;
      for (const state of history) {
        const wanted: Wanted = wantedPlace(state);
        for (let round = 0; round < 3; round++) {
          const before = held;
          held = apply(held, stepsBetween(held, wanted), takenFrom);
          if (held.place === 'used' && held.unit.status === 'quarantined') everFromQuarantine = true;
          // A unit that came out of quarantine never lands on the available shelf.
          if (everFromQuarantine && held.place !== 'used' && statusAfter(before, held) === 'available' && held.place === 'shelf' && before.place === 'used' && before.unit.status === 'quarantined') return false;
        }
        if (stepsBetween(held, wanted).length !== 0) return false;
        const arrived = held.place === wanted.place || (wanted.place === 'shelf' && held.place === 'quarantined' && !held.own) || (wanted.place === 'quarantined' && held.place === 'quarantined');
        if (!arrived) return false;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass('2,000 histories');
});
