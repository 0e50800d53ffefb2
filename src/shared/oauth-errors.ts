/**
 * OAuth 2.0 errors (RFC 6749 §5.2): what the endpoints that OAuth and OpenID Connect clients call answer
 * instead of problem+json (the SMART token endpoint; the OpenID Connect back-channel logout endpoint),
 * because those clients parse `{error, error_description}`.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { classify } from '../plugins/errors.js';
import { PROBLEMS } from './problem.js';

const OAUTH_ERRORS = ['invalid_request', 'invalid_client', 'invalid_grant', 'unsupported_grant_type', 'invalid_scope', 'server_error', 'temporarily_unavailable'] as const;
export type OAuthErrorCode = (typeof OAUTH_ERRORS)[number];

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
  }
}

export const OAuthErrorSchema = z
  .object({
    error: z.enum(OAUTH_ERRORS),
    error_description: z.string(),
  })
  .meta({ id: 'OAuthError' })
  .describe('An OAuth 2.0 error (RFC 6749 §5.2). The token and back-channel logout endpoints answer these, not problem+json.');

export const oauthResponse = (description: string) => ({ description, content: { 'application/json': { schema: OAuthErrorSchema } } });

export function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="implant-trace", error="invalid_client"');
  return reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ error: error.error, error_description: error.description }));
}

/**
 * An error handler for such an endpoint's context: anything that went wrong outside its handler's own
 * OAuthErrors (a body that does not parse, the database), in OAuth's words; `what` names it in the log.
 */
export function oauthErrorHandler(what: string) {
  return (error: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (error instanceof OAuthError) return sendOAuthError(reply, error);
    const { code, detail } = classify(error, req);
    const status = PROBLEMS[code].status;
    if (status >= 500) {
      req.log.error({ err: error, problem: code }, `${what} failed`);
      if (status === 503) reply.header('retry-after', '5');
      return sendOAuthError(reply, new OAuthError(status === 503 ? 'temporarily_unavailable' : 'server_error', `${PROBLEMS[code].title}. Quote ${req.id} when reporting it.`, status));
    }
    req.log.info({ problem: code, status }, `${what} rejected`);
    // A body too large or of the wrong type keeps its status; anything else the request got wrong is 400.
    return sendOAuthError(reply, new OAuthError('invalid_request', detail, status === 413 || status === 415 ? status : 400));
  };
}
