/**
 * Point-of-use consumption: keeps each item's unit in stock where the record says it is, in the
 * transaction that changes the item (a scan, a split label completed, a void, a decision). The rules are
 * pure (src/domain/point-of-use.ts); this gathers the item's movements and the stock a consumption takes
 * from, and writes the difference. It never refuses: a unit the stock does not hold is taken anyway and
 * the stock shows the shortfall (the discrepancy report), because the record of what is in a patient
 * must never wait on the state of a shelf.
 *
 * A whole batch of scans costs three statements when every item is new (the rows to take from, locked;
 * the stock on hand changed; the ledger rows), one more when some item may have moved before.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { heldPlace, stepsBetween, wantedPlace, type HeldUnit, type ItemAtPointOfUse, type ItemMovement } from '../../domain/point-of-use.js';
import { allocate, MOVEMENT_EFFECTS } from '../../domain/stock.js';
import type { EntryType, StockMovementKind, StockStatus } from '../../domain/vocabulary.js';
import { addOnHand, consumptionCandidates, insertMovements, pointOfUseMovements, type NewMovement, type OnHandAddition, type OnHandRow } from './stock.repository.js';

/** An item whose unit stock should follow, where it is used, and by whom. */
export interface PointOfUseItem {
  readonly item: ItemAtPointOfUse & { readonly id: string; readonly organisationId: string; readonly procedureId: string; readonly entryType: EntryType };
  /** The procedure's location; null: the organisation's unlocated account. */
  readonly locationId: string | null;
  /** Inserted in this transaction: nothing of it is in the ledger yet (saves a read). */
  readonly fresh: boolean;
  readonly actorKeyId: string;
}

/** The most rounds an item can need: put back (or let go), take, put back and hold (src/domain/point-of-use.ts). */
const MAX_ROUNDS = 3;

/** Brings the units of these items to where their records say they are. */
export async function settlePointOfUse(trx: Kysely<Database>, entries: readonly PointOfUseItem[]): Promise<void> {
  if (entries.length === 0) return;
  const earlier = groupBy(await pointOfUseMovements(trx, entries.filter((e) => !e.fresh).map((e) => e.item.id)), (m) => m.itemId);
  const state = entries.map((e) => ({
    entry: e,
    wanted: wantedPlace(e.item),
    held: heldPlace(earlier.get(e.item.id) ?? []),
    group: randomUUID(),
  }));
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const moving = state.flatMap((s) => {
      const steps = stepsBetween(s.held, s.wanted);
      return steps.length === 0 ? [] : [{ s, steps }];
    });
    if (moving.length === 0) return;
    // A taking is a step alone (its place is known once the stock is found); the other steps come in order.
    const consuming = moving.flatMap((m) => (m.steps[0]?.kind === 'consumed' ? [{ s: m.s, product: m.steps[0].product }] : []));
    const candidates = groupBy(
      await consumptionCandidates(
        trx,
        consuming.map((c) => ({ ...c.product, organisationId: c.s.entry.item.organisationId, locationId: c.s.entry.locationId })),
      ),
      (c) => consuming[c.query]?.s,
    );
    // Rows taken earlier in this round are not taken twice.
    const left = new Map<string, number>();
    const additions: OnHandAddition[] = [];
    const movements: NewMovement[] = [];
    for (const { s, steps } of moving) {
      const { item } = s.entry;
      const applied: ItemMovement[] = [];
      for (const step of steps) {
        let unit: HeldUnit;
        if (step.kind === 'consumed') {
          const rows = (candidates.get(s) ?? []).map((c) => ({ ...c, quantity: left.get(c.id) ?? c.quantity }));
          const taken = takeOne(rows);
          if (taken) {
            left.set(taken.id, taken.quantity - 1);
            unit = { ...step.product, expirationDate: taken.expirationDate, consignment: taken.consignment, locationId: taken.locationId, status: taken.status };
            additions.push(change(item.organisationId, unit, taken.status, -1));
          } else {
            // Not on hand: taken anyway, where it was used.
            unit = { ...step.product, consignment: false, locationId: s.entry.locationId, status: 'available' };
            additions.push(change(item.organisationId, unit, 'available', -1));
          }
        } else {
          unit = step.unit;
          // Back into the status it was taken from: out of quarantine, back into quarantine.
          if (step.kind === 'returned-to-stock') additions.push(change(item.organisationId, unit, unit.status, 1));
          else {
            const [from, to]: [StockStatus, StockStatus] = step.kind === 'quarantined' ? ['available', 'quarantined'] : ['quarantined', 'available'];
            additions.push(change(item.organisationId, unit, from, -1), change(item.organisationId, unit, to, 1));
          }
        }
        movements.push(movementOf(s.entry, s.group, step.kind, unit));
        applied.push({ ...unit, kind: step.kind });
      }
      s.held = heldPlace(applied);
    }
    await addOnHand(trx, summed(additions));
    await insertMovements(trx, movements);
  }
}

/** The row a consumption takes its unit from: what expires first, owned before consignment stock (the stock rule). */
function takeOne(rows: readonly OnHandRow[]): OnHandRow | undefined {
  const serialised = rows.find((r) => r.serialNumber !== null && r.quantity > 0);
  if (serialised) return serialised;
  const allocation = allocate(rows, MOVEMENT_EFFECTS.consumed, 1);
  const first = allocation.ok ? allocation.takes[0] : undefined;
  return first === undefined ? undefined : rows.find((r) => r.id === first.row.id);
}

function change(organisationId: string, unit: HeldUnit, status: StockStatus, quantity: number): OnHandAddition {
  return {
    organisationId,
    locationId: unit.locationId,
    issuingAgency: unit.issuingAgency,
    di: unit.di,
    lotNumber: unit.lotNumber,
    serialNumber: unit.serialNumber,
    expirationDate: unit.expirationDate,
    status,
    consignment: unit.consignment,
    quantity,
  };
}

function movementOf(entry: PointOfUseItem, movementGroup: string, kind: StockMovementKind, unit: HeldUnit): NewMovement {
  return {
    organisationId: entry.item.organisationId,
    movementGroup,
    kind,
    locationId: unit.locationId,
    toLocationId: null,
    entryType: entry.item.entryType,
    raw: null,
    issuingAgency: unit.issuingAgency,
    di: unit.di,
    lotNumber: unit.lotNumber,
    serialNumber: unit.serialNumber,
    expirationDate: unit.expirationDate,
    quantity: 1,
    consignment: unit.consignment,
    reason: null,
    note: null,
    supplier: null,
    orderRef: null,
    actorKeyId: entry.actorKeyId,
    procedureId: entry.item.procedureId,
    itemId: entry.item.id,
    unitStatus: kind === 'consumed' || kind === 'returned-to-stock' ? unit.status : null,
  };
}

/** One change per row of stock on hand, takings first (a unit leaves one status before it enters another). */
function summed(additions: readonly OnHandAddition[]): OnHandAddition[] {
  const byKey = new Map<string, OnHandAddition>();
  for (const a of additions) {
    const key = JSON.stringify([a.organisationId, a.locationId, a.issuingAgency, a.di, a.lotNumber, a.serialNumber, a.expirationDate, a.status, a.consignment]);
    const before = byKey.get(key);
    byKey.set(key, before ? { ...before, quantity: before.quantity + a.quantity } : a);
  }
  return [...byKey.values()].filter((a) => a.quantity !== 0).toSorted((a, b) => a.quantity - b.quantity);
}

/** The items of a list by a key, in their order. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
