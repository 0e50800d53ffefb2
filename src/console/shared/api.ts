/**
 * The console's only way to the API: same origin, the signed-in user's key as
 * a Bearer token, JSON in and out, and RFC 9457 problems turned into values
 * the pages can show. A dropped connection is a NetworkError, never a problem:
 * callers decide whether to queue and retry.
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

export function createApi(key: () => string | null, fetchImpl: typeof fetch = (...args) => fetch(...args)): Api {
  return {
    async request<T>(path: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
      const token = key();
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await fetchImpl(path, {
          method: options.method ?? 'GET',
          headers,
          body: options.body === undefined ? null : JSON.stringify(options.body),
          signal: options.signal ?? null,
          credentials: 'omit',
          cache: 'no-store',
        });
      } catch (error) {
        if (error instanceof DOMException && error.name === 'AbortError') throw error;
        throw new NetworkError(error);
      }
      if (!response.ok) return { ok: false, status: response.status, problem: await readProblem(response), headers: response.headers };
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
