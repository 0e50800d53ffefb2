/**
 * ICCBBA ISBT 128 reader: one data structure, several back to back (as a
 * scanner delivers concatenated linear bar codes or a Data Matrix), or a
 * Compound Message [Data Structure 023].
 *
 * Sources (facts only; no code taken from anywhere):
 * - ISBT 128 Standard Technical Specification ST-001 v6.2.2 (April 2023):
 *   §2.1 data identifiers, Table 2 [RT003] index of data structures, §2.4.x
 *   layouts and character sets, Table 3 [RT004] DIN flag characters (60–96 =
 *   60 + ISO/IEC 7064 mod 37-2 checksum of the 13-character DIN), Appendix A.
 * - ICCBBA "Technical Specification – HCT/P Medical Devices": UDI DI = PPIC
 *   [034]; PIs = DIN [001], Expiration Date [004], Production Date [008],
 *   Product Divisions [032] (serial number), MPHO Lot Number [035].
 * - FDA AccessGUDID parse_udi (v1) example:
 *   `=/A9999XYZ100T0944=,000025=A99971312345600=>014032=}013032&,1000000000000XYZ123`
 *   → di A9999XYZ100T0944, serial_number 000025, donation_id A99971312345600,
 *   expiration_date 2014-02-01, manufacturing_date 2013-02-01,
 *   lot_number 000000000000XYZ123.
 *
 * Pure: no I/O, never throws.
 */
import { ordinalDate, isLeapYear } from './dates.js';
import type { ErrorCode, Isbt128Data, ParseError, ParseWarning } from './types.js';

export interface Isbt128Parse {
  readonly isbt128?: Isbt128Data;
  /** The Processor Product Identification Code [034], 16 characters: what AccessGUDID reports as the DI. */
  readonly di?: string;
  /** MPHO Lot Number [035], 18 characters as encoded (leading zeroes kept, as AccessGUDID does). */
  readonly lotNumber?: string;
  /** Product Divisions [032], 6 characters: AccessGUDID's serial_number for ICCBBA. */
  readonly serialNumber?: string;
  /** YYYY-MM-DD from Expiration Date [004] or Expiration Date and Time [005]. */
  readonly expirationDate?: string;
  /** YYYY-MM-DD from Production Date [008] or Production Date and Time [009]. */
  readonly manufacturingDate?: string;
  readonly warnings: ParseWarning[];
  readonly error?: ParseError;
}

// ---------------------------------------------------------------------------
// Character sets (ST-001 §2.4, element tables)

interface CharSet {
  readonly test: (c: string) => boolean;
  readonly label: string;
}

const set = (re: RegExp, label: string): CharSet => ({ test: (c) => re.test(c), label });

const NUM = set(/^[0-9]$/, '0–9');
const UPPER_ALNUM = set(/^[A-Z0-9]$/, 'A–Z, 0–9');
const ALNUM = set(/^[A-Za-z0-9]$/, 'A–Z, a–z, 0–9');
const ALPHA = set(/^[A-Z]$/, 'A–Z');
const LOWER_NUM = set(/^[a-z0-9]$/, 'a–z, 0–9');
/** First character of a Facility Identification Number (and the DIN's data identifier): no O, no 0. */
const FIN_FIRST = set(/^[A-NP-Z1-9]$/, 'A–N, P–Z, 1–9');
/** Other alphanumeric FIN positions and FIN(P): no letter O. */
const FIN_REST = set(/^[A-NP-Z0-9]$/, 'A–N, P–Z, 0–9');
/** DIN flag characters ff [RT004]. */
const FLAG = set(/^[0-9A-HJ-NPR-Y]$/, '0–9, A–H, J–N, P, R–Y');
const LITERAL_C = set(/^C$/, 'the literal "C"');
const LITERAL_H = set(/^H$/, 'the literal "H"');

interface Segment {
  readonly length: number;
  readonly chars: CharSet;
}

const seg = (length: number, chars: CharSet): Segment => ({ length, chars });

/** αpppp: the 5-character Facility Identification Number. */
const FIN: readonly Segment[] = [seg(1, FIN_FIRST), seg(2, FIN_REST), seg(2, NUM)];

// ---------------------------------------------------------------------------
// Data structures (ST-001 Table 2 [RT003])

