import { sql, type Kysely } from 'kysely';

/**
 * SMART Backend Services for registries (issue 18): clients that authenticate
 * with a JWT signed by their own private key and receive short-lived access
 * tokens. Frozen in time.
 *
 * - Every client acts through a principal of its own: an `api_keys` row of
 *   `kind` 'smart-client', role registry, bound to its registry, whose
 *   `key_hash` is 32 random bytes that are the hash of no key anyone holds
 *   (and which key authentication never reads: it asks for kind 'api-key').
 *   So every write and audit row of a client names a key id like any other,
 *   and revoking the principal revokes the client and its tokens at once.
 * - `smart_client_assertions`: the `jti`s of accepted client assertions, one
 *   row per client and jti (the primary key makes a replay fail atomically,
 *   whichever instance sees it), kept until the assertion has expired.
 * - `smart_access_tokens`: the SHA-256 of each opaque access token, never the
 *   token, with its scopes and expiry (five minutes). Every instance reads them.
 *
 * Safe for the version before it while it runs: new tables, and a column with
 * a default that it never reads (its inserts get 'api-key').
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table api_keys add column kind text not null default 'api-key' check (kind in ('api-key', 'smart-client'))`.execute(db);
  await sql`
    alter table api_keys add constraint api_keys_smart_client
      check (kind = 'api-key' or (role = 'registry' and registry_code is not null))
  `.execute(db);

  await sql`
    create table smart_clients (
      id uuid primary key default gen_random_uuid(),
      client_id text not null unique check (client_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$'),
      key_id uuid not null unique references api_keys (id),
      jwks_url text check (jwks_url is null or (length(jwks_url) <= 2000 and jwks_url ~ '^https?://')),
      jwks jsonb check (jwks is null or jsonb_typeof(jwks -> 'keys') = 'array'),
      created_at timestamptz not null default now(),
      created_by uuid not null references api_keys (id),
      revoked_at timestamptz,
      revoked_by uuid references api_keys (id),
      -- A key set by URL or given inline: exactly one.
      check ((jwks_url is null) <> (jwks is null)),
      check ((revoked_at is null) = (revoked_by is null))
    )
  `.execute(db);

  await sql`
    create table smart_client_assertions (
      client_id uuid not null references smart_clients (id),
      jti text not null check (length(jti) between 1 and 255),
      expires_at timestamptz not null,
      primary key (client_id, jti)
    )
  `.execute(db);
  await sql`create index smart_client_assertions_expiry on smart_client_assertions (expires_at)`.execute(db);

  await sql`
    create table smart_access_tokens (
      token_hash bytea primary key check (length(token_hash) = 32),
      client_id uuid not null references smart_clients (id),
      scopes text[] not null check (cardinality(scopes) between 1 and 50),
      issued_at timestamptz not null,
      expires_at timestamptz not null check (expires_at > issued_at)
    )
  `.execute(db);
  await sql`create index smart_access_tokens_expiry on smart_access_tokens (expires_at)`.execute(db);
  await sql`create index smart_access_tokens_client on smart_access_tokens (client_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table smart_access_tokens`.execute(db);
  await sql`drop table smart_client_assertions`.execute(db);
  await sql`drop table smart_clients`.execute(db);
  await sql`alter table api_keys drop constraint api_keys_smart_client`.execute(db);
  await sql`alter table api_keys drop column kind`.execute(db);
}
