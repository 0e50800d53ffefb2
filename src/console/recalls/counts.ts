/** Counts said in words: pure, so the unit tests read them as the page does. */
import { CORE_MATCH_KINDS, type Counts, matchKindsOf, matchLabel } from './types.js';

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The live preview of a recall being written: whom it affects, and how they match. */
export function previewText(counts: Counts): string {
  // The four usual kinds always; a weaker or newer kind only when it counts something.
  const kinds = matchKindsOf(counts.byMatch).filter((k) => (CORE_MATCH_KINDS as readonly string[]).includes(k) || (counts.byMatch[k] ?? 0) > 0);
  const byMatch = kinds.map((k) => `${counts.byMatch[k] ?? 0} ${matchLabel(k).toLowerCase()}`).join(', ');
  return `${plural(counts.patients, 'patient')}, ${plural(counts.items, 'item')}; by match: ${byMatch}. ${counts.explanted} since explanted.`;
}
