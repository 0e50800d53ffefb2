import t from 'tap';
import { awaitingFor, completes, manualDevice, mergeDevices, needsDecision, NO_DEVICE, scanWarnings, type LabelIdentifiers, type ScanFacts } from '../../../src/modules/scans/scan.rules.js';
import { nhsNumberError, normaliseNhsNumber } from '../../../src/shared/nhs-number.js';

const GTIN = '09506000134352';
const full = { ...NO_DEVICE, issuingAgency: 'GS1', di: GTIN, gtin: GTIN, lotNumber: 'L1', serialNumber: 'S1', expirationDate: '2027-01-31' };
const facts = (over: Partial<ScanFacts> = {}): ScanFacts => ({
  device: full,
  action: 'implanted',
  scanDate: '2026-11-21',
  product: { implantable: true },
  serialImplantedElsewhere: false,
  quarantinedInStock: false,
  serialAlreadyInProcedure: false,
  sameScanJustBefore: false,
  awaiting: null,
  explantMatched: null,
  recalls: [],
  parserWarnings: [],
  runOns: [],
  ...over,
});
const codes = (f: ScanFacts) => scanWarnings(f).map((w) => `${w.code}:${w.severity}`);

t.test('a known, in-date, implantable product: no warnings', async (t) => {
  t.same(codes(facts()), []);
});

t.test('expiry: the day itself is still usable; the day after is not', async (t) => {
  t.same(codes(facts({ scanDate: '2027-01-31' })), []);
  t.same(codes(facts({ scanDate: '2027-02-01' })), ['PRODUCT_EXPIRED:critical']);
  t.same(codes(facts({ scanDate: '2027-02-01', action: 'wasted' })), ['PRODUCT_EXPIRED:warning'], 'not going into a patient: a warning');
});

t.test('an active recall is critical and names the recall', async (t) => {
  const w = scanWarnings(facts({ recalls: [{ reference: 'FSN-2026-114', title: 'Stem fracture risk' }] }));
  t.match(w, [{ code: 'PRODUCT_RECALLED', severity: 'critical', message: /FSN-2026-114: Stem fracture risk/ }]);
});

t.test('a unit, or a lot, quarantined in stock: critical when implanting, naming what to check', async (t) => {
  const serial = scanWarnings(facts({ quarantinedInStock: true }));
  t.match(serial, [{ code: 'STOCK_QUARANTINED', severity: 'critical', message: /Serial S1 is quarantined in stock/ }]);
  const lot = scanWarnings(facts({ quarantinedInStock: true, device: { ...full, serialNumber: null } }));
  t.match(lot, [{ code: 'STOCK_QUARANTINED', severity: 'critical', message: /lot L1 are quarantined in stock: check this unit/ }]);
  t.same(codes(facts({ quarantinedInStock: true, action: 'wasted' })), ['STOCK_QUARANTINED:warning'], 'not going into a patient: a warning');
  t.ok(needsDecision({ action: 'implanted', status: 'active' }, serial), 'it asks for the theatre\'s decision');
});

t.test('the other warnings', async (t) => {
  t.same(codes(facts({ serialImplantedElsewhere: true })), ['SERIAL_ALREADY_IMPLANTED:critical']);
  t.same(codes(facts({ serialImplantedElsewhere: true, action: 'explanted' })), [], 'an explant of it is expected');
  t.same(codes(facts({ product: null })), ['UNKNOWN_PRODUCT:warning']);
  t.same(codes(facts({ product: { implantable: false } })), ['NOT_IMPLANTABLE:warning']);
  t.same(codes(facts({ product: { implantable: null } })), [], 'unknown implantability is no warning');
  t.same(codes(facts({ awaiting: 'product-label', device: { ...full, di: null, gtin: null }, product: null })), ['PARTIAL_LABEL:warning']);
  t.same(codes(facts({ awaiting: 'secondary-label' })), ['PARTIAL_LABEL:info']);
  t.same(codes(facts({ serialAlreadyInProcedure: true, sameScanJustBefore: true })), ['DUPLICATE_SCAN:warning'], 'one duplicate warning, not two');
  t.same(codes(facts({ explantMatched: false, action: 'explanted' })), ['EXPLANT_NOT_MATCHED:info']);
  t.same(
    codes(
      facts({
        parserWarnings: [
          { code: 'POSSIBLE_MISSING_SEPARATOR', message: 'x' },
          { code: 'POSSIBLE_MISTYPED_GTIN', message: 'w' },
          { code: 'UNEXPECTED_SEPARATOR_CHARACTER', message: 'v' },
          { code: 'PARTIAL_LABEL', message: 'y' },
          { code: 'SCANNER_NOISE_REMOVED', message: 'z' },
        ],
      }),
    ),
    ['POSSIBLE_MISSING_SEPARATOR:warning', 'POSSIBLE_MISTYPED_GTIN:warning', 'UNEXPECTED_SEPARATOR_CHARACTER:info'],
    'a reading that may be wrong is a warning; other parser notes are information',
  );
});

