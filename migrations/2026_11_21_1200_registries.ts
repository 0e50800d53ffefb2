import { sql, type Kysely } from 'kysely';

/**
 * Registry feeds. Frozen in time.
 *
 * - registries: configured by code, each with its policy for patients who have
 *   not consented (a stable pseudonym, or nothing) and the secret its
 *   pseudonyms are keyed with (pseudonyms differ between registries, so two
 *   registries cannot link their records by them).
 * - api_keys.registry_code: a registry key reads one registry's feed only.
 * - consents: per patient (NHS number) and registry, append-only history; the
 *   latest by the time the patient gave or withdrew it is in force.
 * - procedures.change_xid/change_seq: the feed position. Every change to a
 *   procedure, to one of its items, or to its patient's consent moves the
 *   procedure to the transaction that made it. A reader only returns
 *   positions whose transaction id is below the oldest transaction still
 *   running (pg_snapshot_xmin), so a transaction that commits late can never
 *   land behind a cursor a poller already holds.
 * - revision linkage across organisations: explants are matched to implants
 *   by the patient's NHS number (a revision is often done at another hospital).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table registries (
      code text primary key check (code ~ '^[A-Z][A-Z0-9-]{1,15}$'),
      name text not null check (length(name) between 1 and 200),
      without_consent text not null check (without_consent in ('pseudonymous', 'omit')),
      pseudonym_secret bytea not null check (length(pseudonym_secret) >= 16),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  // 32 bytes from two random UUIDs (244 random bits) per registry.
  await sql`
    insert into registries (code, name, without_consent, pseudonym_secret)
    select code, name, policy, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')
    from (values
      ('NJR', 'National Joint Registry', 'pseudonymous'),
      ('BCIR', 'Breast and Cosmetic Implant Registry', 'pseudonymous'),
      ('MDOR', 'Medical Devices Outcome Registry', 'omit')
    ) as r (code, name, policy)
  `.execute(db);

  await sql`alter table api_keys add column registry_code text references registries (code)`.execute(db);
  await sql`alter table api_keys add constraint api_keys_registry_role check (registry_code is null or role = 'registry')`.execute(db);

  await sql`
    create table consents (
      id uuid primary key default gen_random_uuid(),
      nhs_number text not null check (nhs_number ~ '^[0-9]{10}$'),
      registry_code text not null references registries (code),
      status text not null check (status in ('granted', 'withdrawn')),
      recorded_at timestamptz not null,
      created_at timestamptz not null default now(),
      organisation_id uuid not null references organisations (id),
      actor_key_id uuid not null references api_keys (id)
    )
  `.execute(db);
  await sql`create index consents_current on consents (nhs_number, registry_code, recorded_at desc, created_at desc)`.execute(db);
  await sql`create trigger consents_append_only before update or delete on consents for each row execute function forbid_change()`.execute(db);
  await sql`create trigger consents_no_truncate before truncate on consents for each statement execute function forbid_change()`.execute(db);

  await sql`create index patients_nhs_number on patients (nhs_number)`.execute(db);
  await sql`create index items_revision on items (nhs_number, di) where action = 'implanted'`.execute(db);

  // The feed position.
  await sql`create sequence feed_change_seq`.execute(db);
  await sql`alter table procedures add column change_xid xid8`.execute(db);
  await sql`alter table procedures add column change_seq bigint`.execute(db);
  await sql`update procedures set change_xid = pg_current_xact_id(), change_seq = nextval('feed_change_seq')`.execute(db);
  await sql`alter table procedures alter column change_xid set not null`.execute(db);
  await sql`alter table procedures alter column change_seq set not null`.execute(db);
  await sql`create index procedures_feed on procedures (change_xid, change_seq)`.execute(db);
  await sql`create index procedures_feed_organisation on procedures (organisation_id, change_xid, change_seq)`.execute(db);

  // Any write to a procedure row takes the position of the writing transaction.
  await sql`
    create function procedure_take_feed_position() returns trigger language plpgsql as $$
    begin
      new.change_xid := pg_current_xact_id();
      new.change_seq := nextval('feed_change_seq');
      return new;
    end $$
  `.execute(db);
  await sql`
    create trigger procedures_feed_position before insert or update on procedures
    for each row execute function procedure_take_feed_position()
  `.execute(db);

  // A change to items touches their procedures (once per statement and procedure).
  await sql`
    create function items_touch_procedures() returns trigger language plpgsql as $$
    begin
      update procedures set change_seq = 0
      where id in (select distinct procedure_id from changed_items);
      return null;
    end $$
  `.execute(db);
  await sql`
    create trigger items_feed_insert after insert on items referencing new table as changed_items
    for each statement execute function items_touch_procedures()
  `.execute(db);
  await sql`
    create trigger items_feed_update after update on items referencing new table as changed_items
    for each statement execute function items_touch_procedures()
  `.execute(db);

  // A consent change touches every procedure of that patient, in every organisation.
  await sql`
    create function consents_touch_procedures() returns trigger language plpgsql as $$
    begin
      update procedures set change_seq = 0
      where patient_id in (select p.id from patients p where p.nhs_number in (select distinct nhs_number from new_consents));
      return null;
    end $$
  `.execute(db);
  await sql`
    create trigger consents_feed after insert on consents referencing new table as new_consents
    for each statement execute function consents_touch_procedures()
  `.execute(db);

  // Bulk Data exports: the job, and the NDJSON files it wrote (kept on disk under DATA_DIR).
  await sql`
    create table bulk_exports (
      id uuid primary key default gen_random_uuid(),
      registry_code text not null references registries (code),
      organisation_id uuid references organisations (id),
      actor_key_id uuid not null references api_keys (id),
      request_url text not null,
      types text[] not null,
      since timestamptz,
      status text not null default 'accepted' check (status in ('accepted', 'running', 'completed', 'failed', 'cancelled')),
      progress text,
      transaction_time timestamptz,
      output jsonb not null default '[]',
      error text,
      created_at timestamptz not null default now(),
      completed_at timestamptz,
      expires_at timestamptz not null
    )
  `.execute(db);
  await sql`create index bulk_exports_expiry on bulk_exports (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table bulk_exports`.execute(db);
  await sql`drop trigger consents_feed on consents`.execute(db);
  await sql`drop function consents_touch_procedures()`.execute(db);
  await sql`drop trigger items_feed_update on items`.execute(db);
  await sql`drop trigger items_feed_insert on items`.execute(db);
  await sql`drop function items_touch_procedures()`.execute(db);
  await sql`drop trigger procedures_feed_position on procedures`.execute(db);
  await sql`drop function procedure_take_feed_position()`.execute(db);
  await sql`drop index procedures_feed_organisation`.execute(db);
  await sql`drop index procedures_feed`.execute(db);
  await sql`alter table procedures drop column change_seq`.execute(db);
  await sql`alter table procedures drop column change_xid`.execute(db);
  await sql`drop sequence feed_change_seq`.execute(db);
  await sql`drop index items_revision`.execute(db);
  await sql`drop index patients_nhs_number`.execute(db);
  await sql`drop table consents`.execute(db);
  await sql`alter table api_keys drop constraint api_keys_registry_role`.execute(db);
  await sql`alter table api_keys drop column registry_code`.execute(db);
  await sql`drop table registries`.execute(db);
}
