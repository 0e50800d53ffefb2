/**
 * The parser fuzzer's inputs and its oracle, shared by the bounded test
 * (test/unit/barcode/fuzz.test.ts) and the long run (scripts/fuzz/parse.ts).
 *
 * Three categories of input: valid labels in every carrier, mutations of
 * them (the ways scanners, keyboards and people damage a scan), and arbitrary
 * strings over all of UTF-16. The oracle checks each reading; a non-empty
 * answer from `checkCase` is a counter-example.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { PARSE_ERROR_CODES, parseBarcode, WARNING_CODES, type ErrorKind, type ParseResult } from '../../src/barcode/index.js';

/** The closed code sets the API documents: a code outside them is a defect. */
const KNOWN_ERRORS: ReadonlySet<string> = new Set(PARSE_ERROR_CODES);
const KNOWN_WARNINGS: ReadonlySet<string> = new Set(WARNING_CODES);
import { CSET82, elementString, GS, validLabel, type Element, type Expected, type ValidLabel } from './barcode-arbitraries.js';

export type Category = 'valid' | 'mutated' | 'arbitrary';

export interface FuzzCase {
  readonly category: Category;
  /** The carrier (valid), the mutation (mutated) or the generator (arbitrary). */
  readonly kind: string;
  readonly input: string;
  /** valid: the reading it must give. */
  readonly expected?: Expected;
  /** mutated: the label it was made from. */
  readonly original?: ValidLabel;
  /** mutated: a character a check digit or check character protects was replaced by another of its alphabet. */
  readonly checkProtected?: boolean;
}

/** Characters that break things: NUL, controls, bidi overrides, lone surrogates, emoji, combining marks, BOM. */
export const HOSTILE = ['\u0000', '\u0001', '\u0004', '\u001c', '\u001e', '\u007f', '\u0085', '\u202e', '\u2066', '\ud800', '\udfff', '\ud83d\ude00', 'e\u0301', '\u0301', '\ufeff', '\uffff', '\r\n', '\t', ' ', '%', '%00', '%ZZ', '\\(', '\\', '(', ')', '/', '?', '#', '&', '='];

const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const oneChar = fc.oneof(fc.constantFrom(...'0123456789'), fc.constantFrom(...CSET82), fc.constantFrom(...HOSTILE), fc.constant(GS), utf16Unit);

const at = (input: string) => fc.nat(Math.max(input.length - 1, 0));

/** The mutations of one valid label. */
function mutations(label: ValidLabel): fc.Arbitrary<FuzzCase> {
  const { input } = label;
  const mutated = (kind: string, text: string, checkProtected = false): FuzzCase => ({ category: 'mutated', kind, input: text, original: label, checkProtected });
  const gsAt: number[] = [];
  for (let i = 0; i < input.length; i++) if (input[i] === GS) gsAt.push(i);

  const options: Array<fc.Arbitrary<FuzzCase>> = [
    fc.tuple(at(input), oneChar).map(([i, c]) => mutated('replace', input.slice(0, i) + c + input.slice(i + 1), isProtectedSubstitution(label, i, c))),
    // Aimed at the check digits: one protected character replaced by another of its alphabet.
    fc
      .tuple(fc.constantFrom(...label.protectedRanges), fc.nat(), fc.constantFrom(...label.protectedAlphabet))
      .filter(([[start, end], n, c]) => input[start + (n % (end - start))] !== c)
      .map(([[start, end], n, c]) => {
        const i = start + (n % (end - start));
        return mutated('replace-protected', input.slice(0, i) + c + input.slice(i + 1), true);
      }),
    at(input).map((i) => mutated('delete', input.slice(0, i) + input.slice(i + 1))),
    fc.tuple(fc.nat(input.length), oneChar).map(([i, c]) => mutated('insert', input.slice(0, i) + c + input.slice(i))),
    fc.tuple(fc.nat(input.length), fc.constantFrom(...HOSTILE)).map(([i, c]) => mutated('insert-hostile', input.slice(0, i) + c + input.slice(i))),
    fc.nat(input.length).map((i) => mutated('truncate', input.slice(0, i))),
    fc.nat(input.length).map((i) => mutated('insert-gs', input.slice(0, i) + GS + input.slice(i))),
  ];
  if (gsAt.length > 0) {
    options.push(fc.constantFrom(...gsAt).map((i) => mutated('drop-gs', input.slice(0, i) + input.slice(i + 1))));
    options.push(fc.constantFrom(...gsAt).map((i) => mutated('duplicate-gs', input.slice(0, i) + GS + input.slice(i))));
  }
  const elements = label.elements;
  if (elements && elements.length > 1) {
    options.push(
      fc.tuple(fc.nat(elements.length - 1), fc.nat(elements.length - 1)).map(([a, b]) => {
        const swapped = [...elements];
        [swapped[a], swapped[b]] = [swapped[b] as Element, swapped[a] as Element];
        return mutated('swap-ais', `]d2${elementString(swapped)}`);
      }),
    );
  }
  return fc.oneof(...options);
}

