/**
 * The stock rules, as pure functions: what each movement does to stock on
 * hand, how many units a line moves, and how a line's quantity is taken from
 * the rows on hand. No I/O: the stock service gathers the rows and applies these.
 */
import type { StockMovementKind, StockStatus } from './vocabulary.js';

/**
 * What a movement does to stock on hand: the statuses it takes from at its location (in the order it
 * takes them) and the status it puts, at the same location or (a move) at the destination. Nothing
 * taken: a receipt. Nothing put: the units leave the organisation's stock.
 */
export interface MovementEffect {
  readonly takes: readonly StockStatus[];
  readonly puts: { readonly status: StockStatus; readonly at: 'same' | 'destination' } | null;
  /** May take more than is on hand, leaving a negative quantity (a discrepancy): point-of-use consumption only. */
  readonly mayOverdraw: boolean;
}

export const MOVEMENT_EFFECTS: Readonly<Record<StockMovementKind, MovementEffect>> = {
  received: { takes: [], puts: { status: 'available', at: 'same' }, mayOverdraw: false },
  moved: { takes: ['available'], puts: { status: 'available', at: 'destination' }, mayOverdraw: false },
  // Quarantined stock is what is written off or sent back after a recall: taken first.
  'written-off': { takes: ['quarantined', 'available'], puts: null, mayOverdraw: false },
  'returned-to-supplier': { takes: ['quarantined', 'available'], puts: null, mayOverdraw: false },
  quarantined: { takes: ['available'], puts: { status: 'quarantined', at: 'same' }, mayOverdraw: false },
  released: { takes: ['quarantined'], puts: { status: 'available', at: 'same' }, mayOverdraw: false },
  consumed: { takes: ['available'], puts: null, mayOverdraw: true },
  'returned-to-stock': { takes: [], puts: { status: 'available', at: 'same' }, mayOverdraw: false },
};

/** A product as stock knows it: the device identifier and the production identifiers that tell units and lots apart. */
export interface StockProduct {
  readonly issuingAgency: string;
  readonly di: string;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
}

export type LineQuantity = { readonly ok: true; readonly quantity: number } | { readonly ok: false; readonly message: string };

/**
 * How many units a line moves: the quantity the request gives, else the count the label carries (GS1 AI 30
 * or 37, the HIBC quantity), else one. A serialised unit is one unit.
 */
export function lineQuantity(product: Pick<StockProduct, 'serialNumber'>, requested: number | undefined, onLabel: number | undefined): LineQuantity {
  const quantity = requested ?? onLabel ?? 1;
  if (!Number.isInteger(quantity) || quantity < 1) return { ok: false, message: `the quantity ${quantity} is not a positive whole number` };
  if (product.serialNumber !== null && quantity !== 1) return { ok: false, message: `serial ${product.serialNumber} is one unit; a quantity of ${quantity} cannot apply to it` };
  return { ok: true, quantity };
}

/** The index of the first line that names a serialised unit an earlier line of the same request named, if any. */
export function repeatedUnit(products: readonly StockProduct[]): { readonly index: number; readonly first: number } | undefined {
  const seen = new Map<string, number>();
  for (const [index, p] of products.entries()) {
    if (p.serialNumber === null) continue;
    const key = JSON.stringify([p.issuingAgency, p.di, p.serialNumber]);
    const first = seen.get(key);
    if (first !== undefined) return { index, first };
    seen.set(key, index);
  }
  return undefined;
}

/** A row on hand a line may take from. */
export interface OnHandCandidate {
  readonly id: string;
  readonly status: StockStatus;
  readonly consignment: boolean;
  readonly expirationDate: string | null;
  readonly quantity: number;
}

/** Whether a row on hand is this line's product: the same lot and serial; the same expiry when the line names one. */
export function matchesLine(row: StockProduct, line: StockProduct): boolean {
  return (
    row.issuingAgency === line.issuingAgency &&
    row.di === line.di &&
    row.lotNumber === line.lotNumber &&
    row.serialNumber === line.serialNumber &&
    (line.expirationDate === null || row.expirationDate === line.expirationDate)
  );
}

export type Allocation =
  | { readonly ok: true; readonly takes: ReadonlyArray<{ readonly row: OnHandCandidate; readonly quantity: number }> }
  | { readonly ok: false; readonly onHand: number };

/**
 * Takes a quantity from the rows on hand, in the statuses' order, then the earliest expiry first (what
 * expires first leaves the shelf first), owned stock before consignment stock. All or nothing: when the
 * rows hold less than needed, what they hold.
 */
export function allocate(rows: readonly OnHandCandidate[], effect: MovementEffect, needed: number): Allocation {
  const usable = rows
    .filter((r) => effect.takes.includes(r.status) && r.quantity > 0)
    .toSorted(
      (a, b) =>
        effect.takes.indexOf(a.status) - effect.takes.indexOf(b.status) ||
        compareExpiry(a.expirationDate, b.expirationDate) ||
        Number(a.consignment) - Number(b.consignment) ||
        Number(BigInt(a.id) - BigInt(b.id)),
    );
  const onHand = usable.reduce((sum, r) => sum + r.quantity, 0);
  if (onHand < needed && !effect.mayOverdraw) return { ok: false, onHand };
  const takes: Array<{ row: OnHandCandidate; quantity: number }> = [];
  let left = needed;
  for (const row of usable) {
    if (left === 0) break;
    const quantity = Math.min(row.quantity, left);
    takes.push({ row, quantity });
    left -= quantity;
  }
  return { ok: true, takes };
}

/** Undated stock sorts last. */
function compareExpiry(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** Whether stock expiring on `expirationDate` is expired on `today`, or expires within `days` of it (ISO dates). */
export function expiryStatus(expirationDate: string, today: string, days: number): 'expired' | 'expiring' | 'later' {
  if (expirationDate < today) return 'expired';
  return expirationDate <= addDays(today, days) ? 'expiring' : 'later';
}

/** An ISO date `days` later. */
export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
