/**
 * What the console's pages say when a call fails. The service's validation
 * issues carry an RFC 6901 `pointer` (`/scope/0/gtin`) to the field they are about.
 */
import { NetworkError, type Problem } from './api.js';

export interface Issue {
  readonly pointer: string;
  readonly message: string;
}

export type Failure = { readonly kind: 'problem'; readonly problem: Problem } | { readonly kind: 'offline' } | { readonly kind: 'unexpected' };

export const OFFLINE_TEXT = 'The service cannot be reached. Check the network connection and try again.';

export function failureOf(error: unknown): Failure {
  return error instanceof NetworkError ? { kind: 'offline' } : { kind: 'unexpected' };
}

export function failureText(failure: Failure): string {
  if (failure.kind === 'offline') return OFFLINE_TEXT;
  if (failure.kind === 'unexpected') return 'Something went wrong in this page. Reload it and try again.';
  return failure.problem.detail;
}

/** Zod's wording for a missing or empty value, said plainly. */
function plain(message: string): string {
  if (/expected string to have >=1 characters|received undefined/.test(message)) return 'Required.';
  return message.charAt(0).toUpperCase() + message.slice(1);
}

export function issuesOf(problem: Problem): Issue[] {
  return (problem.errors ?? []).map((e) => ({ pointer: e.pointer, message: plain(e.message) }));
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
