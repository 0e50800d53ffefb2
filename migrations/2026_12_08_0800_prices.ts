import { sql, type Kysely } from 'kysely';

/**
 * Unit prices, per organisation: the price list's history, never changed. A row says "from this date
 * (inclusive), one unit of this product costs this much", in minor units (pence) of its ISO 4217
 * currency. A price is superseded by a row with a later `effective_from`; a mistaken row is corrected
 * by a new row for the same `effective_from`, which supersedes it by `recorded_at` (then `id`, for two
 * rows of one transaction). So the price in force on a date D is the first row of
 *
 *   where organisation_id = $1 and di = $2 and issuing_agency = $3 and effective_from <= D
 *   order by effective_from desc, recorded_at desc, id desc limit 1
 *
 * which `product_prices_in_force` answers by reading one index entry (an index scan, no sort); every
 * product's price on D is the same with `distinct on`. The product is named as stock names it
 * (`issuing_agency`, `di`: a GTIN-14, or HIBC labeller, product code and unit of measure). All the rows
 * one request recorded share `batch_id`. The time is the service's (`recorded_at`, `now()`);
 * `actor_key_id` names the principal. Only new tables: safe for the version before it. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table product_prices (
      id bigint generated always as identity primary key,
      organisation_id uuid not null references organisations (id),
      batch_id uuid not null,
      source text not null check (source in ('json', 'csv')),
      issuing_agency text not null check (issuing_agency in ('GS1', 'HIBCC')),
      di text not null check (length(di) between 1 and 40),
      unit_price_minor bigint not null check (unit_price_minor > 0),
      currency text not null default 'GBP' check (currency ~ '^[A-Z]{3}$'),
      effective_from date not null,
      supplier text check (length(supplier) between 1 and 200),
      contract_ref text check (length(contract_ref) between 1 and 200),
      recorded_at timestamptz not null default now(),
      actor_key_id uuid not null references api_keys (id)
    )
  `.execute(db);
  await sql`
    create index product_prices_in_force on product_prices
      (organisation_id, di, issuing_agency, effective_from desc, recorded_at desc, id desc)
  `.execute(db);
  await sql`create index product_prices_batch on product_prices (batch_id)`.execute(db);
  await sql`
    create trigger product_prices_append_only before update or delete on product_prices
    for each row execute function forbid_change()
  `.execute(db);
  await sql`
    create trigger product_prices_no_truncate before truncate on product_prices
    for each statement execute function forbid_change()
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table product_prices`.execute(db);
}
