/**
 * Run-on: a variable-length value that swallowed the element strings after it
 * through a dropped GS (FNC1) separator never passes silently. Table-driven
 * cases, the helper for services, and a property: dropping the GS after a
 * variable-length AI followed by a production identifier never gives a valid
 * reading without POSSIBLE_MISSING_SEPARATOR, and the true split is always
 * among the readings offered.
 */
import fc from 'fast-check';
import t from 'tap';
import { missingSeparatorReadings, parseBarcode, RUN_ON_TAIL_AIS, type ParseResult } from '../../../src/barcode/index.js';
import { cset82, digits, GS, gtin, yymmdd } from '../../../scripts/fuzz/barcode-arbitraries.js';

const today = new Date('2026-11-21T00:00:00Z');
const RUNS = Number(process.env.FC_RUNS ?? 2000);
const G = '09506000134352';
/** The GTIN of the example (check digit 1). */
const G2 = '04000000000051';
/** A GTIN with no AI of RUN_ON_TAIL_AIS inside ("0104..." holds a (10)). */
const G9 = '99999999999997';

interface Case {
  readonly name: string;
  readonly input: string;
  /** The POSSIBLE_MISSING_SEPARATOR warning expected (a subset), or null for none. */
  readonly warning: Record<string, unknown> | null;
  /** Other fields of the result (a subset). */
  readonly expect?: Record<string, unknown>;
}

const runOnWarning = (r: ParseResult) => r.warnings.find((w) => w.code === 'POSSIBLE_MISSING_SEPARATOR');

