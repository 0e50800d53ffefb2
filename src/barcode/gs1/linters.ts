/**
 * The GS1 Barcode Syntax Dictionary "linters": content checks applied to one
 * component of an Application Identifier's value, after its length and
 * character set have been checked. Each linter is named as in the dictionary
 * (e.g. "csum" in `01  N14,csum,gcppos2`).
 *
 * Rules follow the GS1 Barcode Syntax Tests (the reference linters of the
 * GS1 Barcode Syntax Engine, Apache-2.0); code lists live in ./lint-data.ts.
 * One deliberate difference: two-digit years use the GS1 sliding century
 * relative to the caller's "today" (LintContext), not a compiled-in year.
 *
 * Pure and allocation-light on the success path. A linter never throws:
 * any input, including an empty or non-ASCII string, yields either
 * `undefined` (pass) or a LintFailure whose offset/length lie within the value.
 */
import { checkDate, type DateFailure, isDateFailure, resolveDate } from '../dates.js';
import type { CouponErrorCode, ErrorCode, ErrorKind } from '../types.js';
import {
  AIDC_MEDIA_TYPES,
  CSET32_ORDER,
  CSET82_ORDER,
  IMPORTER_INDEX_CHARACTERS,
  ISO3166_ALPHA2,
  ISO3166_NUMERIC,
  ISO4217_NUMERIC,
  ISO5218_CODES,
  PACKAGE_TYPES,
  WINDING_DIRECTIONS,
} from './lint-data.js';
import { mod10Sum } from './check-digit.js';

export interface LintFailure {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly message: string;
  /** offset within the component value */
  readonly offset: number;
  readonly length: number;
}

export interface LintContext {
  readonly today: Date;
}

export type Linter = (value: string, ctx: LintContext) => LintFailure | undefined;

// ---------------------------------------------------------------------------
// Small helpers

function fail(kind: ErrorKind, code: ErrorCode, message: string, offset: number, length: number): LintFailure {
  return { kind, code, message, offset, length };
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;

function isDigitCode(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

/** Index of the first non-digit in value[from, to), or -1. */
function firstNonDigit(value: string, from = 0, to = value.length): number {
  for (let i = from; i < to; i++) if (!isDigitCode(value.charCodeAt(i))) return i;
  return -1;
}

/** True when value[from, to) is all '0' (also when empty). */
function allZeros(value: string, from = 0, to = value.length): boolean {
  for (let i = from; i < to; i++) if (value.charCodeAt(i) !== DIGIT_0) return false;
  return true;
}

/** Sign of the comparison of two equal-length digit runs, value[a, a+len) and value[b, b+len). */
function compareRuns(value: string, a: number, b: number, len: number): number {
  for (let i = 0; i < len; i++) {
    const d = value.charCodeAt(a + i) - value.charCodeAt(b + i);
    if (d !== 0) return d;
  }
  return 0;
}

/** One character for a message: quoted when printable ASCII, otherwise U+XXXX. */
function describe(value: string, at: number): string {
  const c = value.charCodeAt(at);
  return c >= 0x20 && c < 0x7f ? JSON.stringify(value.charAt(at)) : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function nonDigit(value: string, at: number): LintFailure {
  return fail('charset', 'GS1_NON_DIGIT_CHARACTER', `${describe(value, at)} is not a digit`, at, 1);
}

/** Fails on the first non-digit of the whole value. */
function digitsOnly(value: string): LintFailure | undefined {
  const bad = firstNonDigit(value);
  return bad >= 0 ? nonDigit(value, bad) : undefined;
}

// ---------------------------------------------------------------------------
// Check digits

/** GS1 mod-10 check digit (GTIN, SSCC, GLN, GRAI, ...): weights 3,1,3,... from the right, check digit excluded. */
function csum(value: string): LintFailure | undefined {
  const n = value.length;
  if (n === 0) return fail('checkDigit', 'GS1_CHECK_DIGIT_MISSING', 'the value is empty, so it has no check digit', 0, 0);
  const sum = mod10Sum(value, n - 1);
  if (sum < 0) return nonDigit(value, -sum - 1);
  const actual = value.charCodeAt(n - 1) - DIGIT_0;
  if (actual < 0 || actual > 9) return nonDigit(value, n - 1);
  const expected = (10 - (sum % 10)) % 10;
  return actual === expected ? undefined : fail('checkDigit', 'GS1_CHECK_DIGIT', `check digit is ${actual}, should be ${expected}`, n - 1, 1);
}

function firstPrimes(count: number): Uint16Array {
  const primes = new Uint16Array(count);
  let found = 0;
  for (let candidate = 2; found < count; candidate++) {
    let prime = true;
    for (let k = 0; k < found && (primes[k] ?? 0) ** 2 <= candidate; k++) {
      if (candidate % (primes[k] ?? 1) === 0) {
        prime = false;
        break;
      }
    }
    if (prime) primes[found++] = candidate;
  }
  return primes;
}

/** Prime weights, the first applying to the last data character; 97 of them, as in the reference implementation. */
const CHECK_PAIR_PRIMES = firstPrimes(97);
const CHECK_PAIR_MAX_LENGTH = CHECK_PAIR_PRIMES.length + 2;

/** Value (0-81) of each ASCII character in CSET 82, or -1. */
const CSET82_VALUE = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < CSET82_ORDER.length; i++) table[CSET82_ORDER.charCodeAt(i)] = i;
  return table;
})();