type Kind = 'plain' | 'date' | 'dateTime';

interface Spec {
  /** Data identifier as it appears before the data content. The DIN's is "=" (its second character is data). */
  readonly di: string;
  readonly number: string;
  readonly name: string;
  readonly kind: Kind;
  /** Fixed layout of the data content. */
  readonly segments?: readonly Segment[];
  /** Variable length: the numeric header, and how to read the total content length from it. */
  readonly variable?: { readonly header: number; readonly total: (header: string) => number; readonly body: CharSet };
}

const DATE: readonly Segment[] = [seg(6, NUM)];
const DATE_TIME: readonly Segment[] = [seg(10, NUM)];

const SPECS: readonly Spec[] = [
  { di: '=%', number: '002', name: 'Blood Groups [ABO and RhD]', kind: 'plain', segments: [seg(2, ALNUM), seg(2, UPPER_ALNUM)] },
  {
    di: '=<',
    number: '003',
    name: 'Product Code',
    kind: 'plain',
    segments: [seg(1, ALPHA), seg(4, UPPER_ALNUM), seg(1, ALNUM), seg(1, UPPER_ALNUM), seg(1, LOWER_NUM)],
  },
  { di: '=>', number: '004', name: 'Expiration Date', kind: 'date', segments: DATE },
  { di: '&>', number: '005', name: 'Expiration Date and Time', kind: 'dateTime', segments: DATE_TIME },
  { di: '=*', number: '006', name: 'Collection Date', kind: 'date', segments: DATE },
  { di: '&*', number: '007', name: 'Collection Date and Time', kind: 'dateTime', segments: DATE_TIME },
  { di: '=}', number: '008', name: 'Production Date', kind: 'date', segments: DATE },
  { di: '&}', number: '009', name: 'Production Date and Time', kind: 'dateTime', segments: DATE_TIME },
  { di: '&(', number: '010', name: 'Special Testing: General', kind: 'plain', segments: [seg(5, UPPER_ALNUM)] },
  { di: '={', number: '011', name: 'Special Testing: Red Blood Cell Antigens (retired)', kind: 'plain', segments: [seg(18, NUM)] },
  { di: '=\\', number: '012', name: 'Special Testing: Red Blood Cell Antigens – General', kind: 'plain', segments: [seg(18, NUM)] },
  { di: '&\\', number: '013', name: 'Special Testing: Red Blood Cell Antigens – Finnish', kind: 'plain', segments: [seg(18, NUM)] },
  { di: '&{', number: '014', name: 'Special Testing: Platelet HLA and Platelet Specific Antigens', kind: 'plain', segments: [seg(18, NUM)] },
  { di: '=[', number: '015', name: 'Special Testing: HLA-A and -B Alleles (retired)', kind: 'plain', segments: [seg(18, NUM)] },
  { di: '="', number: '016', name: 'Special Testing: HLA-DRB1 Alleles (retired)', kind: 'plain', segments: [seg(18, ALNUM)] },
  { di: '=)', number: '017', name: 'Container Manufacturer and Catalog Number', kind: 'plain', segments: [seg(10, ALNUM)] },
  { di: '&)', number: '018', name: 'Container Lot Number', kind: 'plain', segments: [seg(10, ALNUM)] },
  { di: '=;', number: '019', name: 'Donor Identification Number', kind: 'plain', segments: [...FIN, seg(16, ALNUM)] },
  { di: "='", number: '020', name: 'Staff Member Identification Number', kind: 'plain', segments: [...FIN, seg(6, UPPER_ALNUM)] },
  {
    di: '=-',
    number: '021',
    name: 'Manufacturer and Catalog Number: Items Other Than Containers',
    kind: 'plain',
    segments: [seg(2, UPPER_ALNUM), seg(8, ALNUM)],
  },
  { di: '&-', number: '022', name: 'Lot Number: Items Other Than Containers', kind: 'plain', segments: [seg(10, ALNUM)] },
  { di: '=+', number: '023', name: 'Compound Message', kind: 'plain', segments: [seg(5, NUM)] },
  { di: '=#', number: '024', name: 'Patient Date of Birth', kind: 'plain', segments: [seg(10, NUM)] },
  {
    di: '&#',
    number: '025',
    name: 'Patient Identification Number',
    kind: 'plain',
    variable: { header: 4, total: (h) => 4 + Number(h.slice(2, 4)), body: ALNUM },
  },
  { di: '=]', number: '026', name: 'Expiration Month and Year', kind: 'plain', segments: [seg(6, NUM)] },
  { di: '&"', number: '027', name: 'Transfusion Transmitted Infection Marker', kind: 'plain', segments: [seg(18, NUM)] },
  { di: '=$', number: '028', name: 'Product Consignment', kind: 'plain', segments: [...FIN, seg(11, NUM)] },
  { di: '&$', number: '029', name: 'Dimensions', kind: 'plain', variable: { header: 2, total: (h) => 2 + 14 * Number(h), body: NUM } },
  {
    di: '&%',
    number: '030',
    name: 'Red Cell Antigens with Test History',
    kind: 'plain',
    variable: { header: 3, total: (h) => 3 + 10 * Number(h), body: NUM },
  },
  { di: '=(', number: '031', name: 'Flexible Date and Time', kind: 'plain', segments: [seg(16, NUM)] },
  { di: '=,', number: '032', name: 'Product Divisions', kind: 'plain', segments: [seg(6, UPPER_ALNUM)] },
  { di: '&+', number: '033', name: 'Processing Facility Information Code', kind: 'plain', segments: [seg(5, FIN_REST), seg(6, UPPER_ALNUM)] },
  {
    di: '=/',
    number: '034',
    name: 'Processor Product Identification Code',
    kind: 'plain',
    segments: [seg(5, FIN_REST), seg(6, UPPER_ALNUM), seg(5, UPPER_ALNUM)],
  },
  { di: '&,1', number: '035', name: 'MPHO Lot Number', kind: 'plain', segments: [seg(18, UPPER_ALNUM)] },
  { di: '&,2', number: '036', name: 'MPHO Supplemental Identification Number', kind: 'plain', segments: [seg(18, UPPER_ALNUM)] },
  {
    di: '&,3',
    number: '037',
    name: 'Global Registration Identifier for Donors (retired)',
    kind: 'plain',
    segments: [seg(4, NUM), seg(15, UPPER_ALNUM)],
  },
  { di: '&,4', number: '038', name: 'Single European Code', kind: 'plain', segments: [seg(40, ALNUM)] },
  {
    di: '&:',
    number: '039',
    name: 'Global Registration Identifier for Donors',
    kind: 'plain',
    segments: [seg(4, NUM), seg(13, UPPER_ALNUM), seg(2, NUM)],
  },
  {
    di: '&/',
    number: '040',
    name: 'Chain of Identity Identifier',
    kind: 'plain',
    segments: [seg(1, LITERAL_C), seg(1, LITERAL_H), ...FIN, seg(2, NUM), seg(6, UPPER_ALNUM)],
  },
];

