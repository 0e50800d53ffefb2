import { sql, type Kysely } from 'kysely';

/**
 * Foundation: organisations (the tenancy boundary), API keys, and the
 * append-only audit trail. Frozen in time: uses Kysely<any> and raw SQL only.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table organisations (
      id uuid primary key default gen_random_uuid(),
      -- NHS ODS code: upper-case letters and digits, e.g. RRK or 8A718.
      ods_code text not null unique check (ods_code ~ '^[A-Z0-9]{3,10}$'),
      name text not null check (length(name) between 1 and 200),
      created_at timestamptz not null default now()
    )
  `.execute(db);

  await sql`
    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 100),
      role text not null check (role in ('admin', 'scanner', 'procurement', 'registry')),
      organisation_id uuid references organisations (id),
      national boolean not null default false,
      key_hash bytea not null unique check (length(key_hash) = 32),
      key_prefix text not null,
      created_at timestamptz not null default now(),
      created_by uuid references api_keys (id),
      revoked_at timestamptz,
      revoked_by uuid references api_keys (id),
      -- A key belongs to exactly one organisation, or is national.
      constraint api_keys_scope check (national = (organisation_id is null)),
      constraint api_keys_revocation check (revoked_by is null or revoked_at is not null)
    )
  `.execute(db);
  await sql`create index api_keys_organisation on api_keys (organisation_id, created_at)`.execute(db);

  await sql`
    create table audit_events (
      id bigint generated always as identity primary key,
      occurred_at timestamptz not null default now(),
      request_id text,
      actor_key_id uuid,
      actor_organisation_id uuid,
      actor_role text,
      action text not null,
      route text,
      outcome text not null check (outcome in ('success', 'denied', 'failure')),
      organisation_id uuid,
      patient_ids uuid[] not null default '{}',
      procedure_ids uuid[] not null default '{}',
      detail jsonb not null default '{}'
    )
  `.execute(db);
  await sql`create index audit_events_organisation_time on audit_events (organisation_id, occurred_at)`.execute(db);
  await sql`create index audit_events_actor_time on audit_events (actor_key_id, occurred_at)`.execute(db);
  await sql`create index audit_events_patients on audit_events using gin (patient_ids)`.execute(db);
  await sql`create index audit_events_procedures on audit_events using gin (procedure_ids)`.execute(db);

  // Append-only: the audit trail can be added to, never changed or removed.
  await sql`
    create function forbid_change() returns trigger language plpgsql as $$
    begin
      raise exception 'table % is append-only', tg_table_name using errcode = 'insufficient_privilege';
    end
    $$
  `.execute(db);
  await sql`
    create trigger audit_events_append_only before update or delete on audit_events
    for each row execute function forbid_change()
  `.execute(db);
  await sql`
    create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function forbid_change()
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table audit_events`.execute(db);
  await sql`drop function forbid_change()`.execute(db);
  await sql`drop table api_keys`.execute(db);
  await sql`drop table organisations`.execute(db);
}
