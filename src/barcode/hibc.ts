/**
 * HIBC LIC data structures (ANSI/HIBC 2.x, "The Health Industry Supplier
 * Labeling Standard"): the primary structure (labeler, product, unit of
 * measure), the secondary structure (quantity, expiry, lot or serial) as a
 * separate symbol or concatenated after the primary, and the supplemental
 * data fields that follow the secondary (/14D, /16D, /S, /Q).
 *
 * Pure and total: every input gives a result, errors included. Positions in
 * errors and warnings are `offset` + the index into `data`.
 */
import type { ErrorCode, ErrorKind, HibcData, ParseError, ParseWarning } from './types.js';
import { daysInMonth, isoDate, ordinalDate, slidingCenturyYear } from './dates.js';

export interface HibcParse {
  readonly hibc?: HibcData;
  /** AccessGUDID style device identifier for HIBC: LIC + PCN + UoM (e.g. "A123PROD1231"). */
  readonly di?: string;
  readonly lotNumber?: string;
  readonly serialNumber?: string;
  /** YYYY-MM-DD */
  readonly expirationDate?: string;
  readonly manufacturingDate?: string;
  readonly quantity?: number;
  /** True for a secondary-only symbol (needs its primary). */
  readonly partial: boolean;
  readonly warnings: ParseWarning[];
  readonly error?: ParseError;
}

/** The 43 characters of the HIBC set, in the order of their check values (0..42). */
const CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%';
const ALPHANUMERIC = /^[A-Z0-9]$/;
const LETTER = /^[A-Z]$/;
const DIGIT = /^[0-9]$/;
/** Lot/batch and serial numbers: upper-case alphanumerics, '-' and '.'. */
const LOT_CHARACTER = /^[A-Z0-9.-]$/;

const LIC_LENGTH = 4;
const PCN_MAX = 18;
const LOT_MAX = 18;
/** The superseded "+YYJJJ" secondary leaves 13 characters for the lot. */
const LEGACY_LOT_MAX = 13;
const SERIAL_MAX = 18;
const QUANTITY_MAX_DIGITS = 5;

/**
 * Modulo-43 check character over the HIBC character set (0-9, A-Z, '-', '.',
 * ' ', '$', '/', '+', '%'), for label generation and tests. Returns undefined
 * if a character is outside the set.
 */
export function hibcCheckCharacter(text: string): string | undefined {
  let sum = 0;
  for (const c of text) {
    const value = CHARSET.indexOf(c);
    if (value < 0) return undefined;
    sum += value;
  }
  return CHARSET.charAt(sum % 43);
}

// ---------------------------------------------------------------------------
// Reading context

interface Fields {
  lotNumber?: string;
  serialNumber?: string;
  expirationDate?: string;
  manufacturingDate?: string;
  quantity?: number;
}

interface Primary {
  readonly lic: string;
  readonly pcn: string;
  readonly uom: string;
}

interface Ctx {
  readonly data: string;
  readonly offset: number;
  readonly today: Date;
  readonly fields: Fields;
  readonly warnings: ParseWarning[];
}

/** A field reader's answer: where reading goes on, or why it stopped. */
type Step = { readonly next: number } | { readonly error: ParseError };

function isError<T extends object>(step: T | { readonly error: ParseError }): step is { readonly error: ParseError } {
  return 'error' in step;
}

function fail(ctx: Ctx, kind: ErrorKind, code: ErrorCode, message: string, index: number, length: number): { error: ParseError } {
  return { error: { kind, code, message, position: ctx.offset + index, length } };
}

function warn(ctx: Ctx, code: ParseWarning['code'], message: string, index: number, length: number): void {
  ctx.warnings.push({ code, message, position: ctx.offset + index, length });
}

/** A character for a message; the space, a legal check character, is named. */
function show(c: string): string {
  return c === ' ' ? "' ' (space)" : `'${c}'`;
}

function inCharset(c: string): boolean {
  return c.length === 1 && CHARSET.includes(c);
}

/**
 * The first character of data[from, to) that `allowed` rejects: HIBC_CHARSET
 * when it is outside the HIBC set altogether, otherwise the field's own code.
 */
