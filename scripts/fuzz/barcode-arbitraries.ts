/**
 * fast-check generators of valid barcode data, shared by the property tests,
 * the bounded fuzz test and the fuzz script (scripts/fuzz/parse.ts). Each
 * valid label comes with the fields a correct reading must find, and with
 * the ranges of the input that a check digit or check character protects.
 */
import fc from 'fast-check';
import { gs1CheckDigit } from '../../src/barcode/gs1/check-digit.js';
import { hibcCheckCharacter } from '../../src/barcode/hibc.js';
import { GS } from '../../src/barcode/index.js';

export { GS };
export const CSET82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;
/** The HIBC character set, in check-value order. */
export const HIBC_CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%';
const UPPER_ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOT_CHARS = `${UPPER_ALNUM}-.`;

export const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
/** A GS1 number of `n` digits with its check digit (GTIN-14: 14, GLN: 13, GSRN: 18). */
export const gs1Number = (n: number) => digits(n - 1).map((body) => body + gs1CheckDigit(body));
export const gtin = gs1Number(14);
export const cset82 = (max: number) => fc.array(fc.constantFrom(...CSET82), { minLength: 1, maxLength: max }).map((c) => c.join(''));
const calendarDay = fc.date({ min: new Date('1977-01-01T00:00:00Z'), max: new Date('2076-12-31T00:00:00Z'), noInvalidDate: true });
export const yymmdd = calendarDay.map((d) => d.toISOString().slice(2, 10).replaceAll('-', ''));
const yyyymmdd = calendarDay.map((d) => d.toISOString().slice(0, 10).replaceAll('-', ''));

export type Element = [ai: string, value: string];

/** A valid product label: GTIN plus any of expiry, production date, lot, serial. */
export const productLabel = fc
  .record(
    { '01': gtin, '17': fc.option(yymmdd), '11': fc.option(yymmdd), '10': fc.option(cset82(20)), '21': fc.option(cset82(20)) },
    { requiredKeys: ['01'] },
  )
  .map((r) => Object.entries(r).filter((e): e is Element => typeof e[1] === 'string'));

const bracketedPieces = (els: readonly Element[]) => els.map(([ai, v]) => `(${ai})${v.replaceAll('(', '\\(')}`);
export const bracketed = (els: readonly Element[]) => bracketedPieces(els).join('');
/** AIs of predefined length: no GS after them. */
const FIXED = new Set(['01', '11', '17', '414']);
const elementPieces = (els: readonly Element[]) => els.map(([ai, v], i) => `${ai}${v}${!FIXED.has(ai) && i < els.length - 1 ? GS : ''}`);
export const elementString = (els: readonly Element[]) => elementPieces(els).join('');

/** [start, end) of the GTIN's digits in the rendered elements (after `before` characters and the AI's own). */
function gtinRange(els: readonly Element[], pieces: readonly string[], before: number, aiLength: number): [number, number] {
  const start = before + pieces.slice(0, els.findIndex(([ai]) => ai === '01')).join('').length + aiLength;
  return [start, start + 14];
}

