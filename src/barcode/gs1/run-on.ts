/**
 * Run-on: a variable-length value that swallowed the element strings after
 * it because the scanner (or the label) dropped the GS (FNC1) separator. GS1
 * syntax reads such a value as one value; this module finds the other
 * readings, so that no dropped separator passes silently.
 *
 * Phases, for one variable-length element: the offsets where a tail AI could
 * start (`tailStarts`), the tail read as element strings (`readTail`), the
 * head checked as a value of its own AI, the alternative reading of the whole
 * string checked against the AI association rules (`associationsHold`), and
 * the candidates ranked (`compareCandidates`).
 */
import { aiDefinition, matchAi, type AiDefinition } from './ai-table.js';
import { rawIndex, splitElementString, validateAssociations, validateElement, type AiElement } from './elements.js';
import type { LintContext } from './linters.js';

/**
 * The AIs that labels really carry after a variable-length value: the
 * production identifiers and their kin (dates, lot, serial, the other
 * attributes of a trade item). A dropped GS separator is suspected only where
 * the swallowed tail reads as these. Left out on purpose: the
 * company-internal (91)-(99), which hold anything and would flag every value
 * that contains "9n"; and keys such as (01), (414) or (8018), which come first
 * on a label, not after a lot or serial (an over-long value that runs on into
 * one is still reported, see `anyRunOnPoint`).
 */
export const RUN_ON_TAIL_AIS: ReadonlySet<string> = new Set([
  '10', '11', '12', '13', '15', '16', '17', '21', '22', '235',
  '240', '241', '242', '243', '250', '251', '30', '37', '7003', '7004',
]);

