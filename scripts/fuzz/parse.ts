/**
 * The barcode parser under fuzzing: millions of generated scans (valid labels
 * in every carrier, damaged copies of them, arbitrary UTF-16), each checked
 * by the oracle of scripts/fuzz/barcode-fuzz.ts: parseBarcode never throws,
 * `valid` agrees with `error`, errors point inside the input, valid labels
 * read as generated and round-trip, and a changed check-digit-protected
 * character is never accepted as another reading. Exits 1 on the first
 * counter-example (shrunk), printed with the seed that reproduces it.
 *
 *   npm run build && node dist/scripts/fuzz/parse.js
 *   FUZZ_RUNS=200000 FUZZ_SEED=42 FUZZ_TODAY=2026-11-21 node dist/scripts/fuzz/parse.js
 *
 * FUZZ_MAX_MS (default 1000): an input slower than this (re-timed to rule out
 * a GC pause) counts as a hang.
 */
import os from 'node:os';
import fc from 'fast-check';
import { checkCase, fuzzCase, FuzzStats, type FuzzCase } from './barcode-fuzz.js';

const runs = Number(process.env.FUZZ_RUNS ?? 2_000_000);
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 0x7fffffff);
const today = new Date(`${process.env.FUZZ_TODAY ?? new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const maxMs = Number(process.env.FUZZ_MAX_MS ?? 1000);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed) || Number.isNaN(today.getTime()) || !(maxMs > 0)) {
  process.stderr.write('FUZZ_RUNS and FUZZ_SEED must be integers, FUZZ_TODAY a date (YYYY-MM-DD), FUZZ_MAX_MS a positive number\n');
  process.exit(64);
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');
const todayText = today.toISOString().slice(0, 10);
out(`Fuzzing parseBarcode: ${fmt(runs)} runs, seed ${seed}, today ${todayText} (Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'})`);

const stats = new FuzzStats();
let counting = true;
let parseMs = 0;
const progressEvery = Math.max(Math.floor(runs / 10), 1);
const started = performance.now();

/** The slowest time of three more parses of the input: a one-off GC pause is not a hang. */
function retimed(c: FuzzCase): number {
  return Math.min(...[0, 1, 2].map(() => checkCase(c, today).ms));
}

const details = fc.check(
  fc.property(fuzzCase, (c) => {
    const checked = checkCase(c, today);
    if (counting) {
      stats.add(c, checked);
      parseMs += checked.ms;
      if (stats.runs % progressEvery === 0) process.stderr.write(`  ${fmt(stats.runs)} runs, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    }
    if (checked.failure) {
      counting = false;
      throw new Error(checked.failure);
    }
    if (checked.ms > maxMs && retimed(c) > maxMs) {
      counting = false;
      throw new Error(`the parser took more than ${maxMs} ms on this input`);
    }
  }),
  { numRuns: runs, seed },
);
const seconds = (performance.now() - started) / 1000;

out();
out(`runs          ${fmt(details.numRuns)}${details.failed ? ' (stopped at the first counter-example)' : ''}`);
out(`seed          ${seed}`);
out(`results       ${fmt(stats.valid)} valid, ${fmt(stats.invalid)} invalid`);
const categories = stats.byCategory();
out(`categories    ${fmt(categories.valid)} valid labels, ${fmt(categories.mutated)} mutated, ${fmt(categories.arbitrary)} arbitrary`);
out('by kind       (runs, of which read as valid)');
for (const [kind, k] of [...stats.byKind].sort(([a], [b]) => a.localeCompare(b))) out(`  ${kind.padEnd(30)} ${fmt(k.runs).padStart(11)} ${fmt(k.valid).padStart(11)}`);
const again = retimed({ category: 'arbitrary', kind: 'slowest', input: stats.slowest });
out(`max time      ${stats.maxMs.toFixed(2)} ms per input, ${again.toFixed(2)} ms when parsed again (GC pauses count in the first) (${stats.slowest.length} UTF-16 units: ${JSON.stringify(stats.slowest.slice(0, 60))}${stats.slowest.length > 60 ? '…' : ''})`);
out(`mean time     ${((parseMs / Math.max(stats.runs, 1)) * 1000).toFixed(1)} µs per input in parseBarcode and its round-trips`);
out(`wall time     ${seconds.toFixed(1)} s, ${fmt(details.numRuns / seconds)} inputs/s with generation and checks`);

if (details.failed) {
  const c = details.counterexample?.[0];
  out();
  out(`COUNTER-EXAMPLE after ${details.numShrinks} shrinks: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`);
  if (c) {
    out(`  category ${c.category}, kind ${c.kind}`);
    out(`  input    ${JSON.stringify(c.input)}`);
    if (c.original) out(`  made from ${JSON.stringify(c.original.input)}`);
    out(`  result   ${JSON.stringify(checkCase(c, today).result)}`);
  }
  out(`  reproduce: FUZZ_SEED=${seed} FUZZ_TODAY=${todayText} FUZZ_RUNS=${runs} node dist/scripts/fuzz/parse.js   (fast-check path ${details.counterexamplePath ?? ''})`);
  process.exit(1);
}