const DIN_SPEC: Spec = {
  di: '=',
  number: '001',
  name: 'Donation Identification Number',
  kind: 'plain',
  // αpppp yy nnnnnn ff: the second data identifier character is the first data character.
  segments: [...FIN, seg(2, NUM), seg(6, NUM), seg(2, FLAG)],
};

const BY_DI = new Map(SPECS.map((s) => [s.di, s]));

function label(spec: Spec): string {
  return `${spec.name} [${spec.number}]`;
}

function segmentsLength(segments: readonly Segment[]): number {
  return segments.reduce((n, s) => n + s.length, 0);
}

const isDiStart = (c: string | undefined): boolean => c === '=' || c === '&';

// ---------------------------------------------------------------------------
// ISO/IEC 7064 mod 37-2 (ST-001 Appendix A; pure system, recursive method)

const ISO7064_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*';

/** The mod 37-2 checksum (0–36) of an upper-case alphanumeric string. */
export function iso7064Mod37_2(text: string): number {
  let sum = 0;
  for (const c of text) sum = ((sum + ISO7064_CHARS.indexOf(c)) * 2) % 37;
  return (38 - sum) % 37;
}

/** The keyboard entry check character K printed beside a DIN (not encoded in the bar code). */
export function dinCheckCharacter(din13: string): string {
  return ISO7064_CHARS.charAt(iso7064Mod37_2(din13));
}

