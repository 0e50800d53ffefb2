import { sql, type Kysely } from 'kysely';

/**
 * A recall's stock actions: the quarantine and the return to the supplier of the units on the shelves a
 * recall covers are ledger rows naming the recall (`stock_movements.recall_id`), counted on the recall
 * (units returned under it) and on its closure report. A recall closed while patients were unreviewed
 * or stock remained keeps the reason given (`close_reason`). Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table recalls add column close_reason text check (length(close_reason) between 1 and 500)`.execute(db);
  await sql`create index stock_movements_recall on stock_movements (recall_id, kind) where recall_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index stock_movements_recall`.execute(db);
  await sql`alter table recalls drop column close_reason`.execute(db);
}
