import t from 'tap';
import { hibcCheckCharacter, parseHibc, type HibcParse } from '../../../src/barcode/hibc.js';
import type { ErrorKind, HibcData, WarningCode } from '../../../src/barcode/types.js';

/**
 * Vectors marked "2.6" are the worked examples of ANSI/HIBC 2.6-2016 (as
 * cited by tc-lib-barcode's test suite; their check characters agree with
 * the bwip-js HIBC encoders). Others are built here with `sym`, which
 * appends the modulo-43 check character, so that each case tests one rule.
 */
const TODAY = new Date('2026-11-21T00:00:00Z');
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The data followed by its check character. */
function sym(body: string): string {
  const check = hibcCheckCharacter(body);
  if (check === undefined) throw new Error(`test setup: ${body} is outside the HIBC set`);
  return body + check;
}

/** A primary "+A123P??1" whose check character is `c`. */
function primaryCheckingTo(c: string): string {
  for (const a of ALNUM) {
    for (const b of ALNUM) {
      const body = `+A123P${a}${b}1`;
      if (hibcCheckCharacter(body) === c) return body + c;
    }
  }
  throw new Error(`test setup: no primary checks to ${c}`);
}

const MESSAGE_FIELDS = ['di', 'lotNumber', 'serialNumber', 'expirationDate', 'manufacturingDate', 'quantity', 'partial', 'hibc'] as const;

type Fields = Partial<Pick<HibcParse, (typeof MESSAGE_FIELDS)[number]>>;

/** The data fields of a result, absent ones left out. */
function fields(r: HibcParse): Fields {
  const out: Record<string, unknown> = {};
  for (const key of MESSAGE_FIELDS) if (r[key] !== undefined) out[key] = r[key];
  return out;
}

function primary(lic: string, pcn: string, uom: string, extra: Partial<HibcData> = {}): HibcData {
  return { lic, pcn, uom, segments: ['primary'], ...extra };
}

function secondaryOnly(link: string): HibcData {
  return { lic: '', pcn: '', uom: '', link, segments: ['secondary'] };
}

function both(lic: string, pcn: string, uom: string, extra: Partial<HibcData> = {}): HibcData {
  return { lic, pcn, uom, segments: ['primary', 'secondary'], ...extra };
}

interface Valid {
  readonly name: string;
  readonly input: string;
  readonly expect: Fields;
  readonly warnings?: readonly WarningCode[];
  readonly today?: Date;
}