function badCharacter(ctx: Ctx, from: number, to: number, allowed: RegExp, kind: ErrorKind, code: ErrorCode, field: string): { error: ParseError } | undefined {
  for (let i = from; i < to; i++) {
    const c = ctx.data.charAt(i);
    if (allowed.test(c)) continue;
    if (!inCharset(c)) return charsetError(ctx, i);
    return fail(ctx, kind, code, `${show(c)} is not allowed in the ${field}`, i, 1);
  }
  return undefined;
}

function charsetError(ctx: Ctx, index: number): { error: ParseError } {
  const c = ctx.data.charAt(index);
  const code = c.codePointAt(0) ?? 0;
  return fail(
    ctx,
    'charset',
    'HIBC_CHARSET',
    `character ${JSON.stringify(c)} (U+${code.toString(16).toUpperCase().padStart(4, '0')}) is outside the HIBC character set (0-9, A-Z, '-', '.', space, '$', '/', '+', '%')`,
    index,
    1,
  );
}

// ---------------------------------------------------------------------------
// Entry point

/**
 * `data` starts with the HIBC flag character '+' (symbology identifier and
 * scanner noise already removed). `offset` is where `data` starts in the raw
 * input: every ParseError/ParseWarning position is offset + index into data.
 * Never throws.
 */
export function parseHibc(data: string, offset: number, today: Date): HibcParse {
  const ctx: Ctx = { data, offset, today, fields: {}, warnings: [] };
  if (!data.startsWith('+')) {
    const error = fail(ctx, 'syntax', 'HIBC_SYNTAX_FLAG', 'HIBC data must start with the flag character \'+\'', 0, data.length > 0 ? 1 : 0);
    return result(ctx, { partial: false, ...error });
  }
  const first = data.charAt(1);
  if (first === '') {
    return result(ctx, { partial: false, ...fail(ctx, 'syntax', 'HIBC_SYNTAX_TOO_SHORT', 'HIBC data ends after its flag character \'+\'', 1, 0) });
  }
  if (LETTER.test(first)) return readPrimaryLed(ctx);
  if (first === '$' || isLegacyJulian(data)) return readSecondarySymbol(ctx, 0, undefined);
  if (first === '/') {
    const error = fail(ctx, 'syntax', 'HIBC_SYNTAX_PROVIDER_DATA', "'+/' starts an HIBC Provider Applications Standard structure, not a supplier label", 1, 1);
    return result(ctx, { partial: false, ...error });
  }
  if (!inCharset(first)) return result(ctx, { partial: false, ...charsetError(ctx, 1) });
  const error = fail(
    ctx,
    'syntax',
    'HIBC_SYNTAX_LIC',
    `${show(first)} cannot start HIBC data: a Labeler Identification Code starts with a letter (A-Z), a secondary with '$' or a five-digit Julian date`,
    1,
    1,
  );
  return result(ctx, { partial: false, ...error });
}

/** "+YYJJJ": the superseded secondary that starts with a five-digit Julian date. */
function isLegacyJulian(data: string): boolean {
  return /^\+[0-9]{5}/.test(data);
}

interface Outcome {
  readonly primary?: Primary;
  readonly check?: string;
  readonly link?: string;
  readonly segments?: ReadonlyArray<'primary' | 'secondary'>;
  readonly partial: boolean;
  readonly error?: ParseError;
}

function result(ctx: Ctx, outcome: Outcome): HibcParse {
  const { primary, segments } = outcome;
  const hibc: HibcData | undefined =
    segments === undefined
      ? undefined
      : {
          lic: primary?.lic ?? '',
          pcn: primary?.pcn ?? '',
          uom: primary?.uom ?? '',
          ...(outcome.check !== undefined && { check: outcome.check }),
          ...(outcome.link !== undefined && { link: outcome.link }),
          segments,
        };
  const f = ctx.fields;
  return {
    ...(hibc !== undefined && { hibc }),
    ...(primary !== undefined && { di: primary.lic + primary.pcn + primary.uom }),
    ...(f.lotNumber !== undefined && { lotNumber: f.lotNumber }),
    ...(f.serialNumber !== undefined && { serialNumber: f.serialNumber }),
    ...(f.expirationDate !== undefined && { expirationDate: f.expirationDate }),
    ...(f.manufacturingDate !== undefined && { manufacturingDate: f.manufacturingDate }),
    ...(f.quantity !== undefined && { quantity: f.quantity }),
    partial: outcome.partial,
    warnings: ctx.warnings,
    ...(outcome.error !== undefined && { error: outcome.error }),
  };
}