/** Percent-encodes everything but the unreserved characters (always a correct Digital Link value). */
const dlEncode = (value: string) => [...value].map((c) => (/[A-Za-z0-9._~-]/.test(c) ? c : `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** The fields a correct reading of a generated label has. */
export interface Expected {
  readonly gtin?: string;
  readonly di?: string;
  readonly lotNumber?: string;
  readonly serialNumber?: string;
  readonly quantity?: number;
  readonly partial?: boolean;
  /** GS1 only: the AIs and their values. */
  readonly ais?: Readonly<Record<string, string>>;
}

export interface ValidLabel {
  readonly form: string;
  readonly input: string;
  readonly expected: Expected;
  /** [start, end) ranges a check digit (GS1, digits) or check character (HIBC, its 43 characters) protects. */
  readonly protectedRanges: ReadonlyArray<readonly [number, number]>;
  /** The characters a substitution in a protected range is drawn from. */
  readonly protectedAlphabet: string;
  /** GS1 elements, for forms that can be re-rendered (swapped AIs). */
  readonly elements?: readonly Element[];
}

const gs1Expected = (els: readonly Element[]): Expected => {
  const ais = Object.fromEntries(els);
  return {
    ais,
    ...(ais['01'] !== undefined && { gtin: ais['01'] }),
    ...(ais['10'] !== undefined && { lotNumber: ais['10'] }),
    ...(ais['21'] !== undefined && { serialNumber: ais['21'] }),
  };
};

/** The range of a primary key's digits in `input`, found after `marker`. */
const rangeAfter = (input: string, marker: string, length: number): [number, number] => {
  const at = input.indexOf(marker) + marker.length;
  return [at, at + length];
};

const ELEMENT_PREFIXES = [']d2', ']C1', ']Q3', ']e0', GS, ''];

/** A GS1 product label in one of its carriers. */
export const gs1ProductLabel: fc.Arbitrary<ValidLabel> = fc
  .tuple(productLabel, fc.constantFrom('element', 'bracketed', 'digital-link', 'iso15434'), fc.constantFrom(...ELEMENT_PREFIXES), fc.constantFrom('https://id.gs1.org', 'http://example.com', 'https://example.org/some/prefix'))
  .map(([els, form, prefix, origin]): ValidLabel => {
    const base = { expected: gs1Expected(els), protectedAlphabet: '0123456789', elements: els };
    if (form === 'bracketed') {
      const input = bracketed(els);
      return { ...base, form: 'gs1-bracketed', input, protectedRanges: [gtinRange(els, bracketedPieces(els), 0, 4)] };
    }
    if (form === 'digital-link') {
      // The primary key, then its qualifiers in the standard's order (the elements come in any order).
      const path = ['01', '10', '21'].flatMap((ai) => els.filter(([a]) => a === ai)).map(([ai, v]) => `/${ai}/${dlEncode(v)}`).join('');
      const query = els.filter(([ai]) => ai === '11' || ai === '17').map(([ai, v]) => `${ai}=${v}`).join('&');
      const input = `${origin}${path}${query ? `?${query}` : ''}`;
      return { ...base, form: 'gs1-digital-link', input, protectedRanges: [rangeAfter(input, `/01/`, 14)] };
    }
    if (form === 'iso15434') {
      const input = `[)>\u001e05${GS}${elementString(els)}\u001e\u0004`;
      return { ...base, form: 'gs1-iso15434', input, protectedRanges: [gtinRange(els, elementPieces(els), 7, 2)] };
    }
    const input = `${prefix}${elementString(els)}`;
    return { ...base, form: 'gs1-element', input, protectedRanges: [gtinRange(els, elementPieces(els), prefix.length, 2)] };
  });

/** A wristband (8018 GSRN) or a place (414 GLN), as theatres scan them. */
export const gs1KeyLabel: fc.Arbitrary<ValidLabel> = fc
  .tuple(fc.constantFrom(['8018', 18] as const, ['414', 13] as const), fc.constantFrom(']d2', ']C1', ''))
  .chain(([[ai, length], prefix]) =>
    gs1Number(length).map((value): ValidLabel => {
      const input = `${prefix}${ai}${value}`;
      const start = prefix.length + ai.length;
      return { form: `gs1-${ai}`, input, expected: { ais: { [ai]: value } }, protectedRanges: [[start, start + length]], protectedAlphabet: '0123456789', elements: [[ai, value]] };
    }),
  );

/** A bare GTIN as a scanner without symbology identifiers (or a keyboard) sends it. */
export const bareGtin: fc.Arbitrary<ValidLabel> = fc.constantFrom(8, 12, 13, 14).chain((n) =>
  gs1Number(n).map((input): ValidLabel => ({ form: `gtin-${n}`, input, expected: { gtin: input.padStart(14, '0') }, protectedRanges: [[0, n]], protectedAlphabet: '0123456789' })),
);

const chars = (alphabet: string, min: number, max: number) => fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((c) => c.join(''));
const hibcLot = chars(LOT_CHARS, 1, 18);

interface HibcSecondary {
  readonly text: string;
  readonly lotNumber?: string;
  readonly serialNumber?: string;
  readonly quantity?: number;
}

/** HIBC secondary data (without its leading '+' or '/'), then supplemental fields. */
const hibcSecondary: fc.Arbitrary<HibcSecondary> = fc
  .tuple(
    fc.constantFrom('lot', 'serial', 'dated-lot', 'dated-serial', 'undated-flag'),
    hibcLot,
    yymmdd,
    fc.option(yyyymmdd),
    fc.option(hibcLot),
    fc.option(fc.integer({ min: 1, max: 99_999 })),
  )
  .map(([kind, value, date, made, extraSerial, quantity]) => {
    const serial = kind === 'serial' || kind === 'dated-serial';
    let text = kind === 'lot' ? `$${value}` : kind === 'serial' ? `$+${value}` : kind === 'dated-lot' ? `$$3${date}${value}` : kind === 'dated-serial' ? `$$+3${date}${value}` : `$$7${value}`;
    if (made !== null) text += `/16D${made}`;
    const withSerial = !serial && extraSerial !== null;
    if (withSerial) text += `/S${extraSerial}`;
    if (quantity !== null) text += `/Q${quantity}`;
    return {
      text,
      ...(serial ? { serialNumber: value } : { lotNumber: value }),
      ...(withSerial && { serialNumber: extraSerial }),
      ...(quantity !== null && { quantity }),
    };
  });

const check = (body: string) => hibcCheckCharacter(body) ?? '';

/** An HIBC label: a primary, a secondary alone, both concatenated, or a primary and secondary symbol read as one string. */
export const hibcLabel: fc.Arbitrary<ValidLabel> = fc
  .tuple(chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 1, 1), chars(UPPER_ALNUM, 3, 3), chars(UPPER_ALNUM, 1, 18), chars('0123456789', 1, 1), hibcSecondary, fc.constantFrom('primary', 'secondary', 'concatenated', 'pair'))
  .map(([l, ic, pcn, uom, secondary, layout]): ValidLabel => {
    const primary = `+${l}${ic}${pcn}${uom}`;
    const di = `${l}${ic}${pcn}${uom}`;
    const fields = {
      ...(secondary.lotNumber !== undefined && { lotNumber: secondary.lotNumber }),
      ...(secondary.serialNumber !== undefined && { serialNumber: secondary.serialNumber }),
      ...(secondary.quantity !== undefined && { quantity: secondary.quantity }),
    };
    const base = { protectedAlphabet: HIBC_CHARSET, form: `hibc-${layout}` };
    if (layout === 'primary') {
      const input = primary + check(primary);
      return { ...base, input, expected: { di }, protectedRanges: [[1, input.length]] };
    }
    if (layout === 'concatenated') {
      const body = `${primary}/${secondary.text}`;
      const input = body + check(body);
      return { ...base, input, expected: { di, ...fields }, protectedRanges: [[1, input.length]] };
    }
    if (layout === 'secondary') {
      // A link character is any of the 43; here the check character of some primary.
      const body = `+${secondary.text}${check(primary)}`;
      const input = body + check(body);
      return { ...base, input, expected: { ...fields, partial: true }, protectedRanges: [[1, input.length]] };
    }
    const first = primary + check(primary);
    const second = `+${secondary.text}${check(primary)}`;
    const input = first + second + check(second);
    return { ...base, input, expected: { di, ...fields }, protectedRanges: [[1, first.length], [first.length + 1, input.length]] };
  });

/** Every kind of valid label the generators know. */
export const validLabel: fc.Arbitrary<ValidLabel> = fc.oneof(
  { arbitrary: gs1ProductLabel, weight: 4 },
  { arbitrary: gs1KeyLabel, weight: 1 },
  { arbitrary: bareGtin, weight: 1 },
  { arbitrary: hibcLabel, weight: 3 },
);
