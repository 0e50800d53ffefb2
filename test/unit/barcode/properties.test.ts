/**
 * Property tests over the parser (fast-check): no input makes it throw or
 * fall into its safety net, and valid data survives every change of form:
 * bracketed -> element string -> Digital Link -> bracketed.
 */
import fc from 'fast-check';
import t from 'tap';
import { gs1CheckDigit } from '../../../src/barcode/gs1/check-digit.js';
import { parseBarcode } from '../../../src/barcode/index.js';

const today = new Date('2026-11-21T00:00:00Z');
const GS = '\u001d';
const CSET82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;
const RUNS = Number(process.env.FC_RUNS ?? 2000);

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const gtin = digits(13).map((body) => body + gs1CheckDigit(body));
const cset82 = (max: number) => fc.array(fc.constantFrom(...CSET82), { minLength: 1, maxLength: max }).map((c) => c.join(''));
const yymmdd = fc.date({ min: new Date('1977-01-01T00:00:00Z'), max: new Date('2076-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(2, 10).replaceAll('-', ''));

/** A valid product label: GTIN plus any of expiry, production date, lot, serial, count. */
const productLabel = fc.record(
  { '01': gtin, '17': fc.option(yymmdd), '11': fc.option(yymmdd), '10': fc.option(cset82(20)), '21': fc.option(cset82(20)) },
  { requiredKeys: ['01'] },
).map((r) => Object.entries(r).filter((e): e is [string, string] => typeof e[1] === 'string'));

const bracketed = (els: ReadonlyArray<[string, string]>) => els.map(([ai, v]) => `(${ai})${v.replaceAll('(', '\\(')}`).join('');
const FIXED = new Set(['01', '11', '17']);
const elementString = (els: ReadonlyArray<[string, string]>) =>
  els.map(([ai, v], i) => `${ai}${v}${!FIXED.has(ai) && i < els.length - 1 ? GS : ''}`).join('');

t.test('no input throws or reaches the safety net', async (t) => {
  const noisy = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.array(fc.constantFrom(...'0123456789()+$/=&<>%]dCQe1234 \u001d\r\nhttps:/?ABCZ'), { maxLength: 60 }).map((c) => c.join('')),
    productLabel.map(elementString).chain((s) => fc.nat(s.length).map((cut) => s.slice(0, cut) + s.slice(cut + 1))),
  );
  fc.assert(
    fc.property(noisy, (input) => {
      const result = parseBarcode(input, { today });
      return result.error?.code !== 'PARSER_FAILURE' && result.raw === input && Array.isArray(result.warnings);
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} generated inputs`);
});

t.test('errors always point inside the input', async (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), (input) => {
      const e = parseBarcode(input, { today }).error;
      return e === undefined || (e.position >= 0 && e.length >= 0 && e.position + e.length <= input.length);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('bracketed -> element string -> Digital Link: the same data every time', async (t) => {
  fc.assert(
    fc.property(productLabel, (els) => {
      const fromBracketed = parseBarcode(bracketed(els), { today });
      if (!fromBracketed.valid || fromBracketed.hri !== bracketed(els)) return false;
      const fromElements = parseBarcode(`]d2${elementString(els)}`, { today });
      if (!fromElements.valid || fromElements.hri !== fromBracketed.hri) return false;
      const link = fromElements.digitalLink;
      if (!link) return false;
      const fromLink = parseBarcode(link, { today });
      return fromLink.valid && JSON.stringify(sorted(fromLink.ais)) === JSON.stringify(sorted(fromElements.ais));
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('a wrong GTIN check digit is always caught', async (t) => {
  fc.assert(
    fc.property(gtin, fc.integer({ min: 1, max: 9 }), (g, delta) => {
      const bad = g.slice(0, 13) + String((Number(g[13]) + delta) % 10);
      const r = parseBarcode(`01${bad}`, { today });
      return !r.valid && r.error?.kind === 'checkDigit' && r.error.position === 15;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

function sorted(ais: Readonly<Record<string, string>> | undefined) {
  return Object.entries(ais ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
