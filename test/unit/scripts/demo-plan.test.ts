/**
 * The demo trust's plan (scripts/demo/plan.ts), before anything is sent: valid
 * identifiers only, NHS numbers only from the test range, labels that read back
 * exactly, a history that makes sense, and the same counts whatever day it is.
 */
import t from 'tap';
import { parseBarcode } from '../../../src/barcode/index.js';
import { gs1CheckDigit } from '../../../src/barcode/gs1/check-digit.js';
import { nhsNumberError } from '../../../src/shared/nhs-number.js';
import { demoPlan, HISTORY_DAYS, isWorkingDay, labelOf, testNhsNumbers, type PlannedProcedure } from '../../../scripts/demo/plan.js';
import { PRODUCTS, RECALL, STAFF, THEATRES } from '../../../scripts/demo/trust.js';

const NOW = new Date('2026-12-07T14:00:00Z');
const plan = demoPlan(NOW);
const procedures = plan.events.filter((e): e is PlannedProcedure => e.kind === 'procedure');
const checkDigitOk = (key: string) => gs1CheckDigit(key.slice(0, -1)) === key.slice(-1);

t.test('every GS1 key has its check digit, on the prefix GS1 keeps for examples (952)', async (t) => {
  t.same(PRODUCTS.filter((p) => !(/^0952\d{10}$/.test(p.gtin) && checkDigitOk(p.gtin))).map((p) => p.gtin), [], `${PRODUCTS.length} GTINs`);
  t.same(THEATRES.filter((th) => !(/^952\d{10}$/.test(th.gln) && checkDigitOk(th.gln))).map((th) => th.gln), [], 'GLNs');
  t.same(STAFF.filter((s) => !(/^952\d{15}$/.test(s.gsrn) && checkDigitOk(s.gsrn))).map((s) => s.gsrn), [], 'GSRNs');
  t.equal(new Set(PRODUCTS.map((p) => p.gtin)).size, PRODUCTS.length, 'GTINs are unique');
  t.equal(new Set(STAFF.map((s) => s.gsrn)).size, STAFF.length, 'GSRNs are unique');
  t.ok(checkDigitOk(RECALL.gtin) && PRODUCTS.some((p) => p.gtin === RECALL.gtin), 'the recalled product is in the catalogue');
});

t.test('NHS numbers: only the range kept for testing, each passing the modulus 11 check, each patient one', async (t) => {
  const first = testNhsNumbers(20);
  t.ok(first.every((n, i) => n.startsWith('999000') && nhsNumberError(n) === undefined && (i === 0 || n > (first[i - 1] as string))), 'the first ones: from 999 000 0000 up, in order');
  const numbers = plan.patients.map((p) => p.nhsNumber);
  t.equal(numbers.length, plan.counts.patients);
  t.equal(new Set(numbers).size, numbers.length);
  const bad = numbers.filter((n) => !/^999\d{7}$/.test(n) || nhsNumberError(n) !== undefined);
  t.same(bad, [], 'all in 999 000 0000 – 999 999 9999 and valid');
  t.throws(() => testNhsNumbers(2, 999_999_999), /out of the NHS test range/, 'never past the end of the range');
});

t.test('every label reads back exactly, without a warning', async (t) => {
  const scans = procedures.flatMap((p) => p.scans.filter((s) => s.entry === 'barcode'));
  const misread = scans.filter((s) => {
    const r = parseBarcode(labelOf(s.unit), { today: s.at });
    return !(r.valid && r.warnings.length === 0 && r.gtin === s.unit.product.gtin && r.lotNumber === s.unit.lot && (r.serialNumber ?? null) === s.unit.serial && r.expirationDate === s.unit.expiry);
  });
  t.same(misread.map((s) => labelOf(s.unit)), [], `${scans.length} labels`);
  t.ok(scans.length > 1500);
});

