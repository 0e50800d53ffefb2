import { sql, type Kysely } from 'kysely';

/**
 * Staff sign in as themselves with OpenID Connect (issue 18). A person is
 * known by their provider (issuer) and subject. Each role profile they act in
 * (role and organisation, or national) is a *principal*: a row of api_keys
 * whose secret is 32 random bytes never shown to anyone (so it is no key
 * anybody can present), so that every `actor_key_id` of every write table and
 * of the audit trail keeps naming a row of api_keys, and an admin can revoke a
 * person's profile like any key. `person_principals` says whose each such row
 * is. Sessions and sign-in attempts live here too, so that every instance
 * shares them; a session is stored by the SHA-256 of its random id, never the
 * id itself. audit_events gains the person who acted (null for keys).
 *
 * Safe for the version before it while it runs: new tables and nullable
 * columns only; an older instance never writes the new columns. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table people (
      id uuid primary key default gen_random_uuid(),
      issuer text not null check (length(issuer) between 1 and 500),
      subject text not null check (length(subject) between 1 and 255),
      name text not null check (length(name) between 1 and 200),
      created_at timestamptz not null default now(),
      last_sign_in_at timestamptz not null,
      unique (issuer, subject)
    )
  `.execute(db);

  await sql`
    create table person_principals (
      principal_id uuid primary key references api_keys (id),
      person_id uuid not null references people (id),
      role text not null check (role in ('admin', 'scanner', 'procurement')),
      organisation_id uuid references organisations (id),
      national boolean not null,
      created_at timestamptz not null default now(),
      check (national = (organisation_id is null)),
      -- One principal per person and profile: the same person in the same role of the same organisation is one actor for ever.
      unique nulls not distinct (person_id, role, organisation_id)
    )
  `.execute(db);

  await sql`
    create table sessions (
      id_hash bytea primary key check (length(id_hash) = 32),
      person_id uuid not null references people (id),
      -- The role profiles the provider's claims gave at sign-in; the chosen one is principal_id (null until chosen).
      profile_ids uuid[] not null check (cardinality(profile_ids) >= 1),
      principal_id uuid references api_keys (id),
      csrf_secret text not null,
      -- For RP-initiated logout (id_token_hint); never sent to the browser.
      id_token text,
      created_at timestamptz not null,
      last_seen_at timestamptz not null,
      expires_at timestamptz not null,
      check (principal_id is null or principal_id = any (profile_ids))
    )
  `.execute(db);
  await sql`create index sessions_expiry on sessions (expires_at)`.execute(db);

  // Started sign-ins, one use each: the browser holds a random id (a cookie) whose hash finds the row.
  await sql`
    create table sign_in_attempts (
      id_hash bytea primary key check (length(id_hash) = 32),
      state text not null,
      nonce text not null,
      code_verifier text not null,
      return_to text not null,
      expires_at timestamptz not null
    )
  `.execute(db);

  await sql`alter table audit_events add column actor_person_issuer text, add column actor_person_subject text, add column actor_person_name text`.execute(db);
  await sql`
    alter table audit_events add constraint audit_events_person
      check ((actor_person_issuer is null) = (actor_person_subject is null) and (actor_person_issuer is null) = (actor_person_name is null))
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_events drop constraint audit_events_person, drop column actor_person_issuer, drop column actor_person_subject, drop column actor_person_name`.execute(db);
  await sql`drop table sign_in_attempts`.execute(db);
  await sql`drop table sessions`.execute(db);
  await sql`drop table person_principals`.execute(db);
  await sql`drop table people`.execute(db);
}
