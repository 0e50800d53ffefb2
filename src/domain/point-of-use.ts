/**
 * Point-of-use consumption, as pure functions: where an item's unit should be
 * in stock given what the record says happened to it, where the ledger says it
 * is, and the movements that take it from one to the other. No I/O: the stock
 * service reads the item and its movements and applies the steps.
 *
 * A unit scanned as implanted or wasted has left the shelf (`used`), whatever
 * warning it raised and whatever decision is pending: it was opened at the
 * point of use. It goes back only when the theatre says it was not used and
 * was returned to stock (`shelf`) or is held (`quarantined`, at the place it
 * was taken from). A voided item, an explant, a unit scanned as returned and a
 * label that names no product take nothing (`shelf`). A unit put aside as
 * wasted, or not used with no disposition said, stays used: where it went is
 * not known, and stock must not claim it is back.
 *
 * A unit goes back in the status it was taken from: a serialised unit held in
 * quarantine (a recall) and scanned all the same goes back into quarantine,
 * never onto the available shelf, whatever the theatre decides.
 */
import type { StockProduct } from './stock.js';
import type { DecisionStatus, Disposition, ItemAction, StockMovementKind, StockStatus } from './vocabulary.js';

/** What the record says about an item, as far as stock cares. */
export interface ItemAtPointOfUse {
  readonly status: 'active' | 'voided';
  readonly action: ItemAction;
  readonly issuingAgency: string | null;
  readonly di: string | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly decision: { readonly status: DecisionStatus; readonly disposition: Disposition | null } | null;
}

export type Wanted = { readonly place: 'shelf' } | { readonly place: 'used' | 'quarantined'; readonly product: StockProduct };

/** Where the item's unit should be. */
export function wantedPlace(item: ItemAtPointOfUse): Wanted {
  if (item.status !== 'active' || (item.action !== 'implanted' && item.action !== 'wasted') || item.di === null || item.issuingAgency === null) return { place: 'shelf' };
  const product: StockProduct = { issuingAgency: item.issuingAgency, di: item.di, lotNumber: item.lotNumber, serialNumber: item.serialNumber, expirationDate: item.expirationDate };
  if (item.decision?.status === 'not-used') {
    if (item.decision.disposition === 'returned-to-stock') return { place: 'shelf' };
    if (item.decision.disposition === 'quarantined') return { place: 'quarantined', product };
  }
  return { place: 'used', product };
}

/** A stock row as it was taken or put back: the product with the expiry and ownership of the row, its place, and its status. */
export interface HeldUnit extends StockProduct {
  readonly locationId: string | null;
  readonly consignment: boolean;
  /** The status the unit was taken from (a consumption), and so goes back into. */
  readonly status: StockStatus;
}

/** One of the item's movements in the ledger, in the order recorded. */
export interface ItemMovement extends HeldUnit {
  readonly kind: StockMovementKind;
}

/**
 * Where the ledger says the item's unit is: never taken or put back as it was (`shelf`), taken (`used`),
 * or back and in quarantine (`quarantined`): held there by the item's own decision (`own`), or put back
 * into the quarantine it was taken from.
 */
export type Held =
  | { readonly place: 'shelf' }
  | { readonly place: 'used'; readonly unit: HeldUnit }
  | { readonly place: 'quarantined'; readonly unit: HeldUnit; readonly own: boolean };

/** Folds the item's movements into where its unit is now. */
export function heldPlace(movements: readonly ItemMovement[]): Held {
  let held: Held = { place: 'shelf' };
  for (const m of movements) {
    const unit: HeldUnit = {
      issuingAgency: m.issuingAgency,
      di: m.di,
      lotNumber: m.lotNumber,
      serialNumber: m.serialNumber,
      expirationDate: m.expirationDate,
      locationId: m.locationId,
      consignment: m.consignment,
      status: m.status,
    };
    if (m.kind === 'consumed') held = { place: 'used', unit };
    else if (m.kind === 'returned-to-stock') held = m.status === 'quarantined' ? { place: 'quarantined', unit, own: false } : { place: 'shelf' };
    else if (m.kind === 'quarantined') held = { place: 'quarantined', unit: { ...unit, status: 'available' }, own: true };
    else if (m.kind === 'released') held = { place: 'shelf' };
  }
  return held;
}

/**
 * A step of the way: put the held unit back, hold it, let it go, or take the wanted product at the point
 * of use (where: the service decides, as the stock is found).
 */
export type Step =
  | { readonly kind: 'returned-to-stock' | 'quarantined' | 'released'; readonly unit: HeldUnit }
  | { readonly kind: 'consumed'; readonly product: StockProduct };

/** Whether the held unit is the wanted product: the same identifiers, and the same expiry when the record has one. */
export function sameProduct(unit: StockProduct, wanted: StockProduct): boolean {
  return (
    unit.issuingAgency === wanted.issuingAgency &&
    unit.di === wanted.di &&
    unit.lotNumber === wanted.lotNumber &&
    unit.serialNumber === wanted.serialNumber &&
    (wanted.expirationDate === null || unit.expirationDate === wanted.expirationDate)
  );
}

/**
 * The next movements that bring the unit from where the ledger holds it to where the record wants it:
 * nothing when it is there already. A taking comes alone (its place is known only once the stock is
 * found): the service applies these, folds them into where the unit is, and asks again, which ends within
 * three rounds. A unit held as another product (the item was corrected: a split label
 * completed, a scan voided) is put back first and the right one taken. A unit to be held is taken, then
 * put back and quarantined where it was taken from; a held unit wanted as used is let go and taken again.
 */
export function stepsBetween(held: Held, wanted: Wanted): Step[] {
  if (wanted.place === 'shelf') {
    if (held.place === 'used') return [{ kind: 'returned-to-stock', unit: held.unit }];
    // Held by the item's own decision: let go. Back in the quarantine it came from: it stays there.
    if (held.place === 'quarantined' && held.own) return [{ kind: 'released', unit: held.unit }];
    return [];
  }
  const same = held.place !== 'shelf' && sameProduct(held.unit, wanted.product);
  if (held.place === wanted.place && same) return [];
  if (held.place === 'used' && wanted.place === 'quarantined' && same) {
    // Taken from quarantine: putting it back is holding it.
    if (held.unit.status === 'quarantined') return [{ kind: 'returned-to-stock', unit: held.unit }];
    return [
      { kind: 'returned-to-stock', unit: held.unit },
      { kind: 'quarantined', unit: held.unit },
    ];
  }
  const back = stepsBetween(held, { place: 'shelf' });
  return back.length > 0 ? back : [{ kind: 'consumed', product: wanted.product }];
}
