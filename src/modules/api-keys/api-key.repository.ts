import type { Kysely } from 'kysely';
import type { ApiKeyKind, Database } from '../../db/database.js';
import type { Role } from '../../domain/vocabulary.js';
import type { Actor, TenancyScope } from '../../shared/actor.js';

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly national: boolean;
  readonly organisationId: string | null;
  readonly odsCode: string | null;
  readonly registryCode: string | null;
  readonly keyPrefix: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly kind: ApiKeyKind;
}

export interface NewApiKey {
  readonly name: string;
  readonly role: Role;
  readonly national: boolean;
  readonly organisationId: string | null;
  readonly registryCode: string | null;
  readonly keyHash: Buffer;
  readonly keyPrefix: string;
  readonly createdBy: string | null;
  /** Default 'api-key'. */
  readonly kind?: ApiKeyKind;
}

function selectKeys(db: Kysely<Database>) {
  return db
    .selectFrom('api_keys as k')
    .leftJoin('organisations as o', 'o.id', 'k.organisation_id')
    .select([
      'k.id',
      'k.name',
      'k.role',
      'k.national',
      'k.organisation_id',
      'o.ods_code',
      'k.registry_code',
      'k.key_prefix',
      'k.created_at',
      'k.revoked_at',
      'k.kind',
    ]);
}

type KeyRow = Awaited<ReturnType<ReturnType<typeof selectKeys>['executeTakeFirstOrThrow']>>;

const toRecord = (row: KeyRow): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  role: row.role,
  national: row.national,
  organisationId: row.organisation_id,
  odsCode: row.ods_code,
  registryCode: row.registry_code,
  keyPrefix: row.key_prefix,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  kind: row.kind,
});

/** The actor for an active (not revoked) key with this hash. */
export async function findActorByKeyHash(db: Kysely<Database>, keyHash: Buffer): Promise<Actor | undefined> {
  // A SMART client's principal has no key anyone holds; were its random hash ever matched, it still would not authenticate here.
  const row = await selectKeys(db).where('k.key_hash', '=', keyHash).where('k.revoked_at', 'is', null).where('k.kind', '=', 'api-key').executeTakeFirst();
  return (
    row && {
      keyId: row.id,
      keyName: row.name,
      role: row.role,
      national: row.national,
      organisationId: row.organisation_id,
      odsCode: row.ods_code,
      registryCode: row.registry_code,
    }
  );
}

export async function findKeyByHash(db: Kysely<Database>, keyHash: Buffer): Promise<ApiKeyRecord | undefined> {
  const row = await selectKeys(db).where('k.key_hash', '=', keyHash).executeTakeFirst();
  return row && toRecord(row);
}

export async function findKeyById(db: Kysely<Database>, id: string): Promise<ApiKeyRecord | undefined> {
  const row = await selectKeys(db).where('k.id', '=', id).executeTakeFirst();
  return row && toRecord(row);
}

export async function insertKey(db: Kysely<Database>, key: NewApiKey): Promise<string> {
  const row = await db
    .insertInto('api_keys')
    .values({
      name: key.name,
      role: key.role,
      national: key.national,
      organisation_id: key.organisationId,
      registry_code: key.registryCode,
      key_hash: key.keyHash,
      key_prefix: key.keyPrefix,
      created_by: key.createdBy,
      ...(key.kind === undefined ? {} : { kind: key.kind }),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Marks the key revoked; a key already revoked keeps its first revocation. */
export async function revokeKey(db: Kysely<Database>, id: string, revokedBy: string, at: Date): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ revoked_at: at, revoked_by: revokedBy })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function listKeys(db: Kysely<Database>, scope: TenancyScope): Promise<ApiKeyRecord[]> {
  let query = selectKeys(db).orderBy('k.created_at').orderBy('k.id');
  if (scope.kind === 'organisation') query = query.where('k.organisation_id', '=', scope.organisationId);
  return (await query.execute()).map(toRecord);
}

/** Whether any admin key is active: without one, nobody can set the service up through the API. */
export async function hasActiveAdminKey(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('api_keys').select('id').where('role', '=', 'admin').where('revoked_at', 'is', null).limit(1).executeTakeFirst();
  return row !== undefined;
}
