import t from 'tap';
import { dinCheckCharacter, iso7064Mod37_2, looksLikeIsbt128, parseIsbt128 } from '../../../src/barcode/isbt128.js';

const TODAY = new Date('2026-11-21T00:00:00Z');

/** FDA AccessGUDID parse_udi (v1) documented ICCBBA example. */
const ACCESSGUDID = '=/A9999XYZ100T0944=,000025=A99971312345600=>014032=}013032&,1000000000000XYZ123';

interface Case {
  readonly name: string;
  readonly data: string;
  readonly offset?: number;
  /** Expected top-level fields (t.match), when the parse must succeed. */
  readonly expect?: Record<string, unknown>;
  /** Expected error, when the parse must fail. */
  readonly error?: { code: string; kind: string; position: number; length?: number };
  /** Fields that must still be present next to the error (what was read so far). */
  readonly partial?: Record<string, unknown>;
}

const valid: Case[] = [
  {
    name: 'AccessGUDID example: PPIC, divisions, DIN, expiry, production date, MPHO lot',
    data: ACCESSGUDID,
    expect: {
      di: 'A9999XYZ100T0944',
      serialNumber: '000025',
      lotNumber: '000000000000XYZ123',
      expirationDate: '2014-02-01',
      manufacturingDate: '2013-02-01',
      isbt128: {
        processorProductId: 'A9999XYZ100T0944',
        productCode: 'T0944',
        donationId: 'A999713123456',
        divisions: '000025',
        structures: ['=/', '=,', '=', '=>', '=}', '&,1'],
      },
    },
  },
  {
    name: 'Compound Message [023] =+06000 with six structures (Data Matrix)',
    data: '=+06000=/A9999XYZ100T0476=,000025=A99972312345600=>025032=}023032&,1000000000000XYZ123',
    expect: {
      di: 'A9999XYZ100T0476',
      serialNumber: '000025',
      lotNumber: '000000000000XYZ123',
      expirationDate: '2025-02-01',
      manufacturingDate: '2023-02-01',
      isbt128: { donationId: 'A999723123456', structures: ['=+', '=/', '=,', '=', '=>', '=}', '&,1'] },
    },
  },
  {
    name: 'PPIC [034] alone (ST-001 Figure 9)',
    data: '=/A9997AB3456T0123',
    expect: { di: 'A9997AB3456T0123', isbt128: { processorProductId: 'A9997AB3456T0123', productCode: 'T0123', structures: ['=/'] } },
  },
  {
    name: 'DIN [001] alone, flags 00',
    data: '=A99992112345600',
    expect: { isbt128: { donationId: 'A999921123456', structures: ['='] } },
  },
  {
    name: 'DIN with Type 3 flags 63 (ST-001 Figure 2: K = 3)',
    data: '=A99992112345663',
    expect: { isbt128: { donationId: 'A999921123456' } },
  },
  {
    name: 'DIN with Type 3 flags 77 (UK Red Book Annex 2: G123 498 654 321, checksum 17)',
    data: '=G12349865432177',
    expect: { isbt128: { donationId: 'G123498654321' } },
  },
  {
    name: 'DIN with Type 3 flags 96 (checksum 36, K = *)',
    data: '=A99991734562896',
    expect: { isbt128: { donationId: 'A999917345628' } },
  },
  {
    name: 'DIN with process-control flags 01 is not checked',
    data: '=A99992112345601',
    expect: { isbt128: { donationId: 'A999921123456' } },
  },
  {
    name: 'Product Code [003] for tissue (ST-001 Figure 4)',
    data: '=<T1295003',
    expect: { isbt128: { productCode: 'T1295003', structures: ['=<'] } },
  },
  {
    name: 'Product Code [003] wins over the PPIC PDC as productCode',
    data: '=/A9997AB3456T0123=<E1234V00',
    expect: { di: 'A9997AB3456T0123', isbt128: { productCode: 'E1234V00', processorProductId: 'A9997AB3456T0123' } },
  },
  { name: 'Expiration Date [004] cyyjjj', data: '=>014032', expect: { expirationDate: '2014-02-01' } },
  {
    name: 'Expiration Date and Time [005] (ST-001 Figure 21: 29 JAN 2018)',
    data: '&>0180292359',
    expect: { expirationDate: '2018-01-29', isbt128: { structures: ['&>'] } },
  },
  { name: 'Production Date [008], day 060 of a common year', data: '=}026060', expect: { manufacturingDate: '2026-03-01' } },
  {
    name: 'Production Date and Time [009], day 060 of a leap year',
    data: '&}0240601200',
    expect: { manufacturingDate: '2024-02-29' },
  },
  { name: 'day 366 of a leap year', data: '=>024366', expect: { expirationDate: '2024-12-31' } },
  {
    name: 'expiry given twice, as [004] and [005], with the same date',
    data: '=>027001&>0270010800',
    expect: { expirationDate: '2027-01-01' },
  },
  { name: 'Product Divisions [032] alone → serial number', data: '=,000025', expect: { serialNumber: '000025', isbt128: { divisions: '000025' } } },
  { name: 'MPHO Lot Number [035] alone', data: '&,1000000000000XYZ123', expect: { lotNumber: '000000000000XYZ123' } },
  {
    name: 'MPHO Supplemental Identification Number [036] is read but not a lot',
    data: '&,20000000000001234RZ',
    expect: { isbt128: { structures: ['&,2'] } },
  },
  {
    name: 'concatenated linear bar codes: DIN + Blood Groups [002] (ST-001 §2.2)',
    data: '=A99992112345600=%6200',
    expect: { isbt128: { donationId: 'A999921123456', structures: ['=', '=%'] } },
  },
  { name: 'Collection Date [006] is validated but not mapped', data: '=*025032', expect: { isbt128: { structures: ['=*'] } } },
  {
    name: 'variable length: Dimensions [029] with one segment and Patient Identification Number [025]',
    data: '&$0101000100223000&#0104AB12',
    expect: { isbt128: { structures: ['&$', '&#'] } },
  },
];