function isProtectedSubstitution(label: ValidLabel, i: number, c: string): boolean {
  return c !== label.input[i] && c.length === 1 && label.protectedAlphabet.includes(c) && label.protectedRanges.some(([start, end]) => i >= start && i < end);
}

const CARRIER_TOKENS = ['01', '10', '17', '21', '8018', '414', '(', ')', '\\(', GS, '/', '%', '%2F', '0', '9', '+', '$', '$$', '/14D', '/S', '/Q', 'https://x/', '?', '&', '=', ']d2', 'A', ' ', '\r', '.'];
const PREFIXES = [']d2', ']C1', ']E0', ']I1', '+', '+$', '+$$', '+A123', 'https://id.gs1.org/01/', 'HTTP://', '(01)', '(', `[)>\u001e05${GS}`, '=<', '&', '01', '8018', GS, ' ', '\t'];

/** Strings with no structure, or a carrier's opening followed by noise. */
export const arbitraryCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 100 }).map((input) => ({ category: 'arbitrary' as const, kind: 'grapheme', input })),
  fc.string({ unit: 'binary', maxLength: 100 }).map((input) => ({ category: 'arbitrary' as const, kind: 'code-points', input })),
  fc.string({ unit: utf16Unit, maxLength: 100 }).map((input) => ({ category: 'arbitrary' as const, kind: 'utf16-units', input })),
  fc.array(fc.constantFrom(...CARRIER_TOKENS), { maxLength: 60 }).map((t) => ({ category: 'arbitrary' as const, kind: 'carrier-tokens', input: t.join('') })),
  fc
    .tuple(fc.constantFrom(...PREFIXES), fc.string({ unit: fc.oneof(fc.constantFrom(...CSET82), oneChar), maxLength: 80 }))
    .map(([p, rest]) => ({ category: 'arbitrary' as const, kind: 'prefix-noise', input: p + rest })),
  // Long inputs: anything superlinear in the length shows here.
  fc
    .tuple(fc.constantFrom(...PREFIXES), fc.array(fc.constantFrom(...CARRIER_TOKENS), { minLength: 500, maxLength: 3000 }))
    .map(([p, t]) => ({ category: 'arbitrary' as const, kind: 'long', input: p + t.join('') })),
);

export const validCase: fc.Arbitrary<FuzzCase> = validLabel.map((label) => ({ category: 'valid' as const, kind: label.form, input: label.input, expected: label.expected }));
export const mutatedCase: fc.Arbitrary<FuzzCase> = validLabel.chain(mutations);

/** The three categories, weighted toward the damaged scans. */
export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  { arbitrary: validCase, weight: 2 },
  { arbitrary: mutatedCase, weight: 5 },
  { arbitrary: arbitraryCase, weight: 3 },
);

const KINDS: ReadonlySet<ErrorKind> = new Set(['checkDigit', 'date', 'length', 'charset', 'unknownAI', 'missingFNC1', 'associations', 'hibcCheck', 'syntax']);
const CODE = /^[A-Z][A-Z0-9_]*$/;

export interface Checked {
  readonly result?: ParseResult;
  /** Time parseBarcode took on the input, in milliseconds. */
  readonly ms: number;
  /** Why the case is a counter-example; undefined when every property held. */
  readonly failure?: string;
}

/** Parses the case's input and checks every property of the reading. */
export function checkCase(c: FuzzCase, today: Date): Checked {
  const started = performance.now();
  let result: ParseResult;
  try {
    result = parseBarcode(c.input, { today });
  } catch (error) {
    return { ms: performance.now() - started, failure: `parseBarcode threw: ${error instanceof Error ? error.stack : String(error)}` };
  }
  const ms = performance.now() - started;
  const failure = (text: string): Checked => ({ result, ms, failure: text });

  const shape = shapeProblem(c.input, result);
  if (shape) return failure(shape);

  let json: ParseResult;
  try {
    json = JSON.parse(JSON.stringify(result)) as ParseResult;
  } catch (error) {
    return failure(`the result does not serialise to JSON: ${String(error)}`);
  }
  if (json.valid !== result.valid || json.raw !== c.input) return failure('the JSON form of the result disagrees with the result');

  if (c.category === 'valid') {
    if (!result.valid) return failure(`a valid ${c.kind} label was rejected: ${result.error?.code ?? ''} ${result.error?.message ?? ''}`);
    const differs = readingDiffers(json, c.expected ?? {});
    if (differs) return failure(`a valid ${c.kind} label was misread: ${differs}`);
  }

  // Never silently: a reading the parser itself flags as a possible typo is not silent.
  if (c.category === 'mutated' && c.checkProtected && result.valid && !result.warnings.some((w) => w.code === 'POSSIBLE_MISTYPED_GTIN')) {
    const differs = readingDiffers(json, c.original?.expected ?? {});
    if (differs) return failure(`a character protected by a check digit was changed and the scan was accepted as a different reading (${differs})`);
  }

  if (result.valid && result.issuingAgency === 'GS1') {
    const trip = roundTripProblem(json, today);
    if (trip) return failure(trip);
  }
  return { result, ms };
}

