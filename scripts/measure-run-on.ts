/**
 * How often the parser's POSSIBLE_MISSING_SEPARATOR fires on correct implant
 * labels (false alarms), and how often it catches a GS dropped after the lot
 * (detection), on a large seeded corpus of realistic lot numbers and serials.
 * Prints Markdown tables.
 *
 *   npm run measure:run-on
 *   MEASURE_LABELS=500000 MEASURE_SEED=7 npm run measure:run-on
 *
 * The corpus generator and `classify` are exported. The last tables measure
 * what the theatre sees: the scan service's own rule (`runOnWarnings` and
 * `missingIdentifierWarnings` in src/modules/scans/scan.rules.ts), without
 * catalogue knowledge and with the catalogue's production identifier flags.
 *
 * Lot formats modelled on implant labels: purely numeric (5-10 digits, most
 * often 8), a letter prefix and digits ("A123456", "PL1234567"), mixed codes
 * ("J4C1G2000"), year-prefixed ("21AM12345"), date-coded ("210512A"), short
 * alphanumeric codes ("MHE3K"), and codes with a hyphen or slash ("1234-56",
 * "AB/1234"). Serials: numeric (often zero-padded), a prefix and digits
 * ("SN00123456"), alphanumeric, and the lot with a sequence number.
 */
import { pathToFileURL } from 'node:url';
import { gs1CheckDigit } from '../src/barcode/gs1/check-digit.js';
import { aiDefinition } from '../src/barcode/gs1/ai-table.js';
import { GS, missingSeparatorReadings, parseBarcode, type MissingSeparatorReading, type ParseResult } from '../src/barcode/index.js';
import { deviceFromParse, missingIdentifierWarnings, runOnWarnings, type LabelIdentifiers, type Severity } from '../src/modules/scans/scan.rules.js';

export { GS };

/** A deterministic PRNG (mulberry32): a seed gives the same corpus on every machine. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;

const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNPQRSTUVWXYZ'; // no O: manufacturers avoid it beside 0
const ALNUM = DIGITS + LETTERS;

const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
const chars = (rng: Rng, alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
const pad2 = (n: number) => String(n).padStart(2, '0');

/** Weighted choice: [weight, value] pairs. */
function weighted<T>(rng: Rng, table: ReadonlyArray<readonly [number, T]>): T {
  const total = table.reduce((n, [w]) => n + w, 0);
  let x = rng() * total;
  for (const [w, v] of table) {
    x -= w;
    if (x < 0) return v;
  }
  return (table[table.length - 1] as readonly [number, T])[1];
}

/** A date as YYMMDD between two years. */
function yymmdd(rng: Rng, fromYear: number, toYear: number): string {
  const year = int(rng, fromYear, toYear);
  const month = int(rng, 1, 12);
  const day = int(rng, 1, new Date(Date.UTC(year, month, 0)).getUTCDate());
  return `${pad2(year % 100)}${pad2(month)}${pad2(day)}`;
}

export type LotFormat = 'numeric' | 'prefix+digits' | 'mixed' | 'year-prefixed' | 'date-coded' | 'short-code' | 'hyphen/slash';
export type SerialFormat = 'numeric' | 'prefix+digits' | 'alphanumeric' | 'lot+sequence';

const LOT_FORMATS: ReadonlyArray<readonly [number, LotFormat]> = [
  [30, 'numeric'],
  [20, 'prefix+digits'],
  [10, 'mixed'],
  [10, 'year-prefixed'],
  [10, 'date-coded'],
  [10, 'short-code'],
  [10, 'hyphen/slash'],
];