const invalid: Case[] = [
  { name: 'empty input', data: '', error: { code: 'ISBT_SYNTAX', kind: 'syntax', position: 0 } },
  {
    name: 'day 366 in a common year',
    data: '=>025366',
    error: { code: 'ISBT_DATE_DAY_OF_YEAR', kind: 'date', position: 5, length: 3 },
  },
  {
    name: 'day 000',
    data: '=}025000',
    error: { code: 'ISBT_DATE_DAY_OF_YEAR', kind: 'date', position: 5, length: 3 },
  },
  { name: 'hour 24', data: '&>0250322400', error: { code: 'ISBT_DATE_HOUR', kind: 'date', position: 8, length: 2 } },
  { name: 'minute 60', data: '&}0250322360', error: { code: 'ISBT_DATE_MINUTE', kind: 'date', position: 10, length: 2 } },
  { name: 'non-numeric date', data: '=>0250A2', error: { code: 'ISBT_CHARSET', kind: 'charset', position: 6, length: 1 } },
  { name: 'unknown data identifier =?', data: '=?12345', error: { code: 'ISBT_UNKNOWN_STRUCTURE', kind: 'syntax', position: 0, length: 2 } },
  { name: 'unknown three-character identifier &,9', data: '&,9123', error: { code: 'ISBT_UNKNOWN_STRUCTURE', kind: 'syntax', position: 0, length: 3 } },
  { name: 'nationally defined &a structure', data: '&a12345', error: { code: 'ISBT_UNKNOWN_STRUCTURE', kind: 'syntax', position: 0, length: 2 } },
  { name: 'DIN may not begin with the letter O', data: '=O99992112345600', error: { code: 'ISBT_UNKNOWN_STRUCTURE', kind: 'syntax', position: 0 } },
  { name: 'no data identifier at the start', data: 'A9999XYZ100T0944', error: { code: 'ISBT_SYNTAX', kind: 'syntax', position: 0, length: 1 } },
  { name: 'lone "="', data: '=', error: { code: 'ISBT_LENGTH', kind: 'length', position: 0 } },
  { name: 'truncated PPIC', data: '=/A9999XYZ100T09', error: { code: 'ISBT_LENGTH', kind: 'length', position: 0, length: 16 } },
  {
    name: 'Product Divisions one character short (next identifier reached)',
    data: '=,00025=A99971312345600',
    error: { code: 'ISBT_LENGTH', kind: 'length', position: 0, length: 7 },
  },
  {
    name: 'Product Divisions one character too long',
    data: '=,0000251=A99971312345600',
    error: { code: 'ISBT_LENGTH', kind: 'length', position: 8, length: 1 },
  },
  {
    name: 'space between structures',
    data: '=/A9999XYZ100T0944 =,000025',
    error: { code: 'ISBT_LENGTH', kind: 'length', position: 18, length: 1 },
    partial: { di: 'A9999XYZ100T0944' },
  },
  { name: 'lower-case letter in MPHO lot', data: '&,1000000000000xYZ123', error: { code: 'ISBT_CHARSET', kind: 'charset', position: 15, length: 1 } },
  { name: 'letter O in the PPIC FIN(P)', data: '=/AO999XYZ100T0944', error: { code: 'ISBT_CHARSET', kind: 'charset', position: 3, length: 1 } },
  { name: 'letter in the DIN year', data: '=A9999X112345600', error: { code: 'ISBT_CHARSET', kind: 'charset', position: 6, length: 1 } },
  { name: 'flag character I is not allowed', data: '=A9999211234560I', error: { code: 'ISBT_CHARSET', kind: 'charset', position: 15, length: 1 } },
  {
    name: 'Type 3 flags disagree with the DIN',
    data: '=A99992112345664',
    error: { code: 'ISBT_DIN_CHECK', kind: 'checkDigit', position: 14, length: 2 },
  },
  {
    name: 'Compound Message announces 5 but 6 follow',
    data: '=+05000=/A9999XYZ100T0476=,000025=A99972312345600=>025032=}023032&,1000000000000XYZ123',
    error: { code: 'ISBT_COMPOUND_COUNT', kind: 'syntax', position: 2, length: 2 },
    partial: { di: 'A9999XYZ100T0476', lotNumber: '000000000000XYZ123' },
  },
  {
    name: 'Compound Message that does not come first',
    data: '=/A9999XYZ100T0476=+01000=,000025',
    error: { code: 'ISBT_SYNTAX', kind: 'syntax', position: 18 },
  },
  {
    name: 'two different DINs',
    data: '=A99992112345600=A99992112345700',
    error: { code: 'ISBT_CONFLICT', kind: 'syntax', position: 17, length: 13 },
    partial: { isbt128: { donationId: 'A999921123456' } },
  },
  {
    name: 'expiry [004] and [005] disagree',
    data: '=>027001&>0270020800',
    error: { code: 'ISBT_CONFLICT', kind: 'syntax', position: 10 },
  },
  {
    name: 'Patient Identification Number shorter than its length field',
    data: '&#0105AB12',
    error: { code: 'ISBT_LENGTH', kind: 'length', position: 0 },
  },
  {
    name: 'error after good structures keeps what was read (bad lot)',
    data: ACCESSGUDID.replace('XYZ123', 'XYZ12!'),
    error: { code: 'ISBT_CHARSET', kind: 'charset', position: 78, length: 1 },
    partial: { di: 'A9999XYZ100T0944', serialNumber: '000025', expirationDate: '2014-02-01', manufacturingDate: '2013-02-01' },
  },
  {
    name: 'positions include the offset',
    data: '=>025366',
    offset: 3,
    error: { code: 'ISBT_DATE_DAY_OF_YEAR', kind: 'date', position: 8, length: 3 },
  },
];