/** Whether the result object is well-formed: valid agrees with error, and an error says what and where. */
function shapeProblem(input: string, r: ParseResult): string | undefined {
  if (typeof r !== 'object' || r === null) return 'the result is not an object';
  if (typeof r.valid !== 'boolean') return '`valid` is not a boolean';
  if (r.raw !== input) return '`raw` is not the input';
  if (!Array.isArray(r.warnings)) return '`warnings` is not an array';
  for (const w of r.warnings as ParseResult['warnings']) {
    if (typeof w.code !== 'string' || !CODE.test(w.code) || typeof w.message !== 'string' || w.message === '') return `a warning without code or message: ${JSON.stringify(w)}`;
    if (!KNOWN_WARNINGS.has(w.code)) return `a warning code outside WARNING_CODES: ${w.code}`;
    if (w.position !== undefined && !inside(input, w.position, w.length ?? 0)) return `a warning points outside the input: ${JSON.stringify(w)}`;
  }
  const e = r.error;
  if (r.valid) return e === undefined ? undefined : `a valid result carries an error: ${JSON.stringify(e)}`;
  if (e === undefined) return 'an invalid result has no error';
  if (typeof e.code !== 'string' || !CODE.test(e.code)) return `the error code is not UPPER_SNAKE: ${JSON.stringify(e.code)}`;
  if (!KNOWN_ERRORS.has(e.code)) return `an error code outside PARSE_ERROR_CODES: ${e.code}`;
  if (e.code === 'PARSER_FAILURE') return `the parser fell into its safety net: ${e.message}`;
  if (typeof e.message !== 'string' || e.message === '') return 'the error has no message';
  if (!KINDS.has(e.kind)) return `unknown error kind ${JSON.stringify(e.kind)}`;
  if (!inside(input, e.position, e.length)) return `the error points outside the input: position ${e.position}, length ${e.length}, input length ${input.length}`;
  return undefined;
}

const inside = (input: string, position: number, length: number) =>
  Number.isInteger(position) && Number.isInteger(length) && position >= 0 && length >= 0 && position + length <= input.length;

const FIELDS = ['gtin', 'di', 'lotNumber', 'serialNumber', 'quantity', 'ais'] as const;

/** The first field of `expected` the reading does not have, described; undefined when all agree. */
function readingDiffers(r: ParseResult, expected: Expected): string | undefined {
  for (const field of FIELDS) {
    if (expected[field] === undefined) continue;
    if (!isDeepStrictEqual(r[field], expected[field])) return `${field} ${JSON.stringify(r[field])}, expected ${JSON.stringify(expected[field])}`;
  }
  if (expected.partial !== undefined && (r.partial ?? false) !== expected.partial) return `partial ${String(r.partial)}, expected ${String(expected.partial)}`;
  return undefined;
}

/** A valid GS1 reading reads the same from its canonical HRI and from its canonical Digital Link. */
function roundTripProblem(r: ParseResult, today: Date): string | undefined {
  const ais = sortedAis(r.ais);
  for (const [form, text] of [['HRI', r.hri], ['Digital Link', r.digitalLink]] as const) {
    if (text === undefined) continue;
    const again = parseBarcode(text, { today });
    if (!again.valid) return `the canonical ${form} ${JSON.stringify(text)} of a valid reading does not parse: ${again.error?.code ?? ''} ${again.error?.message ?? ''}`;
    const back = sortedAis(again.ais);
    if (back !== ais) return `the canonical ${form} ${JSON.stringify(text)} reads ${back}, not ${ais}`;
  }
  return undefined;
}

const sortedAis = (ais: Readonly<Record<string, string>> | undefined) => JSON.stringify(Object.entries(ais ?? {}).sort(([a], [b]) => a.localeCompare(b)));

/** Counts for the summary: by category and kind, valid or not, and the slowest input. */
export class FuzzStats {
  runs = 0;
  valid = 0;
  invalid = 0;
  maxMs = 0;
  slowest = '';
  readonly byKind = new Map<string, { runs: number; valid: number }>();

  add(c: FuzzCase, checked: Checked): void {
    this.runs++;
    const isValid = checked.result?.valid === true;
    if (isValid) this.valid++;
    else this.invalid++;
    if (checked.ms > this.maxMs) {
      this.maxMs = checked.ms;
      this.slowest = c.input;
    }
    const key = `${c.category}/${c.kind}`;
    const k = this.byKind.get(key) ?? { runs: 0, valid: 0 };
    k.runs++;
    if (isValid) k.valid++;
    this.byKind.set(key, k);
  }

  byCategory(): Record<Category, number> {
    const out: Record<Category, number> = { valid: 0, mutated: 0, arbitrary: 0 };
    for (const [key, k] of this.byKind) out[key.split('/')[0] as Category] += k.runs;
    return out;
  }
}