t.test('split labels', async (t) => {
  const primary = { ...NO_DEVICE, issuingAgency: 'GS1', di: GTIN, gtin: GTIN };
  const secondary = { ...NO_DEVICE, issuingAgency: 'GS1', lotNumber: 'L9', expirationDate: '2027-01-31' };
  t.equal(awaitingFor(primary, false), 'secondary-label');
  t.equal(awaitingFor(secondary, false), 'product-label');
  t.equal(awaitingFor(full, false), null);
  t.equal(awaitingFor(primary, true), null, 'manual entries wait for nothing');
  t.equal(awaitingFor({ ...primary, issuingAgency: 'ICCBBA' }, false), null, 'ISBT 128 carries no split lot label');
  t.ok(completes({ ...primary, awaiting: 'secondary-label' }, secondary));
  t.ok(completes({ ...secondary, awaiting: 'product-label' }, primary));
  t.notOk(completes({ ...primary, awaiting: 'secondary-label' }, primary), 'two product labels are two items');
  t.notOk(completes({ ...primary, awaiting: 'secondary-label' }, { ...secondary, issuingAgency: 'HIBCC' }), 'agencies do not mix');
  t.notOk(completes({ ...primary, awaiting: null }, secondary), 'a complete item takes nothing more');
  const hibcPrimary = { ...NO_DEVICE, issuingAgency: 'HIBCC', di: 'A123BJC5D6E71', hibcCheck: 'G', awaiting: 'secondary-label' as const };
  t.ok(completes(hibcPrimary, { ...NO_DEVICE, issuingAgency: 'HIBCC', lotNumber: 'X', hibcCheck: 'G' }));
  t.notOk(completes(hibcPrimary, { ...NO_DEVICE, issuingAgency: 'HIBCC', lotNumber: 'X', hibcCheck: 'H' }), 'the link character must match');
  t.same(mergeDevices(primary, secondary), { ...primary, lotNumber: 'L9', expirationDate: '2027-01-31' });
  t.match(manualDevice({ gtin: GTIN, lotNumber: 'M' }), { issuingAgency: 'GS1', di: GTIN, lotNumber: 'M', serialNumber: null });
});

t.test('NHS numbers: modulus 11', async (t) => {
  t.equal(nhsNumberError('9434765919'), undefined);
  t.match(nhsNumberError('9434765918'), /wrong check digit/);
  t.match(nhsNumberError('123456789'), /10 digits/);
  t.match(nhsNumberError('abcdefghij'), /10 digits/);
  // 000000001x: sum 2, 11 - 2 = 9 -> check 9; 000000006x: sum 12, 11 - 1 = 10 -> impossible.
  t.equal(nhsNumberError('0000000019'), undefined);
  t.match(nhsNumberError('0000000060'), /no check digit is possible/);
  t.equal(nhsNumberError('0100000010'), undefined, 'remainder 0: check 11 is written 0');
  t.match(nhsNumberError('0000000000'), /placeholder/, 'passes modulus 11 but is no one’s');
  t.equal(normaliseNhsNumber('943 476-5919'), '9434765919');
});

