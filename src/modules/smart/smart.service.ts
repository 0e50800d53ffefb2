import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  importJWK,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { grantScopes, readableTypes } from '../../domain/smart-scopes.js';
import type { Actor, RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { OAuthError } from '../../shared/oauth-errors.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit } from '../audit/audit.service.js';
import { insertKey } from '../api-keys/api-key.repository.js';
import { findOrganisationByOdsCode } from '../organisations/organisation.repository.js';
import { findRegistry } from '../registries/registry.repository.js';
import {
  claimAssertion,
  findClientByClientId,
  findClientById,
  findTokenHolder,
  insertAccessToken,
  insertClient,
  listClients,
  pruneExpired,
  revokeClient,
  type SmartClientRecord,
} from './smart.repository.js';

/** Access tokens live five minutes (SMART: SHOULD NOT exceed 300 s). */
export const ACCESS_TOKEN_SECONDS = 300;
/** A client assertion expires at most five minutes ahead of the service's clock (SMART: SHALL be no more than five minutes)… */
export const ASSERTION_MAX_SECONDS = 300;
/** …give or take this much for the client's clock running ahead of ours. */
export const CLOCK_SKEW_SECONDS = 10;
/** Access tokens start with it, so that a bearer value is told from an API key (`itk_`) without a lookup. */
export const ACCESS_TOKEN_PREFIX = 'itt_';
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const SIGNING_ALGORITHMS = ['RS384', 'ES384'] as const;

/** What a client_id may be (as the database's check says). */
const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
/** A jti: any text the database can hold, at most 255 characters. */
const JTI = /^[^\p{Cc}\p{Cs}]{1,255}$/u;

export const hashAccessToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

// ---------------------------------------------------------------------------------------------------------------
// Registration (national admins)

export interface RegisterClientInput {
  readonly clientId?: string | undefined;
  readonly registry: string;
  readonly organisation?: string | undefined;
  readonly national?: boolean | undefined;
  readonly jwksUrl?: string | undefined;
  readonly jwks?: { keys: Array<Record<string, unknown>> } | undefined;
}

function requireNationalAdmin(ctx: RequestContext): void {
  if (!ctx.actor.national) throw new ProblemError('FORBIDDEN', 'SMART clients are national configuration: use a national admin key.');
}

/** A JWKS URL the service will fetch: https, or http to this machine only (a test or a sidecar; never across a network). */
export function jwksUrlError(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.username !== '' || url.password !== '') return 'a JWKS URL carries no credentials';
  if (url.protocol === 'https:') return undefined;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && loopback) return undefined;
  return 'a JWKS URL must be https (http only to localhost)';
}

/** Checks an inline key set: public RSA or EC P-384 keys, each with a unique kid, importable by jose. */
async function checkJwks(jwks: { keys: Array<Record<string, unknown>> }): Promise<void> {
  const kids = new Set<string>();
  for (const [i, key] of jwks.keys.entries()) {
    const kid = key['kid'];
    if (typeof kid !== 'string' || kids.has(kid)) throw new ProblemError('JWKS_INVALID', `keys[${i}]: every key needs a kid, unique in the set.`);
    kids.add(kid);
    const secret = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].find((member) => member in key);
    if (secret !== undefined) {
      throw new ProblemError('JWKS_INVALID', `keys[${i}] (kid ${kid}) holds private key material (${secret}): register the public key only, and treat this one as disclosed.`);
    }
    if (key['kty'] !== 'RSA' && !(key['kty'] === 'EC' && key['crv'] === 'P-384')) {
      throw new ProblemError('JWKS_INVALID', `keys[${i}] (kid ${kid}): RSA keys (RS384) and EC P-384 keys (ES384) only.`);
    }
    try {
      const imported = await importJWK(key as JWK, key['kty'] === 'EC' ? 'ES384' : 'RS384');
      if (imported instanceof Uint8Array) throw new Error('a symmetric key');
    } catch (error) {
      throw new ProblemError('JWKS_INVALID', `keys[${i}] (kid ${kid}) is not a usable RS384 or ES384 public key: ${(error as Error).message.slice(0, 200)}`);
    }
  }
}

