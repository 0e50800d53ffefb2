import { sql, type Kysely } from 'kysely';

/**
 * Who owns a product's facts. `products` is the national record: written by
 * national procurement keys (by hand or by the GUDID import). Each
 * organisation may set its own value for any field, in `product_overrides`,
 * which only that organisation sees; a null there means "the national value".
 * Every reader takes the organisation's value, else the national one. Rows
 * already in `products` were the one shared catalogue every organisation saw:
 * they stay the national record, so nothing anyone sees changes on upgrade.
 *
 * `product_changes` keeps every change with its values before and after, for
 * good (append-only), whoever made it and however.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table product_overrides (
      organisation_id uuid not null references organisations (id),
      di text not null check (length(di) between 1 and 40),
      issuing_agency text not null check (issuing_agency in ('GS1', 'HIBCC', 'ICCBBA')),
      brand text check (length(brand) <= 200),
      model text check (length(model) <= 200),
      manufacturer text check (length(manufacturer) <= 200),
      description text check (length(description) <= 2000),
      implantable boolean,
      label_lot boolean,
      label_serial boolean,
      label_expiry boolean,
      label_manufacturing boolean,
      source text not null check (source in ('api', 'gudid-import')),
      updated_at timestamptz not null default now(),
      updated_by uuid not null references api_keys (id),
      primary key (organisation_id, di)
    )
  `.execute(db);

  await sql`
    create table product_changes (
      id bigint generated always as identity primary key,
      di text not null,
      -- Null: the national record; else the organisation whose own values changed.
      organisation_id uuid references organisations (id),
      how text not null check (how in ('put', 'patch', 'import')),
      before jsonb,
      after jsonb not null,
      actor_key_id uuid not null references api_keys (id),
      request_id text not null,
      changed_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index product_changes_di on product_changes (di, id)`.execute(db);
  await sql`
    create trigger product_changes_append_only before update or delete on product_changes
    for each row execute function forbid_change()
  `.execute(db);
  await sql`
    create trigger product_changes_no_truncate before truncate on product_changes
    for each statement execute function forbid_change()
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table product_changes`.execute(db);
  await sql`drop table product_overrides`.execute(db);
}
