import fc from 'fast-check';
import t from 'tap';
import { formatMinorUnits, MAX_UNIT_PRICE_MAJOR, meanMinor, medianMinor, toMinorUnits } from '../../../src/domain/money.js';

t.test('decimal strings to pence', async (t) => {
  const cases: Array<[string, number]> = [
    ['123.45', 12345],
    ['150', 15000],
    ['150.5', 15050],
    ['0.5', 50],
    ['0.01', 1],
    ['007.10', 710],
    ['650.00', 65000],
    [String(MAX_UNIT_PRICE_MAJOR), MAX_UNIT_PRICE_MAJOR * 100],
    // Floating point would give 1914.9999…: never used.
    ['19.15', 1915],
    ['0.29', 29],
  ];
  for (const [text, minor] of cases) t.same(toMinorUnits(text, 'GBP'), { ok: true, minor }, text);
});

t.test('refused: more decimal places than the currency has, signs, separators, zero, too much', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['1.234', /3 decimal places; GBP has 2/],
    ['0.001', /3 decimal places/],
    ['-1.00', /not a decimal amount/],
    ['+1.00', /not a decimal amount/],
    ['1,234.00', /not a decimal amount/],
    ['1e3', /not a decimal amount/],
    [' 1.00', /not a decimal amount/],
    ['.50', /not a decimal amount/],
    ['12.', /ends with a point/],
    ['', /not a decimal amount/],
    ['£12.00', /not a decimal amount/],
    ['0', /more than zero/],
    ['0.00', /more than zero/],
    [String(MAX_UNIT_PRICE_MAJOR + 1), /more than 10000000 GBP/],
    ['99999999999999999999999', /more than 10000000 GBP/],
    ['10000000.01', /more than 10000000 GBP/],
    ['NaN', /not a decimal amount/],
    ['Infinity', /not a decimal amount/],
  ];
  for (const [text, message] of cases) {
    const read = toMinorUnits(text, 'GBP');
    t.equal(read.ok, false, text);
    if (!read.ok) t.match(read.message, message, text);
  }
});

t.test('pence to decimal strings', async (t) => {
  t.equal(formatMinorUnits(12345, 'GBP'), '123.45');
  t.equal(formatMinorUnits(15000, 'GBP'), '150.00');
  t.equal(formatMinorUnits(7, 'GBP'), '0.07');
  t.equal(formatMinorUnits(0, 'GBP'), '0.00');
  t.equal(formatMinorUnits(-250, 'EUR'), '-2.50');
  t.equal(formatMinorUnits(123456789012345678901234567890n, 'GBP'), '1234567890123456789012345678.90');
});

t.test('read then written: the same amount, for any amount of whole pence', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: MAX_UNIT_PRICE_MAJOR * 100 }), (pence) => {
      const text = formatMinorUnits(pence, 'GBP');
      const read = toMinorUnits(text, 'GBP');
      return read.ok && read.minor === pence;
    }),
  );
  fc.assert(fc.property(fc.string(), (s) => typeof toMinorUnits(s, 'GBP').ok === 'boolean'));
});

t.test('median and mean of costs, exact to the penny', async (t) => {
  t.equal(medianMinor([]), null);
  t.equal(medianMinor([500]), 500);
  t.equal(medianMinor([900, 100, 500]), 500);
  t.equal(medianMinor([100, 200]), 150);
  t.equal(medianMinor([100, 201]), 151, 'half a penny rounds up');
  t.equal(meanMinor([]), null);
  t.equal(meanMinor([100, 200, 400]), 233);
  t.equal(meanMinor([100, 201]), 151);
  t.equal(meanMinor([15000, 65000]), 40000);
});
