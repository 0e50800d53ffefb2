import { createHash, randomBytes } from 'node:crypto';
import Tokens from '@fastify/csrf';
import type { Kysely } from 'kysely';
import type { OidcConfig, PersonRole } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { SessionAuthentication } from '../../plugins/auth.js';
import type { Actor, Person } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { insertAuditEvents } from '../audit/audit.repository.js';
import { LogoutTokenRejected, type OidcClient } from './oidc-client.js';
import { displayName, profilesFromClaims } from './role-profiles.js';
import {
  chooseProfile,
  claimLogoutToken,
  deleteSession,
  endProviderSessions,
  ensurePrincipal,
  findSession,
  insertAttempt,
  insertSession,
  organisationsByOdsCodes,
  principalsByIds,
  takeAttempt,
  touchSession,
  upsertPerson,
  type AttemptRow,
  type PrincipalRow,
} from './session.repository.js';

/** How long a sign-in may take at the provider before its callback is refused. */
const ATTEMPT_MINUTES = 10;
/** last_seen_at is written at most this often per session (the idle timeout is counted in minutes). */
const TOUCH_EVERY_MS = 30_000;

/** A random id for a cookie (256 bits), and the SHA-256 under which the database knows it. */
function newId(): { id: string; hash: Buffer } {
  const id = randomBytes(32).toString('base64url');
  return { id, hash: hashId(id) };
}

export function hashId(id: string): Buffer {
  return createHash('sha256').update(id, 'utf8').digest();
}

export interface Profile {
  readonly id: string;
  readonly role: PrincipalRow['role'];
  readonly national: boolean;
  readonly organisation: string | null;
  readonly organisationName: string | null;
}

/**
 * A sign-in refused or failed once its attempt was found: the problem, and where the person
 * started from, so that a browser can be sent back there to read it (the console says it plainly).
 */
export class SignInRefusal extends ProblemError {
  constructor(
    problem: ProblemError,
    readonly returnTo: string,
  ) {
    super(problem.code, problem.message, problem.extensions, { cause: problem.cause });
  }
}

export interface SignInLimits {
  readonly idleMinutes: number;
  readonly maxHours: number;
}

export class SignInService {
  /** @fastify/csrf (the token logic of @fastify/csrf-protection): per-session secret kept in the database, salted HMAC tokens. */
  readonly #tokens = Tokens();

  constructor(
    private readonly db: Kysely<Database>,
    /** Undefined: sign-in is off (no OIDC_ISSUER). */
    private readonly oidc: { config: OidcConfig; client: OidcClient } | undefined,
    private readonly clock: Clock,
    private readonly limits: SignInLimits,
  ) {}

  get enabled(): boolean {
    return this.oidc !== undefined;
  }

  private provider(): { config: OidcConfig; client: OidcClient } {
    if (!this.oidc) throw new ProblemError('SIGN_IN_OFF');
    return this.oidc;
  }

  /** Starts a sign-in: the provider's URL to send the browser to, and the attempt id for its cookie. */
  async start(returnTo: string): Promise<{ attemptId: string; url: URL }> {
    const { client } = this.provider();
    const { url, checks } = await client.authorizationUrl();
    const { id, hash } = newId();
    const now = this.clock.now();
    await insertAttempt(this.db, hash, { ...checks, returnTo, expiresAt: new Date(now.getTime() + ATTEMPT_MINUTES * 60_000) }, now);
    return { attemptId: id, url };
  }

  /**
   * Finishes a sign-in: the attempt is taken (once), the code exchanged and the ID token checked
   * by openid-client, the claims mapped to role profiles. None: refused (audited). One: the
   * session acts in it. Several: the person chooses (`POST /auth/profile`).
   */
  async finish(attemptId: string | undefined, callbackUrl: URL): Promise<{ sessionId: string; returnTo: string; profiles: number }> {
    const { client, config } = this.provider();
    const attempt = attemptId === undefined ? undefined : await takeAttempt(this.db, hashId(attemptId));
    const now = this.clock.now();
    if (!attempt || attempt.expiresAt <= now) {
      throw new ProblemError('SIGN_IN_FAILED', 'This sign-in was not started from this browser, was already used, or took too long. Start again.');
    }
    try {
      return await this.#complete(attempt, callbackUrl, now, client, config);
    } catch (error) {
      throw error instanceof ProblemError ? new SignInRefusal(error, attempt.returnTo) : error;
    }
  }

