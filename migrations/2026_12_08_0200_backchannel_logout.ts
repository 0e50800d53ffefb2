import { sql, type Kysely } from 'kysely';

/**
 * OpenID Connect Back-Channel Logout (issue 18): a provider that ends a
 * person's session (they signed out there, or an administrator ended it)
 * posts a signed logout token to the service, which ends the sessions it
 * names at once, on every instance.
 *
 * - `sessions.provider_sid`: the provider's session id (the ID token's `sid`)
 *   at sign-in, when it sends one; a logout token naming a `sid` ends exactly
 *   the sessions begun in it. Null for sessions begun before, and for
 *   providers that send no `sid` (a logout token with only `sub` ends all of
 *   that person's sessions).
 * - `logout_tokens`: the `jti`s of accepted logout tokens per issuer, kept
 *   until the token is too old to be accepted anyway: a replayed token is
 *   refused atomically by the primary key.
 *
 * Safe for the version before it while it runs: a nullable column without a
 * default (no rewrite) and a new table. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table sessions add column provider_sid text check (length(provider_sid) between 1 and 255)`.execute(db);
  await sql`create index sessions_provider_sid on sessions (provider_sid) where provider_sid is not null`.execute(db);
  await sql`create index sessions_person on sessions (person_id)`.execute(db);
  await sql`
    create table logout_tokens (
      issuer text not null check (length(issuer) between 1 and 500),
      jti text not null check (length(jti) between 1 and 255),
      expires_at timestamptz not null,
      primary key (issuer, jti)
    )
  `.execute(db);
  await sql`create index logout_tokens_expiry on logout_tokens (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table logout_tokens`.execute(db);
  await sql`drop index sessions_person`.execute(db);
  await sql`alter table sessions drop column provider_sid`.execute(db);
}