t.test('valid ISBT 128 data', async (t) => {
  for (const c of valid) {
    const r = parseIsbt128(c.data, c.offset ?? 0, TODAY);
    t.equal(r.error, undefined, `${c.name}: no error (${r.error?.message ?? ''})`);
    t.match(r, c.expect ?? {}, c.name);
    t.same(r.warnings, [], `${c.name}: no warnings`);
  }
});

t.test('invalid ISBT 128 data', async (t) => {
  for (const c of invalid) {
    const r = parseIsbt128(c.data, c.offset ?? 0, TODAY);
    t.ok(r.error, `${c.name}: an error`);
    t.match(r.error, c.error, `${c.name}: ${r.error?.message ?? ''}`);
    t.ok((r.error?.message.length ?? 0) > 10, `${c.name}: a message`);
    if (c.partial) t.match(r, c.partial, `${c.name}: what was read so far`);
  }
});

t.test('never throws on arbitrary input', async (t) => {
  for (const s of ['=', '&', '&,', '=+', '=+99999', '&$99', '&%999', '=/\u0000', '=\uD800', '=>'.repeat(50), '&,1'.repeat(9)]) {
    t.doesNotThrow(() => parseIsbt128(s, 0, TODAY), JSON.stringify(s));
  }
});

t.test('ISO/IEC 7064 mod 37-2 keyboard check character', async (t) => {
  // Published DINs with their printed check character K.
  const vectors: Array<[string, string, string]> = [
    ['G123498654321', 'H', 'UK Red Book Annex 2'],
    ['A999921123456', '3', 'ST-001 Figure 2'],
    ['A999917123654', 'Y', 'ST-001 Figure 21'],
    ['A999917345628', '*', 'ST-001 Figure 22'],
    ['A999917345658', 'O', 'ST-001 Figure 22'],
    ['A999915000001', 'M', 'ST-001 Figure 23'],
    ['A999918000001', '8', 'ST-001 Figure 23'],
  ];
  for (const [din, k, source] of vectors) t.equal(dinCheckCharacter(din), k, `${din} → ${k} (${source})`);
  t.equal(iso7064Mod37_2('G123498654321'), 17, 'checksum value 17 → barcode flags 77');
});

t.test('looksLikeIsbt128', async (t) => {
  const cases: Array<[string, boolean]> = [
    [ACCESSGUDID, true],
    ['=A99992112345600', true],
    ['=+06000=/A9999XYZ100T0476', true],
    ['&,1000000000000XYZ123', true],
    ['&>0180292359', true],
    ['=<E1234V00', true],
    ['&,9', false],
    ['=O9999', false],
    ['=', false],
    ['', false],
    ['+A123BJC5D6E71G', false],
    ['0110012345678902', false],
    ['(01)10012345678902', false],
    ['&a1234', false],
  ];
  for (const [data, expected] of cases) t.equal(looksLikeIsbt128(data), expected, JSON.stringify(data));
});
