import { isDateFailure, resolveDate } from '../dates.js';
import type { ParseError, ParseWarning } from '../types.js';
import { aiDefinition, matchAi } from './ai-table.js';
import { err, rawIndex, splitElementString, validateAssociations, validateElement, type AiElement } from './elements.js';
import type { LintContext } from './linters.js';

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
 * Where a value seems to run on into further element strings because a
 * scanner dropped the GS separator: the offset within the value at which the
 * head is a valid value of its AI and the rest reads as valid AIs, including
 * at least one of fixed size (strong evidence: an expiry date, or a GTIN or
 * GSRN with its check digit).
 */
function runOnPoint(el: AiElement, ctx: LintContext): number | undefined {
  const { value } = el;
  for (let j = 1; j + 2 <= value.length; j++) {
    const c0 = value.charCodeAt(j);
    const c1 = value.charCodeAt(j + 1);
    if (c0 < 48 || c0 > 57 || c1 < 48 || c1 > 57) continue;
    const first = matchAi(value, j);
    if (!first || value.length - j - first.ai.length < first.minLength) continue;
    const rest = splitElementString(value.slice(j), 0);
    if (rest.error || rest.elements.length === 0) continue;
    if (!rest.elements.some((e) => e.def.minLength === e.def.maxLength)) continue;
    // The value before the split must itself be a valid value of its AI.
    if (validateElement({ ...el, value: value.slice(0, j) }, ctx) !== undefined) continue;
    if (rest.elements.every((e) => validateElement(e, ctx) === undefined)) return j;
  }
  return undefined;
}

function describeRunOn(el: AiElement, j: number): string {
  const rest = splitElementString(el.value.slice(j), 0).elements.map((e) => `(${e.def.ai})${e.value}`).join('');
  return `(${el.def.ai}) ${el.def.title} "${el.value}" reads on into ${rest}: a GS (FNC1) separator after "${el.value.slice(0, j)}" is probably missing`;
}

const PRODUCT_KEY_ORDER = ['01', '8006', '00', '414', '8018', '8017', '8004', '253', '255', '401', '402', '8003', '8010', '8013', '417'];

export function escapeHri(value: string): string {
  return value.includes('(') ? value.replaceAll('(', '\\(') : value;
}

const UNRESERVED = /^[A-Za-z0-9._~-]*$/;

/** Percent-encodes a Digital Link value: everything but unreserved characters. */
function dlEncode(value: string): string {
  if (UNRESERVED.test(value)) return value;
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonical GS1 Digital Link URI for these elements, when they can form one. */
export function canonicalDigitalLink(elements: readonly AiElement[]): string | undefined {
  let key: AiElement | undefined;
  for (const e of elements) if (e.def.dlKeyQualifiers !== null && (key === undefined || rank(e.def.ai) < rank(key.def.ai))) key = e;
  if (key === undefined) return undefined;
  const sequences = key.def.dlKeyQualifiers ?? [];
  const find = (ai: string) => elements.find((e) => e.def.ai === ai);
  const sequence = sequences.find((seq) => seq.some((q) => find(q) !== undefined)) ?? [];
  let uri = `https://id.gs1.org/${key.def.ai}/${dlEncode(key.value)}`;
  for (const q of sequence) {
    const e = find(q);
    if (e) uri += `/${q}/${dlEncode(e.value)}`;
  }
  let query = '';
  for (const e of elements) {
    if (e === key || sequence.includes(e.def.ai)) continue;
    // Another key, a qualifier of another sequence, or an AI that may not be an attribute: no Digital Link.
    if (!e.def.dlAttribute || e.def.dlKeyQualifiers !== null || sequences.some((seq) => seq.includes(e.def.ai))) return undefined;
    if (elements.find((x) => x.def.ai === e.def.ai) !== e) continue; // a repeat (same value: validated)
    query += `${query ? '&' : '?'}${e.def.ai}=${dlEncode(e.value)}`;
  }
  return uri + query;
}

function rank(ai: string): number {
  const i = PRODUCT_KEY_ORDER.indexOf(ai);
  return i === -1 ? PRODUCT_KEY_ORDER.length : i;
}

/**
 * Validates AI elements (already split by their carrier) and derives the
 * device fields: GTIN, lot, serial, dates, quantity, HRI and Digital Link.
 */
export function readGs1Elements(
  elements: readonly AiElement[],
  warnings: ParseWarning[],
  splitError: ParseError | undefined,
  ctx: LintContext,
): Gs1Reading {
  let error = splitError;
  const checked: AiElement[] = [];
  for (const el of elements) {
    const failure = validateElement(el, ctx);
    const variable = !el.def.fixedLength;
    if (failure) {
      const j = variable && (failure.kind === 'length' || failure.kind === 'charset') ? runOnPoint(el, ctx) : undefined;
      error =
        j === undefined
          ? failure
          : err('missingFNC1', 'GS1_MISSING_FNC1', describeRunOn(el, j), rawIndex(el, j), el.value.length - j, el.def.ai);
      break;
    }
    // A value that is exactly its AI's one size cannot have swallowed anything; only a
    // variable-length one can, and still be legal.
    if (variable && el.def.minLength !== el.def.maxLength && el.value.length >= 3) {
      const j = runOnPoint(el, ctx);
      if (j !== undefined) {
        warnings.push({ code: 'POSSIBLE_MISSING_SEPARATOR', message: `${describeRunOn(el, j)}; read as one value, as GS1 syntax requires`, position: rawIndex(el, j), length: el.value.length - j, ai: el.def.ai });
      }
    }
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
  return readGs1Elements(split.elements, split.warnings, split.error, ctx);
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
  return readGs1Elements(elements, [], error, ctx);
}
