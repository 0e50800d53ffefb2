import type { FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../db/database.js';
import { authenticate } from '../modules/api-keys/api-key.service.js';
import type { Actor, RequestContext } from '../shared/actor.js';
import { ProblemError } from '../shared/problem.js';
import { problemResponse } from '../shared/schemas.js';

/** Who may call a route: anyone, or holders of a key with one of these roles. */
export type Access = 'public' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route must declare it; the app refuses to boot otherwise. */
    access?: Access;
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes. */
    actor: Actor | null;
  }
}

export interface AuthPluginOptions {
  /** Routes under this prefix (Swagger UI's own) are public documentation. */
  readonly docsPrefix: string;
}

const BEARER = /^Bearer +([\x21-\x7e]{1,512})$/i;

/**
 * Authentication and role checks, fail-closed: a route that does not declare
 * its access stops the boot; a request without a valid key never reaches a
 * handler of a non-public route. Runs in onRequest, before the body is read.
 */
export const authPlugin = fp<AuthPluginOptions>(
  async (app, options) => {
    app.decorateRequest('actor', null);

    app.addHook('onRoute', (route) => {
      const config = (route.config ??= {}) as { access?: Access };
      if (config.access === undefined) {
        const isDocs = route.url === options.docsPrefix || route.url.startsWith(`${options.docsPrefix}/`);
        if (!isDocs) throw new Error(`Route ${String(route.method)} ${route.url} does not declare config.access`);
        config.access = 'public';
      }
      documentAccess(route, config.access);
    });

    app.addHook('onRequest', async (req, reply) => {
      const access = req.routeOptions.config.access;
      // Undefined only for the not-found handler: there is nothing behind it to protect.
      if (access === undefined || access === 'public') return;

      const header = req.headers.authorization;
      const match = header === undefined ? null : BEARER.exec(header);
      if (!match?.[1]) {
        reply.header('www-authenticate', 'Bearer realm="implant-trace"');
        throw new ProblemError(
          'UNAUTHENTICATED',
          header === undefined ? 'No API key was sent. Send `Authorization: Bearer <key>`.' : 'The Authorization header is not of the form `Bearer <key>`.',
        );
      }
      const actor = await authenticate(app.db, match[1]);
      if (!actor) {
        reply.header('www-authenticate', 'Bearer realm="implant-trace", error="invalid_token"');
        throw new ProblemError('UNAUTHENTICATED', 'The API key is unknown or has been revoked.');
      }
      if (!access.includes(actor.role)) {
        throw new ProblemError('FORBIDDEN', `This operation needs one of the roles: ${access.join(', ')}. The key's role is ${actor.role}.`);
      }
      req.actor = actor;
    });
  },
  { name: 'auth', dependencies: ['errors'] },
);

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
function documentAccess(route: RouteOptions, access: Access): void {
  const schema = route.schema as DocumentedSchema | undefined;
  if (!schema || schema.hide) return;
  const responses = (schema.response ??= {});
  if (access === 'public') {
    schema.security = [];
  } else {
    schema.security = [{ bearerAuth: [] }];
    schema.description = [schema.description, `Roles: ${access.join(', ')}.`].filter(Boolean).join('\n\n');
    responses['401'] ??= problemResponse('No API key, or an unknown or revoked one (UNAUTHENTICATED).');
    responses['403'] ??= problemResponse("The key's role does not admit this operation (FORBIDDEN).");
  }
  if (schema.params) responses['404'] ??= problemResponse('No such resource in the caller\'s organisation (NOT_FOUND).');
  if (schema.body) responses['400'] ??= problemResponse('The body is not well-formed JSON (MALFORMED_REQUEST).');
  if (schema.body || schema.querystring || schema.params) {
    responses['422'] ??= problemResponse('The request breaks the schema (VALIDATION_FAILED); `errors` says where.');
  }
  responses['500'] ??= problemResponse('Unexpected failure (INTERNAL_ERROR); nothing internal is disclosed.');
  responses['503'] ??= problemResponse('The database is unreachable (DATABASE_UNAVAILABLE); retry.');
}
