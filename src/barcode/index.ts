/**
 * parseBarcode: one entry for every carrier a theatre scanner sends. Pure:
 * no I/O, no framework; never throws on any input.
 *
 * Order of work: strip keyboard-wedge noise, read the AIM symbology
 * identifier, recognise the carrier, hand it to its reader, and assemble
 * the result in the AccessGUDID-like vocabulary of ./types.ts.
 */
import { GS } from './gs1/elements.js';
import { gs1CheckDigit } from './gs1/check-digit.js';
import { readDigitalLink } from './gs1/digital-link.js';
import { readBracketed, readElementString, type Gs1Reading } from './gs1/read.js';
import { parseHibc } from './hibc.js';
import { looksLikeIsbt128, parseIsbt128 } from './isbt128.js';
import type { Carrier, IssuingAgency, ParseError, ParseOptions, ParseResult, ParseWarning } from './types.js';

export type * from './types.js';

/** AIM symbology identifiers whose data is a GS1 element string. */
const GS1_SYMBOLOGIES = new Set([']C1', ']d2', ']Q3', ']e0', ']J1', ']e1', ']e2']);
const EAN_UPC_SYMBOLOGIES = new Set([']E0', ']E4', ']I1']);

/** Characters misconfigured scanners send in place of GS (ASCII 29). None is in GS1 CSET 82. */
const SEPARATOR_SUBSTITUTES = ['^', '~', '|', '{', '}', '`', '@', '#', '\\', '\u001c', '\u001e', '\u001f'];

/** ISO/IEC 15434 envelope around GS1 (format 05) data: [)> RS 05 GS ... RS EOT. */
// eslint-disable-next-line no-control-regex -- RS, GS and EOT are the envelope's own delimiters
const ISO15434_GS1 = /^\[\)>\u001e05\u001d([\s\S]*?)(?:\u001e\u0004?)?$/;

interface Prepared {
  readonly data: string;
  readonly offset: number;
  readonly symbologyId?: string;
  readonly warnings: ParseWarning[];
}

/** Removes what keyboard wedges add (leading whitespace, trailing CR/LF/TAB; never trailing spaces) and the AIM identifier. */
function prepare(raw: string): Prepared {
  const warnings: ParseWarning[] = [];
  let start = 0;
  let end = raw.length;
  while (start < end && ' \t\r\n'.includes(raw[start] as string)) start++;
  while (end > start && '\r\n\t'.includes(raw[end - 1] as string)) end--;
  if (start > 0 || end < raw.length) {
    warnings.push({
      code: 'SCANNER_NOISE_REMOVED',
      message: 'leading whitespace or a trailing CR/LF/TAB added by the scanner was ignored',
      position: start > 0 ? 0 : end,
      length: start > 0 ? start : raw.length - end,
    });
  }
  let symbologyId: string | undefined;
  if (raw[start] === ']' && end - start >= 3 && /^\][A-Za-z][0-9A-Za-z]$/.test(raw.slice(start, start + 3))) {
    symbologyId = raw.slice(start, start + 3);
    start += 3;
  }
  return { data: raw.slice(start, end), offset: start, warnings, ...(symbologyId ? { symbologyId } : {}) };
}

const syntaxError = (code: string, message: string, position: number, length: number): ParseError => ({ kind: 'syntax', code, message, position, length });

export function parseBarcode(raw: string, options: ParseOptions = {}): ParseResult {
  const input = typeof raw === 'string' ? raw : '';
  try {
    return dispatch(input, options.today ?? new Date());
  } catch (cause) {
    // A safety net, not a code path: the property tests assert it is never reached.
    return {
      valid: false,
      raw: input,
      warnings: [],
      error: syntaxError('PARSER_FAILURE', `the parser failed on this input (${cause instanceof Error ? cause.message : 'unknown'})`, 0, input.length),
    };
  }
}