const VALID: readonly Valid[] = [
  // ---- primary data structure
  { name: '2.6 B.2.0 primary', input: '+A123BJC5D6E71G', expect: { di: 'A123BJC5D6E71', hibc: primary('A123', 'BJC5D6E7', '1', { check: 'G' }) } },
  { name: '2.6 C.3 primary, UoM 0', input: '+H123ABC01234567890D', expect: { di: 'H123ABC01234567890', hibc: primary('H123', 'ABC0123456789', '0', { check: 'D' }) } },
  { name: 'primary, LIC with digits, one-character PCN', input: sym('+A9991X3'), expect: { di: 'A9991X3', hibc: primary('A999', '1X', '3', { check: hibcCheckCharacter('+A9991X3') }) } },
  { name: 'primary, one-character PCN', input: sym('+B00110'), expect: { di: 'B00110', hibc: primary('B001', '1', '0', { check: hibcCheckCharacter('+B00110') }) } },
  { name: 'primary, 18-character PCN', input: sym('+A123ABCDEFGHI1234567891'), expect: { di: 'A123ABCDEFGHI1234567891', hibc: primary('A123', 'ABCDEFGHI123456789', '1', { check: hibcCheckCharacter('+A123ABCDEFGHI1234567891') }) } },
  { name: "primary, check character '+'", input: '+A123BJCMD6E79+', expect: { di: 'A123BJCMD6E79', hibc: primary('A123', 'BJCMD6E7', '9', { check: '+' }) } },
  { name: "primary, check character ' ' (trailing space kept)", input: primaryCheckingTo(' '), expect: { hibc: { check: ' ' } as HibcData } },
  { name: "primary, check character '/'", input: primaryCheckingTo('/'), expect: { hibc: { check: '/' } as HibcData } },
  { name: "primary, check character '$'", input: primaryCheckingTo('$'), expect: { hibc: { check: '$' } as HibcData } },
  { name: "primary, check character '%'", input: primaryCheckingTo('%'), expect: { hibc: { check: '%' } as HibcData } },
  { name: "primary, check character '-'", input: primaryCheckingTo('-'), expect: { hibc: { check: '-' } as HibcData } },
  { name: "primary, check character '.'", input: primaryCheckingTo('.'), expect: { hibc: { check: '.' } as HibcData } },

  // ---- secondary symbols on their own (2.6 Appendix F formats, link character "L")
  { name: '2.6 E1.1 secondary: $ lot', input: '+$A1234GU', expect: { lotNumber: 'A1234', partial: true, hibc: secondaryOnly('G') }, warnings: ['PARTIAL_LABEL'] },
  { name: '2.6 4.3.2 secondary: $$5 YYJJJ and lot', input: '+$$52001510X3GD', expect: { lotNumber: '10X3', expirationDate: '2020-01-15', partial: true, hibc: secondaryOnly('G') }, warnings: ['PARTIAL_LABEL'] },
  { name: 'legacy +YYJJJ, no lot', input: sym('+05271L'), expect: { expirationDate: '2005-09-28', partial: true, hibc: secondaryOnly('L') }, warnings: ['PARTIAL_LABEL', 'LEGACY_CARRIER'] },
  { name: 'legacy +YYJJJ and lot', input: sym('+052713C001L'), expect: { expirationDate: '2005-09-28', lotNumber: '3C001', partial: true, hibc: secondaryOnly('L') }, warnings: ['PARTIAL_LABEL', 'LEGACY_CARRIER'] },
  { name: '$ lot, no date', input: sym('+$3C001L'), expect: { lotNumber: '3C001', partial: true, hibc: secondaryOnly('L') }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$ MMYY (flag 0) is the last day of the month', input: sym('+$$09053C001L'), expect: { expirationDate: '2005-09-30', lotNumber: '3C001', partial: true, hibc: secondaryOnly('L') }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$ MMYY (flag 1), February of a leap year', input: sym('+$$0228LOT1L'), expect: { expirationDate: '2028-02-29', lotNumber: 'LOT1', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$ MMYY (flag 1) November', input: sym('+$$1125BC34567L'), expect: { expirationDate: '2025-11-30', lotNumber: 'BC34567', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$2 MMDDYY', input: sym('+$$20928053C001L'), expect: { expirationDate: '2005-09-28', lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$3 YYMMDD', input: sym('+$$30509283C001L'), expect: { expirationDate: '2005-09-28', lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$4 YYMMDDHH (hour read, then dropped)', input: sym('+$$4050928223C001L'), expect: { expirationDate: '2005-09-28', lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$5 YYJJJ', input: sym('+$$5052713C001L'), expect: { expirationDate: '2005-09-28', lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$6 YYJJJHH', input: sym('+$$605271223C001L'), expect: { expirationDate: '2005-09-28', lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$7 no date, lot', input: sym('+$$73C001L'), expect: { lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$5 Julian day 366 of a leap year', input: sym('+$$524366LOTL'), expect: { expirationDate: '2024-12-31', lotNumber: 'LOT', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$3 February 29 of a leap year', input: sym('+$$3280229L'), expect: { expirationDate: '2028-02-29', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$+ serial, no date', input: sym('+$+0001L'), expect: { serialNumber: '0001', partial: true, hibc: secondaryOnly('L') }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$+ MMYY serial', input: sym('+$$+09050001L'), expect: { serialNumber: '0001', expirationDate: '2005-09-30', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$+2 MMDDYY serial', input: sym('+$$+20928050001L'), expect: { serialNumber: '0001', expirationDate: '2005-09-28', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$+3 YYMMDD serial', input: sym('+$$+30509280001L'), expect: { serialNumber: '0001', expirationDate: '2005-09-28', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$+4 YYMMDDHH serial', input: sym('+$$+4050928200001L'), expect: { serialNumber: '0001', expirationDate: '2005-09-28', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$+5 YYJJJ serial', input: sym('+$$+5052710001L'), expect: { serialNumber: '0001', expirationDate: '2005-09-28', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$+6 YYJJJHH serial', input: sym('+$$+605271200001L'), expect: { serialNumber: '0001', expirationDate: '2005-09-28', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$+7 serial, no date', input: sym('+$$+70001L'), expect: { serialNumber: '0001', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: '$$8 quantity, MMYY, lot', input: sym('+$$82409053C001L'), expect: { quantity: 24, expirationDate: '2005-09-30', lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL', 'LEGACY_CARRIER'] },
  { name: '$$8 quantity, flag 3, lot', input: sym('+$$82430509283C001L'), expect: { quantity: 24, expirationDate: '2005-09-28', lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL', 'LEGACY_CARRIER'] },
  { name: '$$8 quantity, flag 7, lot', input: sym('+$$82473C001L'), expect: { quantity: 24, lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL', 'LEGACY_CARRIER'] },
  { name: '$$8 quantity only', input: sym('+$$824L'), expect: { quantity: 24, partial: true }, warnings: ['PARTIAL_LABEL', 'LEGACY_CARRIER'] },
  { name: '$$9 quantity, flag 5, lot', input: sym('+$$9001005052713C001L'), expect: { quantity: 100, expirationDate: '2005-09-28', lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL', 'LEGACY_CARRIER'] },
  { name: '$$9 quantity, flag 6, lot', input: sym('+$$900100605271223C001L'), expect: { quantity: 100, expirationDate: '2005-09-28', lotNumber: '3C001', partial: true }, warnings: ['PARTIAL_LABEL', 'LEGACY_CARRIER'] },
  { name: '$$9 quantity only', input: sym('+$$900100L'), expect: { quantity: 100, partial: true }, warnings: ['PARTIAL_LABEL', 'LEGACY_CARRIER'] },
  { name: '$$+8 quantity and serial', input: sym('+$$+812726SN1L'), expect: { quantity: 12, serialNumber: '26SN1', partial: true }, warnings: ['PARTIAL_LABEL', 'LEGACY_CARRIER'] },
  { name: "link character ' ' (space) and its check", input: '+$$09053C001 F', expect: { lotNumber: '3C001', expirationDate: '2005-09-30', partial: true, hibc: secondaryOnly(' ') }, warnings: ['PARTIAL_LABEL'] },
  { name: "link character '/'", input: sym('+$$09053C001/'), expect: { lotNumber: '3C001', expirationDate: '2005-09-30', partial: true, hibc: secondaryOnly('/') }, warnings: ['PARTIAL_LABEL'] },
  { name: "link character '+', check ' '", input: '+$$52001510X3+ ', expect: { lotNumber: '10X3', expirationDate: '2020-01-15', partial: true, hibc: secondaryOnly('+') }, warnings: ['PARTIAL_LABEL'] },
  { name: "lot with '-' and '.'", input: sym('+$LOT-1.2L'), expect: { lotNumber: 'LOT-1.2', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: 'separate secondary with supplemental fields', input: sym('+$$710X3/16D20111212/S77L'), expect: { lotNumber: '10X3', manufacturingDate: '2011-12-12', serialNumber: '77', partial: true }, warnings: ['PARTIAL_LABEL'] },

  // ---- primary and secondary concatenated in one symbol
  { name: '2.6 2.2.1.1 concatenated', input: '+A99912345/$$52001510X33', expect: { di: 'A99912345', lotNumber: '10X3', expirationDate: '2020-01-15', hibc: both('A999', '1234', '5') } },
  { name: '2.6 4.3.3 concatenated', input: '+A123BJC5D6E71/$$52001510X3C', expect: { di: 'A123BJC5D6E71', lotNumber: '10X3', expirationDate: '2020-01-15', hibc: both('A123', 'BJC5D6E7', '1') } },
  { name: '2.6 2.3.2 date of manufacture and serial', input: '+A99912345/$$52001510X3/16D20111212/S77DEFG457', expect: { di: 'A99912345', lotNumber: '10X3', serialNumber: '77DEFG45', expirationDate: '2020-01-15', manufacturingDate: '2011-12-12', hibc: both('A999', '1234', '5') } },
  { name: '2.6 2.3.2.3 /16D and /14D', input: '+A99912345/$10X3/16D20111231/14D202001313', expect: { di: 'A99912345', lotNumber: '10X3', expirationDate: '2020-01-31', manufacturingDate: '2011-12-31', hibc: both('A999', '1234', '5') } },
  { name: '2.6 2.3.2.4 /Q last', input: '+A99912349/$10X3/16D20111231/14D20200131/Q500Z', expect: { di: 'A99912349', lotNumber: '10X3', expirationDate: '2020-01-31', manufacturingDate: '2011-12-31', quantity: 500, hibc: both('A999', '1234', '9') } },
  { name: '18-character PCN, lot and serial', input: '+A123ABCDEFGHI1234567891/$$420020216LOT123456789012345/SXYZ456789012345678/16D20130202$', expect: { di: 'A123ABCDEFGHI1234567891', lotNumber: 'LOT123456789012345', serialNumber: 'XYZ456789012345678', expirationDate: '2020-02-02', manufacturingDate: '2013-02-02' } },
  { name: '$$8 quantity with flag 3 after a primary', input: '+E203PB414109/$$8243280112R00089525J', expect: { di: 'E203PB414109', quantity: 24, expirationDate: '2028-01-12', lotNumber: 'R00089525' }, warnings: ['LEGACY_CARRIER'] },
  { name: '$$9 quantity only after a primary', input: '+EHWD3551419/$$900100F', expect: { di: 'EHWD3551419', quantity: 100 }, warnings: ['LEGACY_CARRIER'] },
  { name: 'empty $ lot, then /Q', input: '+EHWD3551419/$/Q100X', expect: { di: 'EHWD3551419', quantity: 100 } },
  { name: '$$7 lot then /14D', input: '+E308T800206X0/$$7230513/14D20260413F', expect: { di: 'E308T800206X0', lotNumber: '230513', expirationDate: '2026-04-13' } },
  { name: '$$ MMYY then /S', input: '+J123AQ3451/$$1125BC34567/S4012L', expect: { lotNumber: 'BC34567', serialNumber: '4012', expirationDate: '2025-11-30' } },
  { name: 'legacy YYJJJ after a primary', input: '+J123AQ3451/25330BC34567/S4012X', expect: { lotNumber: 'BC34567', serialNumber: '4012', expirationDate: '2025-11-26' }, warnings: ['LEGACY_CARRIER'] },
  { name: '$$+ serial with /16D', input: sym('+A99912345/$$+3261231SN-9/16D20240101'), expect: { serialNumber: 'SN-9', expirationDate: '2026-12-31', manufacturingDate: '2024-01-01' } },
  { name: 'lot, /S then /Q', input: sym('+A99912341/$LOT/SSER/Q7'), expect: { lotNumber: 'LOT', serialNumber: 'SER', quantity: 7 } },

  // ---- a primary symbol and its secondary symbol read as one string
  { name: 'primary + secondary symbols', input: '+A123BJC5D6E71G+$$52001510X3GD', expect: { di: 'A123BJC5D6E71', lotNumber: '10X3', expirationDate: '2020-01-15', hibc: both('A123', 'BJC5D6E7', '1', { check: 'G', link: 'G' }) } },
  { name: "primary + secondary symbols, check and link '+'", input: '+A123BJCMD6E79++$$52001510X3+ ', expect: { di: 'A123BJCMD6E79', lotNumber: '10X3', expirationDate: '2020-01-15', hibc: both('A123', 'BJCMD6E7', '9', { check: '+', link: '+' }) } },
  { name: 'primary + legacy secondary symbols', input: '+A123BJC5D6E71G+2001510X3GG', expect: { di: 'A123BJC5D6E71', lotNumber: '10X3', expirationDate: '2020-01-15', hibc: both('A123', 'BJC5D6E7', '1', { check: 'G', link: 'G' }) }, warnings: ['LEGACY_CARRIER'] },

  // ---- two-digit years: sliding century around `today`
  { name: 'YY 76 is 2076 in 2026', input: sym('+$$3761231L'), expect: { expirationDate: '2076-12-31', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: 'YY 77 is 1977 in 2026', input: sym('+$$3771231L'), expect: { expirationDate: '1977-12-31', partial: true }, warnings: ['PARTIAL_LABEL'] },
  { name: 'YY 99 is 2099 in 2060', input: sym('+$$3991231L'), expect: { expirationDate: '2099-12-31', partial: true }, warnings: ['PARTIAL_LABEL'], today: new Date('2060-06-01T00:00:00Z') },
];

interface Invalid {
  readonly name: string;
  readonly input: string;
  readonly kind: ErrorKind;
  readonly code: string;
  readonly position: number;
  readonly length?: number;
  /** Fields read before the error. */
  readonly expect?: Fields;
  readonly message?: RegExp;
  readonly offset?: number;
}

const CONCAT = '+A99912345/';
const at = (prefix: string): number => prefix.length;

const INVALID: readonly Invalid[] = [
  // ---- check and link characters
  { name: 'primary check character wrong', input: '+A123BJC5D6E71H', kind: 'hibcCheck', code: 'HIBC_CHECK_CHARACTER', position: 14, length: 1, message: /'H'.*'G'/, expect: { di: 'A123BJC5D6E71', hibc: primary('A123', 'BJC5D6E7', '1', { check: 'H' }) } },
  { name: "primary check ' ' where 'F' is due", input: '+Z999009993020351 ', kind: 'hibcCheck', code: 'HIBC_CHECK_CHARACTER', position: 17, message: /' ' \(space\).*'F'/ },
  { name: 'concatenated check wrong (2.6 2.3.2 with /)', input: '+A99912345/$$52001510X3/16D20111212/S77DEFG45/', kind: 'hibcCheck', code: 'HIBC_CHECK_CHARACTER', position: 45, message: /'\/'.*'7'/, expect: { lotNumber: '10X3', serialNumber: '77DEFG45' } },
  { name: 'secondary check wrong', input: '+$$52001510X3GE', kind: 'hibcCheck', code: 'HIBC_CHECK_CHARACTER', position: 14, expect: { lotNumber: '10X3', partial: true, hibc: secondaryOnly('G') } },
  { name: 'primary check wrong in a symbol pair', input: '+A123BJC5D6E71++$$52001510X3+D', kind: 'hibcCheck', code: 'HIBC_CHECK_CHARACTER', position: 14, message: /'\+'.*'G'/ },
  { name: 'link does not match the primary check', input: '+A123BJC5D6E71G+$$52001510X3+ ', kind: 'hibcCheck', code: 'HIBC_LINK_CHARACTER', position: 28, message: /'\+'.*'G'/, expect: { lotNumber: '10X3', hibc: both('A123', 'BJC5D6E7', '1', { check: 'G', link: '+' }) } },
  { name: 'check character outside the set', input: '+A123BJC5D6E71*', kind: 'charset', code: 'HIBC_CHARSET', position: 14 },

  // ---- dates
  { name: 'YYMMDD month 13', input: sym('+$$3261301LOTL'), kind: 'date', code: 'HIBC_DATE_MONTH', position: 6, length: 2, message: /month 13/ },
  { name: 'MMYY month 00', input: sym('+$$0026LOTL'), kind: 'date', code: 'HIBC_DATE_MONTH', position: 3, length: 2 },
  { name: 'MMDDYY day 32', input: sym('+$$2013226LOTL'), kind: 'date', code: 'HIBC_DATE_DAY', position: 6, length: 2, message: /day 32/ },
  { name: 'YYMMDD February 29 in a common year', input: sym('+$$3270229LOTL'), kind: 'date', code: 'HIBC_DATE_DAY', position: 8, message: /2027-02/ },
  { name: 'YYMMDDHH hour 24', input: sym('+$$426010124LOTL'), kind: 'date', code: 'HIBC_DATE_HOUR', position: 10, length: 2 },
  { name: 'YYJJJ day 366 in a common year', input: sym('+$$527366LOTL'), kind: 'date', code: 'HIBC_DATE_DAY_OF_YEAR', position: 6, length: 3, message: /366.*2027/ },
  { name: 'YYJJJ day 000', input: sym('+$$526000LOTL'), kind: 'date', code: 'HIBC_DATE_DAY_OF_YEAR', position: 6 },
  { name: 'YYJJJHH hour 25', input: sym('+$$62610025LOTL'), kind: 'date', code: 'HIBC_DATE_HOUR', position: 9 },
  { name: 'legacy YYJJJ day 366 in a common year', input: sym('+27366LOTL'), kind: 'date', code: 'HIBC_DATE_DAY_OF_YEAR', position: 3, expect: { partial: true } },
  { name: '/14D February 29 in a common year', input: sym(`${CONCAT}$LOT/14D20270229`), kind: 'date', code: 'HIBC_DATE_DAY', position: at(`${CONCAT}$LOT/14D202702`), expect: { di: 'A99912345', lotNumber: 'LOT' } },
  { name: '/16D month 13', input: sym(`${CONCAT}$LOT/16D20111312`), kind: 'date', code: 'HIBC_DATE_MONTH', position: at(`${CONCAT}$LOT/16D2011`) },
  { name: 'date not numeric', input: sym('+$$5ABCDE3C001L'), kind: 'date', code: 'HIBC_DATE_NOT_NUMERIC', position: 4, length: 1 },
  { name: 'date cut short', input: sym(`${CONCAT}$$5052`), kind: 'length', code: 'HIBC_DATE_LENGTH', position: at(`${CONCAT}$$5`), length: 3 },
  { name: '/14D with seven digits', input: sym(`${CONCAT}$LOT/14D2020013`), kind: 'length', code: 'HIBC_DATE_LENGTH', position: at(`${CONCAT}$LOT/14D`) },
  { name: '/14D with nine digits', input: sym(`${CONCAT}$LOT/14D202001311`), kind: 'length', code: 'HIBC_DATE_LENGTH', position: at(`${CONCAT}$LOT/14D`) },
  { name: 'date flag not 0-9', input: sym('+$$A3C001L'), kind: 'syntax', code: 'HIBC_SYNTAX_DATE_FLAG', position: 3 },
  { name: 'date flag missing after $$', input: sym(`${CONCAT}$$`), kind: 'syntax', code: 'HIBC_SYNTAX_DATE_FLAG', position: at(`${CONCAT}$$`), length: 0 },
  { name: 'date flag 8 after a quantity', input: sym('+$$8248LOTL'), kind: 'syntax', code: 'HIBC_SYNTAX_DATE_FLAG', position: 6, expect: { quantity: 24, partial: true } },

  // ---- primary
  { name: 'LIC does not start with a letter', input: sym('+1ABCPROD1'), kind: 'syntax', code: 'HIBC_SYNTAX_LIC', position: 1, length: 1 },
  { name: "LIC starts with '-'", input: sym('+-ABCPROD1'), kind: 'syntax', code: 'HIBC_SYNTAX_LIC', position: 1 },
  { name: "LIC holds '-'", input: sym('+A1-3PROD1'), kind: 'charset', code: 'HIBC_LIC_CHARSET', position: 3, length: 1 },
  { name: 'LIC too short', input: '+A12X', kind: 'length', code: 'HIBC_LIC_LENGTH', position: 1, length: 3 },
  { name: 'LIC only', input: sym('+A123'), kind: 'syntax', code: 'HIBC_SYNTAX_UOM_MISSING', position: 5, length: 0 },
  { name: 'UoM missing (last character a letter)', input: sym('+A123PROD'), kind: 'syntax', code: 'HIBC_SYNTAX_UOM', position: 8, length: 1 },
  { name: 'PCN empty', input: sym('+A1231'), kind: 'length', code: 'HIBC_PCN_LENGTH', position: 5, length: 0 },
  { name: 'PCN of 19 characters', input: sym('+A123BJC5D6E7123456789012'), kind: 'length', code: 'HIBC_PCN_LENGTH', position: 5, length: 19 },
  { name: "PCN holds '.'", input: sym('+A123AB.C1'), kind: 'charset', code: 'HIBC_PCN_CHARSET', position: 7 },
  { name: "PCN holds '*' (outside the set)", input: '+A123BJC5D6E7*1G', kind: 'charset', code: 'HIBC_CHARSET', position: 13 },
  { name: 'UoM outside the set', input: '+A123PROD*X', kind: 'charset', code: 'HIBC_CHARSET', position: 9 },
  { name: 'LIC too short before a concatenated secondary', input: sym('+A12/$LOT'), kind: 'length', code: 'HIBC_LIC_LENGTH', position: 1, length: 3, expect: { partial: false } },
  { name: 'link character outside the set', input: '+$$7LOT*X', kind: 'charset', code: 'HIBC_CHARSET', position: 7, expect: { lotNumber: 'LOT', partial: true } },
  { name: 'secondary starting outside the set', input: `${CONCAT}*10X`, kind: 'charset', code: 'HIBC_CHARSET', position: at(CONCAT) },
  { name: 'supplemental field outside the set', input: `${CONCAT}$LOT/x1X`, kind: 'charset', code: 'HIBC_CHARSET', position: at(`${CONCAT}$LOT/`) },
  { name: 'lower-case LIC', input: '+a123bjc5d6e71G', kind: 'charset', code: 'HIBC_CHARSET', position: 1 },

  // ---- lot, serial, quantity
  { name: 'lot of 19 characters', input: sym(`${CONCAT}$$7ABCDEFGHIJKLMNOPQRS`), kind: 'length', code: 'HIBC_LOT_LENGTH', position: at(`${CONCAT}$$7`), length: 19 },
  { name: 'legacy lot of 14 characters', input: sym(`${CONCAT}26001ABCDEFGHIJKLMN`), kind: 'length', code: 'HIBC_LOT_LENGTH', position: at(`${CONCAT}26001`), length: 14 },
  { name: "lot holds '%'", input: sym('+A123BJC5D6E71/$$3231031ABC%'), kind: 'charset', code: 'HIBC_LOT_CHARSET', position: 27, expect: { expirationDate: '2023-10-31' } },
  { name: 'lot holds lower case', input: '+$$7abcLX', kind: 'charset', code: 'HIBC_CHARSET', position: 4 },
  { name: "lot holds 'é'", input: '+$$7LOTéLX', kind: 'charset', code: 'HIBC_CHARSET', position: 7 },
  { name: 'serial of 19 characters', input: sym(`${CONCAT}$+ABCDEFGHIJKLMNOPQRS`), kind: 'length', code: 'HIBC_SERIAL_LENGTH', position: at(`${CONCAT}$+`) },
  { name: '/S empty', input: sym(`${CONCAT}$LOT/S`), kind: 'length', code: 'HIBC_SERIAL_LENGTH', position: at(`${CONCAT}$LOT/S`), length: 0 },
  { name: 'quantity cut short', input: sym(`${CONCAT}$$82`), kind: 'length', code: 'HIBC_QUANTITY_LENGTH', position: at(`${CONCAT}$$8`), length: 1 },
  { name: 'quantity not numeric', input: sym(`${CONCAT}$$9001A0`), kind: 'charset', code: 'HIBC_QUANTITY_CHARSET', position: at(`${CONCAT}$$9001`) },
  { name: '/Q of six digits', input: sym(`${CONCAT}$LOT/Q123456`), kind: 'length', code: 'HIBC_QUANTITY_LENGTH', position: at(`${CONCAT}$LOT/Q`), length: 6 },
  { name: '/Q not last', input: sym(`${CONCAT}$10X3/Q500/S123`), kind: 'syntax', code: 'HIBC_SYNTAX_QUANTITY_NOT_LAST', position: at(`${CONCAT}$10X3/`), expect: { lotNumber: '10X3' } },

  // ---- structure
  { name: 'unknown supplemental identifier', input: sym(`${CONCAT}$10X3/17D20111231`), kind: 'syntax', code: 'HIBC_SYNTAX_SUPPLEMENTAL_IDENTIFIER', position: at(`${CONCAT}$10X3/`), length: 3, message: /17D/ },
  { name: 'empty supplemental field', input: sym(`${CONCAT}$10X3//S1`), kind: 'syntax', code: 'HIBC_SYNTAX_EMPTY_FIELD', position: at(`${CONCAT}$10X3/`), length: 0 },
  { name: 'empty secondary after the primary', input: sym(CONCAT), kind: 'syntax', code: 'HIBC_SYNTAX_EMPTY_FIELD', position: at(CONCAT), expect: { di: 'A99912345' } },
  { name: 'secondary starting with a letter', input: sym(`${CONCAT}X10`), kind: 'syntax', code: 'HIBC_SYNTAX_SECONDARY', position: at(CONCAT) },
  { name: 'expiry twice', input: sym(`${CONCAT}$$3261231LOT/14D20261231`), kind: 'syntax', code: 'HIBC_SYNTAX_DUPLICATE_FIELD', position: at(`${CONCAT}$$3261231LOT/`), expect: { expirationDate: '2026-12-31', lotNumber: 'LOT' } },
  { name: 'serial twice', input: sym(`${CONCAT}$+123/S456`), kind: 'syntax', code: 'HIBC_SYNTAX_DUPLICATE_FIELD', position: at(`${CONCAT}$+123/S`), expect: { serialNumber: '123' } },
  { name: 'Provider Applications data', input: '+/EO5232013', kind: 'syntax', code: 'HIBC_SYNTAX_PROVIDER_DATA', position: 1 },
  { name: "no '+' flag", input: 'A123BJC5D6E71G', kind: 'syntax', code: 'HIBC_SYNTAX_FLAG', position: 0, length: 1 },
  { name: 'empty input', input: '', kind: 'syntax', code: 'HIBC_SYNTAX_FLAG', position: 0, length: 0 },
  { name: "only the '+' flag", input: '+', kind: 'syntax', code: 'HIBC_SYNTAX_TOO_SHORT', position: 1 },
  { name: 'secondary without room for link and check', input: '+$L', kind: 'syntax', code: 'HIBC_SYNTAX_TOO_SHORT', position: 0, expect: { partial: true } },
  { name: 'positions are offset into the raw input', input: '+A123BJC5D6E71H', offset: 3, kind: 'hibcCheck', code: 'HIBC_CHECK_CHARACTER', position: 17 },
  { name: 'positions are offset (date)', input: sym('+$$3261301LOTL'), offset: 5, kind: 'date', code: 'HIBC_DATE_MONTH', position: 11 },
];

t.test('valid HIBC symbols', async (t) => {
  for (const c of VALID) {
    const r = parseHibc(c.input, 0, c.today ?? TODAY);
    t.equal(r.error, undefined, `${c.name}: no error (${r.error?.message ?? ''})`);
    t.match(fields(r), { partial: false, ...c.expect }, `${c.name}: fields`);
    t.same(
      r.warnings.map((w) => w.code),
      c.warnings ?? [],
      `${c.name}: warnings`,
    );
  }
});

t.test('valid HIBC symbols: exact fields, nothing more', async (t) => {
  for (const c of VALID.filter((v) => v.expect.hibc?.segments !== undefined)) {
    const r = parseHibc(c.input, 0, c.today ?? TODAY);
    t.same(fields(r), { partial: false, ...c.expect }, c.name);
  }
});

t.test('invalid HIBC symbols: kind, code, position, and what was read first', async (t) => {
  for (const c of INVALID) {
    const offset = c.offset ?? 0;
    const r = parseHibc(c.input, offset, TODAY);
    t.match(r.error, { kind: c.kind, code: c.code, position: c.position }, c.name);
    if (c.length !== undefined) t.equal(r.error?.length, c.length, `${c.name}: length`);
    if (c.message) t.match(r.error?.message ?? '', c.message, `${c.name}: message`);
    if (c.expect) t.match(fields(r), c.expect, `${c.name}: fields read before the error`);
    const e = r.error;
    t.ok(e && e.position >= offset && e.position + e.length <= offset + c.input.length, `${c.name}: position within the input`);
    t.ok(e && e.message.length > 15, `${c.name}: explains itself`);
    t.match(e?.code ?? '', /^HIBC_[A-Z_]+$/, `${c.name}: stable code`);
  }
});

t.test('a secondary on its own is partial and says it needs its primary', async (t) => {
  const r = parseHibc('+$$52001510X3GD', 10, TODAY);
  t.equal(r.partial, true);
  t.equal(r.hibc?.link, 'G', 'link character returned');
  t.equal(r.di, undefined, 'no device identifier without a primary');
  const w = r.warnings[0];
  t.equal(w?.code, 'PARTIAL_LABEL');
  t.match(w?.message ?? '', /primary label/);
  t.match(w?.message ?? '', /'G'/);
  t.equal(w?.position, 10 + 13, 'points at the link character');
});

t.test('the link of a separate secondary equals the check of its primary', async (t) => {
  const p = parseHibc('+A123BJC5D6E71G', 0, TODAY);
  const s = parseHibc('+$$52001510X3GD', 0, TODAY);
  t.equal(p.hibc?.check, s.hibc?.link);
});

t.test('trailing spaces are data: never trimmed', async (t) => {
  const spaced = primaryCheckingTo(' ');
  t.equal(parseHibc(spaced, 0, TODAY).error, undefined);
  t.not(parseHibc(spaced.trimEnd(), 0, TODAY).error, undefined, 'trimming breaks the primary');
  t.equal(parseHibc('+$$52001510X3+ ', 0, TODAY).error, undefined, "a secondary whose check is ' '");
  t.match(parseHibc('+$$52001510X3+', 0, TODAY).error, { kind: 'hibcCheck', position: 13 }, 'trimmed, its link becomes the check');
});

t.test('hibcCheckCharacter', async (t) => {
  const known: Array<[string, string]> = [
    ['+A123BJC5D6E71', 'G'],
    ['+H123ABC01234567890', 'D'],
    ['+$$52001510X3G', 'D'],
    ['+A99912345/$$52001510X3', '3'],
    ['+A123BJCMD6E79', '+'],
    ['+$$52001510X3+', ' '],
    ['+Z999009993020351', 'F'],
    ['', '0'],
    ['%', '%'],
    ['%0', '%'],
    ['%1', '0'],
  ];
  for (const [text, check] of known) t.equal(hibcCheckCharacter(text), check, JSON.stringify(text));
  t.equal(hibcCheckCharacter('+a123'), undefined, 'lower case is outside the set');
  t.equal(hibcCheckCharacter('+A1*'), undefined, "'*' is outside the set");
  t.equal(hibcCheckCharacter('+A1\u00e9'), undefined, 'non-ASCII is outside the set');
});

t.test('round trips: generated symbols parse back without error', async (t) => {
  const bodies = [
    '+A123PROD1231',
    '+Z9Z9X0',
    '+A99912345/$$52001510X3',
    '+A99912345/$$+70001/16D20200101',
    '+A99912345/$LOT-A.1/S9/Q12345',
    '+$$4261231231AB',
    '+$+SERIAL.1-',
  ];
  for (const body of bodies) {
    const input = sym(body);
    const r = parseHibc(input, 0, TODAY);
    t.equal(r.error, undefined, `${input}: parses (${r.error?.message ?? ''})`);
  }
});

t.test('every wrong check character is caught, at its position', async (t) => {
  const body = '+A99912345/$$52001510X3/16D20111212/S77DEFG45';
  const right = hibcCheckCharacter(body);
  const all = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%';
  let caught = 0;
  for (const c of all) {
    const r = parseHibc(body + c, 0, TODAY);
    if (c === right) {
      t.equal(r.error, undefined, 'the right one passes');
      continue;
    }
    if (r.error?.code === 'HIBC_CHECK_CHARACTER' && r.error.position === body.length) caught++;
  }
  t.equal(caught, 42, 'all 42 wrong check characters are caught');
});

t.test('any single substituted character in a primary is caught', async (t) => {
  const good = '+A123BJC5D6E71G';
  let missed = 0;
  for (let i = 5; i < good.length - 2; i++) {
    for (const c of ALNUM) {
      if (c === good[i]) continue;
      const bad = good.slice(0, i) + c + good.slice(i + 1);
      if (parseHibc(bad, 0, TODAY).error?.kind !== 'hibcCheck') missed++;
    }
  }
  t.equal(missed, 0);
});

t.test('never throws, whatever the input', async (t) => {
  const pieces = ['+', '$', '$$', '/', '8', '9', '0', '5', 'A', 'Z', '14D', '16D', 'S', 'Q', ' ', '%', '.', '-', 'é', '\u0000', '2', '7'];
  let seed = 7;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  const outOfRange: string[] = [];
  for (let n = 0; n < 5000; n++) {
    let s = '+';
    const parts = next() % 12;
    for (let k = 0; k < parts; k++) s += pieces[next() % pieces.length] ?? '';
    const e = parseHibc(s, 0, TODAY).error;
    if (e && (e.position < 0 || e.position + e.length > s.length)) outOfRange.push(s);
  }
  t.same(outOfRange, [], 'every error lies within its input');
});

t.test('a short secondary: its flags are never read from its link and check characters', async (t) => {
  // Found by the fuzzer: "$$" followed by the link '8' was read as the quantity flag, with -2 digits.
  t.match(parseHibc('+$$8', 0, TODAY).error, { kind: 'hibcCheck', code: 'HIBC_CHECK_CHARACTER', position: 3, length: 1 });
  for (const input of ['+$$8', '+$$9', '+$$+8', '+$+$9', '+$$$8', '+$$88', '+$$+', '+$$7']) {
    const e = parseHibc(input, 0, TODAY).error;
    t.ok(e && e.position >= 0 && e.length >= 0 && e.position + e.length <= input.length, `${JSON.stringify(input)}: ${JSON.stringify(e)} inside the input`);
  }
});
