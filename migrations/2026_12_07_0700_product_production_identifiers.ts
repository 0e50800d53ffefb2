import { sql, type Kysely } from 'kysely';

/**
 * Which production identifiers a product's label carries (GUDID's lotBatch,
 * serialNumber, expirationDate, manufacturingDate flags): how the scan notices
 * that a dropped GS folded a serial into the lot. Null: not known. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table products
      add column label_lot boolean,
      add column label_serial boolean,
      add column label_expiry boolean,
      add column label_manufacturing boolean
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table products drop column label_lot, drop column label_serial, drop column label_expiry, drop column label_manufacturing`.execute(db);
}