// ---------------------------------------------------------------------------
// Identification

/** The data structure that starts at `i`, if its data identifier is recognised. */
function identify(data: string, i: number): Spec | undefined {
  const c0 = data[i];
  const c1 = data[i + 1];
  if (c1 === undefined) return undefined;
  if (c0 === '=' && FIN_FIRST.test(c1)) return DIN_SPEC;
  if (c0 === '&' && c1 === ',') return BY_DI.get(data.slice(i, i + 3));
  if (c0 === '=' || c0 === '&') return BY_DI.get(c0 + c1);
  return undefined;
}

export function looksLikeIsbt128(data: string): boolean {
  return identify(data, 0) !== undefined;
}

// ---------------------------------------------------------------------------
// Parsing

interface Slot {
  readonly value: string;
  readonly spec: Spec;
}

interface State {
  productCode?: string;
  ppic?: string;
  din?: string;
  divisions?: string;
  lot?: string;
  expiry?: string;
  production?: string;
  readonly structures: string[];
  readonly slots: Map<string, Slot>;
}

/** Internal control flow only: every Failure is caught in parseIsbt128 and returned as `error`. */
class Failure extends Error {
  constructor(readonly error: ParseError) {
    super(error.message);
  }
}

function fail(kind: ParseError['kind'], code: ErrorCode, message: string, position: number, length: number): Failure {
  return new Failure({ kind, code, message, position, length: Math.max(length, 1) });
}

const show = (c: string): string => JSON.stringify(c);

export function parseIsbt128(data: string, offset: number, _today: Date): Isbt128Parse {
  const state: State = { structures: [], slots: new Map() };
  const warnings: ParseWarning[] = [];
  let error: ParseError | undefined;
  try {
    read(data, offset, state);
  } catch (e) {
    // Never throws: an unexpected fault becomes a syntax error rather than an exception.
    error =
      e instanceof Failure
        ? e.error
        : { kind: 'syntax', code: 'ISBT_SYNTAX', message: `the ISBT 128 data could not be read (${String(e)})`, position: offset, length: Math.max(data.length, 1) };
  }
  return build(state, warnings, error);
}

function read(data: string, offset: number, state: State): void {
  if (data.length === 0) throw fail('syntax', 'ISBT_SYNTAX', 'no ISBT 128 data to read', offset, 0);
  let compound: { count: number; at: number } | undefined;
  let following = 0;
  let i = 0;
  while (i < data.length) {
    const spec = identifyOrFail(data, i, offset);
    const diLength = spec.di.length;
    const start = i + diLength;
    const content = readContent(data, start, offset, spec, i);
    if (spec.number === '023') {
      if (i !== 0) {
        throw fail('syntax', 'ISBT_SYNTAX', 'a Compound Message [023] must begin the data; this one follows other data structures', offset + i, 7);
      }
      compound = { count: Number(content.slice(0, 2)), at: offset + start };
    } else if (compound) {
      following += 1;
    }
    interpret(spec, content, offset + start, state);
    state.structures.push(spec.di);
    i = start + content.length;
    checkFollowing(data, i, offset, spec, start);
  }
  if (compound && following !== compound.count) {
    throw fail(
      'syntax',
      'ISBT_COMPOUND_COUNT',
      `the Compound Message [023] announces ${compound.count} data structure${compound.count === 1 ? '' : 's'}, but ${following} follow${following === 1 ? 's' : ''}`,
      compound.at,
      2,
    );
  }
}