function dispatch(raw: string, today: Date): ParseResult {
  const p = prepare(raw);
  const ctx = { today };
  const base = { raw, ...(p.symbologyId ? { symbologyId: p.symbologyId } : {}) };
  const { data, offset } = p;

  if (data.length === 0) {
    return { ...base, valid: false, warnings: p.warnings, error: syntaxError('EMPTY_INPUT', 'nothing was scanned', 0, raw.length) };
  }

  if (p.symbologyId && EAN_UPC_SYMBOLOGIES.has(p.symbologyId)) return eanUpc(base, p);
  if (p.symbologyId && GS1_SYMBOLOGIES.has(p.symbologyId)) {
    return gs1(base, p, 'gs1-element', elementString(data, offset, ctx));
  }
  if (data.charCodeAt(0) === 29) return gs1(base, p, 'gs1-element', elementString(data.slice(1), offset + 1, ctx));
  const envelope = ISO15434_GS1.exec(data);
  if (envelope) return gs1(base, p, 'gs1-element', elementString(envelope[1] ?? '', offset + 7, ctx));
  if (data[0] === '(') return gs1(base, p, 'gs1-bracketed', readBracketed(data, offset, ctx));
  if (/^https?:\/\//i.test(data)) return gs1(base, p, 'gs1-digital-link', readDigitalLink(data, offset, ctx));
  if (data[0] === '+') return hibc(base, p, today);
  if (looksLikeIsbt128(data)) return isbt128(base, p, today);
  if (/^\d+$/.test(data) && [8, 12, 13, 14].includes(data.length)) {
    // A bare GTIN (EAN/UPC or ITF-14 from a scanner without symbology identifiers, or typed):
    // unless it has no valid check digit and reads as valid GS1 element strings instead.
    if (gs1CheckDigit(data.slice(0, -1)) === data.at(-1)) return eanUpc(base, p);
    const asElements = elementString(data, offset, ctx);
    if (asElements.valid) return gs1(base, p, 'gs1-element', asElements);
    return eanUpc(base, p);
  }
  if (/^\d\d/.test(data)) return gs1(base, p, 'gs1-element', elementString(data, offset, ctx));

  return {
    ...base,
    valid: false,
    warnings: p.warnings,
    error: syntaxError(
      'UNRECOGNISED_CARRIER',
      'not a GS1 element string, bracketed GS1 data, GS1 Digital Link URI, HIBC or ISBT 128 data',
      offset,
      Math.min(data.length, 3),
    ),
  };
}

/** GS1 element string, retrying with a substitute separator when the scanner sent one instead of GS. */
function elementString(data: string, offset: number, ctx: { today: Date }): Gs1Reading {
  const reading = readElementString(data, offset, ctx);
  if (reading.valid || data.includes(GS)) return reading;
  for (const sub of SEPARATOR_SUBSTITUTES) {
    const at = data.indexOf(sub);
    if (at === -1) continue;
    const retry = readElementString(data.replaceAll(sub, GS), offset, ctx);
    if (retry.valid) {
      retry.warnings.push({
        code: 'UNEXPECTED_SEPARATOR_CHARACTER',
        message: `${JSON.stringify(sub)} was read as the GS (FNC1) separator: configure the scanner to send ASCII 29`,
        position: offset + at,
        length: 1,
      });
      return retry;
    }
  }
  return reading;
}

function gs1(base: { raw: string; symbologyId?: string }, p: Prepared, carrier: Carrier, r: Gs1Reading): ParseResult {
  return compact({
    ...base,
    valid: r.valid,
    ...(r.partial ? { partial: true } : {}),
    issuingAgency: 'GS1',
    carrier,
    gtin: r.gtin,
    di: r.gtin,
    lotNumber: r.lotNumber,
    serialNumber: r.serialNumber,
    expirationDate: r.expirationDate,
    manufacturingDate: r.manufacturingDate,
    quantity: r.quantity,
    ais: r.ais,
    hri: r.hri,
    digitalLink: r.digitalLink,
    warnings: [...p.warnings, ...r.warnings],
    error: r.error,
  });
}

function eanUpc(base: { raw: string; symbologyId?: string }, p: Prepared): ParseResult {
  const { data, offset } = p;
  const expected = p.symbologyId === ']E4' ? [8] : p.symbologyId === ']I1' ? [14] : p.symbologyId === ']E0' ? [12, 13] : [8, 12, 13, 14];
  const common = { ...base, issuingAgency: 'GS1' as IssuingAgency, carrier: 'ean-upc' as Carrier };
  if (!/^\d+$/.test(data) || !expected.includes(data.length)) {
    return {
      ...common,
      valid: false,
      warnings: p.warnings,
      error: { kind: 'length', code: 'GTIN_LENGTH', message: `a GTIN here has ${expected.join(' or ')} digits, got ${JSON.stringify(data)}`, position: offset, length: data.length },
    };
  }
  const check = gs1CheckDigit(data.slice(0, -1));
  if (check !== data.at(-1)) {
    return {
      ...common,
      valid: false,
      warnings: p.warnings,
      error: { kind: 'checkDigit', code: 'GS1_CHECK_DIGIT', message: `GTIN check digit is ${data.at(-1) ?? ''}, should be ${check}`, position: offset + data.length - 1, length: 1, ai: '01' },
    };
  }
  const gtin = data.padStart(14, '0');
  return { ...common, valid: true, gtin, di: gtin, ais: { '01': gtin }, hri: `(01)${gtin}`, digitalLink: `https://id.gs1.org/01/${gtin}`, warnings: p.warnings };
}

function hibc(base: { raw: string; symbologyId?: string }, p: Prepared, today: Date): ParseResult {
  const r = parseHibc(p.data, p.offset, today);
  return compact({
    ...base,
    valid: r.error === undefined,
    ...(r.partial && !r.error ? { partial: true } : {}),
    issuingAgency: 'HIBCC',
    carrier: 'hibc',
    di: r.di,
    lotNumber: r.lotNumber,
    serialNumber: r.serialNumber,
    expirationDate: r.expirationDate,
    manufacturingDate: r.manufacturingDate,
    quantity: r.quantity,
    hibc: r.hibc,
    warnings: [...p.warnings, ...r.warnings],
    error: r.error,
  });
}

function isbt128(base: { raw: string; symbologyId?: string }, p: Prepared, today: Date): ParseResult {
  const r = parseIsbt128(p.data, p.offset, today);
  return compact({
    ...base,
    valid: r.error === undefined,
    issuingAgency: 'ICCBBA',
    carrier: 'isbt128',
    di: r.di,
    lotNumber: r.lotNumber,
    serialNumber: r.serialNumber,
    expirationDate: r.expirationDate,
    manufacturingDate: r.manufacturingDate,
    isbt128: r.isbt128,
    warnings: [...p.warnings, ...r.warnings],
    error: r.error,
  });
}

/** Drops keys whose value is undefined, so the JSON form carries only what was found. */
function compact<T extends object>(result: T): ParseResult {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(result)) if (v !== undefined) out[k] = v;
  return out as unknown as ParseResult;
}
