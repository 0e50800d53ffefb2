import { sql, type Kysely } from 'kysely';

/**
 * The stock ledger and stock on hand. Every movement of goods (received,
 * moved between locations, written off, returned to the supplier, quarantined,
 * released) is one or more rows of `stock_movements`, never changed: one row
 * per unit (a serialised product) or per lot and quantity (a lot-only
 * product), all the rows of one request sharing a `movement_group`. The time
 * is the service's (`recorded_at`), never the client's; `actor_key_id` names
 * the principal, as scans do. A null `location_id` is the organisation's
 * "unlocated" account. `consumed` and `returned-to-stock` are reserved for the
 * point-of-use part (the theatre scan consumes from stock; a unit put aside
 * and not used goes back) and not yet written; `procedure_id` and
 * `recall_id` likewise wait for it and for recalls that quarantine shelf stock.
 *
 * `stock_on_hand` is the projection of the ledger, kept in the transaction
 * that writes the ledger rows (as `items` is kept from `scans`): one row per
 * organisation, location (or unlocated), product, lot, serial, expiry, status
 * and consignment, with its quantity. Rows that reach zero are deleted. A
 * quantity may go negative only through point-of-use consumption (a
 * discrepancy the later part reports); the movements of this part never take
 * more than is on hand. A serial on hand (quantity > 0) is on hand once in its
 * organisation: a unique index says so. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table stock_movements (
      id bigint generated always as identity primary key,
      organisation_id uuid not null references organisations (id),
      movement_group uuid not null,
      kind text not null check (kind in ('received', 'moved', 'written-off', 'returned-to-supplier', 'quarantined', 'released', 'consumed', 'returned-to-stock')),
      location_id uuid references locations (id),
      to_location_id uuid references locations (id),
      entry_type text not null check (entry_type in ('barcode', 'manual')),
      raw text,
      issuing_agency text not null,
      di text not null,
      lot_number text,
      serial_number text,
      expiration_date date,
      quantity integer not null check (quantity > 0),
      consignment boolean not null default false,
      reason text check (length(reason) between 1 and 500),
      note text check (length(note) between 1 and 500),
      supplier text check (length(supplier) between 1 and 200),
      order_ref text check (length(order_ref) between 1 and 200),
      recorded_at timestamptz not null default now(),
      actor_key_id uuid not null references api_keys (id),
      procedure_id uuid references procedures (id),
      recall_id uuid references recalls (id),
      check ((kind = 'moved') = (to_location_id is not null)),
      check (serial_number is null or quantity = 1)
    )
  `.execute(db);
  await sql`create index stock_movements_organisation on stock_movements (organisation_id, id)`.execute(db);
  await sql`create index stock_movements_lot on stock_movements (organisation_id, di, lot_number)`.execute(db);
  await sql`create index stock_movements_group on stock_movements (movement_group)`.execute(db);
  await sql`
    create trigger stock_movements_append_only before update or delete on stock_movements
    for each row execute function forbid_change()
  `.execute(db);
  await sql`
    create trigger stock_movements_no_truncate before truncate on stock_movements
    for each statement execute function forbid_change()
  `.execute(db);

  await sql`
    create table stock_on_hand (
      id bigint generated always as identity primary key,
      organisation_id uuid not null references organisations (id),
      location_id uuid references locations (id),
      issuing_agency text not null,
      di text not null,
      lot_number text,
      serial_number text,
      expiration_date date,
      status text not null check (status in ('available', 'quarantined')),
      consignment boolean not null,
      quantity integer not null check (quantity <> 0),
      updated_at timestamptz not null default now(),
      constraint stock_on_hand_unit_once check (serial_number is null or quantity <= 1),
      constraint stock_on_hand_key unique nulls not distinct
        (organisation_id, location_id, di, issuing_agency, lot_number, serial_number, expiration_date, status, consignment)
    )
  `.execute(db);
  // One location's stock is the key's prefix; one lot across the organisation (a recall's shelf stock):
  await sql`create index stock_on_hand_lot on stock_on_hand (organisation_id, di, lot_number)`.execute(db);
  // Expiring stock, soonest first.
  await sql`create index stock_on_hand_expiry on stock_on_hand (organisation_id, expiration_date) where expiration_date is not null`.execute(db);
  // A serialised unit is on hand in one place of its organisation at most.
  await sql`
    create unique index stock_on_hand_one_unit on stock_on_hand (organisation_id, di, issuing_agency, serial_number)
    where serial_number is not null and quantity > 0
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table stock_on_hand`.execute(db);
  await sql`drop table stock_movements`.execute(db);
}
