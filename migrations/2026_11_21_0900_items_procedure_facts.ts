import { sql, type Kysely } from 'kysely';

/**
 * Recall read path: each item carries the facts of its procedure that a recall
 * list shows (when, where, by whom, which side). They are fixed when the
 * procedure is opened, so copying them onto the item at scan time keeps a
 * recall batch or export to one table plus the patient, instead of a join
 * through every procedure. Backfilled for existing items. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table items add column procedure_started_at timestamptz`.execute(db);
  await sql`alter table items add column location_id uuid references locations (id)`.execute(db);
  await sql`alter table items add column lead_clinician_id uuid references staff (id)`.execute(db);
  await sql`alter table items add column side text check (side in ('left', 'right', 'bilateral', 'not-applicable'))`.execute(db);
  await sql`
    update items i set procedure_started_at = p.started_at, location_id = p.location_id, lead_clinician_id = p.lead_clinician_id, side = p.side
    from procedures p where p.id = i.procedure_id
  `.execute(db);
  await sql`alter table items alter column procedure_started_at set not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['side', 'lead_clinician_id', 'location_id', 'procedure_started_at']) {
    await sql`alter table items drop column ${sql.ref(column)}`.execute(db);
  }
}