// ---------------------------------------------------------------------------
// Symbol layouts

/**
 * Data that starts with a LIC. The primary data (LIC, PCN, UoM) is
 * alphanumeric, so the first other character tells the layout:
 * - none, or only the last character: a primary symbol "+LIC PCN U C";
 * - '/': primary and secondary concatenated in one symbol, "+LIC PCN U/secondary C";
 * - '+': a primary symbol and a separate secondary symbol read as one string
 *   (two linear symbols), "+LIC PCN U C+secondary L C". When the primary's
 *   check character is itself not alphanumeric, the '+' follows it.
 */
function readPrimaryLed(ctx: Ctx): HibcParse {
  const { data } = ctx;
  const last = data.length - 1;
  let i = 1;
  while (i < data.length && ALPHANUMERIC.test(data.charAt(i))) i++;
  if (i < last && data.charAt(i + 1) === '+') return readSymbolPair(ctx, i + 1);
  if (i < last && data.charAt(i) === '/') return readConcatenated(ctx, i);
  if (i < last && data.charAt(i) === '+') return readSymbolPair(ctx, i);
  return readPrimarySymbol(ctx);
}

/** "+LIC PCN U C" */
function readPrimarySymbol(ctx: Ctx): HibcParse {
  const last = ctx.data.length - 1;
  const primary = readPrimary(ctx, 1, last);
  if ('error' in primary) return result(ctx, { partial: false, error: primary.error });
  const checked = verifyCheck(ctx, 0, last);
  return result(ctx, { primary, check: ctx.data.charAt(last), segments: ['primary'], partial: false, ...checked });
}

/** "+LIC PCN U/secondary[/supplemental...] C": one check character over it all. */
function readConcatenated(ctx: Ctx, slash: number): HibcParse {
  const last = ctx.data.length - 1;
  const primary = readPrimary(ctx, 1, slash);
  if ('error' in primary) return result(ctx, { partial: false, error: primary.error });
  const base = { primary, segments: ['primary', 'secondary'] as const, partial: false };
  const secondary = readSecondaryData(ctx, slash + 1, last);
  if (secondary !== undefined) return result(ctx, { ...base, ...secondary });
  return result(ctx, { ...base, ...verifyCheck(ctx, 0, last) });
}

/** "+LIC PCN U C" immediately followed by "+secondary L C", L being that C. */
function readSymbolPair(ctx: Ctx, split: number): HibcParse {
  const primaryCheck = split - 1;
  const primary = readPrimary(ctx, 1, primaryCheck);
  if ('error' in primary) return result(ctx, { partial: false, error: primary.error });
  const check = ctx.data.charAt(primaryCheck);
  const base = { primary, check, segments: ['primary', 'secondary'] as const, partial: false };
  const primaryChecked = verifyCheck(ctx, 0, primaryCheck);
  if (primaryChecked.error !== undefined) return result(ctx, { ...base, ...primaryChecked });
  return readSecondarySymbol(ctx, split, base);
}

/**
 * A secondary symbol "+secondary[/supplemental...] L C" starting at `from`:
 * L, the link character, repeats the check character of its primary. On its
 * own (no `pair`) the result is partial: it needs its primary label.
 */
function readSecondarySymbol(ctx: Ctx, from: number, pair: (Outcome & { check: string }) | undefined): HibcParse {
  const { data } = ctx;
  const last = data.length - 1;
  const linkAt = last - 1;
  const base: Outcome = pair ?? { segments: ['secondary'], partial: true };
  if (last - from < 3) {
    const error = fail(ctx, 'syntax', 'HIBC_SYNTAX_TOO_SHORT', 'a secondary HIBC symbol needs its data, a link character and a check character', from, data.length - from);
    return result(ctx, { ...base, ...error });
  }
  const link = data.charAt(linkAt);
  const linked: Outcome = { ...base, link };
  if (pair === undefined) {
    warn(ctx, 'PARTIAL_LABEL', `secondary HIBC data without its primary: it needs its primary label; link character ${show(link)} must match the primary's check character`, linkAt, 1);
  }
  const secondary = readSecondaryData(ctx, from + 1, linkAt);
  if (secondary !== undefined) return result(ctx, { ...linked, ...secondary });
  if (!inCharset(link)) return result(ctx, { ...linked, ...charsetError(ctx, linkAt) });
  if (pair !== undefined && link !== pair.check) {
    const error = fail(ctx, 'hibcCheck', 'HIBC_LINK_CHARACTER', `link character ${show(link)} does not match the primary's check character ${show(pair.check)}`, linkAt, 1);
    return result(ctx, { ...linked, ...error });
  }
  return result(ctx, { ...linked, ...verifyCheck(ctx, from, last) });
}