function identifyOrFail(data: string, i: number, offset: number): Spec {
  const c0 = data[i] ?? '';
  if (c0 !== '=' && c0 !== '&') {
    throw fail(
      'syntax',
      'ISBT_SYNTAX',
      `expected an ISBT 128 data identifier ("=" or "&") at position ${offset + i}, found ${show(c0)}`,
      offset + i,
      1,
    );
  }
  const c1 = data[i + 1];
  if (c1 === undefined) {
    throw fail('length', 'ISBT_LENGTH', `the data ends inside a data identifier: ${show(c0)} alone`, offset + i, 1);
  }
  if (c0 === '&' && c1 === ',' && data[i + 2] === undefined) {
    throw fail('length', 'ISBT_LENGTH', 'the data ends inside the three-character data identifier "&,"', offset + i, 2);
  }
  const spec = identify(data, i);
  if (spec) return spec;
  const di = c0 === '&' && c1 === ',' ? data.slice(i, i + 3) : c0 + c1;
  let why = 'it is not in ST-001 Table 2';
  if (c0 === '&' && (/^[a-z]$/.test(c1) || c1 === ';' || c1 === '!')) {
    why = 'it is reserved for nationally or locally defined data structures, whose layout cannot be read here';
  } else if (c0 === '=' && (c1 === '0' || c1 === 'O' || /^[a-z]$/.test(c1))) {
    why = `a Donation Identification Number cannot begin with ${show(c1)}`;
  }
  throw fail('syntax', 'ISBT_UNKNOWN_STRUCTURE', `unknown ISBT 128 data identifier ${show(di)}: ${why}`, offset + i, di.length);
}

/** Reads and validates the data content of `spec` starting at `start`; returns it. */
function readContent(data: string, start: number, offset: number, spec: Spec, diAt: number): string {
  let segments = spec.segments;
  let length = segments ? segmentsLength(segments) : 0;
  if (spec.variable) {
    const header = takeExact(data, start, spec.variable.header, offset, spec, diAt);
    checkChars(header, [seg(spec.variable.header, NUM)], offset + start, spec);
    length = spec.variable.total(header);
    segments = [seg(spec.variable.header, NUM), seg(length - spec.variable.header, spec.variable.body)];
  }
  const content = takeExact(data, start, length, offset, spec, diAt);
  checkChars(content, segments ?? [], offset + start, spec);
  return content;
}

/** After a complete structure comes the next data identifier or the end; anything else means the structure ran long. */
function checkFollowing(data: string, end: number, offset: number, spec: Spec, start: number): void {
  if (end < data.length && !isDiStart(data[end])) {
    let stop = end;
    while (stop < data.length && !isDiStart(data[stop])) stop += 1;
    throw fail(
      'length',
      'ISBT_LENGTH',
      `${label(spec)} has ${end - start} data characters; ${show(data.slice(end, stop))} follows it where the next data identifier ("=" or "&") or the end was expected`,
      offset + end,
      stop - end,
    );
  }
}

/** Exactly `length` characters from `start`, stopping early at a data identifier or the end is a length error. */
function takeExact(data: string, start: number, length: number, offset: number, spec: Spec, diAt: number): string {
  const available = data.slice(start, start + length);
  const cut = [...available].findIndex((c) => isDiStart(c));
  const got = cut < 0 ? available.length : cut;
  if (got < length) {
    const where = cut < 0 ? 'the data ends' : `the next data identifier begins at position ${offset + start + cut}`;
    throw fail(
      'length',
      'ISBT_LENGTH',
      `${label(spec)} needs ${length} data characters after ${show(spec.di)}, but ${where} after ${got}`,
      offset + diAt,
      start - diAt + got,
    );
  }
  return available;
}

function checkChars(content: string, segments: readonly Segment[], at: number, spec: Spec): void {
  let k = 0;
  for (const s of segments) {
    for (let j = 0; j < s.length; j += 1, k += 1) {
      const c = content[k] ?? '';
      if (!s.chars.test(c)) {
        throw fail(
          'charset',
          'ISBT_CHARSET',
          `${show(c)} at position ${at + k} is not allowed in ${label(spec)} (data character ${k + 1} must be ${s.chars.label})`,
          at + k,
          1,
        );
      }
    }
  }
}

/** cyyjjj[hhmm] → YYYY-MM-DD. ST-001 §2.4.4–2.4.9: c century, yy year in century, jjj ordinal day. */
function julian(content: string, at: number, spec: Spec): string {
  const c = Number(content[0]);
  const year = 2000 + 100 * c + Number(content.slice(1, 3));
  const jjj = content.slice(3, 6);
  const date = ordinalDate(year, Number(jjj));
  if (date === undefined) {
    const max = isLeapYear(year) ? 366 : 365;
    throw fail(
      'date',
      'ISBT_DATE_DAY_OF_YEAR',
      `${label(spec)}: day of the year ${jjj} does not exist in ${year} (1–${max}${max === 365 ? ', not a leap year' : ''})`,
      at + 3,
      3,
    );
  }
  if (content.length === 10) {
    const hh = content.slice(6, 8);
    const mm = content.slice(8, 10);
    if (Number(hh) > 23) throw fail('date', 'ISBT_DATE_HOUR', `${label(spec)}: hour ${hh} does not exist (00–23)`, at + 6, 2);
    if (Number(mm) > 59) throw fail('date', 'ISBT_DATE_MINUTE', `${label(spec)}: minute ${mm} does not exist (00–59)`, at + 8, 2);
  }
  return date;
}

