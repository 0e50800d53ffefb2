import { sql, type Kysely } from 'kysely';

/**
 * A covering index for recall reads: by product and lot, carrying every column
 * a recall list or export shows, so Postgres answers from the index alone
 * (index-only scan) instead of visiting one scattered heap page per implant.
 * It replaces items_gtin_lot, which had the same key. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create index items_recall_register on items (gtin, lot_number)
    include (status, action, organisation_id, id, patient_id, procedure_id, nhs_number, serial_number, di,
             expiration_date, manufacturing_date, entry_type, procedure_started_at, location_id,
             lead_clinician_id, side, explanted_by_item_id)
    where gtin is not null
  `.execute(db);
  await sql`drop index items_gtin_lot`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`create index items_gtin_lot on items (gtin, lot_number) include (organisation_id, status, action) where gtin is not null`.execute(db);
  await sql`drop index items_recall_register`.execute(db);
}
