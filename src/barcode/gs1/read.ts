import { isDateFailure, resolveDate } from '../dates.js';
import type { ParseError, ParseWarning } from '../types.js';
import { aiDefinition } from './ai-table.js';
import { err, splitElementString, validateAssociations, validateElement, type AiElement } from './elements.js';
import type { LintContext } from './linters.js';

/** What the GS1 reader found, whatever the carrier it came in. */
export interface Gs1Reading {
  readonly valid: boolean;
  readonly partial: boolean;
  readonly ais: Record<string, string>;
  readonly gtin?: string;
  readonly lotNumber?: string;
  readonly serialNumber?: string;
  readonly expirationDate?: string;
  readonly manufacturingDate?: string;
  readonly quantity?: number;
  readonly hri?: string;
  readonly digitalLink?: string;
  readonly warnings: ParseWarning[];
  readonly error?: ParseError;
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
  return value.replaceAll('(', '\\(');
}

/** Percent-encodes a Digital Link value: everything but unreserved characters. */
function dlEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonical GS1 Digital Link URI for these elements, when they can form one. */
export function canonicalDigitalLink(elements: readonly AiElement[]): string | undefined {
  const keys = elements.filter((e) => e.def.dlKeyQualifiers !== null);
  if (keys.length === 0) return undefined;
  const key = [...keys].sort((a, b) => rank(a.def.ai) - rank(b.def.ai))[0] as AiElement;
  const qualifierSeqs = key.def.dlKeyQualifiers ?? [];
  const present = new Map(elements.map((e) => [e.def.ai, e.value]));
  const seq = qualifierSeqs.find((s) => s.some((q) => present.has(q))) ?? [];
  const used = new Set([key.def.ai, ...seq.filter((q) => present.has(q))]);
  const attributes = elements.filter((e) => !used.has(e.def.ai));
  if (attributes.some((e) => !e.def.dlAttribute || e.def.dlKeyQualifiers !== null)) return undefined;
  if (qualifierSeqs.length > 0 && elements.some((e) => !used.has(e.def.ai) && qualifierSeqs.some((s) => s.includes(e.def.ai)))) return undefined;
  let uri = `https://id.gs1.org/${key.def.ai}/${dlEncode(key.value)}`;
  for (const q of seq) {
    const v = present.get(q);
    if (v !== undefined) uri += `/${q}/${dlEncode(v)}`;
  }
  const seen = new Set<string>();
  const query = attributes.filter((e) => !seen.has(e.def.ai) && seen.add(e.def.ai)).map((e) => `${e.def.ai}=${dlEncode(e.value)}`);
  return query.length > 0 ? `${uri}?${query.join('&')}` : uri;
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
          : err('missingFNC1', 'GS1_MISSING_FNC1', describeRunOn(el, j), el.rawIndex(j), el.value.length - j, el.def.ai);
      break;
    }
    if (variable && el.value.length >= 3) {
      const j = runOnPoint(el, ctx);
      if (j !== undefined) {
        warnings.push({ code: 'POSSIBLE_MISSING_SEPARATOR', message: `${describeRunOn(el, j)}; read as one value, as GS1 syntax requires`, position: el.rawIndex(j), length: el.value.length - j, ai: el.def.ai });
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

  const ais: Record<string, string> = {};
  for (const el of checked) ais[el.def.ai] ??= el.value;
  const fields = deviceFields(ais, ctx);
  const valid = error === undefined;
  const hri = checked.map((e) => `(${e.def.ai})${escapeHri(e.value)}`).join('');
  const digitalLink = valid ? canonicalDigitalLink(checked) : undefined;
  return {
    valid,
    partial,
    ais,
    ...fields,
    ...(hri ? { hri } : {}),
    ...(digitalLink ? { digitalLink } : {}),
    warnings,
    ...(error ? { error } : {}),
  };
}

function deviceFields(ais: Readonly<Record<string, string>>, ctx: LintContext) {
  const date = (ai: string) => {
    const v = ais[ai];
    if (v === undefined) return undefined;
    const d = resolveDate(v, ctx.today, true);
    return isDateFailure(d) ? undefined : d.date;
  };
  const expirationDate = date('17');
  const manufacturingDate = date('11');
  const count = ais['30'] ?? ais['37'];
  return {
    ...(ais['01'] !== undefined ? { gtin: ais['01'] } : {}),
    ...(ais['10'] !== undefined ? { lotNumber: ais['10'] } : {}),
    ...(ais['21'] !== undefined ? { serialNumber: ais['21'] } : {}),
    ...(expirationDate ? { expirationDate } : {}),
    ...(manufacturingDate ? { manufacturingDate } : {}),
    ...(count !== undefined && /^\d+$/.test(count) ? { quantity: Number(count) } : {}),
  };
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
    const valueStart = offset + close + 1;
    elements.push({ def, value, position: offset + i, aiLength: close - i + 1, rawIndex: (n) => map[n] ?? (map.length > 0 ? (map[map.length - 1] as number) + 1 + n - map.length : valueStart + n) });
    i = k;
  }
  return readGs1Elements(elements, [], error, ctx);
}
