import t from 'tap';
import { GS as PARSER_GS, parseBarcode } from '../../../src/barcode/index.js';
import { barcodeFromWedge, GS, GS_SYMBOL, isGroupSeparatorKey, visibleBarcode } from '../../../src/console/shared/wedge.js';
import { locationOf } from '../../../src/console/shared/fields.js';
import { patientOf } from '../../../src/console/theatre/fields.js';

const key = (k: string, extra: Partial<{ code: string; ctrlKey: boolean; altKey: boolean; metaKey: boolean }> = {}) => ({ key: k, ctrlKey: false, altKey: false, metaKey: false, ...extra });

t.test('the console’s GS is the parser’s (written apart so a page need not bundle the parser)', async (t) => {
  t.equal(GS, PARSER_GS);
  t.equal(GS, '\u001d');
});

t.test('GS as a key: Ctrl+] by key or by physical key, or the control character itself', async (t) => {
  t.ok(isGroupSeparatorKey(key(']', { ctrlKey: true })));
  t.ok(isGroupSeparatorKey(key('å', { ctrlKey: true, code: 'BracketRight' })), 'a non-US layout: the physical key decides');
  t.ok(isGroupSeparatorKey(key(GS)));
  t.notOk(isGroupSeparatorKey(key(']')), 'a plain ] is a ]');
  t.notOk(isGroupSeparatorKey(key(']', { ctrlKey: true, altKey: true })), 'AltGr+] on some layouts types a character');
  t.notOk(isGroupSeparatorKey(key('a', { ctrlKey: true })));
});

t.test('what the field holds becomes the barcode the scanner read', async (t) => {
  const expected = `]d20109506000134352` + `10LOT42${GS}17301231`;
  t.equal(barcodeFromWedge(`]d20109506000134352` + `10LOT42${GS_SYMBOL}17301231`, ''), expected, 'the visible symbol is GS');
  t.equal(barcodeFromWedge(expected, ''), expected, 'GS itself stays');
  t.equal(barcodeFromWedge(`]d20109506000134352` + `10LOT42<GS>17301231`, '<GS>'), expected, 'a configured substitute');
  t.equal(barcodeFromWedge('10LOT~42', ''), '10LOT~42', 'no substitute configured: nothing replaced');
  const link = 'https://id.gs1.org/01/09506000134352/10/A~B';
  t.equal(barcodeFromWedge(link, '~'), link, 'a Digital Link URI is never touched');
  t.equal(barcodeFromWedge(`]Q1${link}`, '~'), `]Q1${link}`, 'nor one with a symbology identifier');
  const parsed = parseBarcode(barcodeFromWedge(`]d20109506000134352` + `10LOT42^]17301231`, '^]'));
  t.equal(parsed.lotNumber, 'LOT42');
  t.equal(parsed.expirationDate, '2030-12-31');
});

t.test('control characters are made visible for people', async (t) => {
  t.equal(visibleBarcode(`A${GS}B\u001eC`), 'A\u241dB\u241eC');
});

t.test('the open-case fields: typed numbers or scanned labels', async (t) => {
  t.same(patientOf('943 476 5919', ''), { nhsNumber: '9434765919' });
  t.same(patientOf(']d28018950600013435200039', ''), { barcode: ']d28018950600013435200039' });
  t.same(locationOf('9506000134369', ''), { gln: '9506000134369' });
  t.same(locationOf(`]d2414950600013436925${GS_SYMBOL}4THEATRE3`, ''), { barcode: `]d2414950600013436925${GS}4THEATRE3` });
});
