import { sql, type Kysely } from 'kysely';

/**
 * Par levels: how many units of a product (issuing agency and device
 * identifier, as the stock ledger names it) a location should hold, and
 * optionally the reorder point at or below which it is time to order. Kept as
 * history, never changed: each setting is a new row, the level in force is the
 * latest row of its organisation, location and product, and a row with a par
 * of 0 (a level set to zero, or one removed) ends it. All the rows of one
 * request share a `set_group`. The time is the service's (`recorded_at`);
 * `actor_key_id` names the principal, as the stock ledger does.
 *
 * The replenishment reports read the ledger's point-of-use rows by location
 * and time (net consumption over the last days) and a consignment unit's
 * consumption (the list to invoice): a partial index serves each. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table par_levels (
      id bigint generated always as identity primary key,
      organisation_id uuid not null references organisations (id),
      set_group uuid not null,
      location_id uuid not null references locations (id),
      issuing_agency text not null,
      di text not null,
      par integer not null check (par between 0 and 100000),
      reorder_at integer check (reorder_at between 0 and 100000),
      recorded_at timestamptz not null default now(),
      actor_key_id uuid not null references api_keys (id),
      check (reorder_at is null or reorder_at <= par),
      check (par > 0 or reorder_at is null)
    )
  `.execute(db);
  // The level in force: the latest row of an organisation's location and product.
  await sql`create index par_levels_current on par_levels (organisation_id, location_id, di, issuing_agency, id desc)`.execute(db);
  await sql`
    create trigger par_levels_append_only before update or delete on par_levels
    for each row execute function forbid_change()
  `.execute(db);
  await sql`
    create trigger par_levels_no_truncate before truncate on par_levels
    for each statement execute function forbid_change()
  `.execute(db);

  // Net consumption at a location over the last days (the to-order report).
  await sql`
    create index stock_movements_point_of_use_at on stock_movements (organisation_id, location_id, recorded_at)
    where kind in ('consumed', 'returned-to-stock')
  `.execute(db);
  // Consignment units used (the list to invoice).
  await sql`create index stock_movements_consignment_used on stock_movements (organisation_id, id) where kind = 'consumed' and consignment`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index stock_movements_consignment_used`.execute(db);
  await sql`drop index stock_movements_point_of_use_at`.execute(db);
  await sql`drop table par_levels`.execute(db);
}