/**
 * GS1 check character pair (GMN, CPID): the sum of the data characters' CSET 82
 * values weighted by ascending primes from the right, modulo 1021, written as
 * two CSET 32 characters (high and low five bits).
 */
function csumalpha(value: string): LintFailure | undefined {
  const n = value.length;
  if (n > CHECK_PAIR_MAX_LENGTH) {
    return fail('length', 'GS1_CHECK_PAIR_TOO_LONG', `too long for a check character pair: ${n} characters, at most ${CHECK_PAIR_MAX_LENGTH}`, 0, n);
  }
  if (n < 2) return fail('checkDigit', 'GS1_CHECK_PAIR_MISSING', 'too short to end with a check character pair', 0, n);
  let sum = 0;
  for (let i = 0; i < n - 2; i++) {
    const c = value.charCodeAt(i);
    const v = c < 128 ? (CSET82_VALUE[c] ?? -1) : -1;
    if (v < 0) return fail('charset', 'GS1_INVALID_CSET82_CHARACTER', `${describe(value, i)} is not in GS1 character set 82`, i, 1);
    sum += v * (CHECK_PAIR_PRIMES[n - 3 - i] ?? 0);
  }
  sum %= 1021;
  const high = CSET32_ORDER.charCodeAt(sum >> 5);
  const low = CSET32_ORDER.charCodeAt(sum & 31);
  if (value.charCodeAt(n - 2) === high && value.charCodeAt(n - 1) === low) return undefined;
  const expected = String.fromCharCode(high, low);
  return fail('checkDigit', 'GS1_CHECK_PAIR', `check characters are ${quote(value.slice(n - 2))}, should be ${quote(expected)}`, n - 2, 2);
}

// ---------------------------------------------------------------------------
// GS1 Company Prefix position

/** The shortest GS1 Company Prefix (a GS1-8 prefix normalised) has four digits. */
const GCP_MIN_LENGTH = 4;

function gcpAt(value: string, start: number): LintFailure | undefined {
  const available = value.length - start;
  if (available < GCP_MIN_LENGTH) {
    return fail('length', 'GS1_GCP_TOO_SHORT', `too short to hold a GS1 Company Prefix (at least ${GCP_MIN_LENGTH} digits)`, start, available);
  }
  const bad = firstNonDigit(value, start, start + GCP_MIN_LENGTH);
  if (bad < 0) return undefined;
  return fail('charset', 'GS1_GCP_NOT_NUMERIC', `${describe(value, bad)} cannot be part of a GS1 Company Prefix (digits only)`, bad, 1);
}

const gcppos1: Linter = (value) => gcpAt(value, 0);

const gcppos2: Linter = (value) =>
  value.length < 2
    ? fail('length', 'GS1_GCP_TOO_SHORT', 'too short to hold a GS1 Company Prefix after its first character', 0, value.length)
    : gcpAt(value, 1);

// ---------------------------------------------------------------------------
// Dates and times

