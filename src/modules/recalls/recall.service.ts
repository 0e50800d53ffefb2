import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { ContactStatus } from '../../domain/vocabulary.js';
import { isUniqueViolation } from '../../db/errors.js';
import { canSee, tenancyOf, type Actor, type RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit, recordListAudit } from '../audit/audit.service.js';
import type { RecallScope } from './recall.matching.js';
import { copyAffectedCsv } from './recall.export.js';
import {
  affectedItems,
  affectedPatientIds,
  closeRecall,
  contactHistory,
  countAffected,
  countAffectedMany,
  notUsedItems,
  shelfStock,
  findRecall,
  insertContact,
  insertRecall,
  listRecalls,
  scopeMembers,
  type AffectedCounts,
  type AffectedFilter,
  type Recall,
  type RecallScopeInput,
} from './recall.repository.js';

export interface RecallInput {
  readonly reference: string;
  readonly title: string;
  readonly manufacturer?: string | undefined;
  readonly issuedAt?: string | undefined;
  readonly scope: readonly RecallScopeInput[];
}

/** A recall belongs to the organisation that made it, or is national (made with a national key) and seen by all. */
function visible(actor: Actor, recall: Recall): boolean {
  return recall.organisationId === null || canSee(actor, recall.organisationId);
}

async function withCounts(db: Kysely<Database>, actor: Actor, recall: Recall) {
  const counts = await countAffected(db, { scopes: recall.scopes, tenancy: tenancyOf(actor), recallId: recall.id });
  return { recall, counts };
}

/**
 * The counts a recall would have, nothing kept: the recall is stored in a transaction that is
 * rolled back, so that its lists are counted by the very queries of a stored recall (joined as
 * rows, never carried whole in each query), and no other session ever sees it.
 */
export async function previewRecall(db: Kysely<Database>, ctx: RequestContext, input: RecallInput) {
  const trx = await db.startTransaction().execute();
  let counts: AffectedCounts;
  try {
    // A reference of its own: the notice's may already be taken (a preview is not a recall).
    const id = await insertRecall(trx, newRecall(ctx, { ...input, reference: `preview ${randomUUID()}` }));
    const recall = (await findRecall(trx, id)) as Recall;
    // As a dry run always was: no recall id, so no contact steps and no items voided since.
    counts = await countAffected(trx, { scopes: recall.scopes, tenancy: tenancyOf(ctx.actor) });
  } finally {
    await trx.rollback().execute();
  }
  await recordAudit(db, ctx, { action: 'recall.preview', organisationId: ctx.actor.organisationId, detail: { items: counts.items } });
  return counts;
}

const newRecall = (ctx: RequestContext, input: RecallInput) => ({
  organisationId: ctx.actor.organisationId,
  reference: input.reference,
  title: input.title,
  manufacturer: input.manufacturer ?? null,
  issuedAt: input.issuedAt ?? null,
  createdBy: ctx.actor.keyId,
  scopes: input.scope,
});

export async function createRecall(db: Kysely<Database>, ctx: RequestContext, input: RecallInput) {
  try {
    const recall = await db.transaction().execute(async (trx) => {
      const id = await insertRecall(trx, newRecall(ctx, input));
      await recordAudit(trx, ctx, { action: 'recall.create', organisationId: ctx.actor.organisationId, detail: { recallId: id } });
      return (await findRecall(trx, id)) as Recall;
    });
    return await withCounts(db, ctx.actor, recall);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ProblemError('CONFLICT', `A recall with reference ${input.reference} already exists.`);
    throw error;
  }
}

/** The recall if the actor may see it; 404 otherwise (another organisation's looks absent). */
export async function visibleRecall(db: Kysely<Database>, ctx: RequestContext, id: string): Promise<Recall> {
  const recall = await findRecall(db, id);
  if (!recall || !visible(ctx.actor, recall)) throw new ProblemError('NOT_FOUND', 'No such recall.');
  return recall;
}

export async function getRecall(db: Kysely<Database>, ctx: RequestContext, id: string) {
  return withCounts(db, ctx.actor, await visibleRecall(db, ctx, id));
}

/**
 * A page of the recalls the actor sees, newest first, each with its counts: a bounded number of
 * queries whatever the page holds (the recalls, their scopes, their short lists, the counts).
 */
export async function listVisibleRecalls(db: Kysely<Database>, ctx: RequestContext, page: Page) {
  const tenancy = tenancyOf(ctx.actor);
  const recalls = await listRecalls(db, tenancy, page);
  if (!recalls) throw new ProblemError('CURSOR_INVALID', 'The cursor is not a recall of this list. Resume from the last nextCursor received, or start without `cursor`.');
  const counts = await countAffectedMany(db, tenancy, recalls.map((r) => ({ scopes: r.scopes, recallId: r.id })));
  return {
    items: recalls.map((recall, k) => ({ recall, counts: counts[k] as AffectedCounts })),
    nextCursor: nextCursorOf(recalls, page, (r) => r.id),
  };
}

