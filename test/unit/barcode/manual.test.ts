import t from 'tap';
import { checkManualEntry } from '../../../src/barcode/manual.js';

const GTIN = '09506000134352';
const fields = (entry: Parameters<typeof checkManualEntry>[0]) => checkManualEntry(entry).map((i) => [i.field, i.code]);

t.test('a GTIN of any length GS1 allows, with its check digit', async (t) => {
  for (const gtin of [GTIN, '9506000134352', '96385074', '036000291452']) t.same(checkManualEntry({ gtin }), [], gtin);
  t.same(fields({ gtin: '09506000134353' }), [['gtin', 'GS1_CHECK_DIGIT']]);
  t.match(checkManualEntry({ gtin: '09506000134353' })[0]?.message, /^The GTIN's check digit is 3, should be 2\.$/);
  for (const gtin of ['', '123', '95060001343', '0950600013435x', '1234567890123456', ' 9506000134352']) t.same(fields({ gtin }), [['gtin', 'GTIN_LENGTH']], JSON.stringify(gtin));
});

t.test('lot and serial: 1 to 20 characters of GS1 character set 82, as AIs (10) and (21)', async (t) => {
  const cset82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;
  for (let i = 0; i < cset82.length; i += 20) t.same(checkManualEntry({ gtin: GTIN, lotNumber: cset82.slice(i, i + 20), serialNumber: cset82.slice(i, i + 20) }), [], cset82.slice(i, i + 20));
  t.same(fields({ gtin: GTIN, lotNumber: 'A'.repeat(20), serialNumber: 'B'.repeat(20) }), [], '20 characters');
  t.same(fields({ gtin: GTIN, lotNumber: 'A'.repeat(21) }), [['lotNumber', 'GS1_VALUE_TOO_LONG']]);
  t.match(checkManualEntry({ gtin: GTIN, serialNumber: 'S'.repeat(25) })[0]?.message, /has 25 characters; GS1 allows at most 20/);
  t.same(fields({ gtin: GTIN, lotNumber: '' }), [['lotNumber', 'GS1_VALUE_EMPTY']]);
  for (const bad of ['LOT 1', 'LOT#1', 'LÖT', 'LOT\u001d1', 'LOT$', 'A@B', '[1]', 'a\\b', 'x~', 'tab\t']) {
    t.same(fields({ gtin: GTIN, serialNumber: bad }), [['serialNumber', 'GS1_INVALID_CHARACTER']], JSON.stringify(bad));
  }
  t.match(checkManualEntry({ gtin: GTIN, lotNumber: 'LOT 1' })[0]?.message, /^The lot cannot contain a space: GS1 allows only/);
  t.match(checkManualEntry({ gtin: GTIN, lotNumber: 'L#1' })[0]?.message, /^The lot cannot contain "#"/);
});

t.test('expiry: a real calendar date, YYYY-MM-DD', async (t) => {
  for (const d of ['2027-01-31', '2028-02-29', '1999-12-31']) t.same(checkManualEntry({ gtin: GTIN, expirationDate: d }), [], d);
  for (const d of ['2027-02-29', '2027-13-01', '2027-04-31', '27-01-31', '2027-1-31', '2027-01-00', '']) {
    t.same(fields({ gtin: GTIN, expirationDate: d }), [['expirationDate', 'DATE_INVALID']], d);
  }
});

t.test('every broken field is named once, in the order of the form', async (t) => {
  t.same(fields({ gtin: '1', lotNumber: 'a b', serialNumber: '', expirationDate: 'soon' }), [
    ['gtin', 'GTIN_LENGTH'],
    ['lotNumber', 'GS1_INVALID_CHARACTER'],
    ['serialNumber', 'GS1_VALUE_EMPTY'],
    ['expirationDate', 'DATE_INVALID'],
  ]);
});
