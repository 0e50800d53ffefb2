import { sql, type Kysely } from 'kysely';

/**
 * Point-of-use consumption. A product scanned in theatre as implanted or
 * wasted takes its unit from stock (`consumed`); a unit put aside and not used
 * goes back (`returned-to-stock`, then `quarantined` when that was the
 * disposition); a voided scan puts back what it took. Those rows name the item
 * (`item_id`) and its procedure, so the item's place in stock is read from the
 * ledger and each later change of the item (a split label completed, a void, a
 * decision or its correction) writes only the difference. `unit_status` is
 * the status a consumed unit was taken from, and a returned one goes back
 * into: a unit held in quarantine and used all the same goes back into
 * quarantine, never onto the available shelf.
 *
 * Consumption never refuses a scan: a unit the stock does not hold is taken
 * anyway, leaving a negative quantity at the theatre (or the unlocated
 * account), which the discrepancy report shows. Stock on hand therefore moves
 * by signed amounts, and a row that comes to zero is deleted by a trigger in
 * the same statement: the check that forbade a zero quantity becomes that
 * trigger (an upsert that brings a row to zero no longer fails). Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table stock_movements add column item_id uuid references items (id)`.execute(db);
  await sql`alter table stock_movements add column unit_status text check (unit_status in ('available', 'quarantined'))`.execute(db);
  await sql`
    alter table stock_movements add constraint stock_movements_point_of_use
    check (kind not in ('consumed', 'returned-to-stock') or (item_id is not null and procedure_id is not null and unit_status is not null))
  `.execute(db);
  // An item's movements (its place in stock); a procedure's consumption (cost per case, the consignment list).
  await sql`create index stock_movements_item on stock_movements (item_id) where item_id is not null`.execute(db);
  await sql`create index stock_movements_procedure on stock_movements (procedure_id) where procedure_id is not null`.execute(db);

  await sql`alter table stock_on_hand drop constraint stock_on_hand_quantity_check`.execute(db);
  await sql`
    create function stock_on_hand_drop_zero() returns trigger language plpgsql as $$
    begin
      delete from stock_on_hand where id = new.id;
      return null;
    end $$
  `.execute(db);
  await sql`
    create trigger stock_on_hand_zero after insert or update of quantity on stock_on_hand
    for each row when (new.quantity = 0) execute function stock_on_hand_drop_zero()
  `.execute(db);
  // The discrepancy report: what was used without being on hand.
  await sql`create index stock_on_hand_short on stock_on_hand (organisation_id, location_id) where quantity < 0`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index stock_on_hand_short`.execute(db);
  await sql`drop trigger stock_on_hand_zero on stock_on_hand`.execute(db);
  await sql`drop function stock_on_hand_drop_zero()`.execute(db);
  await sql`alter table stock_on_hand add constraint stock_on_hand_quantity_check check (quantity <> 0)`.execute(db);
  await sql`drop index stock_movements_procedure`.execute(db);
  await sql`drop index stock_movements_item`.execute(db);
  await sql`alter table stock_movements drop constraint stock_movements_point_of_use`.execute(db);
  await sql`alter table stock_movements drop column unit_status`.execute(db);
  await sql`alter table stock_movements drop column item_id`.execute(db);
}
