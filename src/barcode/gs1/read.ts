import { isDateFailure, resolveDate } from '../dates.js';
import type { ParseError, ParseWarning } from '../types.js';
import { aiDefinition } from './ai-table.js';
import { err, rawIndex, splitElementString, validateAssociations, validateElement, type AiElement } from './elements.js';
import type { LintContext } from './linters.js';
import { anyRunOnPoint, describeRunOn, otherReadingsNote, runOnCandidates, runOnReading } from './run-on.js';

/** What the GS1 reader found, whatever the carrier it came in. */
export interface Gs1Reading {
  readonly valid: boolean;
  readonly partial: boolean;
  /** The elements read and validated, in order; ais, HRI and Digital Link derive from them. */
  readonly elements: readonly AiElement[];
  readonly gtin: string | undefined;
  readonly lotNumber: string | undefined;
  readonly serialNumber: string | undefined;
  readonly expirationDate: string | undefined;
  readonly manufacturingDate: string | undefined;
  readonly quantity: number | undefined;
  readonly warnings: ParseWarning[];
  readonly error: ParseError | undefined;
}

/**
 * How a carrier delimits values: element strings end a variable-length value
 * with a GS (FNC1), which a scanner can drop; the bracketed form and Digital
 * Link delimit every value themselves, so no value there can have swallowed
 * the next: run-on is looked for only in element strings.
 */
export type ValueDelimiting = 'fnc1' | 'delimited';

/**
 * The error for an invalid element: a too-long or bad-character
 * variable-length value that reads on into further element strings is a
 * missing FNC1, with the position where the GS belongs; any other failure is
 * itself. The split is the first into any AIs with one of fixed size (a date
 * or a check digit vouches for it, as ever), else the best candidate of the
 * warning's rule (production identifiers only).
 */
function elementError(elements: readonly AiElement[], index: number, failure: ParseError, ctx: LintContext, delimiting: ValueDelimiting): ParseError {
  const el = elements[index] as AiElement;
  if (delimiting === 'delimited' || el.def.fixedLength || (failure.kind !== 'length' && failure.kind !== 'charset')) return failure;
  const at = anyRunOnPoint(el, ctx) ?? runOnCandidates(elements, index, ctx)[0]?.at;
  if (at === undefined) return failure;
  const tail = splitElementString(el.value.slice(at), 0).elements;
  return err('missingFNC1', 'GS1_MISSING_FNC1', describeRunOn(el, at, tail), rawIndex(el, at), el.value.length - at, el.def.ai);
}

/**
 * POSSIBLE_MISSING_SEPARATOR for a legal variable-length value that also
 * reads as a shorter value and swallowed element strings (run-on.ts): where
 * the GS belongs, and the reading it would give.
 */
function runOnWarning(elements: readonly AiElement[], index: number, ctx: LintContext): ParseWarning | undefined {
  const el = elements[index] as AiElement;
  // A value that is exactly its AI's one size cannot have swallowed anything.
  if (el.def.fixedLength || el.def.minLength === el.def.maxLength) return undefined;
  const candidates = runOnCandidates(elements, index, ctx);
  const best = candidates[0];
  if (best === undefined) return undefined;
  return {
    code: 'POSSIBLE_MISSING_SEPARATOR',
    message: `${describeRunOn(el, best.at, best.tail)}; read as one value, as GS1 syntax requires${otherReadingsNote(candidates)}`,
    position: rawIndex(el, best.at),
    length: el.value.length - best.at,
    ai: el.def.ai,
    reading: runOnReading(best),
  };
}

export function escapeHri(value: string): string {
  return value.includes('(') ? value.replaceAll('(', '\\(') : value;
}

/**
 * Validates AI elements (already split by their carrier) and derives the
 * device fields: GTIN, lot, serial, dates, quantity, HRI and Digital Link.
 * `delimiting` says whether a value can have swallowed the next through a
 * dropped GS ('fnc1': element strings) or not ('delimited').
 */
