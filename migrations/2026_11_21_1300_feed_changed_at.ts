import { sql, type Kysely } from 'kysely';

/**
 * FHIR Bulk Data `_since` needs a time, not a feed position: each procedure
 * also records when the transaction that last changed it began. A
 * transaction's start is never later than any change it makes, so an export's
 * `transactionTime` (no later than the start of any transaction still running
 * when its snapshot was taken) guarantees a later `_since` export includes
 * every change the first one missed. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table procedures add column changed_at timestamptz`.execute(db);
  await sql`update procedures set changed_at = created_at`.execute(db);
  await sql`alter table procedures alter column changed_at set not null`.execute(db);
  await sql`create index procedures_changed_at on procedures (changed_at)`.execute(db);
  await sql`
    create or replace function procedure_take_feed_position() returns trigger language plpgsql as $$
    begin
      new.change_xid := pg_current_xact_id();
      new.change_seq := nextval('feed_change_seq');
      new.changed_at := now();
      return new;
    end $$
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function procedure_take_feed_position() returns trigger language plpgsql as $$
    begin
      new.change_xid := pg_current_xact_id();
      new.change_seq := nextval('feed_change_seq');
      return new;
    end $$
  `.execute(db);
  await sql`drop index procedures_changed_at`.execute(db);
  await sql`alter table procedures drop column changed_at`.execute(db);
}