export async function registerClient(db: Kysely<Database>, ctx: RequestContext, input: RegisterClientInput): Promise<SmartClientRecord> {
  requireNationalAdmin(ctx);
  if (!(await findRegistry(db, input.registry))) throw new ProblemError('REGISTRY_UNKNOWN', `No registry with code ${input.registry} is configured.`);
  let organisationId: string | null = null;
  if (input.organisation !== undefined) {
    const organisation = await findOrganisationByOdsCode(db, input.organisation);
    if (!organisation) throw new ProblemError('NOT_FOUND', `No organisation with ODS code ${input.organisation} is registered.`);
    organisationId = organisation.id;
  }
  if (input.jwksUrl !== undefined) {
    const error = jwksUrlError(input.jwksUrl);
    if (error) throw new ProblemError('JWKS_INVALID', `jwksUrl: ${error}.`);
  }
  if (input.jwks !== undefined) await checkJwks(input.jwks);
  const clientId = input.clientId ?? randomUUID();

  try {
    return await db.transaction().execute(async (trx) => {
      // The client's principal: a registry key no one holds (its hash is of nothing), named after the client.
      const keyId = await insertKey(trx, {
        name: `SMART client ${clientId}`.slice(0, 100),
        role: 'registry',
        national: organisationId === null,
        organisationId,
        registryCode: input.registry,
        keyHash: randomBytes(32),
        keyPrefix: 'smart-client',
        createdBy: ctx.actor.keyId,
        kind: 'smart-client',
      });
      const id = await insertClient(trx, {
        clientId,
        keyId,
        jwksUrl: input.jwksUrl ?? null,
        jwks: input.jwks ?? null,
        createdBy: ctx.actor.keyId,
      });
      await recordAudit(trx, ctx, {
        action: 'smart-client.register',
        organisationId,
        detail: { smartClientId: id, clientId, keyId, registry: input.registry, jwks: input.jwksUrl === undefined ? 'inline' : 'url' },
      });
      const created = await findClientById(trx, id);
      if (!created) throw new Error('inserted SMART client not found');
      return created;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ProblemError('SMART_CLIENT_EXISTS', `A SMART client with client_id ${clientId} is already registered.`);
    throw error;
  }
}

export async function listSmartClients(db: Kysely<Database>, ctx: RequestContext): Promise<SmartClientRecord[]> {
  requireNationalAdmin(ctx);
  return listClients(db);
}

/** Revokes a client and its principal: its tokens stop working at once, on every instance (they are read from the database). */
export async function revokeSmartClient(db: Kysely<Database>, ctx: RequestContext, id: string, clock: Clock): Promise<SmartClientRecord> {
  requireNationalAdmin(ctx);
  return db.transaction().execute(async (trx) => {
    const client = await findClientById(trx, id);
    if (!client) throw new ProblemError('NOT_FOUND', 'No such SMART client.');
    await revokeClient(trx, client, ctx.actor.keyId, clock.now());
    await recordAudit(trx, ctx, {
      action: 'smart-client.revoke',
      organisationId: client.organisationId,
      detail: { smartClientId: id, clientId: client.clientId, keyId: client.keyId, alreadyRevoked: client.revokedAt !== null },
    });
    return client;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The token endpoint

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'bearer';
  readonly expires_in: number;
  readonly scope: string;
}

/**
 * The keys a client's assertions are verified with. A JWKS URL is fetched by jose (5 s timeout, kept
 * 5 minutes, fetched again at most every 30 s when an unknown kid arrives), one fetcher per client and URL,
 * shared by the requests of this instance.
 */
export class ClientKeySets {
  private readonly remote = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly maxEntries = 1000) {}

  for(client: SmartClientRecord): JWTVerifyGetKey {
    if (client.jwks !== null) return createLocalJWKSet(client.jwks as unknown as JSONWebKeySet);
    const url = client.jwksUrl ?? '';
    const id = `${client.id} ${url}`;
    let keys = this.remote.get(id);
    if (!keys) {
      if (this.remote.size >= this.maxEntries) this.remote.delete(this.remote.keys().next().value as string);
      keys = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 300_000, headers: { accept: 'application/json' } });
      this.remote.set(id, keys);
    }
    return keys;
  }
}

export interface TokenDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly keySets: ClientKeySets;
  /** The token endpoint's public URL: the only `aud` accepted. */
  readonly tokenUrl: string;
}

