import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { FhirExportType, Role } from '../domain/vocabulary.js';
import { unreadableTypes, type Actor, type RequestContext } from '../shared/actor.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { problemBody, ProblemError } from '../shared/problem.js';
import { operationOutcomeResponse, problemResponse } from '../shared/schemas.js';
import { AuthThrottle } from './auth-throttle.js';
import { sendProblem } from './errors.js';

/** Who may call a route: anyone, or holders of a key with one of these roles. */
export type Access = 'public' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route must declare it; the app refuses to boot otherwise. */
    access?: Access;
    /**
     * SMART access tokens are refused unless the route says so here: the resource types a token's scopes
     * must let it read to call the route (empty: any token; the handler checks what depends on the request).
     */
    smart?: readonly FhirExportType[];
    /** The route answers its errors in a format of its own (the OAuth token endpoint): document no problem+json for it. */
    ownErrors?: true;
  }
  interface FastifyInstance {
    /** Every route the app has, with the access it declares: what security tests enumerate. */
    readonly routeAccess: readonly RouteAccess[];
    /** The failed-authentication throttle, for the token endpoint (a public route that authenticates clients itself). */
    readonly authThrottle: {
      /** Seconds the client must wait, when it is throttled now. */
      retryAfter(req: FastifyRequest): number | undefined;
      failed(req: FastifyRequest): void;
    };
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes. */
    actor: Actor | null;
    /** For a caller signed in by a session cookie: the CSRF token its changes must carry; null otherwise. */
    csrfToken: string | null;
  }
}

/**
 * What a session cookie stands for (people signed in with OpenID Connect), as the
 * composition root's session store answers: acting in a role profile, signed in
 * but yet to choose one of several, or ended (unknown, signed out, idle, expired, revoked).
 */
export type SessionAuthentication =
  | { readonly status: 'active'; readonly actor: Actor; readonly csrfToken: string; verifyCsrf(token: string | undefined): boolean }
  | { readonly status: 'choose-profile'; readonly csrfToken: string; verifyCsrf(token: string | undefined): boolean }
  | { readonly status: 'ended' };

export interface SessionAuthenticator {
  /** The cookie holding the session id. */
  readonly cookieName: string;
  authenticate(sessionId: string): Promise<SessionAuthentication>;
}

/** The header a change made with a session cookie carries its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';
/** Methods that change nothing, and so need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfTokenOf(req: FastifyRequest): string | undefined {
  const value = req.headers[CSRF_HEADER];
  return typeof value === 'string' ? value : undefined;
}

export interface RouteAccess {
  readonly method: string;
  readonly url: string;
  readonly access: Access;
  /** The resource types a SMART access token must be able to read here; undefined: tokens refused. */
  readonly smart?: readonly FhirExportType[];
}

export interface AuthPluginOptions {
  /**
   * Routes under these prefixes that declare no access are public: Swagger UI's
   * documentation and the web console's static pages (which hold no data: every
   * call they make presents the user's own key).
   */
  readonly publicPrefixes: readonly string[];
  /**
   * Who holds this key: the active key's actor, or undefined for a key that is
   * unknown or revoked. Given by the composition root (the plugin knows no
   * module); without it, every key is refused.
   */
  readonly authenticate?: (key: string) => Promise<Actor | undefined>;
  /**
   * Sessions of people signed in (a cookie), used when a request has no Authorization header.
   * Without it, only keys authenticate.
   */
  readonly sessions?: SessionAuthenticator | undefined;
  /** Failed authentications one client may make within the window before it is refused for a window. */
  readonly failureLimit?: number;
  readonly failureWindowSeconds?: number;
  readonly clock?: Clock;
}

const BEARER = /^Bearer +([\x21-\x7e]{1,512})$/i;

/** Client addresses the failed-authentication throttle tracks at most (a few hundred kB). */
const THROTTLE_MAX_CLIENTS = 10_000;
const DEFAULT_FAILURE_LIMIT = 20;
const DEFAULT_FAILURE_WINDOW_SECONDS = 60;

/**
 * The client a failure is counted against: its IPv4 address, or the /64
 * network of an IPv6 one (a single host is usually handed a whole /64, so
 * counting per address would give an attacker unlimited fresh addresses).
 */