/** The check character at `at`, over data[from, at). */
function verifyCheck(ctx: Ctx, from: number, at: number): { error?: ParseError } {
  const found = ctx.data.charAt(at);
  for (let i = from; i <= at; i++) {
    if (!inCharset(ctx.data.charAt(i))) return charsetError(ctx, i);
  }
  const expected = hibcCheckCharacter(ctx.data.slice(from, at)) ?? '';
  if (found === expected) return {};
  return fail(ctx, 'hibcCheck', 'HIBC_CHECK_CHARACTER', `check character ${show(found)} does not match the computed check character ${show(expected)}`, at, 1);
}

// ---------------------------------------------------------------------------
// Primary data: LIC (4, first alphabetic), PCN (1-18 alphanumeric), UoM (digit)

function readPrimary(ctx: Ctx, from: number, to: number): Primary | { error: ParseError } {
  const { data } = ctx;
  const licEnd = from + LIC_LENGTH;
  if (to < licEnd) {
    return fail(ctx, 'length', 'HIBC_LIC_LENGTH', `the Labeler Identification Code has ${Math.max(to - from, 0)} characters; it needs ${LIC_LENGTH}`, from, Math.max(to - from, 0));
  }
  const lic = badCharacter(ctx, from, licEnd, ALPHANUMERIC, 'charset', 'HIBC_LIC_CHARSET', 'Labeler Identification Code (A-Z, 0-9)');
  if (lic !== undefined) return lic;
  if (to === licEnd) {
    return fail(ctx, 'syntax', 'HIBC_SYNTAX_UOM_MISSING', 'the primary data ends after the Labeler Identification Code: the product number and unit of measure are missing', to, 0);
  }
  const uomAt = to - 1;
  const pcn = badCharacter(ctx, licEnd, uomAt, ALPHANUMERIC, 'charset', 'HIBC_PCN_CHARSET', 'product or catalogue number (A-Z, 0-9)');
  if (pcn !== undefined) return pcn;
  const pcnLength = uomAt - licEnd;
  if (pcnLength < 1 || pcnLength > PCN_MAX) {
    return fail(ctx, 'length', 'HIBC_PCN_LENGTH', `the product or catalogue number has ${pcnLength} characters; it needs 1 to ${PCN_MAX}`, licEnd, pcnLength);
  }
  const uom = data.charAt(uomAt);
  if (!DIGIT.test(uom)) {
    if (!inCharset(uom)) return charsetError(ctx, uomAt);
    return fail(ctx, 'syntax', 'HIBC_SYNTAX_UOM', `the unit of measure must be a digit (0-9), found ${show(uom)}`, uomAt, 1);
  }
  return { lic: data.slice(from, licEnd), pcn: data.slice(licEnd, uomAt), uom };
}

// ---------------------------------------------------------------------------
// Secondary data and supplemental fields

/** data[from, to): the secondary data field, then '/'-separated supplemental fields. */
function readSecondaryData(ctx: Ctx, from: number, to: number): { error: ParseError } | undefined {
  const ranges = splitFields(ctx.data, from, to);
  for (const [index, [start, end]] of ranges.entries()) {
    if (start === end) {
      const what = index === 0 ? 'the secondary data field is empty' : "empty data field between '/' separators";
      return fail(ctx, 'syntax', 'HIBC_SYNTAX_EMPTY_FIELD', what, start, 0);
    }
    const step = index === 0 ? readSecondary(ctx, start, end) : readSupplemental(ctx, start, end, index === ranges.length - 1);
    if (step !== undefined) return step;
  }
  return undefined;
}

function splitFields(data: string, from: number, to: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = from;
  for (let i = from; i < to; i++) {
    if (data.charAt(i) !== '/') continue;
    ranges.push([start, i]);
    start = i + 1;
  }
  ranges.push([start, to]);
  return ranges;
}

