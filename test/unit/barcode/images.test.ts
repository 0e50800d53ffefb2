/**
 * parse(render(x)) = x with real images: fast-check generates product labels,
 * bwip-js draws them as GS1 DataMatrix and GS1-128, @zxing/library decodes the
 * PNG as a scanner would, and the parser must read back exactly the data.
 */
import bwipjs from 'bwip-js';
import fc from 'fast-check';
import t from 'tap';
import { gs1CheckDigit } from '../../../src/barcode/gs1/check-digit.js';
import { parseBarcode } from '../../../src/barcode/index.js';
import { decodePng } from '../../helpers/decode-image.js';

const today = new Date('2026-11-21T00:00:00Z');
// Lot and serial characters that survive bwip-js's bracketed input (no parentheses).
const SAFE = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789-./_';
const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const text = (max: number) => fc.array(fc.constantFrom(...SAFE), { minLength: 1, maxLength: max }).map((c) => c.join(''));
const yymmdd = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2060-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(2, 10).replaceAll('-', ''));
const label = fc
  .record({ gtin: digits(13).map((b) => b + gs1CheckDigit(b)), expiry: yymmdd, lot: text(20), serial: fc.option(text(20)) })
  .map(({ gtin, expiry, lot, serial }) => `(01)${gtin}(17)${expiry}(10)${lot}${serial ? `(21)${serial}` : ''}`);

for (const [bcid, format] of [['gs1datamatrix', 'datamatrix'], ['gs1-128', 'code128']] as const) {
  t.test(`${bcid}: rendered, decoded and parsed back unchanged`, async (t) => {
    const samples = fc.sample(label, { numRuns: 25, seed: 20261121 });
    for (const hri of samples) {
      const png = await bwipjs.toBuffer({ bcid, text: hri, scale: 3, paddingwidth: 8, paddingheight: 8, backgroundcolor: 'FFFFFF', ...(bcid === 'gs1-128' ? { height: 12 } : {}) });
      const result = parseBarcode(decodePng(png, format, true), { today });
      t.equal(result.valid && result.hri, hri, hri);
    }
  });
}
