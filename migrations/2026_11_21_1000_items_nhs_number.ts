import { sql, type Kysely } from 'kysely';

/**
 * The recall register in one table: each implanted item also carries its
 * patient's NHS number (an immutable key, copied when the item is recorded),
 * so a recall batch or a national export reads items through one index and
 * joins nothing large. Same database, same tenancy column, same audit; the
 * number still never leaves in a URL or a log. Backfilled. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table items add column nhs_number text check (nhs_number ~ '^[0-9]{10}$')`.execute(db);
  await sql`update items i set nhs_number = p.nhs_number from patients p where p.id = i.patient_id`.execute(db);
  await sql`alter table items alter column nhs_number set not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table items drop column nhs_number`.execute(db);
}
