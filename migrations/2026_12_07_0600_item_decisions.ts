import { sql, type Kysely } from 'kysely';

/**
 * Every critical warning gets a decision. An item scanned for implanting that
 * raised a critical warning (expired, recalled, serial already implanted, a
 * probable misread) waits for the theatre team's decision: put aside (not
 * used, with what became of it) or implanted anyway (an override, with a
 * reason). The decisions are an append-only ledger; a correction is a new row
 * that names the one it corrects. The item carries the one in force (and
 * `pending` before any), for the recall, feed and survival reads.
 * Items recorded before this change keep no decision (null). Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table item_decisions (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      procedure_id uuid not null references procedures (id),
      item_id uuid not null references items (id),
      outcome text not null check (outcome in ('not-used', 'implanted')),
      reason text check (reason is null or length(reason) between 1 and 500),
      disposition text check (disposition in ('returned-to-stock', 'wasted', 'quarantined')),
      corrects_decision_id uuid unique references item_decisions (id),
      decided_at timestamptz not null default now(),
      actor_key_id uuid not null references api_keys (id),
      check ((outcome = 'not-used') = (disposition is not null)),
      check (outcome = 'not-used' or reason is not null),
      check (corrects_decision_id is null or reason is not null)
    )
  `.execute(db);
  await sql`create index item_decisions_item on item_decisions (item_id, decided_at)`.execute(db);
  await sql`create trigger item_decisions_append_only before update or delete on item_decisions for each row execute function forbid_change()`.execute(db);
  await sql`create trigger item_decisions_no_truncate before truncate on item_decisions for each statement execute function forbid_change()`.execute(db);

  // The decision in force, copied from its ledger row so that item reads need no join.
  await sql`
    alter table items
      add column decision_status text check (decision_status in ('pending', 'not-used', 'implanted')),
      add column decision_id uuid references item_decisions (id),
      add column decision_reason text,
      add column decision_disposition text,
      add column decided_at timestamptz,
      add column decided_by uuid references api_keys (id),
      add constraint items_decision_made check ((decision_status in ('not-used', 'implanted')) = (decision_id is not null and decided_at is not null and decided_by is not null))
  `.execute(db);
  // The recall register index carries the decision too, so recall lists stay index-only reads. Its lot is
  // keyed byte for byte (collation "C"): equality is unchanged, and a lot's prefix becomes a range, which
  // the recall's lot-run-on matches read (src/modules/recalls/recall.matching.ts).
  await sql`drop index items_recall_register`.execute(db);
  await sql`
    create index items_recall_register on items (gtin, lot_number collate "C")
    include (status, action, organisation_id, id, patient_id, procedure_id, nhs_number, serial_number, di,
             expiration_date, manufacturing_date, entry_type, procedure_started_at, location_id,
             lead_clinician_id, side, explanted_by_item_id, decision_status)
    where gtin is not null
  `.execute(db);
  // Completing a procedure asks whether any of its items still waits for a decision.
  await sql`create index items_pending_decision on items (procedure_id) where decision_status = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index items_pending_decision`.execute(db);
  await sql`drop index items_recall_register`.execute(db);
  await sql`
    create index items_recall_register on items (gtin, lot_number)
    include (status, action, organisation_id, id, patient_id, procedure_id, nhs_number, serial_number, di,
             expiration_date, manufacturing_date, entry_type, procedure_started_at, location_id,
             lead_clinician_id, side, explanted_by_item_id)
    where gtin is not null
  `.execute(db);
  await sql`
    alter table items drop constraint items_decision_made, drop column decided_by, drop column decided_at,
      drop column decision_disposition, drop column decision_reason, drop column decision_id, drop column decision_status
  `.execute(db);
  await sql`drop table item_decisions`.execute(db);
}