t.test('a history that holds together', async (t) => {
  const earliest = NOW.getTime() - (HISTORY_DAYS + 4) * 86_400_000;
  const problems: string[] = [];
  for (const p of procedures) {
    if (!(p.startedAt.getTime() >= earliest && p.completedAt.getTime() < NOW.getTime() - 86_400_000)) problems.push(`${p.ref} is not within the last two years`);
    if (!isWorkingDay(p.startedAt)) problems.push(`${p.ref} is on a weekend or a bank holiday`);
    if (!p.scans.every((s, k) => s.at > p.startedAt && s.at < p.completedAt && (k === 0 || s.at > (p.scans[k - 1]?.at ?? p.startedAt)))) problems.push(`${p.ref}: scans out of order or outside the operation`);
    if (!p.surgeon.leads.includes(p.joint)) problems.push(`${p.ref}: led by a surgeon who does no ${p.joint}s`);
  }
  // A serial is in one patient at a time: each (GTIN, serial) opened once, and explanted only from that patient, later.
  const implanted = new Map<string, PlannedProcedure>();
  for (const p of procedures) {
    for (const s of p.scans) {
      if (s.unit.serial === null) continue;
      const key = `${s.unit.product.gtin}/${s.unit.serial}`;
      const from = implanted.get(key);
      if (s.action !== 'explanted') {
        if (from) problems.push(`${key} opened twice`);
        implanted.set(key, p);
      } else if (!(from && from.patient.nhsNumber === p.patient.nhsNumber && from.startedAt < p.startedAt)) problems.push(`${p.ref} explants ${key}, not implanted in this patient before`);
    }
  }
  t.same(problems, [], `${procedures.length} procedures`);
  t.notOk(isWorkingDay(new Date('2025-12-25T10:00:00Z')) || isWorkingDay(new Date('2026-01-01T10:00:00Z')) || isWorkingDay(new Date('2026-12-05T10:00:00Z')), 'no lists at Christmas, New Year or weekends');
  const expired = procedures.flatMap((p) => p.scans.filter((s) => s.expect.includes('PRODUCT_EXPIRED')));
  t.ok(expired.length >= 2, 'some expired stock turns up');
  t.ok(expired.every((s) => s.unit.expiry < s.at.toISOString().slice(0, 10) && s.decision?.outcome === 'not-used'), 'expired at the time of the scan, and put aside');
  t.ok(procedures.filter((p) => p.what === 'revision').every((r) => procedures.some((p) => p.what === 'primary' && p.patient === r.patient && p.startedAt < r.startedAt)), 'every revision follows a primary of the same patient');
  t.equal(plan.counts.revisions, 12);
  t.ok(plan.counts.explanted >= plan.counts.revisions, 'each revision takes something out');
});

t.test('the recall: one batch, in a dozen patients, one of them revised since', async (t) => {
  t.ok(plan.counts.recallPatients >= 8 && plan.counts.recallPatients <= 20, `${plan.counts.recallPatients} patients`);
  t.equal(plan.counts.recallExplanted, 1);
  const recalled = procedures.flatMap((p) => p.scans.filter((s) => s.unit.lot === RECALL.lot));
  t.ok(recalled.every((s) => s.unit.product.gtin === RECALL.gtin), 'the lot is of the recalled product only');
  const recallAt = (plan.events.find((e) => e.kind === 'recall') as { at: Date }).at;
  const caught = procedures.flatMap((p) => p.scans.filter((s) => s.expect.includes('PRODUCT_RECALLED')));
  t.equal(caught.length, 1, 'one unit left on a shelf is caught at the point of use');
  t.ok(caught.every((s) => s.at > recallAt && s.decision?.disposition === 'quarantined'));
  t.ok(recalled.filter((s) => s.at < recallAt).every((s) => s.expect.length === 0), 'before the notice, nothing to warn about');
});

t.test('deterministic, and the same trust whatever day it is seeded', async (t) => {
  t.same(demoPlan(NOW).counts, plan.counts);
  const labelsOf = (d: ReturnType<typeof demoPlan>) => d.events.flatMap((e) => (e.kind === 'procedure' ? e.scans.map((s) => `${s.unit.product.gtin}/${s.unit.serial ?? ''}`) : []));
  t.same(labelsOf(demoPlan(NOW)), labelsOf(plan), 'the same units in the same order');
  for (const day of ['2027-03-01T09:00:00Z', '2026-12-12T23:30:00Z', '2029-02-28T06:00:00Z']) {
    t.same(demoPlan(new Date(day)).counts, plan.counts, `seeded on ${day}`);
  }
});
