/**
 * parseBarcode's front door: each carrier is recognised (with and without
 * symbology identifiers and scanner noise) and reported in the one contract.
 * The readers' own details are tested in gs1/hibc/isbt128 tests.
 */
import t from 'tap';
import { parseBarcode } from '../../../src/barcode/index.js';

const today = new Date('2026-11-21T00:00:00Z');
const parse = (s: string) => parseBarcode(s, { today });

t.test('HIBC primary, with the AIM identifier of HIBC DataMatrix (]d1)', async (t) => {
  t.match(parse(']d1+A123BJC5D6E71G'), {
    valid: true,
    issuingAgency: 'HIBCC',
    carrier: 'hibc',
    symbologyId: ']d1',
    di: 'A123BJC5D6E71',
    hibc: { lic: 'A123', pcn: 'BJC5D6E7', uom: '1', check: 'G', segments: ['primary'] },
    warnings: [],
  });
});

t.test('HIBC secondary alone is valid but partial, with its link character', async (t) => {
  t.match(parse('+$$52001510X3GD'), { valid: true, partial: true, carrier: 'hibc', lotNumber: '10X3', expirationDate: '2020-01-15', hibc: { link: 'G' }, warnings: [{ code: 'PARTIAL_LABEL' }] });
});

t.test('HIBC concatenated primary/secondary', async (t) => {
  const r = parse('+A99912349/$10X3/16D20111231/14D20200131/Q500Z');
  t.match(r, { valid: true, carrier: 'hibc', di: 'A99912349', lotNumber: '10X3', manufacturingDate: '2011-12-31', expirationDate: '2020-01-31', quantity: 500 });
  t.notOk(r.partial);
});

t.test('HIBC with a wrong check character: kind hibcCheck at the check character', async (t) => {
  t.match(parse('+A123BJC5D6E71H'), { valid: false, carrier: 'hibc', error: { kind: 'hibcCheck', code: 'HIBC_CHECK_CHARACTER', position: 14, length: 1 } });
});

t.test('a trailing space is an HIBC check character, never noise; CR/LF is', async (t) => {
  const withSpace = parse('+A123BJC5D6E71G \r\n');
  t.equal(withSpace.valid, false, 'the space is read as data');
  t.match(parse('+A123BJC5D6E71G\r\n'), { valid: true, warnings: [{ code: 'SCANNER_NOISE_REMOVED' }] });
});

t.test('ISBT 128 (tissue): the AccessGUDID example', async (t) => {
  t.match(parse('=/A9999XYZ100T0944=,000025=A99971312345600=>014032=}013032&,1000000000000XYZ123'), {
    valid: true,
    issuingAgency: 'ICCBBA',
    carrier: 'isbt128',
    di: 'A9999XYZ100T0944',
    serialNumber: '000025',
    lotNumber: '000000000000XYZ123',
    expirationDate: '2014-02-01',
    manufacturingDate: '2013-02-01',
  });
});

t.test('ISBT 128 with a bad Julian day', async (t) => {
  t.match(parse('=>025366'), { valid: false, carrier: 'isbt128', error: { kind: 'date' } });
});

t.test('symbology identifiers pick the reader', async (t) => {
  t.match(parse(']C10109506000134352'), { carrier: 'gs1-element', symbologyId: ']C1' });
  t.match(parse(']Q3https://id.gs1.org/01/09506000134352'), { symbologyId: ']Q3', valid: false }, 'GS1 QR data must be an element string');
  t.match(parse(']Q1https://id.gs1.org/01/09506000134352'), { carrier: 'gs1-digital-link', valid: true, symbologyId: ']Q1' });
  t.match(parse(']E44006381333931'.slice(0, 3) + '96385074'), { carrier: 'ean-upc', valid: true, gtin: '00000096385074' });
  t.match(parse(']e00109506000134352'), { carrier: 'gs1-element', valid: true });
});

t.test('a bare 13-digit string with a bad check digit that reads as valid element strings is GS1', async (t) => {
  // "17" expiry 261231 + "10" lot "123": 13 digits, not a GTIN (its check digit fails).
  t.match(parse('1726123110123'), { carrier: 'gs1-element', valid: true, partial: true, expirationDate: '2026-12-31', lotNumber: '123' });
});

t.test('results serialise to JSON with only what was found, in the contract order', async (t) => {
  const json = JSON.parse(JSON.stringify(parse(']d20109506000134352' + '10A1'))) as Record<string, unknown>;
  t.same(Object.keys(json), ['valid', 'issuingAgency', 'carrier', 'symbologyId', 'raw', 'gtin', 'di', 'lotNumber', 'ais', 'hri', 'digitalLink', 'warnings']);
  t.same(json.ais, { '01': '09506000134352', '10': 'A1' });
});

t.test('a non-string input is read as empty, never thrown on', async (t) => {
  t.match(parseBarcode(undefined as unknown as string), { valid: false, error: { code: 'EMPTY_INPUT' } });
  t.match(parseBarcode(42 as unknown as string), { valid: false, error: { code: 'EMPTY_INPUT' } });
});

t.test('a bare GTIN with one digit mistyped is never read as other, unchecked, element strings', async (t) => {
  // UPC-A 804705957085 with its first digit mistyped: "90" is an internal AI that takes any digits.
  t.match(parse('904705957085'), { valid: false, carrier: 'ean-upc', error: { kind: 'checkDigit', code: 'GS1_CHECK_DIGIT', position: 11 } });
  // GTIN-14 10614141000415 mistyped: a lot "614141000418" alone, nothing a check digit or a date vouches for.
  t.match(parse('10614141000418'), { valid: false, carrier: 'ean-upc', error: { code: 'GS1_CHECK_DIGIT' } });
});

t.test('a bare GTIN-length string read as element strings says it may be a mistyped GTIN', async (t) => {
  const r = parse('1726123110123');
  t.match(r, { valid: true, carrier: 'gs1-element', expirationDate: '2026-12-31', lotNumber: '123' });
  t.match(r.warnings.find((w) => w.code === 'POSSIBLE_MISTYPED_GTIN'), { position: 0, length: 13 });
  t.notOk(parse('09506000134352').warnings.some((w) => w.code === 'POSSIBLE_MISTYPED_GTIN'), 'not on a GTIN whose check digit holds');
});