export function throttleClient(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('%')[0]?.split('::') ?? [];
  const left = head === '' ? [] : head.split(':');
  const right = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Authentication and role checks, fail-closed: a route that does not declare
 * its access stops the boot; a request without a valid key never reaches a
 * handler of a non-public route. Runs in onRequest, before the body is read.
 */
export const authPlugin = fp<AuthPluginOptions>(
  async (app, options) => {
    /**
     * A device key sent from a browser where a person is signed in to the same organisation (the theatre
     * page on a shared device, its key in the tab, and a nurse's session cookie): the key's rights, and the
     * person named, so that what it records is attributed to them. The cookie adds a name and never a right,
     * and a page of another site cannot send the key, so it needs no CSRF token. A session that has ended, is
     * yet to choose its profile, or is of another organisation names nobody; the key still works (scanning
     * must go on when sign-in cannot).
     */
    const withPersonAtDevice = async (actor: Actor, req: FastifyRequest): Promise<Actor> => {
      const sessionId = options.sessions && actor.token === undefined && actor.organisationId !== null ? req.cookies[options.sessions.cookieName] : undefined;
      if (!options.sessions || sessionId === undefined) return actor;
      const session = await options.sessions.authenticate(sessionId);
      if (session.status !== 'active' || session.actor.person === undefined || session.actor.organisationId !== actor.organisationId) return actor;
      return { ...actor, person: session.actor.person };
    };
    app.decorateRequest('actor', null);
    app.decorateRequest('csrfToken', null);
    const routes: RouteAccess[] = [];
    app.decorate('routeAccess', routes);
    const limit = options.failureLimit ?? DEFAULT_FAILURE_LIMIT;
    const windowSeconds = options.failureWindowSeconds ?? DEFAULT_FAILURE_WINDOW_SECONDS;
    const authenticate = options.authenticate ?? (async () => undefined);
    const throttle = new AuthThrottle({
      maxFailures: limit,
      windowMs: windowSeconds * 1000,
      maxClients: THROTTLE_MAX_CLIENTS,
      clock: options.clock ?? systemClock,
    });
    /** Counts a failed authentication; the failure that starts a block is logged (address, never the key). */
    const failed = (req: FastifyRequest, client: string) => {
      if (throttle.recordFailure(client)) {
        req.log.warn(
          { ip: req.ip, client, failures: limit, windowSeconds },
          'authentication throttled',
        );
      }
    };

    app.decorate('authThrottle', {
      retryAfter: (req: FastifyRequest) => {
        const state = throttle.check(throttleClient(req.ip));
        return state.throttled ? state.retryAfterSeconds : undefined;
      },
      failed: (req: FastifyRequest) => failed(req, throttleClient(req.ip)),
    });

    app.addHook('onRoute', (route) => {
      const config = (route.config ??= {}) as { access?: Access; smart?: readonly FhirExportType[] };
      if (config.access === undefined) {
        const isPublic = options.publicPrefixes.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`));
        if (!isPublic) throw new Error(`Route ${String(route.method)} ${route.url} does not declare config.access`);
        config.access = 'public';
      }
      // A token acts as a registry key: a route that takes tokens must take registry keys.
      if (config.smart !== undefined && (config.access === 'public' || !config.access.includes('registry'))) {
        throw new Error(`Route ${String(route.method)} ${route.url} admits SMART tokens (config.smart) but not the registry role`);
      }
      if ((route.config as { ownErrors?: true }).ownErrors !== true) documentAccess(route, config.access, config.smart);
      else if (route.schema) (route.schema as DocumentedSchema).security = [];
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, access: config.access, ...(config.smart ? { smart: config.smart } : {}) });
    });

    app.addHook('onRequest', async (req, reply) => {
      const access = req.routeOptions.config.access;
      // Undefined only for the not-found handler: there is nothing behind it to protect.
      if (access === undefined || access === 'public') return;

      // Before anything else, and before any key lookup: a client that keeps failing is refused here.
      const client = throttleClient(req.ip);
      const throttled = throttle.check(client);
      if (throttled.throttled) {
        // Answered here rather than thrown: the block was logged once when it began, not per request.
        reply.header('retry-after', String(throttled.retryAfterSeconds));
        const detail = `Too many failed authentications from this client. Retry in ${throttled.retryAfterSeconds} s.`;
        return sendProblem(reply, 429, problemBody('RATE_LIMITED', detail, req.id));
      }

      const header = req.headers.authorization;
      // A person's session: only when no Authorization header is sent (a key or token always wins, and needs no CSRF token).
      const sessionId = header === undefined && options.sessions ? req.cookies[options.sessions.cookieName] : undefined;
      if (options.sessions && sessionId !== undefined) {
        const session = await options.sessions.authenticate(sessionId);
        if (session.status === 'ended') {
          failed(req, client);
          throw new ProblemError('UNAUTHENTICATED', 'The session has ended (signed out, unused for too long, past its limit, or its role revoked). Sign in again.');
        }
        if (!SAFE_METHODS.has(req.method) && !session.verifyCsrf(csrfTokenOf(req))) {
          throw new ProblemError('CSRF_INVALID', `A change made with a session needs the session's CSRF token in the ${CSRF_HEADER} header.`);
        }
        if (session.status === 'choose-profile') {
          throw new ProblemError('PROFILE_REQUIRED', 'You hold several role profiles: choose one first (GET /auth/profiles, POST /auth/profile).');
        }
        if (!access.includes(session.actor.role)) {
          throw new ProblemError('FORBIDDEN', `This operation needs one of the roles: ${access.join(', ')}. Your role is ${session.actor.role}.`);
        }
        req.actor = session.actor;
        req.csrfToken = session.csrfToken;
        return;
      }
      const match = header === undefined ? null : BEARER.exec(header);
      if (!match?.[1]) {
        failed(req, client);
        reply.header('www-authenticate', 'Bearer realm="implant-trace"');
        throw new ProblemError(
          'UNAUTHENTICATED',
          header === undefined ? 'No API key was sent. Send `Authorization: Bearer <key>`.' : 'The Authorization header is not of the form `Bearer <key>`.',
        );
      }
      const keyActor = await authenticate(match[1]);
      if (!keyActor) {
        failed(req, client);
        reply.header('www-authenticate', 'Bearer realm="implant-trace", error="invalid_token"');
        throw new ProblemError('UNAUTHENTICATED', 'The API key or access token is unknown, expired or revoked.');
      }
      const actor = await withPersonAtDevice(keyActor, req);
      if (!access.includes(actor.role)) {
        throw new ProblemError('FORBIDDEN', `This operation needs one of the roles: ${access.join(', ')}. The key's role is ${actor.role}.`);
      }
      if (actor.token) {
        const smart = req.routeOptions.config.smart;
        if (smart === undefined) {
          reply.header('www-authenticate', 'Bearer realm="implant-trace", error="insufficient_scope"');
          throw new ProblemError('FORBIDDEN', 'A SMART access token is accepted by the registry feed and the FHIR Bulk Data routes only; use an API key here.');
        }
        requireReadable(actor, reply, smart);
      }
      req.actor = actor;
    });
  },
  { name: 'auth', dependencies: ['errors'] },
);