/** One way of reading a value as a shorter value followed by the element strings it swallowed. */
export interface RunOnCandidate {
  /** Offset within the value where the GS separator belongs (>= 1). */
  readonly at: number;
  /** The value before the split, as an element of the same AI. */
  readonly head: AiElement;
  /** The swallowed element strings, in order. */
  readonly tail: readonly AiElement[];
  /** The tail holds an AI of one fixed size (a date, ...): its own checks vouch for the split. */
  readonly fixedTail: boolean;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const oneSize = (e: AiElement) => e.def.minLength === e.def.maxLength;

/** Offsets j >= 1 of `value` where an AI of RUN_ON_TAIL_AIS starts with room for its shortest value. */
function tailStarts(value: string): number[] {
  const starts: number[] = [];
  for (let j = 1; j + 2 < value.length; j++) {
    if (!isDigit(value.charCodeAt(j)) || !isDigit(value.charCodeAt(j + 1))) continue;
    const def = matchAi(value, j);
    if (def && RUN_ON_TAIL_AIS.has(def.ai) && value.length - j - def.ai.length >= Math.max(def.minLength, 1)) starts.push(j);
  }
  return starts;
}

/** The tail from offset j as valid element strings of RUN_ON_TAIL_AIS only; undefined when it does not read so. */
function readTail(el: AiElement, j: number, ctx: LintContext): AiElement[] | undefined {
  const split = splitElementString(el.value.slice(j), rawIndex(el, j));
  if (split.error || split.elements.length === 0) return undefined;
  for (const e of split.elements) {
    if (!RUN_ON_TAIL_AIS.has(e.def.ai) || validateElement(e, ctx) !== undefined) return undefined;
  }
  return split.elements;
}

/** Whether the string read with the value split (the other elements, then head and tail in its place) obeys the AI association rules. */
function associationsHold(elements: readonly AiElement[], index: number, head: AiElement, tail: readonly AiElement[]): boolean {
  const alternative = [...elements.slice(0, index), head, ...tail, ...elements.slice(index + 1)];
  return validateAssociations(alternative).error === undefined;
}

/**
 * Every reading of `elements[index]` as a valid head value and a swallowed
 * tail of RUN_ON_TAIL_AIS, the whole then obeying the association rules (so
 * a tail that repeats an AI of the string with another value is none), best
 * first (`compareCandidates`).
 */
export function runOnCandidates(elements: readonly AiElement[], index: number, ctx: LintContext): RunOnCandidate[] {
  const el = elements[index] as AiElement;
  const candidates: RunOnCandidate[] = [];
  for (const j of tailStarts(el.value)) {
    const head: AiElement = { ...el, value: el.value.slice(0, j) };
    if (validateElement(head, ctx) !== undefined) continue;
    const tail = readTail(el, j, ctx);
    if (tail === undefined || !associationsHold(elements, index, head, tail)) continue;
    candidates.push({ at: j, head, tail, fixedTail: tail.some(oneSize) });
  }
  return candidates.sort(compareCandidates);
}

/** The pair implant labels carry after a variable-length value: lot and serial. */
const LOT_AND_SERIAL: ReadonlySet<string> = new Set(['10', '21']);

/** 0: a fixed-size AI in the tail; 1: a lot or serial in it; 2: only rarer AIs. */
function tier(c: RunOnCandidate): number {
  if (c.fixedTail) return 0;
  return c.tail.some((e) => LOT_AND_SERIAL.has(e.def.ai)) ? 1 : 2;
}

/**
 * The order of candidates, best first, and so the one reported:
 *
 * 1. A tail holding an AI of one fixed size: a date that passes its calendar
 *    check is strong evidence (random digits read as "17" and a valid YYMMDD
 *    about once in 2,600 times), a variable-length AI none at all.
 * 2. Then a tail holding a lot (10) or serial (21): what implant labels carry
 *    after a lot or serial. Numeric values hold "22", "30", "24n" or "25n" as
 *    often as "21", and a split there reads a CPV, count or additional ID that
 *    such labels almost never carry.
 * 3. Then the LAST split (the shortest tail). With the GS dropped after lot
 *    LOT1 and serial SER1 read as "LOT121SER1", the split is where the lot
 *    ends; a false split needs "21" (or "10") inside the lot (a false split
 *    before the true one: "A21B" + "21SER" also reads (21)B21SER) or inside
 *    the serial (after it: LOT1 + "21" + "SN21X" also reads (21)X). With
 *    numeric lots and serials the two are about as likely. On the seeded
 *    realistic corpus of scripts/measure-run-on.ts (200,000 labels) the
 *    reported reading is the true one for 95.5 % of the lots that swallowed a
 *    serial (first split: 95.1 %) and 94.2 % of the serials that swallowed a
 *    lot (first split: 94.8 %): nearly a tie, decided for the commonest
 *    layout, lot then serial. Either way the warning's message names the
 *    other splits and `missingSeparatorReadings` lists them all.
 */
export function compareCandidates(a: RunOnCandidate, b: RunOnCandidate): number {
  return tier(a) - tier(b) || b.at - a.at;
}

/**
 * The error path's fallback, as before this module: the offset where the
 * value reads on into valid element strings of any AIs with at least one of
 * fixed size (an expiry, or a GTIN or GSRN with its check digit), the head a
 * valid value. Used only for a value that is invalid anyway (too long, a bad
 * character), where a wrong guess costs nothing and a right one says where the
 * GS belongs.
 */
export function anyRunOnPoint(el: AiElement, ctx: LintContext): number | undefined {
  const { value } = el;
  for (let j = 1; j + 2 <= value.length; j++) {
    if (!isDigit(value.charCodeAt(j)) || !isDigit(value.charCodeAt(j + 1))) continue;
    const first = matchAi(value, j);
    if (!first || value.length - j - first.ai.length < first.minLength) continue;
    const rest = splitElementString(value.slice(j), 0);
    if (rest.error || rest.elements.length === 0 || !rest.elements.some(oneSize)) continue;
    if (validateElement({ ...el, value: value.slice(0, j) }, ctx) !== undefined) continue;
    if (rest.elements.every((e) => validateElement(e, ctx) === undefined)) return j;
  }
  return undefined;
}

/** The AIs and values of a candidate reading: the head's AI and value, and the tail's. */
export function runOnReading(c: RunOnCandidate): Record<string, string> {
  const reading: Record<string, string> = { [c.head.def.ai]: c.head.value };
  for (const e of c.tail) reading[e.def.ai] ??= e.value;
  return reading;
}

/** `(10) BATCH/LOT "LOT121SER1" reads on into (21)SER1: a GS (FNC1) separator after "LOT1" is probably missing`. */
export function describeRunOn(el: AiElement, at: number, tail: readonly AiElement[]): string {
  const rest = tail.map((e) => `(${e.def.ai})${e.value}`).join('');
  return `(${el.def.ai}) ${el.def.title} "${el.value}" reads on into ${rest}: a GS (FNC1) separator after "${el.value.slice(0, at)}" is probably missing`;
}

/** The sentence that says other splits exist, or ''. */
export function otherReadingsNote(candidates: readonly RunOnCandidate[]): string {
  const others = candidates.slice(1);
  if (others.length === 0) return '';
  const listed = others.map((c) => `after "${c.head.value}"`).join(', ');
  return `; ${others.length === 1 ? 'another reading is' : `${others.length} other readings are`} possible (GS ${listed})`;
}

/** A reading of a value with the GS separator put back, for callers outside the parser. */
export interface MissingSeparatorReading {
  /** Offset within the value where the GS belongs. */
  readonly offset: number;
  /** The split element's AI with the value before the split, and the swallowed AIs with their values. */
  readonly reading: Readonly<Record<string, string>>;
  /** The tail holds an AI of one fixed size (a date, ...). */
  readonly fixedTail: boolean;
}

/**
 * Every reading of `value`, the value of `ai`, as a head and a swallowed tail
 * (the rule of `runOnCandidates`), best first; `ais` are the label's other
 * AIs (a parse result's `ais`). The warning POSSIBLE_MISSING_SEPARATOR
 * reports the first; a caller that knows which AIs the product's labels carry
 * can weigh them all. Empty for an unknown or fixed-size AI.
 */
export function missingSeparatorReadings(ai: string, value: string, ais: Readonly<Record<string, string>>, ctx: LintContext): MissingSeparatorReading[] {
  const def = aiDefinition(ai);
  if (def === undefined || def.minLength === def.maxLength) return [];
  const elements: AiElement[] = [];
  for (const [other, otherValue] of Object.entries(ais)) {
    const otherDef = aiDefinition(other);
    if (other !== ai && otherDef !== undefined) elements.push(syntheticElement(otherDef, otherValue));
  }
  elements.push(syntheticElement(def, value));
  return runOnCandidates(elements, elements.length - 1, ctx).map((c) => ({ offset: c.at, reading: runOnReading(c), fixedTail: c.fixedTail }));
}

function syntheticElement(def: AiDefinition, value: string): AiElement {
  return { def, value, position: 0, aiLength: def.ai.length, valueOffset: def.ai.length };
}