export interface TokenRequest {
  readonly requestId: string;
  readonly route: string;
  readonly form: Readonly<Record<string, string | undefined>>;
}

/** Why jose refused an assertion, in words for `error_description`. */
function assertionRefusal(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The client assertion has expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `The client assertion's ${error.claim} claim is not acceptable: ${error.reason}.`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return `The client assertion must be signed with ${SIGNING_ALGORITHMS.join(' or ')}.`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The client assertion’s signature does not verify with the client’s keys.';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'No key of the client’s key set matches the assertion’s kid and alg.';
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'More than one key of the client’s key set matches the assertion’s kid and alg.';
  if (error instanceof joseErrors.JWKSTimeout) return 'The client’s JWKS URL did not answer in time.';
  if (error instanceof joseErrors.JOSEError) return `The client assertion is not acceptable (${error.code}).`;
  throw error;
}

/** The form field, once: a parameter sent twice is a malformed request (RFC 6749 §3.2). */
function param(form: TokenRequest['form'], name: string): string | undefined {
  const value: unknown = form[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `Send ${name} once.`);
  return value;
}

const principalActor = (client: SmartClientRecord): Actor => ({
  keyId: client.keyId,
  keyName: `SMART client ${client.clientId}`.slice(0, 100),
  role: 'registry',
  national: client.national,
  organisationId: client.organisationId,
  odsCode: client.odsCode,
  registryCode: client.registryCode,
});

/**
 * SMART Backend Services' token request: `client_credentials` with a `private_key_jwt` client assertion.
 * Answers an access token, or throws an OAuthError. Every time is the service's clock, never the client's.
 */
