/**
 * The parser fuzzer, bounded: the properties of scripts/fuzz/parse.ts (the
 * oracle in scripts/fuzz/barcode-fuzz.ts) over 20,000 generated inputs. The
 * seed is new every run and in the test names; FUZZ_SEED=<seed> replays one.
 */
import fc from 'fast-check';
import t from 'tap';
import { arbitraryCase, checkCase, FuzzStats, mutatedCase, validCase, type FuzzCase } from '../../../scripts/fuzz/barcode-fuzz.js';

const today = new Date('2026-11-21T00:00:00Z');
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 0x7fffffff);

function fuzz(arbitrary: fc.Arbitrary<FuzzCase>, numRuns: number): FuzzStats {
  const stats = new FuzzStats();
  let counting = true;
  fc.assert(
    fc.property(arbitrary, (c) => {
      const checked = checkCase(c, today);
      if (counting) stats.add(c, checked);
      if (checked.failure) {
        counting = false;
        throw new Error(`${checked.failure}\n  input ${JSON.stringify(c.input)} (${c.category}/${c.kind})`);
      }
    }),
    { numRuns, seed },
  );
  return stats;
}

t.test(`valid labels in every carrier read as generated and round-trip (seed ${seed})`, async (t) => {
  const stats = fuzz(validCase, 5000);
  t.equal(stats.valid, 5000, 'all read as valid');
  t.same([...stats.byKind.keys()].filter((k) => k.startsWith('valid/hibc-')).sort(), ['valid/hibc-concatenated', 'valid/hibc-pair', 'valid/hibc-primary', 'valid/hibc-secondary']);
  t.ok(['gs1-element', 'gs1-bracketed', 'gs1-digital-link', 'gs1-iso15434', 'gs1-8018', 'gs1-414', 'gtin-13'].every((k) => stats.byKind.has(`valid/${k}`)), 'every GS1 carrier generated');
});

t.test(`damaged scans: never thrown on, and a changed check digit never passes as another reading (seed ${seed})`, async (t) => {
  const stats = fuzz(mutatedCase, 10_000);
  const protectedRuns = stats.byKind.get('mutated/replace-protected');
  t.ok(protectedRuns && protectedRuns.runs > 500, 'check-protected characters were replaced');
  t.ok(stats.invalid > stats.runs / 2, 'most damaged scans are rejected');
  for (const kind of ['delete', 'insert', 'insert-hostile', 'truncate', 'insert-gs', 'drop-gs', 'duplicate-gs', 'swap-ais']) {
    t.ok(stats.byKind.has(`mutated/${kind}`), `${kind} generated`);
  }
});

t.test(`arbitrary UTF-16, carrier openings and long inputs: a well-formed answer every time (seed ${seed})`, async (t) => {
  const stats = fuzz(arbitraryCase, 5000);
  t.equal(stats.runs, 5000);
  t.ok(stats.byKind.has('arbitrary/long') && stats.byKind.has('arbitrary/utf16-units'));
  t.comment(`slowest input ${stats.maxMs.toFixed(1)} ms (${stats.slowest.length} characters)`);
});

t.test('the oracle catches what it is for', async (t) => {
  const label = { form: 'gtin-13', input: '9506000134352', expected: { gtin: '09506000134352' }, protectedRanges: [[0, 13]] as const, protectedAlphabet: '0123456789' };
  t.equal(checkCase({ category: 'valid', kind: 'gtin-13', input: label.input, expected: label.expected }, today).failure, undefined);
  t.match(checkCase({ category: 'valid', kind: 'gtin-13', input: label.input, expected: { gtin: '09506000134369' } }, today).failure, /misread: gtin/);
  t.match(checkCase({ category: 'valid', kind: 'gtin-13', input: '9506000134353' }, today).failure, /was rejected: GS1_CHECK_DIGIT/);
  // A mutation the check digit catches passes; an accepted different reading would not.
  t.equal(checkCase({ category: 'mutated', kind: 'replace-protected', input: '9506000134353', original: label, checkProtected: true }, today).failure, undefined);
  t.match(
    checkCase({ category: 'mutated', kind: 'replace-protected', input: '9506000134369', original: label, checkProtected: true }, today).failure,
    /accepted as a different reading/,
  );
});
