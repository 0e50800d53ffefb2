import type { ParseError, ParseWarning } from '../types.js';
import { aiDefinition, type AiDefinition } from './ai-table.js';
import { err, type AiElement } from './elements.js';
import type { LintContext } from './linters.js';
import { readGs1Elements, type Gs1Reading } from './read.js';

/**
 * GS1 Digital Link, both ways: reading a URI into AI elements, and writing the
 * canonical URI of a reading (on https://id.gs1.org).
 *
 * GS1 Digital Link URIs (GS1 Digital Link standard 1.x, URI syntax):
 * http(s), any domain, an optional path prefix, then the primary key and its
 * qualifiers as /AI/value pairs in the standard's order, and data attributes
 * as ?AI=value query parameters. Other query parameters are not AIs and are
 * ignored.
 */
const URI = /^(https?):\/\/([^/?#\s]+)(\/[^?#]*)?(?:\?([^#]*))?(?:#.*)?$/i;

interface Segment {
  readonly text: string;
  readonly position: number;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Where the primary key starts: the first /AI/value whose following pairs are its qualifiers, in order. */
function findPrimaryKey(segments: readonly Segment[]): number {
  for (let k = 0; k + 1 < segments.length; k++) {
    if ((segments.length - k) % 2 !== 0) continue;
    const def = aiDefinition(segments[k]?.text ?? '');
    if (!def?.dlKeyQualifiers) continue;
    const qualifiers: string[] = [];
    for (let q = k + 2; q < segments.length; q += 2) qualifiers.push(segments[q]?.text ?? '');
    if (qualifiersInOrder(def, qualifiers)) return k;
  }
  return -1;
}

function qualifiersInOrder(def: AiDefinition, qualifiers: readonly string[]): boolean {
  if (qualifiers.length === 0) return true;
  return (def.dlKeyQualifiers ?? []).some((sequence) => {
    let at = 0;
    for (const q of qualifiers) {
      const found = sequence.indexOf(q, at);
      if (found === -1) return false;
      at = found + 1;
    }
    return true;
  });
}

export function readDigitalLink(data: string, offset: number, ctx: LintContext): Gs1Reading {
  const fail = (e: ParseError): Gs1Reading => readGs1Elements([], [], e, ctx, 'delimited');
  const m = URI.exec(data);
  if (!m) return fail(err('syntax', 'DL_URI_SYNTAX', 'not a well-formed http(s) URI', offset, data.length));
  const path = m[3] ?? '';
  const pathStart = offset + (m[1]?.length ?? 0) + 3 + (m[2]?.length ?? 0);

  const segments: Segment[] = [];
  let at = pathStart;
  for (const text of path.split('/').slice(1)) {
    at += 1;
    segments.push({ text, position: at });
    at += text.length;
  }
  if (segments.length > 0 && segments[segments.length - 1]?.text === '') segments.pop();

  const k = findPrimaryKey(segments);
  if (k === -1) {
    return fail(
      err('syntax', 'DL_NO_PRIMARY_KEY', 'the path holds no GS1 primary key (e.g. /01/<GTIN>) followed by its qualifiers in the standard order', pathStart, path.length),
    );
  }

  const elements: AiElement[] = [];
  const warnings: ParseWarning[] = [];
  for (let s = k; s + 1 < segments.length; s += 2) {
    const aiSeg = segments[s] as Segment;
    const valueSeg = segments[s + 1] as Segment;
    const def = aiDefinition(aiSeg.text) as AiDefinition;
    let value = decode(valueSeg.text);
    let positions: number[] | undefined;
    if (value === undefined) return fail(err('syntax', 'DL_BAD_PERCENT_ENCODING', `bad percent-encoding in the value of (${def.ai})`, valueSeg.position, valueSeg.text.length, def.ai));
    // The GTIN may be given as GTIN-8, -12 or -13 in a Digital Link; it is a GTIN-14 everywhere else.
    if (def.ai === '01' && /^(\d{8}|\d{12}|\d{13})$/.test(value)) {
      warnings.push({
        code: 'DIGITAL_LINK_SHORT_GTIN',
        message: `the GTIN is given with ${value.length} digits; read as the GTIN-14 ${value.padStart(14, '0')} (a canonical Digital Link uses 14)`,
        position: valueSeg.position,
        length: valueSeg.text.length,
        ai: '01',
      });
      // Positions point at the digits as given; the added zeros at the first of them.
      const pad = 14 - value.length;
      positions = Array.from({ length: 14 }, (_, i) => valueSeg.position + Math.max(i - pad, 0));
      value = value.padStart(14, '0');
    }
    elements.push({ ...element(def, value, aiSeg.position, valueSeg.position), ...(positions && { positions }) });
  }

  const query = m[4];
  if (query) {
    let qAt = offset + data.indexOf('?') + 1;
    for (const param of query.split('&')) {
      const position = qAt;
      qAt += param.length + 1;
      const eq = param.indexOf('=');
      const key = eq === -1 ? param : param.slice(0, eq);
      if (!/^\d{2,4}$/.test(key)) continue; // not an AI: ignored (linkType, context, ...)
      const def = aiDefinition(key);
      if (!def) return fail(err('unknownAI', 'GS1_UNKNOWN_AI', `query parameter ${key} is not a GS1 Application Identifier`, position, key.length));
      if (!def.dlAttribute) {
        return fail(err('syntax', 'DL_NOT_AN_ATTRIBUTE', `(${def.ai}) ${def.title} may not be a Digital Link data attribute`, position, param.length, def.ai));
      }
      const value = decode(eq === -1 ? '' : param.slice(eq + 1));
      if (value === undefined) return fail(err('syntax', 'DL_BAD_PERCENT_ENCODING', `bad percent-encoding in the value of (${def.ai})`, position, param.length, def.ai));
      elements.push(element(def, value, position, position + key.length + 1));
    }
  }
  return readGs1Elements(elements, warnings, undefined, ctx, 'delimited');
}

function element(def: AiDefinition, value: string, position: number, valuePosition: number): AiElement {
  return { def, value, position, aiLength: def.ai.length, valueOffset: valuePosition };
}

// ---------------------------------------------------------------------------
// Writing: the canonical URI of a reading

const PRODUCT_KEY_ORDER = ['01', '8006', '00', '414', '8018', '8017', '8004', '253', '255', '401', '402', '8003', '8010', '8013', '417'];

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