/**
 * The secondary data field:
 * - "YYJJJ lot"        superseded five-digit Julian expiry, lot of 0-13
 * - "$lot"             lot, no date
 * - "$+serial"         serial, no date
 * - "$$[+]..."         date format flag (and optional 2- or 5-digit quantity), then lot or serial ("+")
 */
function readSecondary(ctx: Ctx, from: number, to: number): { error: ParseError } | undefined {
  const { data } = ctx;
  const c = data.charAt(from);
  if (DIGIT.test(c)) return readLegacySecondary(ctx, from, to);
  if (c !== '$') {
    if (!inCharset(c)) return charsetError(ctx, from);
    return fail(ctx, 'syntax', 'HIBC_SYNTAX_SECONDARY', `secondary data starts with '$' or a five-digit Julian date, found ${show(c)}`, from, 1);
  }
  // Flags are read within the field only: past `to` are the link and check characters.
  const flagged = from + 1 < to && data.charAt(from + 1) === '$';
  const at = flagged ? from + 2 : from + 1;
  const serial = at < to && data.charAt(at) === '+';
  const start = serial ? at + 1 : at;
  if (!flagged) return readLotOrSerial(ctx, start, to, serial, serial ? SERIAL_MAX : LOT_MAX);
  const step = readQuantityAndDate(ctx, start, to);
  if (isError(step)) return step;
  return readLotOrSerial(ctx, step.next, to, serial, serial ? SERIAL_MAX : LOT_MAX);
}

/** "+YYJJJ lot": superseded by "+$$5YYJJJ lot" (Appendix F, note 1). */
function readLegacySecondary(ctx: Ctx, from: number, to: number): { error: ParseError } | undefined {
  const date = readDate(ctx, 'YYJJJ', from, to, 'expiry date');
  if (isError(date)) return date;
  ctx.fields.expirationDate = date.date;
  warn(ctx, 'LEGACY_CARRIER', "the '+YYJJJ' secondary format (Julian date, then lot) is superseded: new labels use '+$$5YYJJJ'", from, 5);
  return readLotOrSerial(ctx, from + 5, to, false, LEGACY_LOT_MAX);
}

/** After "$$" or "$$+": optional quantity ('8' QQ or '9' QQQQQ), then the date format flag and date. */
function readQuantityAndDate(ctx: Ctx, from: number, to: number): Step {
  const { data } = ctx;
  let at = from;
  const quantityFlag = at < to ? data.charAt(at) : '';
  if (quantityFlag === '8' || quantityFlag === '9') {
    const digits = quantityFlag === '8' ? 2 : 5;
    const quantity = readQuantity(ctx, at + 1, Math.min(at + 1 + digits, to), digits, digits);
    if (isError(quantity)) return quantity;
    warn(ctx, 'LEGACY_CARRIER', `the quantity flag ${show(quantityFlag)} in the secondary data is superseded: new labels carry the quantity in a '/Q' supplemental field`, at, 1 + digits);
    at = quantity.next;
    if (at === to) return { next: at };
  }
  return readExpiryByFlag(ctx, at, to);
}

const DATE_FORMATS: Readonly<Record<string, string>> = {
  '0': 'MMYY',
  '1': 'MMYY',
  '2': 'MMDDYY',
  '3': 'YYMMDD',
  '4': 'YYMMDDHH',
  '5': 'YYJJJ',
  '6': 'YYJJJHH',
};

/**
 * The date format flag: '0'/'1' are the first digit of an MMYY month; '2' to
 * '6' precede MMDDYY, YYMMDD, YYMMDDHH, YYJJJ, YYJJJHH; '7' means no date.
 */
function readExpiryByFlag(ctx: Ctx, at: number, to: number): Step {
  const flag = ctx.data.charAt(at);
  if (at >= to) {
    return fail(ctx, 'syntax', 'HIBC_SYNTAX_DATE_FLAG', "the date format flag (0-7) is missing after '$$'", at, 0);
  }
  if (flag === '7') return { next: at + 1 };
  const format = DATE_FORMATS[flag];
  if (format === undefined) {
    if (!inCharset(flag)) return charsetError(ctx, at);
    return fail(ctx, 'syntax', 'HIBC_SYNTAX_DATE_FLAG', `${show(flag)} is not a date format flag (0-7)`, at, 1);
  }
  const start = format === 'MMYY' ? at : at + 1;
  const date = readDate(ctx, format, start, to, 'expiry date');
  if (isError(date)) return date;
  ctx.fields.expirationDate = date.date;
  return { next: date.next };
}