/** One page of a scope's listed lots or serials, in byte order (a long list is not sent with its recall). */
export async function scopeList(db: Kysely<Database>, ctx: RequestContext, id: string, ordinal: number, kind: 'lot' | 'serial', page: Page) {
  const recall = await visibleRecall(db, ctx, id);
  const scope = recall.scopes.find((s) => s.ordinal === ordinal);
  if (!scope) throw new ProblemError('NOT_FOUND', `The recall has no scope ${ordinal} (its scopes are numbered from 0).`);
  const items = await scopeMembers(db, scope.id, kind, page);
  return { items, nextCursor: nextCursorOf(items, page, (value) => value) };
}

/**
 * Closes a recall, once nothing is left open: every patient on its list reviewed (their latest contact step
 * past identified and contacted) and none of its units left on the shelves, quarantined or not, as the
 * closer sees them (a national key: every organisation's). Otherwise 409 RECALL_OPEN_ITEMS with the
 * counts, unless a reason is given, which is kept on the recall and audited. Closing a closed recall
 * changes nothing.
 */
export async function closeRecallFor(db: Kysely<Database>, ctx: RequestContext, id: string, clock: Clock, reason?: string) {
  const recall = await visibleRecall(db, ctx, id);
  // Only its owner closes a recall: an organisation its own, a national key the national ones.
  if (recall.organisationId !== ctx.actor.organisationId) throw new ProblemError('FORBIDDEN', 'Only the organisation that made a recall (or a national key, for national recalls) can close it.');
  if (recall.status === 'active') {
    const counts = await countAffected(db, { scopes: recall.scopes, tenancy: tenancyOf(ctx.actor), recallId: id });
    const open = openItems(counts);
    if (reason === undefined && (open.unreviewedItems > 0 || open.stockOnShelves > 0)) {
      throw new ProblemError(
        'RECALL_OPEN_ITEMS',
        `The recall has open items: ${[
          open.unreviewedItems > 0 ? `${open.unreviewedItems} affected item${open.unreviewedItems === 1 ? '' : 's'} not yet reviewed` : '',
          open.stockOnShelves > 0 ? `${open.stockOnShelves} unit${open.stockOnShelves === 1 ? '' : 's'} still on the shelves (${counts.stock.quarantined} quarantined)` : '',
        ]
          .filter(Boolean)
          .join(', ')}. Finish them, or close with a reason.`,
        { ...open, stock: counts.stock },
      );
    }
    await db.transaction().execute(async (trx) => {
      await closeRecall(trx, id, clock.now(), reason ?? null);
      await recordAudit(trx, ctx, { action: 'recall.close', organisationId: recall.organisationId, detail: { recallId: id, ...(reason !== undefined && { override: true, ...open }) } });
    });
  }
  return getRecall(db, ctx, id);
}

/** What keeps a recall open: affected items whose patients are not yet reviewed, and its units on the shelves. */
function openItems(counts: AffectedCounts) {
  return { unreviewedItems: counts.byStatus.identified + counts.byStatus.contacted, stockOnShelves: counts.stock.available + counts.stock.quarantined };
}

export interface Page {
  readonly after?: string | undefined;
  readonly limit: number;
}

/** The cursor after a page: the last row's position when the page is full (more may follow), else none. */
function nextCursorOf<T>(items: readonly T[], page: Page, position: (item: T) => string): string | null {
  const last = items[items.length - 1];
  return items.length === page.limit && last !== undefined ? position(last) : null;
}

/**
 * The whole list of a recall's affected items as CSV, streamed by the database.
 * The patients and procedures in it (the whole list, or what the filter keeps),
 * and only those, are named in the audit before it streams.
 */
export async function exportAffectedCsv(db: Kysely<Database>, ctx: RequestContext, id: string, clock: Clock, filter: AffectedFilter = {}) {
  const recall = await visibleRecall(db, ctx, id);
  const asOf = clock.now();
  const query = { scopes: recall.scopes, tenancy: tenancyOf(ctx.actor), recallId: recall.id, ...filter };
  const exported = await affectedPatientIds(db, query);
  await recordListAudit(db, ctx, 'recall.patients.export', exported, { recallId: recall.id, asOf: asOf.toISOString(), ...filterDetail(filter) });
  return { recall, asOf, stream: await copyAffectedCsv(db, query) };
}

/** A filter as the audit row of a list records it: why the list names fewer patients than the recall. */
export const filterDetail = (filter: AffectedFilter) => ({
  ...(filter.statuses !== undefined ? { status: filter.statuses } : {}),
  ...(filter.matches !== undefined ? { match: filter.matches } : {}),
});

