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
import { canonicalDigitalLink, readDigitalLink } from './gs1/digital-link.js';
import { COUPON_ERROR_CODES } from './gs1/linters.js';
import { aisOf, hriOf, readBracketed, readElementString, type Gs1Reading } from './gs1/read.js';
import { missingSeparatorReadings as readingsOf, type MissingSeparatorReading } from './gs1/run-on.js';
import { parseHibc } from './hibc.js';
import { looksLikeIsbt128, parseIsbt128 } from './isbt128.js';
import { ERROR_CODES, type Carrier, type ErrorCode, type ParseError, type ParseOptions, type ParseResult, type ParseWarning } from './types.js';

export type * from './types.js';
export { ERROR_KINDS, WARNING_CODES } from './types.js';
/** The GS1 group separator (ASCII 29): FNC1 as a scanner transmits it inside the data. */
export { GS } from './gs1/elements.js';
export { RUN_ON_TAIL_AIS, type MissingSeparatorReading } from './gs1/run-on.js';

/** Every error code the parser can give, closed: the general ones and the coupon family's. */
export const PARSE_ERROR_CODES: readonly ErrorCode[] = [...ERROR_CODES, ...COUPON_ERROR_CODES];

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
  while (start < end && isWedgeNoise(raw.charCodeAt(start), true)) start++;
  while (end > start && isWedgeNoise(raw.charCodeAt(end - 1), false)) end--;
  if (start > 0 || end < raw.length) {
    warnings.push({
      code: 'SCANNER_NOISE_REMOVED',
      message: 'leading whitespace or a trailing CR/LF/TAB added by the scanner was ignored',
      position: start > 0 ? 0 : end,
      length: start > 0 ? start : raw.length - end,
    });
  }
  let symbologyId: string | undefined;
  if (end - start >= 3 && raw.charCodeAt(start) === 93 && isAsciiLetter(raw.charCodeAt(start + 1)) && isAsciiAlnum(raw.charCodeAt(start + 2))) {
    symbologyId = raw.slice(start, start + 3);
    start += 3;
  }
  return { data: raw.slice(start, end), offset: start, warnings, ...(symbologyId ? { symbologyId } : {}) };
}

/** Tab, CR, LF, and (leading only) space: what keyboard wedges add. A trailing space may be an HIBC check character. */
function isWedgeNoise(c: number, leading: boolean): boolean {
  return c === 9 || c === 10 || c === 13 || (leading && c === 32);
}
const isAsciiDigit = (c: number) => c >= 48 && c <= 57;
const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAsciiAlnum = (c: number) => isAsciiDigit(c) || isAsciiLetter(c);

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isAsciiDigit(s.charCodeAt(i))) return false;
  return s.length > 0;
}

const syntaxError = (code: ErrorCode, message: string, position: number, length: number): ParseError => ({ kind: 'syntax', code, message, position, length });

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

/**
 * Every reading of `value`, the value of GS1 AI `ai` on a label whose other
 * AIs are `ais`, as a shorter value followed by element strings it swallowed
 * through a dropped GS separator, best first. A POSSIBLE_MISSING_SEPARATOR
 * warning carries the first as its `reading`; its message counts the others.
 */
export function missingSeparatorReadings(ai: string, value: string, ais: Readonly<Record<string, string>>, options: ParseOptions = {}): MissingSeparatorReading[] {
  return readingsOf(ai, value, ais, { today: options.today ?? new Date() });
}