const CASES: readonly Case[] = [
  // The bug: the commonest implant layout with the GS after the lot dropped passed silently.
  {
    name: 'lot then serial, GS dropped after the lot: LOT121SER1 is LOT1 + (21)SER1',
    input: `]d201${G2}17301231` + `10LOT121SER1`,
    warning: { ai: '10', position: 33, length: 6, reading: { '10': 'LOT1', '21': 'SER1' }, message: /\(21\)SER1: a GS \(FNC1\) separator after "LOT1"/ },
    expect: { valid: true, lotNumber: 'LOT121SER1', serialNumber: undefined },
  },
  {
    name: 'the same label with its GS',
    input: `]d201${G2}17301231` + `10LOT1${GS}21SER1`,
    warning: null,
    expect: { valid: true, lotNumber: 'LOT1', serialNumber: 'SER1' },
  },
  {
    name: 'serial first, GS dropped after the serial',
    input: `]d201${G}17301231` + `21SER10LOT`,
    warning: { ai: '21', position: 32, length: 5, reading: { '21': 'SER', '10': 'LOT' } },
    expect: { valid: true, serialNumber: 'SER10LOT', lotNumber: undefined },
  },
  {
    name: 'a tail with an expiry (17): flagged, as before',
    input: `01${G}10ABC17261231`,
    warning: { ai: '10', position: 21, length: 8, reading: { '10': 'ABC', '17': '261231' } },
    expect: { valid: true, lotNumber: 'ABC17261231', expirationDate: undefined },
  },
  {
    name: 'a tail that repeats an AI of the label with another value is no reading: (17)',
    input: `01${G}17301231` + `10LOT17261231`,
    warning: null,
    expect: { valid: true, lotNumber: 'LOT17261231' },
  },
  {
    name: 'a tail that repeats an AI of the label with another value is no reading: (21)',
    input: `01${G}21SER1${GS}10LOT21X`,
    warning: null,
    expect: { valid: true, lotNumber: 'LOT21X' },
  },
  {
    name: 'a tail that repeats an AI with the same value is a reading',
    input: `01${G}17301231` + `10LOT17301231`,
    warning: { ai: '10', reading: { '10': 'LOT', '17': '301231' } },
  },
  {
    name: 'a company-internal (91) tail is no reading',
    input: `01${G}17301231` + `10LOT91ABC`,
    warning: null,
  },
  {
    name: 'a key (01) tail in a legal serial is no reading (keys come first on labels)',
    input: `01${G9}21AB01${G9}`,
    warning: null,
    expect: { valid: true, serialNumber: `AB01${G9}` },
  },
  {
    name: 'a key (414) tail in a legal lot is no reading',
    input: `01${G}10A4149506000134369`,
    warning: null,
  },
  {
    name: 'the head must be a valid value of its AI: (8008) needs 8 digits before a split',
    input: `]d201${G}17301231` + `80082611211210`,
    warning: null,
    expect: { valid: true, ais: { '8008': '2611211210' } },
  },
  {
    name: 'a head that is a valid (8008) value: flagged',
    input: `]d201${G}17301231` + `8008261121121021`,
    warning: { ai: '8008', reading: { '8008': '26112112', '10': '21' } },
  },
  // Lots and serials that really hold "21", "10" or "17": the parser says the value is ambiguous;
  // the service weighs it against what the product's labels carry.
  {
    name: 'a lot that really holds "21": flagged',
    input: `01${G}17301231` + `10AB2110`,
    warning: { ai: '10', reading: { '10': 'AB', '21': '10' } },
    expect: { valid: true, lotNumber: 'AB2110' },
  },
  {
    name: 'a numeric lot that holds "21": flagged',
    input: `01${G}17301231` + `1064021877`,
    warning: { ai: '10', position: 29, length: 5, reading: { '10': '640', '21': '877' } },
  },
  {
    name: 'a lot that holds "10" is not flagged for it: the tail would repeat (10)',
    input: `01${G}17301231` + `10AB10CD`,
    warning: null,
  },
  {
    name: 'a serial that holds "10" on a label without a lot: flagged',
    input: `01${G}17301231` + `21SN10CD`,
    warning: { ai: '21', reading: { '21': 'SN', '10': 'CD' } },
  },
  {
    name: 'a lot that holds "17" and a date, on a label without an expiry: flagged',
    input: `01${G}10X17251231`,
    warning: { ai: '10', reading: { '10': 'X', '17': '251231' } },
  },
  {
    name: 'every GS present, nothing ambiguous: no warning',
    input: `]d201${G}17301231` + `10LOT-7${GS}21SER0001`,
    warning: null,
  },
  {
    name: 'lot before expiry with its GS: no warning',
    input: `01${G}10ABC123${GS}17261231`,
    warning: null,
  },
  {
    name: 'a numeric lot with no AI inside: no warning',
    input: `01${G}17301231` + `1064087345`,
    warning: null,
  },
  // Several splits: the choice (run-on.ts, compareCandidates) and the message naming the others.
  {
    name: 'two splits into a serial: the last is reported, the other named',
    input: `01${G}10A21B21SER`,
    warning: { ai: '10', position: 22, length: 5, reading: { '10': 'A21B', '21': 'SER' }, message: /another reading is possible \(GS after "A"\)/ },
  },
  {
    name: 'a split into a date beats a later split into a serial',
    input: `01${G}10LOT21A17261231`,
    warning: { ai: '10', reading: { '10': 'LOT21A', '17': '261231' }, message: /another reading is possible \(GS after "LOT"\)/ },
  },
  {
    name: 'a split into a serial beats a later split into a rare AI (22)',
    input: `01${G}10A21B22C`,
    warning: { ai: '10', reading: { '10': 'A', '21': 'B22C' }, message: /another reading/ },
  },
  // Brackets and Digital Link delimit every value: nothing can have run on.
  {
    name: 'bracketed form: never flagged',
    input: `(01)${G2}(17)301231(10)LOT121SER1`,
    warning: null,
    expect: { valid: true, carrier: 'gs1-bracketed', lotNumber: 'LOT121SER1' },
  },
  {
    name: 'bracketed form: a lot holding (17) and a date is what the brackets say',
    input: `(01)${G}(10)ABC17261231`,
    warning: null,
    expect: { valid: true, lotNumber: 'ABC17261231' },
  },
  {
    name: 'bracketed form: an over-long value is too long, not a missing FNC1',
    input: `(01)${G}(10)ABCDEFGHIJKLMNOPQRS17261231`,
    warning: null,
    expect: { valid: false, error: { kind: 'length', code: 'GS1_VALUE_TOO_LONG' } },
  },
  {
    name: 'Digital Link: never flagged',
    input: `https://id.gs1.org/01/${G2}/10/LOT121SER1?17=301231`,
    warning: null,
    expect: { valid: true, carrier: 'gs1-digital-link', lotNumber: 'LOT121SER1' },
  },
  // The error path: an over-long value that runs on is a missing FNC1, where the GS belongs.
  {
    name: 'error path kept: an over-long lot into an expiry',
    input: `01${G}10ABCDEFGHIJKLMNOPQRS17261231`,
    warning: null,
    expect: { valid: false, error: { kind: 'missingFNC1', code: 'GS1_MISSING_FNC1', position: 37, length: 8, ai: '10' } },
  },
  {
    name: 'error path kept: an over-long serial into a GTIN',
    input: `21ABCDEFGH01${G}`,
    warning: null,
    expect: { valid: false, error: { kind: 'missingFNC1', position: 10, length: 16, ai: '21' } },
  },
  {
    name: 'error path extended: an over-long lot into a serial',
    input: `01${G}17301231` + `10ABCDEFGHIJKLMNOPQR21SER1`,
    warning: null,
    expect: { valid: false, error: { kind: 'missingFNC1', code: 'GS1_MISSING_FNC1', position: 44, length: 6, ai: '10', message: /\(21\)SER1/ } },
  },
  {
    name: 'error path: an over-long lot with no reading stays too long',
    input: `01${G}10ABCDEFGHIJKLMNOPQRSTU`,
    warning: null,
    expect: { valid: false, error: { code: 'GS1_VALUE_TOO_LONG' } },
  },
];

