import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Actor } from '../../shared/actor.js';

export interface SmartClientRecord {
  readonly id: string;
  readonly clientId: string;
  /** The client's principal in api_keys: what its actions and audit rows name. */
  readonly keyId: string;
  readonly registryCode: string;
  readonly national: boolean;
  readonly organisationId: string | null;
  readonly odsCode: string | null;
  readonly jwksUrl: string | null;
  readonly jwks: { keys: unknown[] } | null;
  readonly createdAt: Date;
  /** When the client, or its principal, was revoked; null while it may get tokens. */
  readonly revokedAt: Date | null;
}

function selectClients(db: Kysely<Database>) {
  return db
    .selectFrom('smart_clients as c')
    .innerJoin('api_keys as k', 'k.id', 'c.key_id')
    .leftJoin('organisations as o', 'o.id', 'k.organisation_id')
    .select([
      'c.id',
      'c.client_id',
      'c.key_id',
      'k.registry_code',
      'k.national',
      'k.organisation_id',
      'o.ods_code',
      'c.jwks_url',
      'c.jwks',
      'c.created_at',
      'c.revoked_at',
      'k.revoked_at as key_revoked_at',
    ]);
}

type ClientRow = Awaited<ReturnType<ReturnType<typeof selectClients>['executeTakeFirstOrThrow']>>;

const toRecord = (row: ClientRow): SmartClientRecord => ({
  id: row.id,
  clientId: row.client_id,
  keyId: row.key_id,
  // The database requires it of a smart-client principal.
  registryCode: row.registry_code ?? '',
  national: row.national,
  organisationId: row.organisation_id,
  odsCode: row.ods_code,
  jwksUrl: row.jwks_url,
  jwks: row.jwks,
  createdAt: row.created_at,
  revokedAt: row.revoked_at ?? row.key_revoked_at,
});

export interface NewSmartClient {
  readonly clientId: string;
  readonly keyId: string;
  readonly jwksUrl: string | null;
  readonly jwks: { keys: unknown[] } | null;
  readonly createdBy: string;
}

export async function insertClient(db: Kysely<Database>, client: NewSmartClient): Promise<string> {
  const row = await db
    .insertInto('smart_clients')
    .values({
      client_id: client.clientId,
      key_id: client.keyId,
      jwks_url: client.jwksUrl,
      jwks: client.jwks === null ? null : JSON.stringify(client.jwks),
      created_by: client.createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findClientById(db: Kysely<Database>, id: string): Promise<SmartClientRecord | undefined> {
  const row = await selectClients(db).where('c.id', '=', id).executeTakeFirst();
  return row && toRecord(row);
}

export async function findClientByClientId(db: Kysely<Database>, clientId: string): Promise<SmartClientRecord | undefined> {
  const row = await selectClients(db).where('c.client_id', '=', clientId).executeTakeFirst();
  return row && toRecord(row);
}

export async function listClients(db: Kysely<Database>): Promise<SmartClientRecord[]> {
  return (await selectClients(db).orderBy('c.created_at').orderBy('c.id').execute()).map(toRecord);
}

/** Revokes the client and its principal (so its tokens at once); a revocation already made stands. */
export async function revokeClient(db: Kysely<Database>, client: SmartClientRecord, revokedBy: string, at: Date): Promise<void> {
  await db.updateTable('smart_clients').set({ revoked_at: at, revoked_by: revokedBy }).where('id', '=', client.id).where('revoked_at', 'is', null).execute();
  await db.updateTable('api_keys').set({ revoked_at: at, revoked_by: revokedBy }).where('id', '=', client.keyId).where('revoked_at', 'is', null).execute();
}

/**
 * Records an assertion's jti for its client; false when the client used it before (a replay). Atomic
 * across instances: the primary key decides, whichever insert comes second finds the first.
 */
export async function claimAssertion(db: Kysely<Database>, clientUuid: string, jti: string, expiresAt: Date): Promise<boolean> {
  const row = await db
    .insertInto('smart_client_assertions')
    .values({ client_id: clientUuid, jti, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
    .returning('jti')
    .executeTakeFirst();
  return row !== undefined;
}

/** Forgets jtis and tokens that expired before `before`: neither can be used any more. */
export async function pruneExpired(db: Kysely<Database>, before: Date): Promise<void> {
  await db.deleteFrom('smart_client_assertions').where('expires_at', '<', before).execute();
  await db.deleteFrom('smart_access_tokens').where('expires_at', '<', before).execute();
}

export interface NewAccessToken {
  readonly tokenHash: Buffer;
  readonly clientUuid: string;
  readonly scopes: readonly string[];
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

export async function insertAccessToken(db: Kysely<Database>, token: NewAccessToken): Promise<void> {
  await db
    .insertInto('smart_access_tokens')
    .values({ token_hash: token.tokenHash, client_id: token.clientUuid, scopes: sql<string[]>`${[...token.scopes]}::text[]`, issued_at: token.issuedAt, expires_at: token.expiresAt })
    .execute();
}

export interface TokenHolder {
  readonly actor: Omit<Actor, 'token'>;
  readonly clientId: string;
  readonly scopes: readonly string[];
}

/** Who holds this access token: unexpired at `now`, its client and its principal not revoked. */
export async function findTokenHolder(db: Kysely<Database>, tokenHash: Buffer, now: Date): Promise<TokenHolder | undefined> {
  const row = await db
    .selectFrom('smart_access_tokens as t')
    .innerJoin('smart_clients as c', 'c.id', 't.client_id')
    .innerJoin('api_keys as k', 'k.id', 'c.key_id')
    .leftJoin('organisations as o', 'o.id', 'k.organisation_id')
    .select(['t.scopes', 'c.client_id', 'k.id', 'k.name', 'k.role', 'k.national', 'k.organisation_id', 'o.ods_code', 'k.registry_code'])
    .where('t.token_hash', '=', tokenHash)
    .where('t.expires_at', '>', now)
    .where('c.revoked_at', 'is', null)
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    actor: {
      keyId: row.id,
      keyName: row.name,
      role: row.role,
      national: row.national,
      organisationId: row.organisation_id,
      odsCode: row.ods_code,
      registryCode: row.registry_code,
    },
    clientId: row.client_id,
    scopes: row.scopes,
  };
}
