import { sql, type Kysely } from 'kysely';

/**
 * Indexes for the weaker recall matches (src/modules/recalls/recall.matching.ts):
 * - a lot label scanned without its product label (no GTIN or HIBC product was
 *   ever joined to it) is found by its lot;
 * - a typed lot is found as people confuse lots (upper case; O I L S B Z as
 *   0 1 1 5 8 2): the expression must stay identical to `confusableLot`.
 * Both are partial indexes over few rows, so scans pay little for them. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create index items_lot_without_product on items ((lot_number collate "C"))
    where gtin is null and hibc_lic is null and lot_number is not null
  `.execute(db);
  await sql`
    create index items_typed_lot_confusable on items (gtin, (translate(upper(lot_number), 'OILSBZ', '011582')))
    where entry_type = 'manual' and gtin is not null
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index items_typed_lot_confusable`.execute(db);
  await sql`drop index items_lot_without_product`.execute(db);
}
