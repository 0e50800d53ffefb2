import { createHash } from 'node:crypto';

/** Sorted keys, undefined members left out (dates are already ISO strings here): the same request always hashes the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Which request an Idempotency-Key was used for: the route is part of it, so a key reused on another
 * route is told apart. Stored with the answer: the form must never change (answers already stored).
 */
export function requestHash(route: string, input: unknown): Buffer {
  return createHash('sha256').update(canonicalJson([route, input])).digest();
}