function readLotOrSerial(ctx: Ctx, from: number, to: number, serial: boolean, max: number): { error: ParseError } | undefined {
  const name = serial ? 'serial number' : 'lot number';
  const prefix = serial ? 'HIBC_SERIAL' : 'HIBC_LOT';
  const bad = badCharacter(ctx, from, to, LOT_CHARACTER, 'charset', `${prefix}_CHARSET`, `${name} (A-Z, 0-9, '-', '.')`);
  if (bad !== undefined) return bad;
  if (to - from > max) return fail(ctx, 'length', `${prefix}_LENGTH`, `the ${name} has ${to - from} characters; at most ${max} are allowed`, from, to - from);
  if (to === from) return undefined;
  return assign(ctx, serial ? 'serialNumber' : 'lotNumber', ctx.data.slice(from, to), from, to - from);
}

/** Supplemental fields (ANSI/HIBC 2.3.2): /14D expiry, /16D manufacture, /S serial, /Q quantity (last). */
function readSupplemental(ctx: Ctx, from: number, to: number, isLast: boolean): { error: ParseError } | undefined {
  const text = ctx.data.slice(from, to);
  if (text.startsWith('14D') || text.startsWith('16D')) {
    const expiry = text.startsWith('14D');
    const what = expiry ? 'expiry date' : 'date of manufacture';
    const date = readDate(ctx, 'YYYYMMDD', from + 3, to, what);
    if (isError(date)) return date;
    if (date.next !== to) return fail(ctx, 'length', 'HIBC_DATE_LENGTH', `the ${what} (YYYYMMDD) has ${to - from - 3} characters; it needs 8`, from + 3, to - from - 3);
    return assign(ctx, expiry ? 'expirationDate' : 'manufacturingDate', date.date, from, to - from);
  }
  if (text.startsWith('S')) {
    if (to - from === 1) return fail(ctx, 'length', 'HIBC_SERIAL_LENGTH', "the '/S' serial number is empty; it needs 1 to 18 characters", to, 0);
    return readLotOrSerial(ctx, from + 1, to, true, SERIAL_MAX);
  }
  if (text.startsWith('Q')) {
    if (!isLast) return fail(ctx, 'syntax', 'HIBC_SYNTAX_QUANTITY_NOT_LAST', "the '/Q' quantity must be the last supplemental field", from, to - from);
    const quantity = readQuantity(ctx, from + 1, to, 1, QUANTITY_MAX_DIGITS);
    return isError(quantity) ? quantity : undefined;
  }
  const bad = badCharacter(ctx, from, to, LOT_CHARACTER, 'charset', 'HIBC_SUPPLEMENTAL_CHARSET', "supplemental data (A-Z, 0-9, '-', '.')");
  if (bad !== undefined) return bad;
  const identifier = /^[0-9]*[A-Z]?/.exec(text)?.[0] ?? '';
  return fail(
    ctx,
    'syntax',
    'HIBC_SYNTAX_SUPPLEMENTAL_IDENTIFIER',
    `unknown supplemental data identifier '${identifier}': expected 14D (expiry), 16D (manufacture), S (serial) or Q (quantity)`,
    from,
    Math.max(identifier.length, 1),
  );
}

function readQuantity(ctx: Ctx, from: number, to: number, min: number, max: number): Step {
  const bad = badCharacter(ctx, from, to, DIGIT, 'charset', 'HIBC_QUANTITY_CHARSET', 'quantity (digits only)');
  if (bad !== undefined) return bad;
  const length = to - from;
  if (length < min || length > max) {
    const needs = min === max ? `${min}` : `${min} to ${max}`;
    return fail(ctx, 'length', 'HIBC_QUANTITY_LENGTH', `the quantity has ${length} digits; it needs ${needs}`, from, length);
  }
  const step = assign(ctx, 'quantity', Number(ctx.data.slice(from, to)), from, length);
  return step ?? { next: to };
}