/**
 * Refuses a SMART access token whose scopes do not let it read all of `types` (403 FORBIDDEN, with
 * RFC 6750's insufficient_scope); an API key reads whatever its role does.
 */
export function requireReadable(actor: Actor, reply: FastifyReply, types: readonly FhirExportType[]): void {
  const missing = unreadableTypes(actor, types);
  if (missing.length === 0) return;
  reply.header('www-authenticate', `Bearer realm="implant-trace", error="insufficient_scope", scope="${missing.map((t) => `system/${t}.rs`).join(' ')}"`);
  throw new ProblemError(
    'FORBIDDEN',
    `This access token's scopes do not cover ${missing.join(', ')}: ask for ${missing.map((t) => `system/${t}.rs`).join(' ')} (or system/*.rs).`,
  );
}

/** The context services need; only valid on routes that require a key. */
export function requestContext(req: FastifyRequest): RequestContext {
  if (!req.actor) throw new Error(`requestContext() on a route without an authenticated actor: ${req.routeOptions.url}`);
  return { requestId: req.id, route: `${req.method} ${req.routeOptions.url ?? req.url}`, actor: req.actor };
}

interface DocumentedSchema {
  hide?: boolean;
  description?: string;
  security?: Array<Record<string, string[]>>;
  body?: unknown;
  querystring?: unknown;
  params?: unknown;
  response?: Record<string, unknown>;
}

/** Adds the security requirement, the roles and the error responses to a route's OpenAPI entry. */
function documentAccess(route: RouteOptions, access: Access, smart: readonly FhirExportType[] | undefined): void {
  const schema = route.schema as DocumentedSchema | undefined;
  if (!schema || schema.hide) return;
  const responses = (schema.response ??= {});
  // Errors leave as problem+json, except on /fhir routes: FHIR OperationOutcomes with the same codes (plugins/errors.ts).
  const fhir = route.url.startsWith('/fhir/');
  const errorResponse = fhir ? operationOutcomeResponse : problemResponse;
  if (access === 'public') {
    schema.security = [];
  } else {
    schema.security = [{ bearerAuth: [] }];
    // A GET route and the HEAD route fastify makes for it share one schema: say the roles once.
    const tokens =
      smart === undefined
        ? ''
        : ` Also a SMART Backend Services access token of a registry client${smart.length === 0 ? '' : `, whose scopes cover ${smart.join(', ')}`}.`;
    const roles = `Roles: ${access.join(', ')}.${tokens}`;
    if (!schema.description?.endsWith(roles)) schema.description = [schema.description, roles].filter(Boolean).join('\n\n');
    responses['401'] ??= errorResponse('No API key, or an unknown or revoked one (UNAUTHENTICATED).');
    responses['403'] ??= errorResponse("The key's role does not admit this operation (FORBIDDEN).");
    responses['429'] ??= errorResponse(
      'Too many failed authentications from this client (RATE_LIMITED): refused, before any key is looked up, until `Retry-After` seconds have passed.',
    );
  }
  if (schema.params) responses['404'] ??= errorResponse('No such resource in the caller\'s organisation (NOT_FOUND).');
  if (schema.body) responses['400'] ??= errorResponse('The body is not well-formed JSON (MALFORMED_REQUEST).');
  if (schema.body || schema.querystring || schema.params) {
    responses['422'] ??= errorResponse(`The request breaks the schema (VALIDATION_FAILED); \`${fhir ? 'diagnostics' : 'errors'}\` says where.`);
  }
  responses['500'] ??= errorResponse('Unexpected failure (INTERNAL_ERROR); nothing internal is disclosed.');
  responses['503'] ??= errorResponse('The database is unreachable (DATABASE_UNAVAILABLE); retry.');
}