/** Records a value that may appear once; a second, different occurrence is an error. */
function once(state: State, slot: string, value: string, spec: Spec, at: number, length: number, what: string): void {
  const previous = state.slots.get(slot);
  if (previous && previous.value !== value) {
    throw fail(
      'syntax',
      'ISBT_CONFLICT',
      `${label(spec)} gives the ${what} ${value}, but ${label(previous.spec)} earlier gave ${previous.value}`,
      at,
      length,
    );
  }
  state.slots.set(slot, { value, spec });
}

function interpret(spec: Spec, content: string, at: number, state: State): void {
  switch (spec.number) {
    case '001': {
      const din = content.slice(0, 13);
      const flags = content.slice(13, 15);
      const flagValue = /^\d\d$/.test(flags) ? Number(flags) : -1;
      if (flagValue >= 60 && flagValue <= 96) {
        const expected = iso7064Mod37_2(din);
        if (expected !== flagValue - 60) {
          throw fail(
            'checkDigit',
            'ISBT_DIN_CHECK',
            `the DIN flag characters ${flags} carry the ISO/IEC 7064 mod 37-2 check value ${flagValue - 60}, but DIN ${din} computes to ${expected} (flags ${60 + expected})`,
            at + 13,
            2,
          );
        }
      }
      once(state, 'din', din, spec, at, 13, 'Donation Identification Number');
      state.din = din;
      return;
    }
    case '003':
      once(state, 'productCode', content, spec, at, content.length, 'product code');
      state.productCode = content;
      return;
    case '004':
    case '005': {
      const date = julian(content, at, spec);
      once(state, 'expiry', date, spec, at, content.length, 'expiration date');
      state.expiry = date;
      return;
    }
    case '006':
    case '007':
      julian(content, at, spec);
      return;
    case '008':
    case '009': {
      const date = julian(content, at, spec);
      once(state, 'production', date, spec, at, content.length, 'production date');
      state.production = date;
      return;
    }
    case '032':
      once(state, 'divisions', content, spec, at, content.length, 'Product Divisions code');
      state.divisions = content;
      return;
    case '034':
      once(state, 'ppic', content, spec, at, content.length, 'Processor Product Identification Code');
      state.ppic = content;
      return;
    case '035':
      once(state, 'lot', content, spec, at, content.length, 'MPHO lot number');
      state.lot = content;
      return;
    default:
      return;
  }
}

function build(state: State, warnings: ParseWarning[], error: ParseError | undefined): Isbt128Parse {
  const isbt128: Isbt128Data | undefined =
    state.structures.length === 0
      ? undefined
      : {
          // The Product Code [003] when present, else the PPIC's Product Description Code.
          ...(state.productCode !== undefined
            ? { productCode: state.productCode }
            : state.ppic !== undefined
              ? { productCode: state.ppic.slice(11, 16) }
              : {}),
          ...(state.ppic !== undefined ? { processorProductId: state.ppic } : {}),
          ...(state.din !== undefined ? { donationId: state.din } : {}),
          ...(state.divisions !== undefined ? { divisions: state.divisions } : {}),
          structures: [...state.structures],
        };
  return {
    ...(isbt128 ? { isbt128 } : {}),
    ...(state.ppic !== undefined ? { di: state.ppic } : {}),
    ...(state.lot !== undefined ? { lotNumber: state.lot } : {}),
    ...(state.divisions !== undefined ? { serialNumber: state.divisions } : {}),
    ...(state.expiry !== undefined ? { expirationDate: state.expiry } : {}),
    ...(state.production !== undefined ? { manufacturingDate: state.production } : {}),
    warnings,
    ...(error ? { error } : {}),
  };
}