function dispatch(raw: string, today: Date): ParseResult {
  const p = prepare(raw);
  const ctx = { today };
  const { data, offset } = p;
  const unread = (error: ParseError): ParseResult => ({ valid: false, ...(p.symbologyId ? { symbologyId: p.symbologyId } : {}), raw, warnings: p.warnings, error });

  if (data.length === 0) return unread(syntaxError('EMPTY_INPUT', 'nothing was scanned', 0, raw.length));

  if (p.symbologyId && EAN_UPC_SYMBOLOGIES.has(p.symbologyId)) return eanUpc(raw, p);
  if (p.symbologyId && GS1_SYMBOLOGIES.has(p.symbologyId)) {
    return gs1(raw, p, 'gs1-element', elementString(data, offset, ctx));
  }
  if (data.charCodeAt(0) === 29) return gs1(raw, p, 'gs1-element', elementString(data.slice(1), offset + 1, ctx));
  const first = data.charCodeAt(0);
  if (first === 91 /* [ */) {
    const envelope = ISO15434_GS1.exec(data);
    if (envelope) return gs1(raw, p, 'gs1-element', elementString(envelope[1] ?? '', offset + 7, ctx));
  }
  if (first === 40 /* ( */) return gs1(raw, p, 'gs1-bracketed', readBracketed(data, offset, ctx));
  if ((first === 104 || first === 72) /* h */ && /^https?:\/\//i.test(data)) return gs1(raw, p, 'gs1-digital-link', readDigitalLink(data, offset, ctx));
  if (first === 43 /* + */) return hibc(raw, p, today);
  if ((first === 61 || first === 38) /* = & */ && looksLikeIsbt128(data)) return isbt128(raw, p, today);
  if ((data.length === 8 || data.length === 12 || data.length === 13 || data.length === 14) && allDigits(data)) {
    // A bare GTIN (EAN/UPC or ITF-14 from a scanner without symbology identifiers, or typed):
    // unless it has no valid check digit and reads as valid GS1 element strings instead, with
    // a date or a check digit of their own to vouch for them. A typed GTIN with one digit
    // wrong must not pass for a lot or an internal code; the one that passes for, say, an
    // expiry and a lot is flagged.
    if (gs1CheckDigit(data.slice(0, -1)) === data.at(-1)) return eanUpc(raw, p);
    const asElements = elementString(data, offset, ctx);
    if (!asElements.valid || !asElements.elements.some(isSelfChecking)) return eanUpc(raw, p);
    asElements.warnings.push({
      code: 'POSSIBLE_MISTYPED_GTIN',
      message: `${data.length} digits whose last is not a GTIN check digit, read as GS1 element strings: if a GTIN was typed, it has a typo`,
      position: offset,
      length: data.length,
    });
    return gs1(raw, p, 'gs1-element', asElements);
  }
  if (isAsciiDigit(first) && isAsciiDigit(data.charCodeAt(1))) return gs1(raw, p, 'gs1-element', elementString(data, offset, ctx));

  return unread(
    syntaxError(
      'UNRECOGNISED_CARRIER',
      'not a GS1 element string, bracketed GS1 data, GS1 Digital Link URI, HIBC or ISBT 128 data',
      offset,
      Math.min(data.length, 3),
    ),
  );
}

/** An element whose value a date or check digit rule vouches for: digits that happen to fit it are unlikely. */
function isSelfChecking(element: Gs1Reading['elements'][number]): boolean {
  return element.def.components.some((c) => c.linters.some((l) => l === 'csum' || l.startsWith('yy')));
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

/** The fields a reader found, before assembly into the public result. */
type Found = Omit<ParseResult, 'raw' | 'symbologyId'>;

/**
 * Builds the result with its keys always in the same order and only those
 * with a value: one object shape for V8, and JSON that carries only what was found.
 */
function assemble(raw: string, p: Prepared, f: Found): ParseResult {
  const out: Record<string, unknown> = { valid: f.valid };
  if (f.partial === true && f.valid) out.partial = true;
  out.issuingAgency = f.issuingAgency;
  out.carrier = f.carrier;
  if (p.symbologyId !== undefined) out.symbologyId = p.symbologyId;
  out.raw = raw;
  if (f.gtin !== undefined) out.gtin = f.gtin;
  if (f.di !== undefined) out.di = f.di;
  if (f.lotNumber !== undefined) out.lotNumber = f.lotNumber;
  if (f.serialNumber !== undefined) out.serialNumber = f.serialNumber;
  if (f.expirationDate !== undefined) out.expirationDate = f.expirationDate;
  if (f.manufacturingDate !== undefined) out.manufacturingDate = f.manufacturingDate;
  if (f.quantity !== undefined) out.quantity = f.quantity;
  if (f.ais !== undefined) out.ais = f.ais;
  if (f.hibc !== undefined) out.hibc = f.hibc;
  if (f.isbt128 !== undefined) out.isbt128 = f.isbt128;
  if (f.hri !== undefined) out.hri = f.hri;
  if (f.digitalLink !== undefined) out.digitalLink = f.digitalLink;
  out.warnings = p.warnings.length === 0 ? f.warnings : [...p.warnings, ...f.warnings];
  if (f.error !== undefined) out.error = f.error;
  return out as unknown as ParseResult;
}

/**
 * A GS1 result. `ais`, `hri` and `digitalLink` are derived from the elements
 * on first use (and by toJSON), so a caller that needs only the device fields
 * does not pay for building them.
 */
class Gs1Result implements ParseResult {
  readonly valid: boolean;
  readonly partial?: boolean;
  readonly issuingAgency = 'GS1' as const;
  readonly carrier: Carrier;
  readonly symbologyId?: string;
  readonly raw: string;
  readonly gtin?: string;
  readonly di?: string;
  readonly lotNumber?: string;
  readonly serialNumber?: string;
  readonly expirationDate?: string;
  readonly manufacturingDate?: string;
  readonly quantity?: number;
  readonly warnings: readonly ParseWarning[];
  readonly error?: ParseError;
  readonly #elements: Gs1Reading['elements'];
  readonly #prepared: Prepared;
  #ais: Record<string, string> | undefined;
  #hri: string | null | undefined;
  #digitalLink: string | null | undefined;

  constructor(raw: string, p: Prepared, carrier: Carrier, r: Gs1Reading) {
    this.valid = r.valid;
    if (r.partial && r.valid) this.partial = true;
    this.carrier = carrier;
    if (p.symbologyId !== undefined) this.symbologyId = p.symbologyId;
    this.raw = raw;
    if (r.gtin !== undefined) {
      this.gtin = r.gtin;
      this.di = r.gtin;
    }
    if (r.lotNumber !== undefined) this.lotNumber = r.lotNumber;
    if (r.serialNumber !== undefined) this.serialNumber = r.serialNumber;
    if (r.expirationDate !== undefined) this.expirationDate = r.expirationDate;
    if (r.manufacturingDate !== undefined) this.manufacturingDate = r.manufacturingDate;
    if (r.quantity !== undefined) this.quantity = r.quantity;
    this.warnings = p.warnings.length === 0 ? r.warnings : [...p.warnings, ...r.warnings];
    if (r.error !== undefined) this.error = r.error;
    this.#elements = r.elements;
    this.#prepared = p;
  }

  get ais(): Readonly<Record<string, string>> {
    return (this.#ais ??= aisOf(this.#elements));
  }

  get hri(): string | undefined {
    return (this.#hri ??= hriOf(this.#elements) ?? null) ?? undefined;
  }

  get digitalLink(): string | undefined {
    if (!this.valid) return undefined;
    return (this.#digitalLink ??= canonicalDigitalLink(this.#elements) ?? null) ?? undefined;
  }

  toJSON(): ParseResult {
    // The warnings are already merged: hand assemble() a preparation without its own.
    return assemble(this.raw, { ...this.#prepared, warnings: [] }, { ...this, ais: this.ais, hri: this.hri, digitalLink: this.digitalLink });
  }
}

function gs1(raw: string, p: Prepared, carrier: Carrier, r: Gs1Reading): ParseResult {
  return new Gs1Result(raw, p, carrier, r);
}

function eanUpc(raw: string, p: Prepared): ParseResult {
  const { data, offset } = p;
  const expected = p.symbologyId === ']E4' ? [8] : p.symbologyId === ']I1' ? [14] : p.symbologyId === ']E0' ? [12, 13] : [8, 12, 13, 14];
  const found = { issuingAgency: 'GS1' as const, carrier: 'ean-upc' as const, warnings: [] };
  if (!/^\d+$/.test(data) || !expected.includes(data.length)) {
    return assemble(raw, p, {
      ...found,
      valid: false,
      error: { kind: 'length', code: 'GTIN_LENGTH', message: `a GTIN here has ${expected.join(' or ')} digits, got ${JSON.stringify(data)}`, position: offset, length: data.length },
    });
  }
  const check = gs1CheckDigit(data.slice(0, -1));
  if (check !== data.at(-1)) {
    return assemble(raw, p, {
      ...found,
      valid: false,
      error: { kind: 'checkDigit', code: 'GS1_CHECK_DIGIT', message: `GTIN check digit is ${data.at(-1) ?? ''}, should be ${check}`, position: offset + data.length - 1, length: 1, ai: '01' },
    });
  }
  const gtin = data.padStart(14, '0');
  return assemble(raw, p, { ...found, valid: true, gtin, di: gtin, ais: { '01': gtin }, hri: `(01)${gtin}`, digitalLink: `https://id.gs1.org/01/${gtin}` });
}

function hibc(raw: string, p: Prepared, today: Date): ParseResult {
  const r = parseHibc(p.data, p.offset, today);
  return assemble(raw, p, {
    valid: r.error === undefined,
    partial: r.partial,
    issuingAgency: 'HIBCC',
    carrier: 'hibc',
    di: r.di,
    lotNumber: r.lotNumber,
    serialNumber: r.serialNumber,
    expirationDate: r.expirationDate,
    manufacturingDate: r.manufacturingDate,
    quantity: r.quantity,
    hibc: r.hibc,
    warnings: r.warnings,
    error: r.error,
  });
}

function isbt128(raw: string, p: Prepared, today: Date): ParseResult {
  const r = parseIsbt128(p.data, p.offset, today);
  return assemble(raw, p, {
    valid: r.error === undefined,
    issuingAgency: 'ICCBBA',
    carrier: 'isbt128',
    di: r.di,
    lotNumber: r.lotNumber,
    serialNumber: r.serialNumber,
    expirationDate: r.expirationDate,
    manufacturingDate: r.manufacturingDate,
    isbt128: r.isbt128,
    warnings: r.warnings,
    error: r.error,
  });
}
