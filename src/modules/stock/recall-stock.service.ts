/**
 * A recall's stock: the units on the shelves it covers quarantined where they are, then returned to the
 * supplier, by the organisation that holds them (each handles its own stock on a national recall; a
 * national key reads). The rows are found by the recall's own predicates (the patients' list's), locked,
 * and moved whole; every ledger row names the recall. Exactly once per Idempotency-Key, like every stock write.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { StockMovementKind } from '../../domain/vocabulary.js';
import { requireOrganisation, type RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { auditRowOf } from '../audit/audit.service.js';
import { requestHash } from '../idempotency/request-hash.js';
import { findLocation } from '../locations/location.repository.js';
import { locationKeyOf, type LocationRef } from '../locations/location.service.js';
import { countAffected, shelfStock } from '../recalls/recall.repository.js';
import { visibleRecall } from '../recalls/recall.service.js';
import { addOnHand, insertMovements, onHandByIdsForUpdate, takeOnHand, type NewMovement } from './stock.repository.js';
import { exactlyOnce } from './stock.service.js';

export type RecallStockAction =
  | { readonly kind: 'quarantined'; readonly location?: LocationRef | undefined; readonly note?: string | undefined }
  | { readonly kind: 'returned-to-supplier'; readonly location?: LocationRef | undefined; readonly supplier?: string | undefined; readonly reference?: string | undefined };

/** What each action takes: available units are quarantined; quarantined units are returned. */
const TAKES = { quarantined: 'available', 'returned-to-supplier': 'quarantined' } as const;
const AUDIT = { quarantined: 'recall.stock.quarantine', 'returned-to-supplier': 'recall.stock.return' } as const;
const PAGE = 1000;

export async function actOnRecallStock(db: Kysely<Database>, ctx: RequestContext, recallId: string, action: RecallStockAction, clock: Clock, idempotencyKey: string) {
  const organisationId = requireOrganisation(ctx);
  const recall = await visibleRecall(db, ctx, recallId);
  const hash = requestHash(`POST /v1/recalls/${recallId}/stock`, action);
  return exactlyOnce(db, organisationId, idempotencyKey, hash, async (trx) => {
    const tenancy = { kind: 'organisation', organisationId } as const;
    const locationId = action.location === undefined ? undefined : await locationIdOf(trx, organisationId, action.location, clock.now());
    // The rows the recall covers in the organisation, in the status the action takes, where asked.
    const ids: string[] = [];
    if (locationId !== null) {
      for (let after: string | undefined; ; ) {
        const page = await shelfStock(trx, { scopes: recall.scopes, tenancy, after, limit: PAGE });
        ids.push(...page.filter((r) => r.status === TAKES[action.kind] && (locationId === undefined || r.location?.id === locationId)).map((r) => r.onHandId));
        if (page.length < PAGE) break;
        after = page.at(-1)?.onHandId;
      }
    }
    // As they are now: a row another request moved meanwhile is left to that request.
    const rows = (await onHandByIdsForUpdate(trx, ids)).filter((r) => r.status === TAKES[action.kind] && r.quantity > 0);
    const movementGroup = randomUUID();
    const kind: StockMovementKind = action.kind;
    const movements: NewMovement[] = rows.map((r) => ({
      organisationId,
      movementGroup,
      kind,
      locationId: r.locationId,
      toLocationId: null,
      entryType: 'manual',
      raw: null,
      issuingAgency: r.issuingAgency,
      di: r.di,
      lotNumber: r.lotNumber,
      serialNumber: r.serialNumber,
      expirationDate: r.expirationDate,
      quantity: r.quantity,
      consignment: r.consignment,
      reason: `recall ${recall.reference}`.slice(0, 500),
      note: action.kind === 'quarantined' ? (action.note ?? null) : (action.reference ?? null),
      supplier: action.kind === 'returned-to-supplier' ? (action.supplier ?? null) : null,
      orderRef: null,
      actorKeyId: ctx.actor.keyId,
      recallId,
    }));
    await takeOnHand(trx, rows.map((row) => ({ row, quantity: row.quantity })));
    if (action.kind === 'quarantined') await addOnHand(trx, rows.map((r) => ({ ...r, status: 'quarantined' as const })));
    await insertMovements(trx, movements);
    const counts = await countAffected(trx, { scopes: recall.scopes, tenancy, recallId });
    const units = rows.reduce((n, r) => n + r.quantity, 0);
    const body = { movementGroup, rows: rows.length, units, stock: counts.stock };
    return { body, audit: auditRowOf(ctx, { action: AUDIT[action.kind], organisationId, detail: { recallId, movementGroup, rows: rows.length, units } }) };
  });
}

/** The location a request names, if the organisation has it (null: it has none such, so no stock there). */
async function locationIdOf(db: Kysely<Database>, organisationId: string, ref: LocationRef, today: Date): Promise<string | null> {
  const { gln, extension } = locationKeyOf(ref, today);
  return (await findLocation(db, organisationId, gln, extension))?.id ?? null;
}
