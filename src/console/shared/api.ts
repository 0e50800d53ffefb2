/**
 * The console's only way to the API: same origin, JSON in and out, and RFC 9457
 * problems turned into values the pages can show. Signed in with a key: the key
 * as a Bearer token, no CSRF token, and same-origin credentials, so that the
 * session cookie of a person signed in on this device (if any) goes with it: the
 * service then names that person for what the key records (the key's rights
 * only; it ignores a session that ended or is of another organisation). That
 * needs no CSRF token: another site's page cannot send the Authorization header
 * (not without a CORS preflight, which the service never grants), and the
 * cookie adds a name, never a right. Signed in as a person (OpenID Connect):
 * the session cookie, no Authorization header, and the session's CSRF token in
 * X-CSRF-Token on every call that is not a GET. A dropped connection is a
 * NetworkError, never a problem: callers decide whether to queue and retry.
 */
import type { Problem } from './problem.js';

export type { Problem };

export type ApiResult<T> = { readonly ok: true; readonly status: number; readonly data: T; readonly headers: Headers } | { readonly ok: false; readonly status: number; readonly problem: Problem; readonly headers: Headers };

export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('The service could not be reached.', { cause });
    this.name = 'NetworkError';
  }
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
  /** How to read a successful body: JSON (default), text, or a Blob (CSV, SVG). */
  readonly as?: 'json' | 'text' | 'blob';
}

/** How the console is signed in now: a key, or a person's session (the cookie, which scripts never see, and its CSRF token). */
export type Credentials = { readonly kind: 'key'; readonly key: string } | { readonly kind: 'session'; readonly csrfToken: string | null } | null;

/** The CSRF token's header (the service's CSRF_HEADER). */
export const CSRF_HEADER = 'x-csrf-token';

export interface Api {
  request<T>(path: string, options?: RequestOptions): Promise<ApiResult<T>>;
}

/** A problem for an answer that is not problem+json (a proxy's error page, say): never shown raw. */
function fallbackProblem(status: number): Problem {
  return { status, code: status >= 500 ? 'SERVICE_ERROR' : 'REQUEST_FAILED', title: `The service answered ${status}`, detail: 'Try again; if it persists, tell the service desk.' };
}

async function readProblem(response: Response): Promise<Problem> {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return fallbackProblem(response.status);
  try {
    const body = (await response.json()) as Partial<Problem>;
    if (typeof body.code !== 'string' || typeof body.detail !== 'string') return fallbackProblem(response.status);
    return { ...fallbackProblem(response.status), ...body, status: response.status };
  } catch {
    return fallbackProblem(response.status);
  }
}

/**
 * `credentials` is read at every call. `onSessionRefused` hears a session's refusals
 * (401: it has ended; 403 PROFILE_REQUIRED: a profile must be chosen), so that the
 * page can go back to its sign-in with a sentence.
 */
export function createApi(credentials: () => Credentials, fetchImpl: typeof fetch = (...args) => fetch(...args), onSessionRefused?: (problem: Problem) => void): Api {
  return {
    async request<T>(path: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
      const method = options.method ?? 'GET';
      const signedIn = credentials();
      // A key given for this call (the key form checking one) or held: Bearer, and no CSRF token (a person's cookie, if any, only names them).
      const byKey = headers.authorization !== undefined || signedIn?.kind === 'key';
      if (signedIn?.kind === 'key' && headers.authorization === undefined) headers.authorization = `Bearer ${signedIn.key}`;
      if (!byKey && signedIn?.kind === 'session' && signedIn.csrfToken !== null && method !== 'GET') headers[CSRF_HEADER] = signedIn.csrfToken;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await fetchImpl(path, {
          method,
          headers,
          body: options.body === undefined ? null : JSON.stringify(options.body),
          signal: options.signal ?? null,
          credentials: 'same-origin',
          cache: 'no-store',
        });
      } catch (error) {
        if (error instanceof DOMException && error.name === 'AbortError') throw error;
        throw new NetworkError(error);
      }
      if (!response.ok) {
        const problem = await readProblem(response);
        if (!byKey && signedIn?.kind === 'session' && (response.status === 401 || problem.code === 'PROFILE_REQUIRED')) onSessionRefused?.(problem);
        return { ok: false, status: response.status, problem, headers: response.headers };
      }
      const as = options.as ?? 'json';
      try {
        const data = (as === 'json' ? await response.json() : as === 'text' ? await response.text() : await response.blob()) as T;
        return { ok: true, status: response.status, data, headers: response.headers };
      } catch (error) {
        // The body was cut off: as good as no answer.
        throw new NetworkError(error);
      }
    },
  };
}