t.test('POSSIBLE_MISSING_SEPARATOR: where the GS belongs and the reading it gives', async (t) => {
  for (const c of CASES) {
    const r = parseBarcode(c.input, { today });
    const w = runOnWarning(r);
    if (c.warning === null) t.equal(w, undefined, `${c.name}: no warning`);
    else {
      t.match(w, { code: 'POSSIBLE_MISSING_SEPARATOR', ...c.warning }, c.name);
      if (c.warning.reading) t.same(w?.reading, c.warning.reading, `${c.name}: exactly this reading`);
      t.ok(w && w.position !== undefined && w.length !== undefined && w.position + w.length <= c.input.length, `${c.name}: inside the input`);
      t.equal(r.valid, true, `${c.name}: still valid, as GS1 syntax reads it`);
    }
    if (c.expect) t.match(r, c.expect, `${c.name}: result`);
  }
});

t.test('case names are unique', async (t) => {
  t.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
});

t.test('the warning survives JSON, reading included', async (t) => {
  const r = parseBarcode(`]d201${G2}17301231` + `10LOT121SER1`, { today });
  const json = JSON.parse(JSON.stringify(r)) as ParseResult;
  t.same(runOnWarning(json)?.reading, { '10': 'LOT1', '21': 'SER1' });
});

t.test('the AIs a tail may hold: production identifiers and kin, no internal AIs, no keys', async (t) => {
  for (const ai of ['10', '11', '17', '21', '22', '240', '250', '30', '7003']) t.ok(RUN_ON_TAIL_AIS.has(ai), `(${ai}) in`);
  for (const ai of ['01', '00', '414', '8018', '8004', '90', '91', '99']) t.notOk(RUN_ON_TAIL_AIS.has(ai), `(${ai}) out`);
});

t.test('missingSeparatorReadings: every reading, best first', async (t) => {
  t.same(missingSeparatorReadings('10', 'A21B21SER', { '01': G }, { today }), [
    { offset: 4, reading: { '10': 'A21B', '21': 'SER' }, fixedTail: false },
    { offset: 1, reading: { '10': 'A', '21': 'B21SER' }, fixedTail: false },
  ]);
  t.same(missingSeparatorReadings('10', 'LOT121SER1', { '01': G, '17': '301231', '10': 'LOT121SER1' }, { today }), [
    { offset: 4, reading: { '10': 'LOT1', '21': 'SER1' }, fixedTail: false },
  ]);
  t.same(missingSeparatorReadings('10', 'LOT17261231', { '01': G, '17': '301231' }, { today }), [], 'a second expiry with another date');
  t.same(missingSeparatorReadings('10', 'ABC17261231', { '01': G }, { today })[0]?.fixedTail, true);
  t.same(missingSeparatorReadings('01', G, {}, { today }), [], 'a fixed-size AI swallows nothing');
  t.same(missingSeparatorReadings('1', 'A21B', {}, { today }), [], 'not an AI');
  t.same(missingSeparatorReadings('10', '', {}), [], 'empty value, default today');
});