const LOT_MAKERS: Readonly<Record<LotFormat, (rng: Rng) => string>> = {
  numeric: (rng) => chars(rng, DIGITS, weighted(rng, [[10, 5], [20, 6], [15, 7], [30, 8], [10, 9], [15, 10]])),
  'prefix+digits': (rng) => chars(rng, LETTERS, int(rng, 1, 2)) + chars(rng, DIGITS, int(rng, 5, 8)),
  mixed: (rng) => `${chars(rng, LETTERS, 1)}${chars(rng, DIGITS, 1)}${chars(rng, LETTERS, 1)}${chars(rng, DIGITS, 1)}${chars(rng, LETTERS, 1)}${chars(rng, DIGITS, int(rng, 3, 4))}`,
  'year-prefixed': (rng) => `${pad2(int(rng, 15, 26))}${chars(rng, LETTERS, 2)}${chars(rng, DIGITS, 5)}`,
  'date-coded': (rng) => yymmdd(rng, 2019, 2026) + (rng() < 0.7 ? chars(rng, LETTERS, 1) : chars(rng, DIGITS, int(rng, 1, 2))),
  'short-code': (rng) => {
    const code = chars(rng, ALNUM, int(rng, 4, 6));
    return /[A-Z]/.test(code) ? code : `${chars(rng, LETTERS, 1)}${code.slice(1)}`;
  },
  'hyphen/slash': (rng) =>
    weighted(rng, [
      [4, () => `${chars(rng, DIGITS, 4)}-${chars(rng, DIGITS, 2)}`],
      [3, () => `${chars(rng, LETTERS, 1)}${chars(rng, DIGITS, 3)}-${chars(rng, DIGITS, 4)}`],
      [3, () => `${chars(rng, LETTERS, 2)}/${chars(rng, DIGITS, 4)}`],
    ])(),
};

/** A realistic implant lot number, and its format. */
export function realisticLot(rng: Rng): { readonly lot: string; readonly format: LotFormat } {
  const format = weighted(rng, LOT_FORMATS);
  return { lot: LOT_MAKERS[format](rng), format };
}

const SERIAL_FORMATS: ReadonlyArray<readonly [number, SerialFormat]> = [
  [40, 'numeric'],
  [30, 'prefix+digits'],
  [15, 'alphanumeric'],
  [15, 'lot+sequence'],
];

/** A realistic implant serial number, and its format; `lot` for serials derived from it. */
export function realisticSerial(rng: Rng, lot = 'L1234'): { readonly serial: string; readonly format: SerialFormat } {
  const format = weighted(rng, SERIAL_FORMATS);
  const make: Record<SerialFormat, () => string> = {
    numeric: () => (rng() < 0.4 ? `000${chars(rng, DIGITS, int(rng, 3, 6))}` : chars(rng, DIGITS, int(rng, 6, 10))),
    'prefix+digits': () => pick(rng, ['SN', 'S', 'N', 'X', chars(rng, LETTERS, 2)]) + chars(rng, DIGITS, int(rng, 6, 8)),
    alphanumeric: () => chars(rng, ALNUM, int(rng, 8, 12)),
    'lot+sequence': () => `${lot.slice(0, 15)}-${chars(rng, DIGITS, int(rng, 3, 4))}`.slice(0, 20),
  };
  return { serial: make[format](), format };
}

/** Element orders seen on implant labels (primary DataMatrix). */
const ORDERS_WITH_SERIAL: ReadonlyArray<readonly [number, readonly string[]]> = [
  [50, ['01', '17', '10', '21']],
  [15, ['01', '17', '21', '10']],
  [15, ['01', '11', '17', '10', '21']],
  [10, ['01', '10', '17', '21']],
  [10, ['01', '21', '17', '10']],
];
const ORDERS_WITHOUT_SERIAL: ReadonlyArray<readonly [number, readonly string[]]> = [
  [60, ['01', '17', '10']],
  [25, ['01', '10', '17']],
  [15, ['01', '11', '17', '10']],
];

export interface Label {
  /** As a DataMatrix scanner sends it: ]d2, FNC1 as GS after every variable-length value but the last. */
  readonly raw: string;
  readonly elements: ReadonlyArray<readonly [ai: string, value: string]>;
  readonly lotFormat: LotFormat;
  readonly serialFormat?: SerialFormat;
  readonly order: string;
}

