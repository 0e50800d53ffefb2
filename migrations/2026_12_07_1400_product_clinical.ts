import { sql, type Kysely } from 'kysely';

/**
 * The clinical attributes of a product, for the compatibility checks before an
 * implant is opened: which component it is, its side, system, taper, bearing
 * and sizes (src/domain/compatibility/attributes.ts). One JSON object per
 * catalogue layer, replaced whole: the national record's, and an
 * organisation's own (null: the national one). Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['products', 'product_overrides']) {
    await sql`
      alter table ${sql.table(table)} add column clinical jsonb
        check (clinical is null or (jsonb_typeof(clinical) = 'object' and jsonb_typeof(clinical -> 'component') = 'string'))
    `.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['products', 'product_overrides']) await sql`alter table ${sql.table(table)} drop column clinical`.execute(db);
}
