import { createHash, randomBytes } from 'node:crypto';
import type { ActorCache } from './actor-cache.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Role } from '../../domain/vocabulary.js';
import { canSee, tenancyOf, type Actor, type RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit, type AuditEntry } from '../audit/audit.service.js';
import { insertAuditEvents } from '../audit/audit.repository.js';
import { findOrganisationByOdsCode } from '../organisations/organisation.repository.js';
import { findRegistry } from '../registries/registry.repository.js';
import {
  findActorByKeyHash,
  hasActiveAdminKey,
  findKeyByHash,
  findKeyById,
  insertKey,
  listKeys,
  revokeKey,
  type ApiKeyRecord,
} from './api-key.repository.js';

/**
 * API keys: 30 random bytes, base64url, behind a recognisable `itk_` prefix so
 * secret scanners can spot a leaked one. Only the SHA-256 of a key is stored:
 * the keys are high-entropy, so a fast hash is the right tool (a password hash
 * would only slow down every request).
 */
const KEY_PREFIX = 'itk_';
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 8;

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function generateApiKey(): { key: string; hash: Buffer; prefix: string } {
  const key = `${KEY_PREFIX}${randomBytes(30).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, DISPLAY_PREFIX_LENGTH) };
}

/**
 * The actor behind a presented key, or undefined when the key is unknown or
 * revoked; from the cache when the key was authenticated moments ago.
 */
export async function authenticate(db: Kysely<Database>, key: string, cache?: ActorCache): Promise<Actor | undefined> {
  const hash = hashApiKey(key);
  const cached = cache?.get(hash);
  if (cached) return cached;
  const actor = await findActorByKeyHash(db, hash);
  if (actor) cache?.set(hash, actor);
  return actor;
}

export interface CreateApiKeyInput {
  readonly name: string;
  readonly role: Role;
  readonly organisation?: string | undefined;
  readonly national?: boolean | undefined;
  readonly registry?: string | undefined;
}

export interface CreatedApiKey {
  readonly record: ApiKeyRecord;
  /** The secret, returned this once and never again. */
  readonly key: string;
}

export async function createApiKey(db: Kysely<Database>, ctx: RequestContext, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const national = input.national === true;
  if (national && !ctx.actor.national) {
    throw new ProblemError('FORBIDDEN', 'Only a national admin key can create national keys.');
  }
  return issueKey(db, input, { by: ctx.actor.keyId, canSee: (organisationId) => canSee(ctx.actor, organisationId), audit: (trx, entry) => recordAudit(trx, ctx, entry) });
}

/**
 * A key made from the command line by someone with access to the database (`npm run -s admin`): the
 * way in for a new installation. No key creates it; the audit row names the operating-system user.
 */
export async function createKeyFromCommandLine(db: Kysely<Database>, input: CreateApiKeyInput, operator: string): Promise<CreatedApiKey> {
  return issueKey(db, input, {
    by: null,
    canSee: () => true,
    audit: (trx, entry) =>
      insertAuditEvents(trx, [
        {
          requestId: null,
          actorKeyId: null,
          actorOrganisationId: null,
          actorRole: null,
          action: entry.action,
          route: 'command line: admin create-key',
          outcome: 'success',
          organisationId: entry.organisationId ?? null,
          patientIds: [],
          procedureIds: [],
          detail: { ...entry.detail, operator },
        },
      ]),
  });
}

interface Issuer {
  /** The key that creates it; null from the command line. */
  readonly by: string | null;
  readonly canSee: (organisationId: string) => boolean;
  readonly audit: (db: Kysely<Database>, entry: AuditEntry) => Promise<void>;
}

async function issueKey(db: Kysely<Database>, input: CreateApiKeyInput, issuer: Issuer): Promise<CreatedApiKey> {
  const national = input.national === true;
  let organisationId: string | null = null;
  if (!national) {
    // The schema guarantees exactly one of organisation / national.
    const organisation = input.organisation === undefined ? undefined : await findOrganisationByOdsCode(db, input.organisation);
    if (!organisation || !issuer.canSee(organisation.id)) {
      throw new ProblemError('NOT_FOUND', `No organisation with ODS code ${input.organisation ?? ''} is registered.`);
    }
    organisationId = organisation.id;
  }

  const registryCode = input.registry ?? null;
  if (registryCode !== null && !(await findRegistry(db, registryCode))) {
    throw new ProblemError('REGISTRY_UNKNOWN', `No registry with code ${registryCode} is configured.`);
  }

  const { key, hash, prefix } = generateApiKey();
  const record = await db.transaction().execute(async (trx) => {
    const id = await insertKey(trx, {
      name: input.name,
      role: input.role,
      national,
      organisationId,
      registryCode,
      keyHash: hash,
      keyPrefix: prefix,
      createdBy: issuer.by,
    });
    await issuer.audit(trx, {
      action: 'api-key.create',
      organisationId,
      detail: { keyId: id, role: input.role, national, registry: registryCode },
    });
    const created = await findKeyById(trx, id);
    if (!created) throw new Error('inserted key not found');
    return created;
  });
  return { record, key };
}

export async function listVisibleKeys(db: Kysely<Database>, ctx: RequestContext): Promise<ApiKeyRecord[]> {
  return listKeys(db, tenancyOf(ctx.actor));
}

/** Revokes a key at once. Revoking a revoked key succeeds and changes nothing. */
export async function revokeApiKey(db: Kysely<Database>, ctx: RequestContext, id: string, clock: Clock): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const key = await findKeyById(trx, id);
    if (!key || !canSee(ctx.actor, key.organisationId)) {
      throw new ProblemError('NOT_FOUND', 'No such API key.');
    }
    // An organisation's admin may not revoke national keys (canSee already hides them).
    await revokeKey(trx, id, ctx.actor.keyId, clock.now());
    await recordAudit(trx, ctx, {
      action: 'api-key.revoke',
      organisationId: key.organisationId,
      detail: { keyId: id, alreadyRevoked: key.revokedAt !== null },
    });
  });
}

export { hasActiveAdminKey };

export type BootstrapOutcome = 'created' | 'exists' | 'revoked';

/**
 * Makes sure a national admin key with exactly this secret exists, so a new
 * installation can be set up by script. A bootstrap key that was revoked stays
 * revoked: revocation is final, and the caller is told so it can warn.
 */
export async function ensureBootstrapKey(db: Kysely<Database>, secret: string): Promise<BootstrapOutcome> {
  const hash = hashApiKey(secret);
  const existing = await findKeyByHash(db, hash);
  if (existing) return existing.revokedAt === null ? 'exists' : 'revoked';
  try {
    await insertKey(db, {
      name: 'bootstrap',
      role: 'admin',
      national: true,
      organisationId: null,
      registryCode: null,
      keyHash: hash,
      keyPrefix: 'bootstrap',
      createdBy: null,
    });
    return 'created';
  } catch (error) {
    // Two instances booting at once: the other one inserted it first.
    if ((await findKeyByHash(db, hash))?.revokedAt === null) return 'exists';
    throw error;
  }
}