// The property. AIs a label carries after its GTIN, all of RUN_ON_TAIL_AIS that a product label
// may hold together ((12) needs (8020), (37) excludes (01), (235) excludes (21)), with values.
const X = (max: number) => cset82(max);
const N = (max: number) => fc.integer({ min: 1, max }).chain((n) => digits(n));
const hhmi = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}${String(m).padStart(2, '0')}`);
const VALUES: Readonly<Record<string, fc.Arbitrary<string>>> = {
  '10': X(20), '21': X(20), '22': X(20), '240': X(30), '241': X(30), '243': X(20), '250': X(30), '251': X(30),
  '242': N(6), '30': N(8), '7004': N(4), '7003': fc.tuple(yymmdd, hhmi).map(([d, t]) => d + t),
  '11': yymmdd, '13': yymmdd, '15': yymmdd, '16': yymmdd, '17': yymmdd,
};
const FIXED = new Set(['01', '11', '13', '15', '16', '17']);

/** A label: (01), then 2-4 of the AIs above in any order, with every GS; and the index of a variable-length one to lose its GS. */
const labelWithDrop = fc
  .tuple(gtin, fc.shuffledSubarray(Object.keys(VALUES), { minLength: 2, maxLength: 4 }))
  .chain(([g, ais]) => fc.tuple(fc.constant(g), fc.tuple(...ais.map((ai) => VALUES[ai] as fc.Arbitrary<string>)).map((vs) => ais.map((ai, i) => [ai, vs[i] as string] as const)), fc.nat(ais.length - 2)))
  .map(([g, els, drop]) => ({ elements: [['01', g] as const, ...els], drop: drop + 1 }));

const render = (els: ReadonlyArray<readonly [string, string]>, dropAfter: number) =>
  els.map(([ai, v], i) => `${ai}${v}${!FIXED.has(ai) && i < els.length - 1 && i !== dropAfter ? GS : ''}`).join('');

t.test('dropping the GS after a variable-length AI never passes silently, and the true split is among the readings', async (t) => {
  let dropped = 0;
  let single = 0;
  fc.assert(
    fc.property(labelWithDrop, ({ elements, drop }) => {
      const [ai, value] = elements[drop] as readonly [string, string];
      fc.pre(!FIXED.has(ai) && ai !== '7003');
      const original = parseBarcode(`]d2${render(elements, -1)}`, { today });
      fc.pre(original.valid);
      dropped++;
      const damaged = parseBarcode(`]d2${render(elements, drop)}`, { today });
      if (!damaged.valid) return true; // an error: not silent
      const w = damaged.warnings.find((x) => x.code === 'POSSIBLE_MISSING_SEPARATOR' && x.ai === ai);
      if (w === undefined) return false;
      const truth = Object.fromEntries(elements);
      const agrees = (reading: Readonly<Record<string, string>>) => Object.entries(reading).every(([k, v]) => truth[k] === v) && reading[ai] === value;
      const readings = missingSeparatorReadings(ai, damaged.ais?.[ai] ?? '', damaged.ais ?? {}, { today });
      if (!readings.some((r) => agrees(r.reading))) return false;
      // With one reading only, the warning's is the true one; with several, run-on.ts chooses.
      if (readings.length === 1) {
        single++;
        const before = elements.slice(0, drop).map(([a, v]) => `${a}${v}${FIXED.has(a) ? '' : GS}`).join('');
        return w.reading !== undefined && agrees(w.reading) && w.position === ']d2'.length + before.length + ai.length + value.length;
      }
      return true;
    }),
    { numRuns: RUNS },
  );
  t.ok(dropped > RUNS / 4, `${dropped} labels lost a GS`);
  t.ok(single > 0, `${single} with a single reading, which the warning reports`);
});