export function readGs1Elements(
  elements: readonly AiElement[],
  warnings: ParseWarning[],
  splitError: ParseError | undefined,
  ctx: LintContext,
  delimiting: ValueDelimiting,
): Gs1Reading {
  let error = splitError;
  const checked: AiElement[] = [];
  for (let index = 0; index < elements.length; index++) {
    const el = elements[index] as AiElement;
    const failure = validateElement(el, ctx);
    if (failure) {
      error = elementError(elements, index, failure, ctx, delimiting);
      break;
    }
    const runOn = delimiting === 'fnc1' ? runOnWarning(elements, index, ctx) : undefined;
    if (runOn) warnings.push(runOn);
    checked.push(el);
  }
  if (!error && elements.length === 0) error = err('syntax', 'GS1_EMPTY', 'no GS1 data', 0, 0);

  let partial = false;
  if (!error) {
    const outcome = validateAssociations(checked);
    error = outcome.error;
    partial = outcome.partial;
    if (partial && !error) {
      warnings.push({ code: 'PARTIAL_LABEL', message: 'a secondary label (lot, expiry or serial) without its GTIN: scan the product label too' });
    }
  }

  let gtin: string | undefined;
  let lotNumber: string | undefined;
  let serialNumber: string | undefined;
  let expiry: string | undefined;
  let production: string | undefined;
  let count: string | undefined;
  for (const el of checked) {
    switch (el.def.ai) {
      case '01': gtin ??= el.value; break;
      case '10': lotNumber ??= el.value; break;
      case '21': serialNumber ??= el.value; break;
      case '17': expiry ??= el.value; break;
      case '11': production ??= el.value; break;
      case '30': case '37': count ??= el.value; break;
    }
  }
  return {
    valid: error === undefined,
    partial,
    elements: checked,
    gtin,
    lotNumber,
    serialNumber,
    expirationDate: calendarDate(expiry, ctx),
    manufacturingDate: calendarDate(production, ctx),
    quantity: count !== undefined && /^\d+$/.test(count) ? Number(count) : undefined,
    warnings,
    error,
  };
}

/** AI -> value, first occurrence of each. */
export function aisOf(elements: readonly AiElement[]): Record<string, string> {
  const ais: Record<string, string> = {};
  for (const el of elements) ais[el.def.ai] ??= el.value;
  return ais;
}

/** The canonical bracketed form, "(" in values escaped as "\\(". */
export function hriOf(elements: readonly AiElement[]): string | undefined {
  let hri = '';
  for (const el of elements) hri += `(${el.def.ai})${escapeHri(el.value)}`;
  return hri || undefined;
}

/** A GS1 date value (YYMMDD, day 00 = month end) as YYYY-MM-DD; undefined when absent or invalid. */
function calendarDate(value: string | undefined, ctx: LintContext): string | undefined {
  if (value === undefined) return undefined;
  const d = resolveDate(value, ctx.today, true);
  return isDateFailure(d) ? undefined : d.date;
}

/** GS1 element string (FNC1 as GS): split, then read. */
export function readElementString(data: string, offset: number, ctx: LintContext): Gs1Reading {
  const split = splitElementString(data, offset);
  return readGs1Elements(split.elements, split.warnings, split.error, ctx, 'fnc1');
}

/** The bracketed human-readable form: (01)09506000134352(10)ABC\(1\)... */
export function readBracketed(data: string, offset: number, ctx: LintContext): Gs1Reading {
  const elements: AiElement[] = [];
  let i = 0;
  let error: ParseError | undefined;
  while (i < data.length) {
    if (data[i] !== '(') {
      error = err('syntax', 'GS1_BRACKET_SYNTAX', `expected "(" to open an Application Identifier, found ${JSON.stringify(data[i])}`, offset + i, 1);
      break;
    }
    const close = data.indexOf(')', i + 1);
    const ai = close === -1 ? '' : data.slice(i + 1, close);
    if (close === -1 || !/^\d{2,4}$/.test(ai)) {
      error = err('syntax', 'GS1_BRACKET_SYNTAX', 'an Application Identifier must be 2 to 4 digits in brackets, e.g. (01)', offset + i, close === -1 ? data.length - i : close - i + 1);
      break;
    }
    const def = aiDefinition(ai);
    if (!def) {
      error = err('unknownAI', 'GS1_UNKNOWN_AI', `(${ai}) is not a GS1 Application Identifier`, offset + i + 1, ai.length);
      break;
    }
    // The value runs to the next unescaped "(", with "\(" standing for a literal "(".
    let value = '';
    const map: number[] = [];
    let k = close + 1;
    while (k < data.length && data[k] !== '(') {
      if (data[k] === '\\' && data[k + 1] === '(') k++;
      map.push(offset + k);
      value += data[k];
      k++;
    }
    elements.push({ def, value, position: offset + i, aiLength: close - i + 1, valueOffset: offset + close + 1, ...(value.length === k - close - 1 ? {} : { positions: map }) });
    i = k;
  }
  return readGs1Elements(elements, [], error, ctx, 'delimited');
}