const FIXED = new Set(['01', '11', '17']);

/** Renders elements as an element string with every GS a correct encoder puts in. */
export function encode(elements: ReadonlyArray<readonly [string, string]>, prefix = ']d2'): string {
  return prefix + elements.map(([ai, v], i) => `${ai}${v}${!FIXED.has(ai) && i < elements.length - 1 ? GS : ''}`).join('');
}

/** A correctly encoded implant label: GTIN with its check digit, expiry, lot, optionally production date and serial. */
export function realisticLabel(rng: Rng, options: { readonly serial: boolean }): Label {
  const order = weighted(rng, options.serial ? ORDERS_WITH_SERIAL : ORDERS_WITHOUT_SERIAL);
  const body = `0${chars(rng, DIGITS, 12)}`;
  const { lot, format: lotFormat } = realisticLot(rng);
  const serial = options.serial ? realisticSerial(rng, lot) : undefined;
  const values: Record<string, string> = {
    '01': body + gs1CheckDigit(body),
    '11': yymmdd(rng, 2023, 2025),
    '17': yymmdd(rng, 2027, 2031),
    '10': lot,
    ...(serial && { '21': serial.serial }),
  };
  const elements = order.map((ai) => [ai, values[ai] as string] as const);
  return { raw: encode(elements), elements, lotFormat, ...(serial && { serialFormat: serial.format }), order: order.join(' ') };
}

/** The label with the GS after `ai`'s value removed; undefined when no GS follows it. */
export function dropSeparatorAfter(label: Label, ai: string): string | undefined {
  const i = label.elements.findIndex(([a]) => a === ai);
  if (i === -1 || i === label.elements.length - 1) return undefined;
  const before = encode(label.elements.slice(0, i + 1), ']d2');
  const after = encode(label.elements.slice(i + 1), '');
  return before + after;
}

export type TailKind = 'none' | 'variable-only' | 'fixed-in-tail';

export interface Classified {
  /** The result carries POSSIBLE_MISSING_SEPARATOR. */
  readonly warned: boolean;
  /** The AI whose value swallowed the tail, per the warning. */
  readonly ai?: string;
  /** Whether the warning's reading has an AI of one fixed size after the split. */
  readonly tail: TailKind;
  readonly reading?: Readonly<Record<string, string>>;
  readonly valid: boolean;
  readonly errorCode?: string;
}

/** What a parse result says about a possibly dropped separator. */
export function classify(result: ParseResult): Classified {
  const w = result.warnings.find((x) => x.code === 'POSSIBLE_MISSING_SEPARATOR');
  const base = { valid: result.valid, ...(result.error && { errorCode: result.error.code }) };
  if (w === undefined) return { ...base, warned: false, tail: 'none' };
  const fixed = Object.keys(w.reading ?? {}).some((ai) => {
    const def = ai === w.ai ? undefined : aiDefinition(ai);
    return def !== undefined && def.minLength === def.maxLength;
  });
  return { ...base, warned: true, ...(w.ai !== undefined && { ai: w.ai }), tail: fixed ? 'fixed-in-tail' : 'variable-only', ...(w.reading && { reading: w.reading }) };
}

/** The AIs a warning's reading puts after the split, e.g. "(21)". */
function tailAis(c: Classified): string {
  return Object.keys(c.reading ?? {}).filter((ai) => ai !== c.ai).map((ai) => `(${ai})`).join('') || '(same AI)';
}

/** Whether every AI the warning's reading puts after the split is one of `carried`. */
export function tailWithin(c: Classified, carried: Readonly<Record<string, string>>): boolean {
  return Object.keys(c.reading ?? {}).every((ai) => ai === c.ai || carried[ai] !== undefined);
}

