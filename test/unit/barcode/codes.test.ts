/**
 * The parser's code sets are closed: every error and warning code it gives is
 * one the OpenAPI document lists. The fuzzer checks each code it meets against
 * the sets (scripts/fuzz/barcode-fuzz.ts); this checks the sets themselves and
 * the GS1 case corpus.
 */
import t from 'tap';
import { ERROR_CODES } from '../../../src/barcode/types.js';
import { COUPON_ERROR_CODES } from '../../../src/barcode/gs1/linters.js';
import { PARSE_ERROR_CODES, parseBarcode, WARNING_CODES } from '../../../src/barcode/index.js';
import { INVALID, TODAY, VALID } from '../../fixtures/barcodes/gs1-cases.js';

const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

t.test('the sets: UPPER_SNAKE, no duplicates', async (t) => {
  for (const [name, list] of [['errors', PARSE_ERROR_CODES], ['warnings', WARNING_CODES]] as const) {
    t.equal(new Set(list).size, list.length, `${name}: no duplicates`);
    t.same(list.filter((c) => !UPPER_SNAKE.test(c)), [], `${name}: UPPER_SNAKE`);
  }
  t.ok(COUPON_ERROR_CODES.every((c) => c.startsWith('GS1_COUPON_')), 'the coupon family');
  t.ok(COUPON_ERROR_CODES.includes('GS1_COUPON_TRUNCATED_OFFER_CODE') && COUPON_ERROR_CODES.includes('GS1_COUPON_INVALID_EXPIRATION_DATE'), 'derived from the coupon layouts');
  t.ok(ERROR_CODES.includes('GS1_CHECK_DIGIT'));
});

t.test('every code the GS1 case corpus meets is in the sets', async (t) => {
  const errors = new Set<string>(PARSE_ERROR_CODES);
  const warnings = new Set<string>(WARNING_CODES);
  let checked = 0;
  for (const c of [...VALID, ...INVALID]) {
    const result = parseBarcode(c.input, { today: new Date(`${c.today ?? TODAY}T00:00:00Z`) });
    if (result.error) t.ok(errors.has(result.error.code), `${result.error.code} (${JSON.stringify(c.input).slice(0, 60)})`);
    for (const w of result.warnings) t.ok(warnings.has(w.code), w.code);
    checked++;
  }
  t.ok(checked > 50, `${checked} cases`);
});
