import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isDatabaseUnavailable } from '../db/errors.js';
import { pathForLog } from '../shared/log-redaction.js';
import { pointerToken, problemBody, ProblemError, PROBLEMS, type ProblemBody, type ProblemCode, type ValidationIssue } from '../shared/problem.js';
import { issuesToReport, valueAt, type UnionAwareIssue } from './validation-issues.js';

const FASTIFY_CODES: Readonly<Record<string, ProblemCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_BAD_URL: 'MALFORMED_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'MALFORMED_REQUEST',
};

const INTERNAL_DETAIL = 'The service failed unexpectedly. Quote the instance (request id) when reporting it.';

/**
 * The one error handler: everything that goes wrong leaves as RFC 9457
 * application/problem+json with a stable code. 4xx details describe the
 * caller's mistake; 5xx details never carry internal messages.
 */
export const errorsPlugin = fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, req, reply) => {
      const { code, detail, extensions } = classify(error, req);
      const body = problemBody(code, detail, req.id, extensions);
      if (body.status >= 500) {
        req.log.error({ err: error, problem: code }, 'request failed');
      } else {
        req.log.info({ problem: code, status: body.status }, 'request rejected');
      }
      // A route that knows better (an export still running) has set its own.
      if ((body.status === 503 || body.status === 429) && !reply.hasHeader('retry-after')) reply.header('retry-after', '5');
      return sendProblem(reply, body.status, body);
    });

    app.setNotFoundHandler((req, reply) =>
      sendProblem(reply, 404, problemBody('ROUTE_NOT_FOUND', `No operation ${req.method} ${pathForLog(req.url)}.`, req.id)),
    );
  },
  { name: 'errors' },
);

/**
 * For Fastify's `frameworkErrors` server option. Fastify answers two kinds of
 * bad URL before routing, without the error handler: a path that does not
 * percent-decode (FST_ERR_BAD_URL) and a path parameter longer than
 * `maxParamLength` (FST_ERR_MAX_PARAM_LENGTH). Given this, they leave as
 * problem+json like every other error.
 */
export function frameworkErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const { code, detail } = classify(error);
  req.log.info({ problem: code, fastify: error.code }, 'request rejected before routing');
  reply.header('x-request-id', req.id);
  void sendProblem(reply, PROBLEMS[code].status, problemBody(code, detail, req.id));
}

/**
 * For Fastify's `clientErrorHandler` server option: Node refuses a connection
 * before any request reaches Fastify (a request that did not arrive within
 * REQUEST_TIMEOUT_SECONDS, headers too large, bytes that are not HTTP). The
 * answer is problem+json like every other error, and the connection is closed.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, detail]: [ProblemCode, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['REQUEST_TIMEOUT', `The request did not arrive within ${this.config.requestTimeoutSeconds} s. Send it again.`]
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? ['HEADERS_TOO_LARGE', 'The request headers are larger than the service reads.']
        : ['MALFORMED_REQUEST', 'The request is not well-formed HTTP/1.1.'];
  const id = randomUUID();
  this.log.info({ problem: code, node: error.code, reqId: id }, 'connection refused before a request was read');
  // Node's own rule: nothing is written over a response that has already begun.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const status = PROBLEMS[code].status;
    const body = JSON.stringify(problemBody(code, detail, id));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
        'Content-Type: application/problem+json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'X-Content-Type-Options: nosniff\r\n' +
        'Cache-Control: no-store\r\n' +
        `X-Request-Id: ${id}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroySoon();
}

export function sendProblem(reply: FastifyReply, status: number, body: object): FastifyReply {
  // FHIR clients expect an OperationOutcome; it carries the same stable code.
  if (reply.request.url.startsWith('/fhir/')) {
    return reply.code(status).type('application/fhir+json; charset=utf-8').send(JSON.stringify(operationOutcome(status, body as ProblemBody)));
  }
  // Sent pre-serialised so that no response schema can strip or reject a problem member.
  return reply.code(status).type('application/problem+json; charset=utf-8').send(JSON.stringify(body));
}

/** FHIR issue type for an HTTP status (R4 issue-type value set). */
function issueType(status: number): string {
  if (status === 401) return 'login';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 429) return 'throttled';
  if (status === 503) return 'transient';
  if (status >= 500) return 'exception';
  return 'invalid';
}

/** A problem as a FHIR R4 OperationOutcome: the code in `details`, the explanation in `diagnostics`. */
export function operationOutcome(status: number, problem: ProblemBody): object {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: status >= 500 ? 'fatal' : 'error',
        code: issueType(status),
        details: { coding: [{ system: 'urn:implant-trace:problem', code: problem.code, display: problem.title }], text: problem.title },
        diagnostics: problem.detail,
      },
    ],
  };
}

export interface Classified {
  code: ProblemCode;
  detail: string;
  extensions?: Record<string, unknown>;
}

/** The part of the request a validation error is about, as it arrived. */
function validatedInput(req: FastifyRequest, where: string): unknown {
  if (where === 'body') return req.body;
  if (where === 'querystring') return req.query;
  if (where === 'params') return req.params;
  if (where === 'headers') return req.headers;
  return undefined;
}

/** The stable problem an error is, with its detail (exported for the token endpoint, which answers it in OAuth's words). */
export function classify(error: FastifyError, req?: FastifyRequest): Classified {
  if (error instanceof ProblemError) return { code: error.code, detail: error.message, extensions: { ...error.extensions } };

  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as { validationContext?: string }).validationContext ?? 'body';
    const input = req === undefined ? undefined : validatedInput(req, where);
    const errors: ValidationIssue[] = error.validation.flatMap((v) => {
      const path = v.instancePath === '/' ? [] : v.instancePath.split('/').slice(1);
      const params = v.params as { errors?: UnionAwareIssue['errors'] } | undefined;
      const issue: UnionAwareIssue = { path, code: v.keyword, message: v.message ?? 'is invalid', ...(params?.errors ? { errors: params.errors } : {}) };
      return issuesToReport(issue, valueAt(input, path)).map((i) => ({
        in: where,
        pointer: i.path.map((t) => `/${pointerToken(String(t))}`).join(''),
        message: i.message,
        code: i.code,
      }));
    });
    const first = errors[0];
    const detail = `The ${where} is invalid${first ? `: ${first.pointer || '(root)'} ${first.message}` : ''}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}.`;
    return { code: 'VALIDATION_FAILED', detail, extensions: { errors } };
  }

  if (isDatabaseUnavailable(error)) {
    return { code: 'DATABASE_UNAVAILABLE', detail: 'The database cannot be reached. Nothing was stored; retry shortly.' };
  }

  const mapped = typeof error.code === 'string' ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return { code: mapped, detail: error.message };

  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    // Other client errors raised by fastify itself (their messages describe the request, not us).
    if (error.statusCode === 429) return { code: 'RATE_LIMITED', detail: error.message };
    if (error.statusCode === 413) return { code: 'PAYLOAD_TOO_LARGE', detail: error.message };
    if (error.statusCode === 415) return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: error.message };
    return { code: 'MALFORMED_REQUEST', detail: error.message };
  }

  return { code: 'INTERNAL_ERROR', detail: INTERNAL_DETAIL };
}