/** Counts per key. */
class Tally {
  readonly rows = new Map<string, { n: number; hits: number }>();
  add(key: string, hit: boolean): void {
    const r = this.rows.get(key) ?? { n: 0, hits: 0 };
    r.n++;
    if (hit) r.hits++;
    this.rows.set(key, r);
  }
}

const pct = (a: number, b: number) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(2)} %`);
const fmt = (n: number) => n.toLocaleString('en-GB');

/** Whether a reading agrees with the label's true values for its AIs. */
const agrees = (reading: Readonly<Record<string, string>> | undefined, truth: Readonly<Record<string, string>>) =>
  reading !== undefined && Object.entries(reading).every(([ai, v]) => truth[ai] === v);

/** Counts of the damaged scans, per key. */
class Detection {
  readonly rows = new Map<string, { n: number; rejected: number; warned: number; warnedWithin: number; reportedTrue: number; amongTrue: number; firstTrue: number }>();
  add(key: string, c: Classified, all: readonly MissingSeparatorReading[], truth: Readonly<Record<string, string>>, ai: string): void {
    const r = this.rows.get(key) ?? { n: 0, rejected: 0, warned: 0, warnedWithin: 0, reportedTrue: 0, amongTrue: 0, firstTrue: 0 };
    r.n++;
    if (!c.valid) r.rejected++;
    else if (c.warned) {
      r.warned++;
      if (tailWithin(c, truth)) r.warnedWithin++;
      if (agrees(c.reading, truth)) r.reportedTrue++;
      if (all.some((x) => agrees(x.reading, truth))) r.amongTrue++;
      // The rule not taken, for the record: the FIRST split of the best tier instead of the last.
      const best = all[0];
      const tier = all.filter((x) => best !== undefined && tierOf(x, ai) === tierOf(best, ai));
      if (agrees(tier.reduce<MissingSeparatorReading | undefined>((f, x) => (f === undefined || x.offset < f.offset ? x : f), undefined)?.reading, truth)) r.firstTrue++;
    }
    this.rows.set(key, r);
  }
}

/** The parser's preference tier of a reading (run-on.ts): a fixed-size AI in the tail, a lot or serial, other AIs. */
function tierOf(r: MissingSeparatorReading, ai: string): number {
  if (r.fixedTail) return 0;
  return Object.keys(r.reading).some((k) => k !== ai && (k === '10' || k === '21')) ? 1 : 2;
}

/** Every reading of the value of `ai` in a damaged scan, best first. */
function readingsOf(result: ParseResult, ai: string, today: Date): MissingSeparatorReading[] {
  return result.valid ? missingSeparatorReadings(ai, result.ais?.[ai] ?? '', result.ais ?? {}, { today }) : [];
}

/** The most severe run-on warning the scan service gives a parse, with or without what the catalogue says the label carries. */
export function theatreSees(result: ParseResult, carried: LabelIdentifiers | null, today: Date): Severity | 'none' {
  if (!result.valid) return 'critical'; // refused at the door: nothing stored
  const device = deviceFromParse(result);
  const suspicions = result.warnings.flatMap((w) => {
    const value = w.ai === undefined ? undefined : result.ais?.[w.ai];
    return w.code === 'POSSIBLE_MISSING_SEPARATOR' && w.ai !== undefined && value !== undefined
      ? [{ ai: w.ai, value, readings: missingSeparatorReadings(w.ai, value, result.ais ?? {}, { today }) }]
      : [];
  });
  const runOns = runOnWarnings(device, suspicions, carried);
  const all = [...runOns, ...missingIdentifierWarnings(device, null, carried, runOns.some((w) => w.severity === 'critical'))];
  for (const severity of ['critical', 'warning', 'info'] as const) if (all.some((w) => w.severity === severity)) return severity;
  return 'none';
}

/** What a GUDID-fed catalogue says this label carries. */
const carriedBy = (label: Label): LabelIdentifiers => {
  const has = (ai: string) => label.elements.some(([a]) => a === ai);
  return { lotNumber: has('10'), serialNumber: has('21'), expirationDate: has('17'), manufacturingDate: has('11') };
};

interface Measured {
  readonly falseAlarms: { byTail: Tally; byReading: Tally; byLot: Tally; bySerial: Tally; overall: Tally };
  readonly detection: { byLot: Detection; overall: Detection };
  /** What the theatre sees (the service's rule): on correct labels, and on labels with a GS dropped. */
  readonly theatre: { correct: Tally; dropped: Tally };
}

function measure(count: number, seed: number, today: Date): Measured {
  const rng = seededRandom(seed);
  const falseAlarms = { byTail: new Tally(), byReading: new Tally(), byLot: new Tally(), bySerial: new Tally(), overall: new Tally() };
  const detection = { byLot: new Detection(), overall: new Detection() };
  const theatre = { correct: new Tally(), dropped: new Tally() };
  for (let i = 0; i < count; i++) {
    const label = realisticLabel(rng, { serial: rng() < 0.7 });
    const truth = Object.fromEntries(label.elements);
    const c = classify(parseBarcode(label.raw, { today }));
    if (!c.valid) throw new Error(`a correct label did not parse: ${JSON.stringify(label.raw)} ${c.errorCode ?? ''}`);
    const withSerial = label.serialFormat !== undefined ? 'lot + serial' : 'lot only';
    falseAlarms.overall.add(withSerial, c.warned);
    falseAlarms.overall.add('all', c.warned);
    // What a catalogue rule could keep: the reading's tail AIs are all AIs this product's labels carry.
    falseAlarms.overall.add('all, where the reading swallowed only AIs the label carries (ideal catalogue rule)', c.warned && tailWithin(c, truth));
    falseAlarms.byTail.add(`(${c.ai ?? '-'}) ${c.tail}`, c.warned);
    if (c.warned) falseAlarms.byReading.add(`(${c.ai ?? ''}) → ${tailAis(c)}`, true);
    falseAlarms.byLot.add(label.lotFormat, c.warned && c.ai === '10');
    if (label.serialFormat) falseAlarms.bySerial.add(label.serialFormat, c.warned && c.ai === '21');
    const parsed = parseBarcode(label.raw, { today });
    for (const [name, carried] of [['no catalogue knowledge', null], ["the catalogue's flags (GUDID)", carriedBy(label)]] as const) {
      const seen = theatreSees(parsed, carried, today);
      theatre.correct.add(`${name}: warning or critical`, seen === 'warning' || seen === 'critical');
      theatre.correct.add(`${name}: critical`, seen === 'critical');
    }

    for (const ai of ['10', '21']) {
      const dropped = dropSeparatorAfter(label, ai);
      if (dropped === undefined) continue;
      const result = parseBarcode(dropped, { today });
      const d = classify(result);
      const readings = readingsOf(result, ai, today);
      const next = label.elements[label.elements.findIndex(([a]) => a === ai) + 1]?.[0] ?? '';
      detection.overall.add(`(${ai}) then (${next}), ${withSerial}`, d, readings, truth, ai);
      for (const [name, carried] of [['no catalogue knowledge', null], ["the catalogue's flags (GUDID)", carriedBy(label)]] as const) {
        const seen = theatreSees(result, carried, today);
        theatre.dropped.add(`${name}: refused, warning or critical`, seen === 'warning' || seen === 'critical');
        theatre.dropped.add(`${name}: not silent (information at least)`, seen !== 'none');
      }
      if (ai === '10') detection.byLot.add(label.lotFormat, d, readings, truth, ai);
    }
  }
  return { falseAlarms, detection, theatre };
}

function table(title: string, head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [`**${title}**`, '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), ''].join('\n');
}

function detectionTable(title: string, first: string, d: Detection): string {
  const rows = [...d.rows].sort(([a], [b]) => a.localeCompare(b));
  return table(
    title,
    [first, 'n', 'detected', 'rejected', 'warned', 'detected, ideal catalogue rule', 'warned: reading true', 'warned: true among readings', 'warned: first split would be true'],
    rows.map(([k, r]) => [
      k,
      fmt(r.n),
      pct(r.rejected + r.warned, r.n),
      pct(r.rejected, r.n),
      pct(r.warned, r.n),
      pct(r.rejected + r.warnedWithin, r.n),
      pct(r.reportedTrue, r.warned),
      pct(r.amongTrue, r.warned),
      pct(r.firstTrue, r.warned),
    ]),
  );
}

function main(): void {
  const count = Number(process.env.MEASURE_LABELS ?? 200_000);
  const seed = Number(process.env.MEASURE_SEED ?? 20261121);
  const today = new Date(`${process.env.MEASURE_TODAY ?? '2026-11-21'}T00:00:00Z`);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed) || Number.isNaN(today.getTime())) {
    process.stderr.write('MEASURE_LABELS and MEASURE_SEED must be integers, MEASURE_TODAY a date (YYYY-MM-DD)\n');
    process.exit(64);
  }
  const { falseAlarms, detection, theatre } = measure(count, seed, today);
  const out: string[] = [`Run-on (dropped GS) measurement: ${fmt(count)} realistic implant labels, seed ${seed}, today ${today.toISOString().slice(0, 10)}, Node ${process.version}.`, ''];
  out.push(
    table(
      'Correct labels (every GS present) flagged POSSIBLE_MISSING_SEPARATOR',
      ['labels', 'n', 'flagged'],
      [...falseAlarms.overall.rows].map(([k, r]) => [k, fmt(r.n), pct(r.hits, r.n)]),
    ),
    table(
      'Flags on correct labels by swallowing AI and tail kind (share of all labels)',
      ['(AI) tail', 'n', 'share'],
      [...falseAlarms.byTail.rows].filter(([k]) => !k.endsWith('none')).map(([k, r]) => [k, fmt(r.n), pct(r.n, count)]),
    ),
    table(
      'Flags on correct labels by the AIs the reported reading puts after the split (share of all labels)',
      ['(AI) → tail AIs', 'n', 'share'],
      [...falseAlarms.byReading.rows].sort(([, a], [, b]) => b.n - a.n).map(([k, r]) => [k, fmt(r.n), pct(r.n, count)]),
    ),
    table(
      'Correct labels whose lot (10) is flagged, by lot format',
      ['lot format', 'n', 'lot flagged'],
      [...falseAlarms.byLot.rows].sort(([a], [b]) => a.localeCompare(b)).map(([k, r]) => [k, fmt(r.n), pct(r.hits, r.n)]),
    ),
    table(
      'Correct labels whose serial (21) is flagged, by serial format',
      ['serial format', 'n', 'serial flagged'],
      [...falseAlarms.bySerial.rows].sort(([a], [b]) => a.localeCompare(b)).map(([k, r]) => [k, fmt(r.n), pct(r.hits, r.n)]),
    ),
    detectionTable('GS after the lot (or serial) removed: rejected (error) or warned; of the warned, whether the reported reading is the true one', 'label', detection.overall),
    detectionTable('GS after the lot removed, by lot format', 'lot format', detection.byLot),
    table(
      'What the theatre sees (the scan service’s rule): correct labels warned (false alarms)',
      ['catalogue', 'n', 'share'],
      [...theatre.correct.rows].map(([k, r]) => [k, fmt(r.n), pct(r.hits, r.n)]),
    ),
    table(
      'What the theatre sees: labels with the GS after the lot or serial dropped',
      ['catalogue', 'n', 'share'],
      [...theatre.dropped.rows].map(([k, r]) => [k, fmt(r.n), pct(r.hits, r.n)]),
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
