import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { DecisionOutcome, Disposition } from '../../domain/vocabulary.js';

export interface NewDecision {
  readonly organisationId: string;
  readonly procedureId: string;
  readonly itemId: string;
  readonly outcome: DecisionOutcome;
  readonly reason: string | null;
  readonly disposition: Disposition | null;
  readonly correctsDecisionId: string | null;
  readonly actorKeyId: string;
}

/** Appends a decision to the ledger and makes it the item's decision in force, at the database's time. */
export async function insertDecision(db: Kysely<Database>, d: NewDecision): Promise<{ id: string; decidedAt: Date }> {
  const row = await db
    .insertInto('item_decisions')
    .values({
      organisation_id: d.organisationId,
      procedure_id: d.procedureId,
      item_id: d.itemId,
      outcome: d.outcome,
      reason: d.reason,
      disposition: d.disposition,
      corrects_decision_id: d.correctsDecisionId,
      actor_key_id: d.actorKeyId,
    })
    .returning(['id', 'decided_at'])
    .executeTakeFirstOrThrow();
  await db
    .updateTable('items')
    .set({
      decision_status: d.outcome,
      decision_id: row.id,
      decision_reason: d.reason,
      decision_disposition: d.disposition,
      decided_at: row.decided_at,
      decided_by: d.actorKeyId,
      updated_at: row.decided_at,
    })
    .where('id', '=', d.itemId)
    .execute();
  return { id: row.id, decidedAt: row.decided_at };
}

/** The decisions recorded for an item, oldest first. */
export async function decisionsOfItem(db: Kysely<Database>, itemId: string) {
  return db.selectFrom('item_decisions').selectAll().where('item_id', '=', itemId).orderBy('decided_at').orderBy('id').execute();
}

/** Items of a procedure still waiting for a decision. */
export async function pendingItemIds(db: Kysely<Database>, procedureId: string): Promise<string[]> {
  const rows = await db.selectFrom('items').select('id').where('procedure_id', '=', procedureId).where('decision_status', '=', 'pending').where('status', '=', 'active').orderBy('first_scanned_at').execute();
  return rows.map((r) => r.id);
}