/** Sets a field once; a second value for the same field is a structure error. */
function assign<K extends keyof Fields>(ctx: Ctx, key: K, value: Required<Fields>[K], at: number, length: number): { error: ParseError } | undefined {
  if (ctx.fields[key] !== undefined) {
    return fail(ctx, 'syntax', 'HIBC_SYNTAX_DUPLICATE_FIELD', `the ${FIELD_NAMES[key]} appears twice`, at, length);
  }
  ctx.fields[key] = value;
  return undefined;
}

const FIELD_NAMES: Readonly<Record<keyof Fields, string>> = {
  lotNumber: 'lot number',
  serialNumber: 'serial number',
  expirationDate: 'expiry date',
  manufacturingDate: 'date of manufacture',
  quantity: 'quantity',
};

// ---------------------------------------------------------------------------
// Dates

type DateStep = { readonly date: string; readonly next: number } | { readonly error: ParseError };

/**
 * A fixed-length date in `format` (letters Y, M, D, J, H) at data[from...],
 * within data[from, to). Two-digit years use the sliding century of
 * dates.ts; MMYY means the last day of the month; hours are checked, then
 * dropped (the result is a calendar date).
 */
function readDate(ctx: Ctx, format: string, from: number, to: number, what: string): DateStep {
  const length = format.length;
  const available = Math.min(to - from, length);
  const bad = badCharacter(ctx, from, from + available, DIGIT, 'date', 'HIBC_DATE_NOT_NUMERIC', `${what} (${format}, digits only)`);
  if (bad !== undefined) return bad;
  if (available < length) {
    return fail(ctx, 'length', 'HIBC_DATE_LENGTH', `the ${what} (${format}) has ${available} digits; it needs ${length}`, from, available);
  }
  const text = ctx.data.slice(from, from + length);
  const date = calendarDate(ctx, format, text, from, what);
  return isError(date) ? date : { date: date.date, next: from + length };
}

interface Part {
  readonly value: number;
  readonly raw: string;
  readonly at: number;
}

function part(format: string, text: string, key: string): Part | undefined {
  const at = format.indexOf(key);
  if (at < 0) return undefined;
  const raw = text.slice(at, at + key.length);
  return { value: Number(raw), raw, at };
}

function calendarDate(ctx: Ctx, format: string, text: string, from: number, what: string): { date: string } | { error: ParseError } {
  const fullYear = part(format, text, 'YYYY');
  const shortYear = part(format, text, 'YY');
  const year = fullYear?.value ?? slidingCenturyYear(shortYear?.value ?? 0, ctx.today);
  const month = part(format, text, 'MM');
  const day = part(format, text, 'DD');
  const dayOfYear = part(format, text, 'JJJ');
  const hour = part(format, text, 'HH');
  const dateError: DateFail = (code, message, p) =>
    fail(ctx, 'date', code, `${what}: ${message}`, from + p.at, p.raw.length);

  const date = dayOfYear !== undefined ? julianDate(year, dayOfYear, dateError) : monthDate(year, month, day, dateError);
  if (isError(date)) return date;
  if (hour !== undefined && hour.value > 23) return dateError('HIBC_DATE_HOUR', `hour ${hour.raw} does not exist`, hour);
  return date;
}

const NO_PART: Part = { value: 0, raw: '', at: 0 };

type DateFail = (code: ErrorCode, message: string, p: Part) => { error: ParseError };

function julianDate(year: number, dayOfYear: Part, dateError: DateFail): { date: string } | { error: ParseError } {
  const date = ordinalDate(year, dayOfYear.value);
  if (date === undefined) return dateError('HIBC_DATE_DAY_OF_YEAR', `day ${dayOfYear.raw} of the year does not exist in ${year}`, dayOfYear);
  return { date };
}

/** MM (then DD when present; without DD, the month's last day). Every format without JJJ has MM. */
function monthDate(year: number, month: Part | undefined, day: Part | undefined, dateError: DateFail): { date: string } | { error: ParseError } {
  const m = month?.value ?? 0;
  if (month === undefined || m < 1 || m > 12) return dateError('HIBC_DATE_MONTH', `month ${month?.raw ?? ''} does not exist`, month ?? NO_PART);
  const last = daysInMonth(year, m);
  if (day === undefined) return { date: isoDate(year, m, last) };
  if (day.value < 1 || day.value > last) {
    return dateError('HIBC_DATE_DAY', `day ${day.raw} does not exist in ${isoDate(year, m, 1).slice(0, 7)}`, day);
  }
  return { date: isoDate(year, m, day.value) };
}