function fromDateFailure(failure: DateFailure, value: string): LintFailure {
  const dayZero = failure.code === 'DATE_DAY' && value.startsWith('00', failure.offset);
  const message = dayZero ? 'day 00 is not allowed in this date' : failure.message;
  return fail('date', `GS1_${failure.code}`, message, failure.offset, failure.length);
}

function wrongLength(format: string, value: string): LintFailure {
  return fail('date', 'GS1_DATE_LENGTH', `${format} needs ${format.length} digits, not ${value.length}`, 0, value.length);
}

function notNumeric(value: string, at: number): LintFailure {
  return fail('date', 'GS1_DATE_NOT_NUMERIC', `${describe(value, at)} is not a digit`, at, 1);
}

/** YYMMDD (sliding century relative to ctx.today) or YYYYMMDD; day 00 only where the dictionary allows it. */
function dateLinter(format: 'YYMMDD' | 'YYYYMMDD', allowDayZero: boolean): Linter {
  return (value, ctx) => {
    if (value.length !== format.length) return wrongLength(format, value);
    const bad = firstNonDigit(value);
    if (bad >= 0) return notNumeric(value, bad);
    const failure = checkDate(value, ctx.today, allowDayZero);
    return failure ? fromDateFailure(failure, value) : undefined;
  };
}

interface TimeUnit {
  readonly format: string;
  readonly name: string;
  readonly max: number;
  readonly code: ErrorCode;
}

const HOUR: TimeUnit = { format: 'HH', name: 'hour', max: 23, code: 'GS1_DATE_HOUR' };
const MINUTE: TimeUnit = { format: 'MI', name: 'minute', max: 59, code: 'GS1_DATE_MINUTE' };
const SECOND: TimeUnit = { format: 'SS', name: 'second', max: 59, code: 'GS1_DATE_SECOND' };

function timeUnitAt(value: string, at: number, unit: TimeUnit): LintFailure | undefined {
  const bad = firstNonDigit(value, at, at + 2);
  if (bad >= 0) return notNumeric(value, bad);
  const n = (value.charCodeAt(at) - DIGIT_0) * 10 + (value.charCodeAt(at + 1) - DIGIT_0);
  if (n <= unit.max) return undefined;
  return fail('date', unit.code, `${unit.name} ${value.slice(at, at + 2)} does not exist (00-${unit.max})`, at, 2);
}

/** A run of two-digit time units, e.g. HHMI. */
function timeLinter(...units: readonly TimeUnit[]): Linter {
  const format = units.map((u) => u.format).join('');
  return (value) => {
    if (value.length !== format.length) return wrongLength(format, value);
    let at = 0;
    for (const unit of units) {
      const failure = timeUnitAt(value, at, unit);
      if (failure) return failure;
      at += 2;
    }
    return undefined;
  };
}

// ---------------------------------------------------------------------------
// Code lists

/** Passes when the whole value is one of the listed codes. */
function codeListLinter(codes: readonly string[], code: ErrorCode, what: string): Linter {
  const set = new Set(codes);
  return (value) => (set.has(value) ? undefined : fail('syntax', code, `${quote(value)} is not ${what}`, 0, value.length));
}

const ISO3166_SET = new Set(ISO3166_NUMERIC);
const ISO3166_ALPHA2_SET = new Set(ISO3166_ALPHA2);

const iso3166 = codeListLinter(ISO3166_NUMERIC, 'GS1_INVALID_COUNTRY_CODE', 'an ISO 3166-1 numeric country code');

const iso3166999: Linter = (value) =>
  value === '999' || ISO3166_SET.has(value)
    ? undefined
    : fail('syntax', 'GS1_INVALID_COUNTRY_CODE', `${quote(value)} is neither an ISO 3166-1 numeric country code nor 999`, 0, value.length);

// ---------------------------------------------------------------------------
// Numeric values and structures

/** Latitude and longitude, as ten digits offset to be non-negative (AI 4307/4308 style). */
const COORDINATE_CODES = {
  latitude: { length: 'GS1_LATITUDE_LENGTH', range: 'GS1_INVALID_LATITUDE' },
  longitude: { length: 'GS1_LONGITUDE_LENGTH', range: 'GS1_INVALID_LONGITUDE' },
} as const;