  async #complete(
    attempt: AttemptRow,
    callbackUrl: URL,
    now: Date,
    client: OidcClient,
    config: OidcConfig,
  ): Promise<{ sessionId: string; returnTo: string; profiles: number }> {
    const providerError = callbackUrl.searchParams.get('error');
    if (providerError !== null) {
      throw new ProblemError('SIGN_IN_FAILED', `The provider did not sign you in (${providerError.slice(0, 100)}).`);
    }
    let signedIn;
    try {
      signedIn = await client.finish(callbackUrl, attempt);
    } catch (error) {
      throw new ProblemError('SIGN_IN_FAILED', 'The provider\'s answer could not be verified. Start again.', { cause: error });
    }
    const person: Person = { provider: signedIn.issuer, subject: signedIn.subject, name: displayName(signedIn.claims, config.nameClaim, signedIn.subject) };
    const claimed = profilesFromClaims(signedIn.claims, config);
    const organisations = await organisationsByOdsCodes(this.db, [...new Set(claimed.flatMap((p) => p.odsCode ?? []))]);
    const known = claimed.flatMap((p): Array<{ role: PersonRole; national: boolean; organisationId: string | null }> => {
      if (p.national) return [{ role: p.role, national: true, organisationId: null }];
      const organisationId = p.odsCode === null ? undefined : organisations.get(p.odsCode);
      return organisationId === undefined ? [] : [{ role: p.role, national: false, organisationId }];
    });
    const unknownOrganisations = [...new Set(claimed.flatMap((p) => (p.odsCode !== null && !organisations.has(p.odsCode) ? [p.odsCode] : [])))];

    const session = newId();
    const outcome = await this.db.transaction().execute(async (trx) => {
      const personId = await upsertPerson(trx, person.provider, person.subject, person.name, now);
      const principals: PrincipalRow[] = [];
      for (const profile of known) principals.push(await ensurePrincipal(trx, personId, profile, person.name));
      // A profile an admin revoked stays revoked: it is never made again for this person.
      const usable = principals.filter((p) => !p.revoked);
      const base = { requestId: null, route: 'GET /auth/callback', patientIds: [], procedureIds: [], person } as const;
      if (usable.length === 0) {
        await insertAuditEvents(trx, [
          {
            ...base,
            actorKeyId: null,
            actorOrganisationId: null,
            actorRole: null,
            action: 'sign-in.refused',
            outcome: 'denied',
            organisationId: null,
            detail: { claimedProfiles: claimed.length, unknownOrganisations, revokedProfiles: principals.length },
          },
        ]);
        return { refused: true as const, claimed: claimed.length, unknownOrganisations };
      }
      const only = usable.length === 1 ? usable[0] : undefined;
      await insertSession(
        trx,
        {
          idHash: session.hash,
          personId,
          profileIds: usable.map((p) => p.principalId),
          principalId: only?.principalId ?? null,
          csrfSecret: this.#tokens.secretSync(),
          idToken: signedIn.idToken ?? null,
          providerSid: signedIn.sid ?? null,
          now,
          expiresAt: new Date(now.getTime() + this.limits.maxHours * 3_600_000),
        },
        new Date(now.getTime() - this.limits.idleMinutes * 60_000),
      );
      await insertAuditEvents(trx, [
        {
          ...base,
          actorKeyId: only?.principalId ?? null,
          actorOrganisationId: only?.organisationId ?? null,
          actorRole: only?.role ?? null,
          action: 'sign-in',
          outcome: 'success',
          organisationId: only?.organisationId ?? null,
          detail: { profiles: usable.length },
        },
      ]);
      return { refused: false as const, profiles: usable.length };
    });
    if (outcome.refused) {
      const why =
        outcome.claimed === 0
          ? 'Your account at the provider has no role that this service maps to one of its roles.'
          : `Your roles are for organisations not registered here (${outcome.unknownOrganisations.join(', ') || 'none'}), or were revoked.`;
      throw new ProblemError('SIGN_IN_NO_ROLE', `${why} Ask your administrator for access; nobody is given a role by default.`);
    }
    return { sessionId: session.id, returnTo: attempt.returnTo, profiles: outcome.profiles };
  }

  /** What a session cookie stands for now; ends it when idle or past its limit (the service's clock decides). */
  async authenticate(sessionId: string): Promise<SessionAuthentication> {
    if (sessionId.length > 100) return { status: 'ended' };
    const hash = hashId(sessionId);
    const row = await findSession(this.db, hash);
    if (!row) return { status: 'ended' };
    const now = this.clock.now();
    if (row.expiresAt <= now || now.getTime() - row.lastSeenAt.getTime() >= this.limits.idleMinutes * 60_000) {
      await deleteSession(this.db, hash);
      return { status: 'ended' };
    }
    if (row.principal?.revoked === true) {
      await deleteSession(this.db, hash);
      return { status: 'ended' };
    }
    if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await touchSession(this.db, hash, now);
    const csrf = {
      csrfToken: this.#tokens.create(row.csrfSecret),
      verifyCsrf: (token: string | undefined) => token !== undefined && token.length <= 200 && this.#tokens.verify(row.csrfSecret, token),
    };
    if (!row.principal) return { status: 'choose-profile', ...csrf };
    const p = row.principal;
    const actor: Actor = {
      keyId: p.id,
      keyName: row.personName,
      role: p.role,
      national: p.national,
      organisationId: p.organisationId,
      odsCode: p.odsCode,
      registryCode: null,
      person: { provider: row.issuer, subject: row.subject, name: row.personName },
    };
    return { status: 'active', actor, ...csrf };
  }

  /** The session's person, its role profiles and the chosen one. */
  async profiles(sessionId: string): Promise<{ person: Person; current: string | null; profiles: Profile[] } | undefined> {
    const row = await findSession(this.db, hashId(sessionId));
    if (!row) return undefined;
    const principals = await principalsByIds(this.db, row.profileIds);
    return {
      person: { provider: row.issuer, subject: row.subject, name: row.personName },
      current: row.principal?.id ?? null,
      profiles: principals
        .filter((p) => !p.revoked)
        .map((p) => ({ id: p.principalId, role: p.role, national: p.national, organisation: p.odsCode, organisationName: p.organisationName })),
    };
  }

  /** Acts in another of the session's profiles; the session gets a new id (returned, for the cookie). */
  async choose(sessionId: string, profileId: string): Promise<string> {
    const found = await this.profiles(sessionId);
    const profile = found?.profiles.find((p) => p.id === profileId);
    if (!found || !profile) throw new ProblemError('NOT_FOUND', 'This session has no such role profile.');
    const next = newId();
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      if (!(await chooseProfile(trx, hashId(sessionId), next.hash, profileId, now))) throw new ProblemError('UNAUTHENTICATED', 'The session has ended. Sign in again.');
      await insertAuditEvents(trx, [
        {
          requestId: null,
          actorKeyId: profile.id,
          actorOrganisationId: null,
          actorRole: profile.role,
          action: 'sign-in.profile',
          route: 'POST /auth/profile',
          outcome: 'success',
          organisationId: null,
          patientIds: [],
          procedureIds: [],
          detail: { role: profile.role, organisation: profile.organisation, national: profile.national },
          person: found.person,
        },
      ]);
    });
    return next.id;
  }

  /**
   * OpenID Connect Back-Channel Logout: the provider says a person's session there has ended. The token is
   * verified (LogoutTokenRejected when it does not pass), its jti taken once (a replay is refused), and the
   * sessions it names end at once, on every instance; each person's sessions ended are audited. Answers how
   * many ended (none is a success too: the person may have signed out here already).
   */
  async backchannelLogout(logoutToken: string, requestId: string): Promise<number> {
    const { client } = this.provider();
    const now = this.clock.now();
    const token = await client.verifyLogoutToken(logoutToken, now);
    return this.db.transaction().execute(async (trx) => {
      if (!(await claimLogoutToken(trx, token.issuer, token.jti, token.acceptableUntil, now))) {
        throw new LogoutTokenRejected('This logout token (its jti) was accepted before: a replay');
      }
      const ended = await endProviderSessions(trx, token.issuer, { subject: token.subject, sid: token.sid });
      await insertAuditEvents(
        trx,
        ended.map((person) => ({
          requestId,
          actorKeyId: null,
          actorOrganisationId: null,
          actorRole: null,
          action: 'sign-out.provider',
          route: 'POST /auth/backchannel-logout',
          outcome: 'success' as const,
          organisationId: null,
          patientIds: [],
          procedureIds: [],
          detail: { sessions: person.sessions, bySession: token.sid !== undefined },
          person: { provider: token.issuer, subject: person.subject, name: person.name },
        })),
      );
      return ended.reduce((n, p) => n + p.sessions, 0);
    });
  }

  /** Ends the session here; the provider's end-session URL (with the ID token as hint) when it has one. */
  async end(sessionId: string | undefined, postLogoutRedirectUri: string): Promise<URL | undefined> {
    const row = sessionId === undefined ? undefined : await deleteSession(this.db, hashId(sessionId));
    if (!row) return undefined;
    await insertAuditEvents(this.db, [
      {
        requestId: null,
        actorKeyId: row.principal?.id ?? null,
        actorOrganisationId: row.principal?.organisationId ?? null,
        actorRole: row.principal?.role ?? null,
        action: 'sign-out',
        route: 'POST /auth/logout',
        outcome: 'success',
        organisationId: row.principal?.organisationId ?? null,
        patientIds: [],
        procedureIds: [],
        detail: {},
        person: { provider: row.issuer, subject: row.subject, name: row.personName },
      },
    ]);
    if (!this.oidc) return undefined;
    try {
      return await this.oidc.client.endSessionUrl(row.idToken, postLogoutRedirectUri);
    } catch {
      // The provider cannot be reached: the session has ended here all the same.
      return undefined;
    }
  }
}
