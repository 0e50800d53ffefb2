import t from 'tap';
import { gtin, hibc, MIX_GTINS, nhsNumber } from '../../../scripts/data/scan-mix.js';
import { parseBarcode } from '../../../src/barcode/index.js';
import { nhsNumberError } from '../../../src/shared/nhs-number.js';

t.test('nhsNumber(seed): a valid NHS number, a different one for every seed', async (t) => {
  const seen = new Map<string, number>();
  const clashes: string[] = [];
  const invalid: string[] = [];
  // 502 and 503 once gave the same number; the whole neighbourhood and some far seeds are checked.
  const seeds = [...Array.from({ length: 20_000 }, (_, i) => i), 424_242, 81_818_181, 999_999_999];
  for (const seed of seeds) {
    const n = nhsNumber(seed);
    if (nhsNumberError(n) !== undefined) invalid.push(`${seed}: ${n}`);
    const earlier = seen.get(n);
    if (earlier !== undefined) clashes.push(`${earlier} and ${seed}: ${n}`);
    seen.set(n, seed);
  }
  t.same(invalid, [], 'every number passes the modulus 11 check');
  t.same(clashes, [], 'no two seeds share a number');
  t.equal(nhsNumber(7), nhsNumber(7), 'the same seed, the same number');
});

t.test('gtin() and hibc() give labels the parser reads as valid (they use its own check digits)', async (t) => {
  t.equal(gtin('0950600013435'), '09506000134352', 'GS1’s documentation GTIN');
  for (const g of MIX_GTINS) t.ok(parseBarcode(`01${g}`).valid, g);
  const label = hibc('BJC5D6E7', 'LOT1', '261231');
  const parsed = parseBarcode(label, { today: new Date('2026-01-01T00:00:00Z') });
  t.ok(parsed.valid, `${label} ${parsed.error?.code ?? ''}`);
  t.equal(parsed.lotNumber, 'LOT1');
});