function coordinateLinter(name: 'latitude' | 'longitude', max: number): Linter {
  const codes = COORDINATE_CODES[name];
  return (value) => {
    if (value.length !== 10) return fail('length', codes.length, `a ${name} has 10 digits, not ${value.length}`, 0, value.length);
    const bad = digitsOnly(value);
    if (bad) return bad;
    if (Number(value) <= max) return undefined;
    return fail('syntax', codes.range, `${name} ${value} is out of range (0000000000-${max})`, 0, 10);
  };
}

const nonzero: Linter = (value) =>
  digitsOnly(value) ?? (allZeros(value) ? fail('syntax', 'GS1_ZERO_VALUE', 'must not be zero', 0, value.length) : undefined);

const zero: Linter = (value) =>
  value.length > 0 && allZeros(value) ? undefined : fail('syntax', 'GS1_NOT_ZERO', 'must be zero', 0, value.length);

const hyphen: Linter = (value) => {
  if (value.length > 0) {
    let i = 0;
    while (i < value.length && value.charCodeAt(i) === 0x2d) i++;
    if (i === value.length) return undefined;
  }
  return fail('syntax', 'GS1_NOT_HYPHEN', 'must be hyphens ("-") only', 0, value.length);
};

const nozeroprefix: Linter = (value) =>
  value.charCodeAt(0) === DIGIT_0 ? fail('syntax', 'GS1_ZERO_PREFIX', 'must not start with 0', 0, 1) : digitsOnly(value);

const hasnondigit: Linter = (value) =>
  firstNonDigit(value) >= 0
    ? undefined
    : fail('charset', 'GS1_NON_DIGIT_REQUIRED', 'must contain at least one character that is not a digit', 0, value.length);

/** Piece number then total count, same number of digits each (AI 8026 style). */
const pieceoftotal: Linter = (value) => {
  const n = value.length;
  const bad = digitsOnly(value);
  if (bad) return bad;
  if (n === 0 || n % 2 !== 0) {
    return fail('length', 'GS1_PIECE_OF_TOTAL_LENGTH', 'piece number and total count need the same number of digits', 0, n);
  }
  const half = n / 2;
  if (allZeros(value, 0, half)) return fail('syntax', 'GS1_ZERO_PIECE_NUMBER', 'piece number must not be zero', 0, half);
  if (allZeros(value, half, n)) return fail('syntax', 'GS1_ZERO_TOTAL_PIECES', 'total count must not be zero', half, half);
  if (compareRuns(value, 0, half, half) <= 0) return undefined;
  return fail('syntax', 'GS1_PIECE_EXCEEDS_TOTAL', `piece number ${value.slice(0, half)} exceeds the total count ${value.slice(half)}`, 0, n);
};

/** "<position>/<end>", both without leading zeros, position <= end. */
const posinseqslash: Linter = (value) => {
  const n = value.length;
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === n - 1 || firstNonDigit(value, 0, slash) >= 0 || firstNonDigit(value, slash + 1) >= 0) {
    return fail('syntax', 'GS1_POSITION_IN_SEQUENCE_MALFORMED', 'must be a position and an end number separated by "/"', 0, n);
  }
  const endLength = n - slash - 1;
  if (value.charCodeAt(0) === DIGIT_0) return fail('syntax', 'GS1_ZERO_PREFIX', 'the position must not start with 0', 0, slash);
  if (value.charCodeAt(slash + 1) === DIGIT_0) return fail('syntax', 'GS1_ZERO_PREFIX', 'the end number must not start with 0', slash + 1, endLength);
  const exceeds = slash > endLength || (slash === endLength && compareRuns(value, 0, slash + 1, slash) > 0);
  if (!exceeds) return undefined;
  return fail('syntax', 'GS1_POSITION_EXCEEDS_END', `position ${value.slice(0, slash)} exceeds the end ${value.slice(slash + 1)}`, 0, n);
};

const IMPORTER_INDEX_SET = new Set(IMPORTER_INDEX_CHARACTERS);

