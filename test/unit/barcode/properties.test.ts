/**
 * Property tests over the parser (fast-check): no input makes it throw or
 * fall into its safety net, and valid data survives every change of form:
 * bracketed -> element string -> Digital Link -> bracketed.
 */
import fc from 'fast-check';
import t from 'tap';
import { parseBarcode } from '../../../src/barcode/index.js';
import { bracketed, elementString, gtin, productLabel } from '../../../scripts/fuzz/barcode-arbitraries.js';

const today = new Date('2026-11-21T00:00:00Z');
const RUNS = Number(process.env.FC_RUNS ?? 2000);

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