export async function affectedPatients(db: Kysely<Database>, ctx: RequestContext, id: string, page: Page, clock: Clock, filter: AffectedFilter = {}) {
  const recall = await visibleRecall(db, ctx, id);
  const asOf = clock.now();
  const items = await affectedItems(db, { scopes: recall.scopes, tenancy: tenancyOf(ctx.actor), recallId: id, ...filter, after: page.after, limit: page.limit });
  await recordListAudit(db, ctx, 'recall.patients.read', items, { recallId: id, ...filterDetail(filter) });
  return { asOf, items, nextCursor: nextCursorOf(items, page, (i) => i.itemId) };
}

/** The recall's units put aside after a critical warning at scan: to find and quarantine. Audited like the patient list. */
export async function notUsedOfRecall(db: Kysely<Database>, ctx: RequestContext, id: string, page: Page, clock: Clock) {
  const recall = await visibleRecall(db, ctx, id);
  const asOf = clock.now();
  const items = await notUsedItems(db, { scopes: recall.scopes, tenancy: tenancyOf(ctx.actor), after: page.after, limit: page.limit });
  await recordListAudit(db, ctx, 'recall.not-used.read', items, { recallId: id });
  return { asOf, items, nextCursor: nextCursorOf(items, page, (i) => i.itemId) };
}

/**
 * The recall's stock still on the shelves (issue 17): every row on hand it covers, by the patients' list's
 * own predicates, in the caller's organisation (a national key: every organisation's), to quarantine and
 * return. Holds no patient data; the read is audited.
 */
export async function shelfStockOfRecall(db: Kysely<Database>, ctx: RequestContext, id: string, page: Page, clock: Clock) {
  const recall = await visibleRecall(db, ctx, id);
  const asOf = clock.now();
  const items = await shelfStock(db, { scopes: recall.scopes, tenancy: tenancyOf(ctx.actor), after: page.after, limit: page.limit });
  await recordAudit(db, ctx, { action: 'recall.stock.read', organisationId: ctx.actor.organisationId, detail: { recallId: id, rows: items.length } });
  return { asOf, items, nextCursor: nextCursorOf(items, page, (i) => i.onHandId) };
}

/** The recall's whole shelf stock, a page at a time as it is read (the CSV export), audited before the first row. */
export async function allShelfStockOfRecall(db: Kysely<Database>, ctx: RequestContext, id: string, clock: Clock) {
  const recall = await visibleRecall(db, ctx, id);
  const asOf = clock.now();
  await recordAudit(db, ctx, { action: 'recall.stock.read', organisationId: ctx.actor.organisationId, detail: { recallId: id, format: 'csv' } });
  const tenancy = tenancyOf(ctx.actor);
  const pages = (async function* () {
    for (let after: string | undefined; ; ) {
      const rows = await shelfStock(db, { scopes: recall.scopes, tenancy, after, limit: 1000 });
      if (rows.length > 0) yield rows;
      if (rows.length < 1000) return;
      after = rows.at(-1)?.onHandId;
    }
  })();
  return { recall, asOf, pages };
}

export async function adHocAffected(db: Kysely<Database>, ctx: RequestContext, gtin: string, lots: readonly string[] | undefined, page: Page, clock: Clock) {
  const scope: RecallScope = lots === undefined ? { gtin, allLots: true } : { gtin, lots };
  const asOf = clock.now();
  const items = await affectedItems(db, { scopes: [scope], tenancy: tenancyOf(ctx.actor), after: page.after, limit: page.limit });
  await recordListAudit(db, ctx, 'recall.adhoc.read', items, { gtin });
  return { asOf, items, nextCursor: nextCursorOf(items, page, (i) => i.itemId) };
}

/**
 * Records a step of contacting the patient of an affected item (history kept, append-only).
 * Contact is the work of the organisation that holds the patient, on its own recalls and on
 * national ones; a national key reads the steps and writes none.
 */
export async function updateContact(db: Kysely<Database>, ctx: RequestContext, recallId: string, itemId: string, status: ContactStatus, note: string | undefined) {
  if (ctx.actor.national) {
    throw new ProblemError('FORBIDDEN', 'Contact with a patient is recorded by the organisation that holds the patient; a national key reads it.');
  }
  const recall = await visibleRecall(db, ctx, recallId);
  const [item] = await affectedItems(db, { scopes: recall.scopes, tenancy: tenancyOf(ctx.actor), recallId, itemId, limit: 1 });
  if (!item) throw new ProblemError('NOT_FOUND', 'No such affected item in this recall.');
  await db.transaction().execute(async (trx) => {
    await insertContact(trx, { recallId, itemId, status, note: note ?? null, actorKeyId: ctx.actor.keyId });
    await recordAudit(trx, ctx, {
      action: 'recall.contact.update',
      organisationId: item.organisationId,
      patientIds: [item.patientId],
      procedureIds: [item.procedureId],
      detail: { recallId, itemId, status },
    });
  });
  const history = await contactHistory(db, recallId, itemId);
  return {
    itemId,
    status: history[history.length - 1]?.status ?? status,
    history: history.map((h) => ({ status: h.status, note: h.note, recordedAt: h.recorded_at.toISOString(), actorKeyId: h.actor_key_id })),
  };
}
