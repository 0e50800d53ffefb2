/**
 * The stock page's pure rules: what a stock movement's line is for a row on hand, which line of a
 * receipt a refusal names, and one Idempotency-Key per request (kept for its retries).
 */
import { uuid } from '../shared/ids.js';
import type { OnHand, StockStatus } from './types.js';

/** A line of a stock movement: the product typed in from a row on hand (GS1: its GTIN), and how many. */
export interface ManualLine {
  readonly manual: { readonly gtin: string; readonly lotNumber?: string; readonly serialNumber?: string; readonly expirationDate?: string };
  readonly quantity: number;
}

interface Product {
  readonly issuingAgency: string;
  readonly di: string;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
}

/**
 * The line that names this product, or null when the page cannot name it: an HIBC product has
 * no GTIN to type in (its label is scanned instead).
 */
export function lineOf(p: Product, quantity: number): ManualLine | null {
  if (p.issuingAgency !== 'GS1' || !/^\d{14}$/.test(p.di)) return null;
  return {
    manual: {
      gtin: p.di,
      ...(p.lotNumber !== null ? { lotNumber: p.lotNumber } : {}),
      ...(p.serialNumber !== null ? { serialNumber: p.serialNumber } : {}),
      ...(p.expirationDate !== null ? { expirationDate: p.expirationDate } : {}),
    },
    quantity,
  };
}

/** The location of a row as a movement names it; null for the unlocated account (no movement names it as a place). */
export const locationRefOf = (row: Pick<OnHand, 'location'>) => (row.location === null ? null : { gln: row.location.gln, ...(row.location.glnExtension ? { glnExtension: row.location.glnExtension } : {}) });

/** The actions a row offers: a quarantined row is released, an available one quarantined; both are written off or returned. */
export type RowActionKind = 'quarantine' | 'release' | 'write-off' | 'return';
export const actionsFor = (status: StockStatus): readonly RowActionKind[] => (status === 'available' ? ['quarantine', 'write-off', 'return'] : ['release', 'write-off', 'return']);

/** The line of the request a problem names (its `index` extension, or `scans[n]`/`lines[n]` in its detail). */
export function lineIndexOf(problem: { readonly detail: string; readonly index?: number }): number | null {
  if (typeof problem.index === 'number') return problem.index;
  const m = /^(?:scans|lines)\[(\d+)\]/.exec(problem.detail);
  return m ? Number(m[1]) : null;
}

/** A problem's detail said for the line it is shown beside: without the `scans[2]: ` the API puts first. */
export const lineText = (detail: string) => detail.replace(/^(?:scans|lines)\[\d+\]:\s*/, '').replace(/^./, (c) => c.toUpperCase());

/**
 * One Idempotency-Key per request, kept until the service has answered it: the same body sent
 * again after a dropped answer, a 5xx or a 429 (a retry) gets the same key, so the service records
 * it once; once answered (recorded or refused), the same body again is a new request (a second delivery of the
 * same lot is received again), and so is any other body.
 */
export interface IdempotencyKeys {
  readonly keyFor: (body: unknown) => string;
  /** The service answered this body with this status: a definitive answer (not 5xx or 429) retires its key. */
  readonly answered: (body: unknown, status: number) => void;
}

export function idempotencyKeys(): IdempotencyKeys {
  const unanswered = new Map<string, string>();
  return {
    keyFor: (body) => {
      const text = JSON.stringify(body);
      const key = unanswered.get(text) ?? uuid();
      unanswered.set(text, key);
      return key;
    },
    answered: (body, status) => {
      if (status < 500 && status !== 429) unanswered.delete(JSON.stringify(body));
    },
  };
}