const importeridx: Linter = (value) => {
  if (value.length !== 1) {
    return fail('length', 'GS1_IMPORTER_INDEX_LENGTH', `the importer index is one character, not ${value.length}`, 0, value.length);
  }
  if (IMPORTER_INDEX_SET.has(value)) return undefined;
  return fail('charset', 'GS1_INVALID_IMPORTER_INDEX', `${describe(value, 0)} is not an importer index (0-9, A-Z, a-z, "-", "_")`, 0, 1);
};

function isHexCode(c: number): boolean {
  return isDigitCode(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Every "%" starts a percent-encoded byte: "%" and two hexadecimal digits. */
const pcenc: Linter = (value) => {
  const n = value.length;
  for (let i = value.indexOf('%'); i >= 0; i = value.indexOf('%', i + 3)) {
    if (i + 2 >= n) return fail('syntax', 'GS1_INVALID_PERCENT_SEQUENCE', '"%" must be followed by two hexadecimal digits', i, n - i);
    if (!isHexCode(value.charCodeAt(i + 1)) || !isHexCode(value.charCodeAt(i + 2))) {
      return fail('syntax', 'GS1_INVALID_PERCENT_SEQUENCE', `${quote(value.slice(i, i + 3))} is not "%" and two hexadecimal digits`, i, 3);
    }
  }
  return undefined;
};

// ---------------------------------------------------------------------------
// IBAN (ISO 13616)

/** The reference sets no clear minimum; more than ten characters leaves room for the check digits. */
const IBAN_MIN_LENGTH = 11;
const IBAN_MAX_LENGTH = 34;

/** Value of an IBAN character (0-9, A-Z -> 0-35), or -1. */
function ibanValue(c: number): number {
  if (isDigitCode(c)) return c - DIGIT_0;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  return -1;
}

/** Extends a mod-97 remainder with value[from, to); characters must be valid. */
function ibanMod97(value: string, from: number, to: number, remainder: number): number {
  let r = remainder;
  for (let i = from; i < to; i++) {
    const v = ibanValue(value.charCodeAt(i));
    r = (v < 10 ? r * 10 + v : r * 100 + v) % 97;
  }
  return r;
}

function firstNonIbanCharacter(value: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (ibanValue(value.charCodeAt(i)) < 0) return i;
  return -1;
}

const iban: Linter = (value) => {
  const n = value.length;
  const tooShort = (): LintFailure => fail('length', 'GS1_IBAN_TOO_SHORT', `an IBAN has at least ${IBAN_MIN_LENGTH} characters, not ${n}`, 0, n);
  if (n < 4) return tooShort();
  if (!ISO3166_ALPHA2_SET.has(value.slice(0, 2))) {
    return fail('syntax', 'GS1_INVALID_IBAN_COUNTRY_CODE', `${quote(value.slice(0, 2))} is not an ISO 3166-1 alpha-2 country code`, 0, 2);
  }
  if (n > IBAN_MAX_LENGTH) return fail('length', 'GS1_IBAN_TOO_LONG', `an IBAN has at most ${IBAN_MAX_LENGTH} characters, not ${n}`, 0, n);
  if (n < IBAN_MIN_LENGTH) return tooShort();
  let bad = firstNonIbanCharacter(value, 4, n);
  if (bad < 0) bad = firstNonIbanCharacter(value, 2, 4);
  if (bad >= 0) return fail('charset', 'GS1_INVALID_IBAN_CHARACTER', `${describe(value, bad)} is not allowed in an IBAN (0-9, A-Z)`, bad, 1);
  // ISO 7064 MOD 97-10 over the BBAN, then the country code, then the check digits.
  const body = ibanMod97(value, 0, 2, ibanMod97(value, 4, n, 0));
  if (ibanMod97(value, 2, 4, body) === 1) return undefined;
  const expected = String(98 - ((body * 100) % 97)).padStart(2, '0');
  return fail('checkDigit', 'GS1_IBAN_CHECK_DIGITS', `IBAN check digits are ${value.slice(2, 4)}, should be ${expected}`, 2, 2);
};

// ---------------------------------------------------------------------------
// North American coupon codes (AI 8110, 8112)

/** One field of a coupon code. Failure codes are GS1_COUPON_{MISSING,INVALID,TRUNCATED}_<field>... */
type CouponStep =
  /** A length indicator digit (field_VLI), then that many digits plus `extra`; "9" may mean "absent". */
  | {
      readonly type: 'vli';
      readonly field: string;
      readonly label: string;
      readonly allowed: string;
      readonly extra: number;
      readonly nineIsAbsent?: boolean;
    }
  /** One digit from `allowed`. */
  | { readonly type: 'digit'; readonly field: string; readonly label: string; readonly allowed: string }
  /** A fixed number of digits. */
  | { readonly type: 'fixed'; readonly field: string; readonly label: string; readonly length: number }
  /** A YYMMDD date. */
  | { readonly type: 'date'; readonly field: 'EXPIRATION_DATE' | 'START_DATE'; readonly label: string };

interface CouponSection {
  /** The optional field's indicator digit; mandatory fields have none. */
  readonly indicator?: string;
  readonly steps: readonly CouponStep[];
}

const ANY_DIGIT = '0123456789';
const vli = (field: string, label: string, allowed: string, extra: number, nineIsAbsent = false): CouponStep => ({
  type: 'vli',
  field,
  label,
  allowed,
  extra,
  nineIsAbsent,
});
const digit = (field: string, label: string, allowed: string): CouponStep => ({ type: 'digit', field, label, allowed });
const fixed = (field: string, label: string, length: number): CouponStep => ({ type: 'fixed', field, label, length });

const PURCHASE_CODES = '012349';

/** North American Coupon Code (AI 8110), per the North American Coupon Application Guideline. */
const COUPON_CODE: readonly CouponSection[] = [
  {
    steps: [
      vli('GCP', 'GS1 Company Prefix', '0123456', 6),
      fixed('OFFER_CODE', 'offer code', 6),
      vli('SAVE_VALUE', 'save value', '12345', 0),
      vli('1ST_PURCHASE_REQUIREMENT', '1st purchase requirement', '12345', 0),
      digit('1ST_PURCHASE_REQUIREMENT_CODE', '1st purchase requirement code', PURCHASE_CODES),
      fixed('1ST_PURCHASE_FAMILY_CODE', '1st purchase family code', 3),
    ],
  },
  {
    indicator: '1',
    steps: [
      digit('ADDITIONAL_PURCHASE_RULES_CODE', 'additional purchase rules code', '0123'),
      vli('2ND_PURCHASE_REQUIREMENT', '2nd purchase requirement', '12345', 0),
      digit('2ND_PURCHASE_REQUIREMENT_CODE', '2nd purchase requirement code', PURCHASE_CODES),
      fixed('2ND_PURCHASE_FAMILY_CODE', '2nd purchase family code', 3),
      vli('2ND_PURCHASE_GCP', '2nd purchase GS1 Company Prefix', '01234569', 6, true),
    ],
  },
  {
    indicator: '2',
    steps: [
      vli('3RD_PURCHASE_REQUIREMENT', '3rd purchase requirement', '12345', 0),
      digit('3RD_PURCHASE_REQUIREMENT_CODE', '3rd purchase requirement code', PURCHASE_CODES),
      fixed('3RD_PURCHASE_FAMILY_CODE', '3rd purchase family code', 3),
      vli('3RD_PURCHASE_GCP', '3rd purchase GS1 Company Prefix', '01234569', 6, true),
    ],
  },
  { indicator: '3', steps: [{ type: 'date', field: 'EXPIRATION_DATE', label: 'expiration date' }] },
  { indicator: '4', steps: [{ type: 'date', field: 'START_DATE', label: 'start date' }] },
  { indicator: '5', steps: [vli('SERIAL_NUMBER', 'serial number', ANY_DIGIT, 6)] },
  { indicator: '6', steps: [vli('RETAILER_GCP_OR_GLN', 'retailer GS1 Company Prefix or GLN', '1234567', 6)] },
  {
    indicator: '9',
    steps: [
      digit('SAVE_VALUE_CODE', 'save value code', '01256'),
      digit('SAVE_VALUE_APPLIES_TO_ITEM', 'save value applies-to-item', '012'),
      digit('STORE_COUPON_FLAG', 'store coupon flag', ANY_DIGIT),
      digit('DONT_MULTIPLY_FLAG', "don't multiply flag", '01'),
    ],
  },
];

/** Positive offer file coupon (AI 8112). */
const COUPON_POS_OFFER: readonly CouponSection[] = [
  {
    steps: [
      digit('FORMAT_CODE', 'format code', '01'),
      vli('FUNDER', 'funder ID', '0123456', 6),
      fixed('OFFER_CODE', 'offer code', 6),
      vli('SERIAL_NUMBER', 'serial number', ANY_DIGIT, 6),
    ],
  },
];

/**
 * Every code a coupon's field by field reading can fail with, derived from the
 * layouts above (what CouponReader does per step): the closed list the OpenAPI
 * document gives for the GS1_COUPON_ family.
 */
export const COUPON_ERROR_CODES: readonly CouponErrorCode[] = [
  ...new Set(
    [...COUPON_CODE, ...COUPON_POS_OFFER].flatMap((section) =>
      section.steps.flatMap((step): CouponErrorCode[] => {
        const f = step.field;
        switch (step.type) {
          case 'digit':
            return [`GS1_COUPON_MISSING_${f}`, `GS1_COUPON_INVALID_${f}`];
          case 'fixed':
            return [`GS1_COUPON_TRUNCATED_${f}`];
          case 'vli':
            return [`GS1_COUPON_MISSING_${f}_VLI`, `GS1_COUPON_INVALID_${f}_LENGTH`, `GS1_COUPON_TRUNCATED_${f}`];
          case 'date':
            return [`GS1_COUPON_TOO_SHORT_FOR_${f}`, `GS1_COUPON_INVALID_${f}`];
        }
      }),
    ),
  ),
].sort();

/**
 * Reads a coupon code field by field. Field GS1 Company Prefixes are not
 * looked up: with digits only and six or more of them, the GCP check passes.
 */
class CouponReader {
  private pos = 0;
  private expiry: string | undefined;

  constructor(
    private readonly value: string,
    private readonly today: Date,
  ) {}

  read(sections: readonly CouponSection[]): LintFailure | undefined {
    for (const section of sections) {
      if (section.indicator !== undefined) {
        if (this.value.charAt(this.pos) !== section.indicator) continue;
        this.pos++;
      }
      for (const step of section.steps) {
        const failure = this.step(step);
        if (failure) return failure;
      }
    }
    const rest = this.value.length - this.pos;
    return rest === 0 ? undefined : fail('syntax', 'GS1_COUPON_EXCESS_DATA', 'unexpected data after the last coupon field', this.pos, rest);
  }

  private step(step: CouponStep): LintFailure | undefined {
    switch (step.type) {
      case 'digit':
        return this.digit(step.field, step.field, step.label, step.allowed);
      case 'fixed':
        return this.take(step.length, step.field, step.label);
      case 'vli':
        return this.vli(step.field, step.label, step.allowed, step.extra, step.nineIsAbsent === true);
      case 'date':
        return this.date(step.field, step.label);
    }
  }

  private digit(missingField: string, invalidField: string, label: string, allowed: string): LintFailure | undefined {
    const n = this.value.length;
    if (this.pos >= n) return fail('syntax', `GS1_COUPON_MISSING_${missingField}`, `coupon ${label} is missing`, 0, n);
    const c = this.value.charAt(this.pos);
    if (!allowed.includes(c)) {
      return fail('syntax', `GS1_COUPON_INVALID_${invalidField}`, `coupon ${label} ${c} is not one of ${allowed.split('').join(', ')}`, this.pos, 1);
    }
    this.pos++;
    return undefined;
  }

  private vli(field: string, label: string, allowed: string, extra: number, nineIsAbsent: boolean): LintFailure | undefined {
    const bad = this.digit(`${field}_VLI`, `${field}_LENGTH`, `${label} length indicator`, allowed);
    if (bad) return bad;
    const indicator = this.value.charCodeAt(this.pos - 1) - DIGIT_0;
    return this.take(nineIsAbsent && indicator === 9 ? 0 : indicator + extra, field, label);
  }

  /** Consumes `length` digits; when too few remain, marks what remains (or the whole value when nothing does). */
  private take(length: number, field: string, label: string, code: CouponErrorCode = `GS1_COUPON_TRUNCATED_${field}`): LintFailure | undefined {
    const n = this.value.length;
    const rest = n - this.pos;
    if (rest < length) {
      return fail('syntax', code, `coupon ${label} needs ${length} digits, ${rest} left`, rest === 0 ? 0 : this.pos, rest === 0 ? n : rest);
    }
    this.pos += length;
    return undefined;
  }

  private date(field: 'EXPIRATION_DATE' | 'START_DATE', label: string): LintFailure | undefined {
    const at = this.pos;
    const short = this.take(6, field, label, `GS1_COUPON_TOO_SHORT_FOR_${field}`);
    if (short) return short;
    const text = this.value.slice(at, at + 6);
    const resolved = resolveDate(text, this.today, false);
    if (isDateFailure(resolved)) {
      return fail('date', `GS1_COUPON_INVALID_${field}`, `coupon ${label} ${text} is not a date: ${resolved.message}`, at, 6);
    }
    if (field === 'EXPIRATION_DATE') {
      this.expiry = resolved.date;
      return undefined;
    }
    if (this.expiry === undefined || this.expiry >= resolved.date) return undefined;
    // Marks "3" + expiry + "4" + start: the two fields are adjacent.
    return fail('date', 'GS1_COUPON_EXPIRATION_BEFORE_START', `coupon expires (${this.expiry}) before it starts (${resolved.date})`, at - 8, 14);
  }
}

function couponLinter(sections: readonly CouponSection[]): Linter {
  return (value, ctx) => digitsOnly(value) ?? new CouponReader(value, ctx.today).read(sections);
}

// ---------------------------------------------------------------------------
// The table

const table: Record<string, Linter> = {
  csum,
  csumalpha,
  gcppos1,
  gcppos2,
  yymmdd: dateLinter('YYMMDD', false),
  yymmd0: dateLinter('YYMMDD', true),
  yyyymmdd: dateLinter('YYYYMMDD', false),
  yyyymmd0: dateLinter('YYYYMMDD', true),
  hhmi: timeLinter(HOUR, MINUTE),
  hh: timeLinter(HOUR),
  mi: timeLinter(MINUTE),
  ss: timeLinter(SECOND),
  iso3166,
  iso3166999,
  iso3166alpha2: codeListLinter(ISO3166_ALPHA2, 'GS1_INVALID_COUNTRY_CODE', 'an ISO 3166-1 alpha-2 country code'),
  iso4217: codeListLinter(ISO4217_NUMERIC, 'GS1_INVALID_CURRENCY_CODE', 'an ISO 4217 numeric currency code'),
  iso5218: codeListLinter(ISO5218_CODES, 'GS1_INVALID_BIOLOGICAL_SEX', 'an ISO/IEC 5218 sex code (0, 1, 2 or 9)'),
  yesno: codeListLinter(['0', '1'], 'GS1_INVALID_YES_NO', 'a yes/no flag (0 or 1)'),
  latitude: coordinateLinter('latitude', 1_800_000_000),
  longitude: coordinateLinter('longitude', 3_600_000_000),
  nonzero,
  zero,
  winding: codeListLinter(WINDING_DIRECTIONS, 'GS1_INVALID_WINDING_DIRECTION', 'a winding direction (0, 1 or 9)'),
  pieceoftotal,
  nozeroprefix,
  hasnondigit,
  hyphen,
  posinseqslash,
  importeridx,
  mediatype: codeListLinter(AIDC_MEDIA_TYPES, 'GS1_INVALID_MEDIA_TYPE', 'an AIDC media type (01-10 or 80-99)'),
  packagetype: codeListLinter(PACKAGE_TYPES, 'GS1_INVALID_PACKAGE_TYPE', 'a UN/ECE Recommendation 21 package type code'),
  pcenc,
  iban,
  couponcode: couponLinter(COUPON_CODE),
  couponposoffer: couponLinter(COUPON_POS_OFFER),
};

/** The linters keyed by their dictionary name. No prototype: only real linter names resolve. */
export const LINTERS: Readonly<Record<string, Linter>> = Object.freeze(Object.assign(Object.create(null) as Record<string, Linter>, table));
