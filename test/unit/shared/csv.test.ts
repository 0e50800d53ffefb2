import t from 'tap';
import { csvCell, csvLine } from '../../../src/shared/csv.js';

t.test('cells a spreadsheet would run as a formula begin with an apostrophe', async (t) => {
  for (const [value, cell] of [
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+A123BJC5D6E71G', "'+A123BJC5D6E71G"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', `"'\r=1"`],
    ['side.laterality', 'side.laterality'],
    ['a, b', '"a, b"'],
    ['line\nbreak', '"line\nbreak"'],
    ['', ''],
  ] as const) t.equal(csvCell(value), cell, JSON.stringify(value));
  t.equal(csvCell(-1), '-1', 'a number is a number');
  t.equal(csvCell(null), '');
  t.equal(csvCell(Number.NaN), '');
  t.equal(csvLine(['RSA', 3, null, '=1']), "RSA,3,,'=1\n");
});
