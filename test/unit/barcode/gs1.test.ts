import t from 'tap';
import { parseBarcode } from '../../../src/barcode/index.js';
import { INVALID, TODAY, VALID, type Case } from '../../fixtures/barcodes/gs1-cases.js';

function run(c: Case) {
  return parseBarcode(c.input, { today: new Date(`${c.today ?? TODAY}T00:00:00Z`) });
}

t.test('valid GS1 scans', async (t) => {
  for (const c of VALID) {
    const result = run(c);
    t.match(result, c.expect, c.name);
    t.equal(result.valid, true, `${c.name}: valid`);
    t.equal(result.error, undefined, `${c.name}: no error`);
    t.equal(result.raw, c.input, `${c.name}: raw kept exactly`);
  }
});

t.test('invalid GS1 scans: kind, code and position of the offending characters', async (t) => {
  for (const c of INVALID) {
    const result = run(c);
    t.match(result, c.expect, c.name);
    t.equal(result.valid, false, `${c.name}: invalid`);
    const e = result.error;
    t.ok(e && e.position >= 0 && e.position + e.length <= Math.max(c.input.length, 0), `${c.name}: position within the input`);
    t.ok(e && e.message.length > 10, `${c.name}: explains itself`);
  }
});

t.test('fixture names are unique', async (t) => {
  const names = [...VALID, ...INVALID].map((c) => c.name);
  t.equal(new Set(names).size, names.length);
});
