/**
 * Parser throughput: parses per second on a mixed corpus of scans as theatres
 * send them (valid and invalid), on one core, side by side with two JS peers
 * (gs1-barcode-parser-mod, bark-js) on the inputs they can handle: GS1
 * element strings. Medians of several runs.
 *
 *   npm run bench:parse            (builds first; prints a Markdown table)
 *   BENCH_SECONDS=2 BENCH_RUNS=7 npm run bench:parse
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { GS, parseBarcode } from '../../src/barcode/index.js';

const require = createRequire(import.meta.url);
const peerGs1 = require('gs1-barcode-parser-mod') as { parseBarcode: (s: string) => unknown };
const peerBark = require('bark-js') as (s: string) => unknown;

const today = new Date();

/** Element strings: what every parser here claims to read. Roughly a theatre's mix. */
const ELEMENT_STRINGS = [
  `]d20109506000134352172612311012345A${GS}21SN000123`,
  `]d2010950600013435217280200` + `10LOT-77`,
  `0109506000134352` + `10ABC123${GS}17261231`,
  `]C10109506000134352` + `10BATCH/9${GS}21S1`,
  `${GS}0104006381333931` + `11250301` + `17300228` + `10X`,
  `0109506000134352` + `21XYZ987`,
  `]d28018950600013435200015`,
  `4149506000134369`,
  `17261231` + `10ABC123`, // secondary label alone
  `0109506000134353` + `10BAD-CHECK`, // bad check digit
  `0109506000134352` + `17271332`, // no month 13
  `0109506000134352` + `10ABCDEFGHIJKLMNOPQRS17261231`, // dropped GS
  `0109506000134352` + `2312`, // unknown AI
  `0109506000134352` + `10AB C`, // bad character
];

/** Carriers only this parser reads. */
const OTHER_CARRIERS = [
  '(01)09506000134352(17)261231(10)ABC123',
  'https://id.gs1.org/01/09506000134352/10/ABC123?17=261231',
  '+A123BJC5D6E71G',
  '+$$52001510X3GD',
  '+A99912349/$10X3/16D20111231/14D20200131/Q500Z',
  ']E09506000134352',
];

const seconds = Number(process.env.BENCH_SECONDS ?? 1);
const runs = Number(process.env.BENCH_RUNS ?? 5);

function opsPerSecond(parse: (s: string) => unknown, corpus: readonly string[]): number {
  // Warm up, then count whole passes over the corpus for `seconds`.
  for (let i = 0; i < 2000; i++) safely(parse, corpus[i % corpus.length] as string);
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (const s of corpus) safely(parse, s);
    n += corpus.length;
    elapsed = process.hrtime.bigint() - start;
  }
  return n / (Number(elapsed) / 1e9);
}

let sink: unknown;
function safely(parse: (s: string) => unknown, s: string): void {
  try {
    sink = parse(s);
  } catch (error) {
    // The peers throw on invalid input; a thrown error is still an answer.
    sink = error;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const contenders: Array<[string, (s: string) => unknown, readonly string[]]> = [
  ['implant-trace parseBarcode (element strings)', (s) => parseBarcode(s, { today }), ELEMENT_STRINGS],
  ['gs1-barcode-parser-mod 1.2.1 (element strings)', (s) => peerGs1.parseBarcode(s), ELEMENT_STRINGS],
  ['bark-js 1.2.1 (element strings)', (s) => peerBark(s), ELEMENT_STRINGS],
  ['implant-trace parseBarcode (all carriers)', (s) => parseBarcode(s, { today }), [...ELEMENT_STRINGS, ...OTHER_CARRIERS]],
];

const results = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
// Interleave the contenders run by run, so drift on a shared machine hits all alike.
for (let r = 0; r < runs; r++) {
  for (const [name, parse, corpus] of contenders) results.get(name)?.push(opsPerSecond(parse, corpus));
}

const fastestPeer = Math.max(median(results.get(contenders[1]?.[0] ?? '') ?? [0]), median(results.get(contenders[2]?.[0] ?? '') ?? [0]));
const lines = [
  `Parser throughput, ${runs} runs of ${seconds}s each, median (one core, Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString().slice(0, 10)}).`,
  '',
  '| parser | corpus | parses/s (median) | min | max | vs fastest peer |',
  '|---|---|---:|---:|---:|---:|',
  ...contenders.map(([name, , corpus]) => {
    const xs = results.get(name) ?? [];
    const fmt = (x: number) => Math.round(x).toLocaleString('en-GB');
    return `| ${name} | ${corpus.length} scans | ${fmt(median(xs))} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} | ${(median(xs) / fastestPeer).toFixed(2)}x |`;
  }),
];
process.stdout.write(`${lines.join('\n')}\n`);
if (sink === Symbol.for('never')) process.stdout.write('\n');