export async function issueToken(deps: TokenDeps, request: TokenRequest): Promise<TokenResponse> {
  const { form } = request;
  const grantType = param(form, 'grant_type');
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required: client_credentials.');
  if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'This service grants client_credentials only (SMART Backend Services).');
  const assertionType = param(form, 'client_assertion_type');
  const assertion = param(form, 'client_assertion');
  const scope = param(form, 'scope');
  if (assertionType === undefined || assertion === undefined) {
    throw new OAuthError('invalid_request', `client_assertion_type (${CLIENT_ASSERTION_TYPE}) and client_assertion are required.`);
  }
  if (assertionType !== CLIENT_ASSERTION_TYPE) throw new OAuthError('invalid_client', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE} (private_key_jwt).`);
  if (scope === undefined) throw new OAuthError('invalid_request', 'scope is required, e.g. system/*.rs.');

  // Read, not yet trusted: which client says it is sending this.
  let claims: ReturnType<typeof decodeJwt>;
  try {
    decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    throw new OAuthError('invalid_client', 'The client assertion is not a JWT.');
  }
  if (typeof claims.iss !== 'string' || claims.iss === '' || claims.iss !== claims.sub) {
    throw new OAuthError('invalid_client', 'The client assertion’s iss and sub must both be the client_id.');
  }
  const formClientId = param(form, 'client_id');
  if (formClientId !== undefined && formClientId !== claims.iss) throw new OAuthError('invalid_client', 'client_id does not match the assertion’s iss.');
  const client = CLIENT_ID.test(claims.iss) ? await findClientByClientId(deps.db, claims.iss) : undefined;
  if (!client || client.revokedAt !== null) throw new OAuthError('invalid_client', 'Unknown or revoked client.');

  const ctx: RequestContext = { requestId: request.requestId, route: request.route, actor: principalActor(client) };
  try {
    return await authenticatedGrant(deps, client, ctx, assertion, scope);
  } catch (error) {
    if (error instanceof OAuthError) {
      // A known client refused: on its audit trail, so that someone trying its identity is seen.
      await recordAudit(deps.db, ctx, {
        action: 'smart.token.refuse',
        outcome: 'denied',
        organisationId: client.organisationId,
        detail: { clientId: client.clientId, error: error.error, reason: error.description },
      });
    }
    throw error;
  }
}

async function authenticatedGrant(deps: TokenDeps, client: SmartClientRecord, ctx: RequestContext, assertion: string, scope: string): Promise<TokenResponse> {
  const now = deps.clock.now();
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload } = await jwtVerify(assertion, deps.keySets.for(client), {
      algorithms: [...SIGNING_ALGORITHMS],
      audience: deps.tokenUrl,
      issuer: client.clientId,
      subject: client.clientId,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
      currentDate: now,
      clockTolerance: 0,
    }));
  } catch (error) {
    throw new OAuthError('invalid_client', assertionRefusal(error));
  }
  const exp = payload.exp ?? 0;
  if (exp > now.getTime() / 1000 + ASSERTION_MAX_SECONDS + CLOCK_SKEW_SECONDS) {
    throw new OAuthError('invalid_client', `The client assertion’s exp is more than ${ASSERTION_MAX_SECONDS} s ahead.`);
  }
  if (typeof payload.iat === 'number' && payload.iat > now.getTime() / 1000 + CLOCK_SKEW_SECONDS) {
    throw new OAuthError('invalid_client', 'The client assertion was issued in the future (iat).');
  }
  const jti = payload.jti ?? '';
  if (!JTI.test(jti)) throw new OAuthError('invalid_client', 'The client assertion’s jti must be 1 to 255 characters, none of them a control character.');

  const grant = grantScopes(scope);
  if (!grant.ok) throw new OAuthError('invalid_scope', grant.description);

  // Forgotten only well after they expired, so that instances whose clocks differ a little agree.
  await pruneExpired(deps.db, new Date(now.getTime() - 600_000));
  const token = `${ACCESS_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + ACCESS_TOKEN_SECONDS * 1000);
  await deps.db.transaction().execute(async (trx) => {
    // The jti and the token commit together: a replay fails here, whichever instance it reaches.
    if (!(await claimAssertion(trx, client.id, jti, new Date(exp * 1000)))) {
      throw new OAuthError('invalid_client', 'This client assertion was used before (jti): sign a new one for each token request.');
    }
    await insertAccessToken(trx, { tokenHash: hashAccessToken(token), clientUuid: client.id, scopes: grant.scopes, issuedAt: now, expiresAt });
    await recordAudit(trx, ctx, {
      action: 'smart.token.issue',
      organisationId: client.organisationId,
      detail: { clientId: client.clientId, scopes: grant.scopes, expiresAt: expiresAt.toISOString() },
    });
  });
  return { access_token: token, token_type: 'bearer', expires_in: ACCESS_TOKEN_SECONDS, scope: grant.scopes.join(' ') };
}

// ---------------------------------------------------------------------------------------------------------------
// Resource routes: who holds a token

/** The actor behind an access token: unexpired by the service's clock, its client and principal not revoked. Never cached. */
export async function authenticateToken(db: Kysely<Database>, token: string, clock: Clock): Promise<Actor | undefined> {
  const holder = await findTokenHolder(db, hashAccessToken(token), clock.now());
  if (!holder) return undefined;
  return { ...holder.actor, token: { clientId: holder.clientId, scopes: holder.scopes, readable: readableTypes(holder.scopes) } };
}