t.test('a dropped GS: the catalogue decides how sure, and nothing passes silently', async (t) => {
  // ]d2 01 17 10LOT121SER1: the lot swallowed the serial.
  const swallowed = { ...full, lotNumber: 'LOT121SER1', serialNumber: null };
  const runOns = [{ ai: '10', value: 'LOT121SER1', readings: [{ offset: 4, reading: { '10': 'LOT1', '21': 'SER1' }, fixedTail: false }] }];
  const carries = (over: Partial<LabelIdentifiers>): LabelIdentifiers => ({ lotNumber: true, serialNumber: null, expirationDate: true, manufacturingDate: null, ...over });
  const withCatalogue = (identifiers: LabelIdentifiers | null) => facts({ device: swallowed, runOns, product: { implantable: true, productionIdentifiers: identifiers } });

  const critical = scanWarnings(withCatalogue(carries({ serialNumber: true })));
  t.same(critical.map((w) => `${w.code}:${w.severity}`), ['POSSIBLE_MISSING_SEPARATOR:critical'], 'the label carries a serial and none was read');
  t.match(critical[0]?.message, /\(10\)LOT1 \(21\)SER1/, 'says what the label probably reads');
  t.ok(needsDecision({ action: 'implanted', status: 'active' }, critical), 'and waits for a decision');
  t.same(codes(withCatalogue(carries({ serialNumber: false }))), [], 'the label carries no serial: a "21" inside a lot is no concern');
  t.same(codes(withCatalogue(null)), ['POSSIBLE_MISSING_SEPARATOR:warning'], 'no catalogue knowledge: a warning');
  t.same(codes(withCatalogue(carries({ serialNumber: null }))), ['POSSIBLE_MISSING_SEPARATOR:warning'], 'the flag for serial not known: a warning');

  const short = [{ ai: '10', value: '5121034', readings: [{ offset: 2, reading: { '10': '51', '21': '034' }, fixedTail: false }] }];
  t.same(codes(facts({ device: { ...full, lotNumber: '5121034', serialNumber: null }, runOns: short, product: null })), ['UNKNOWN_PRODUCT:warning', 'POSSIBLE_MISSING_SEPARATOR:info'], 'weak evidence without a catalogue: information, never silence');
  const dated = [{ ai: '10', value: 'AB17271231', readings: [{ offset: 2, reading: { '10': 'AB', '17': '271231' }, fixedTail: true }] }];
  t.same(codes(facts({ device: { ...full, lotNumber: 'AB17271231', expirationDate: null }, runOns: dated })), ['POSSIBLE_MISSING_SEPARATOR:warning'], 'a date that passes its checks is strong evidence');
  t.same(
    codes(facts({ device: { ...full, lotNumber: 'AB17271231', expirationDate: null }, runOns: dated, product: { implantable: true, productionIdentifiers: carries({ expirationDate: true }) } })),
    ['POSSIBLE_MISSING_SEPARATOR:critical'],
    'the catalogue says the label carries an expiry and none was read: critical',
  );
});

t.test('an identifier the catalogue says the label carries, missing, with no run-on to explain it', async (t) => {
  const identifiers: LabelIdentifiers = { lotNumber: true, serialNumber: true, expirationDate: true, manufacturingDate: false };
  t.same(codes(facts({ device: { ...full, serialNumber: null }, product: { implantable: true, productionIdentifiers: identifiers } })), ['PRODUCTION_IDENTIFIER_MISSING:warning']);
  t.same(codes(facts({ device: { ...full, serialNumber: null, lotNumber: null }, awaiting: 'secondary-label', product: { implantable: true, productionIdentifiers: identifiers } })), ['PARTIAL_LABEL:info'], 'half of a split label: the other half is awaited');
  t.same(codes(facts({ product: { implantable: true, productionIdentifiers: identifiers } })), [], 'all there: nothing');
});

t.test('a decision is needed for a critical warning while implanting, only', async (t) => {
  const critical = [{ code: 'PRODUCT_EXPIRED' as const, severity: 'critical' as const, message: '' }];
  t.ok(needsDecision({ action: 'implanted', status: 'active' }, critical));
  t.notOk(needsDecision({ action: 'wasted', status: 'active' }, critical));
  t.notOk(needsDecision({ action: 'implanted', status: 'voided' }, critical));
  t.notOk(needsDecision({ action: 'implanted', status: 'active' }, [{ code: 'UNKNOWN_PRODUCT', severity: 'warning', message: '' }]));
});
