import { sql, type Kysely } from 'kysely';

/**
 * Recalls from Field Safety Notices: the recall, its structured scopes, and
 * the append-only history of contacting each affected patient. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table recalls (
      id uuid primary key default gen_random_uuid(),
      -- null: a national recall (created with a national key), seen by every organisation
      organisation_id uuid references organisations (id),
      reference text not null check (length(reference) between 1 and 100),
      title text not null check (length(title) between 1 and 500),
      manufacturer text check (length(manufacturer) <= 200),
      issued_at date,
      status text not null default 'active' check (status in ('active', 'closed')),
      created_at timestamptz not null default now(),
      created_by uuid not null references api_keys (id),
      closed_at timestamptz,
      check ((status = 'closed') = (closed_at is not null))
    )
  `.execute(db);
  await sql`create unique index recalls_reference on recalls (coalesce(organisation_id, '00000000-0000-0000-0000-000000000000'::uuid), reference)`.execute(db);

  await sql`
    create table recall_scopes (
      id uuid primary key default gen_random_uuid(),
      recall_id uuid not null references recalls (id),
      ordinal int not null,
      gtin text check (gtin ~ '^[0-9]{14}$'),
      hibc_lic text,
      hibc_pcn text,
      lots text[],
      serials text[],
      serial_from text,
      serial_to text,
      expiry_from date,
      expiry_to date,
      manufactured_from date,
      manufactured_to date,
      all_lots boolean not null default false,
      check ((gtin is not null) <> (hibc_lic is not null and hibc_pcn is not null)),
      unique (recall_id, ordinal)
    )
  `.execute(db);
  await sql`create index recall_scopes_gtin on recall_scopes (gtin) where gtin is not null`.execute(db);
  await sql`create index recall_scopes_hibc on recall_scopes (hibc_lic, hibc_pcn) where hibc_lic is not null`.execute(db);
  // For HIBC scopes: items by labeler and product code.
  await sql`create index items_hibc on items (hibc_lic, hibc_pcn) where hibc_lic is not null`.execute(db);

  await sql`
    create table recall_contacts (
      id bigint generated always as identity primary key,
      recall_id uuid not null references recalls (id),
      item_id uuid not null references items (id),
      status text not null check (status in ('identified', 'contacted', 'reviewed', 'explanted', 'deceased', 'moved-away', 'not-contactable')),
      note text check (length(note) <= 2000),
      recorded_at timestamptz not null default now(),
      actor_key_id uuid not null references api_keys (id)
    )
  `.execute(db);
  await sql`create index recall_contacts_item on recall_contacts (recall_id, item_id, id desc)`.execute(db);
  await sql`
    create trigger recall_contacts_append_only before update or delete on recall_contacts
    for each row execute function forbid_change()
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table recall_contacts`.execute(db);
  await sql`drop index items_hibc`.execute(db);
  await sql`drop table recall_scopes`.execute(db);
  await sql`drop table recalls`.execute(db);
}
