import t from 'tap';
import { parseBarcode } from '../../../src/barcode/index.js';
import { gs1CheckDigit } from '../../../src/barcode/gs1/check-digit.js';
import { badgedInSentence, badgedMember, isStaffBadge, meanwhileSentence, namedTo, namedToSentence, staffName } from '../../../src/console/theatre/team.js';
import type { CaseTeam, CaseTeamMember } from '../../../src/console/theatre/types.js';
import { BADGE, GS, GTIN } from '../../helpers/theatre.js';

const gsrn = (n: number) => {
  const body = `95060001343${String(n).padStart(6, '0')}`;
  return body + gs1CheckDigit(body);
};

t.test('a staff badge: AI 8017 read without error, and no product identifier', async (t) => {
  t.ok(isStaffBadge(parseBarcode(BADGE)), 'a DataMatrix badge');
  t.ok(isStaffBadge(parseBarcode(`8017${gsrn(7)}`)), 'without a symbology identifier');
  t.notOk(isStaffBadge(parseBarcode(`]d201${GTIN}10LOT1${GS}17301231`)), 'a product label');
  t.notOk(isStaffBadge(parseBarcode(`]d201${GTIN}8017${gsrn(7)}`)), 'a GTIN with a GSRN is a product label, not a badge');
  t.notOk(isStaffBadge(parseBarcode(`]d28018${gsrn(7)}`)), 'a wristband (8018)');
  t.notOk(isStaffBadge(parseBarcode('4149506000134369')), 'a location label');
  const wrongCheckDigit = `8017${gsrn(7).slice(0, 17)}${(Number(gsrn(7).slice(17)) + 1) % 10}`;
  t.ok(parseBarcode(wrongCheckDigit).error, 'a badge with a wrong check digit does not read');
  t.notOk(isStaffBadge(parseBarcode(wrongCheckDigit)), 'and is not badged in (it goes the way of any unreadable scan)');
  t.notOk(isStaffBadge(parseBarcode('+A99912345/$$52001510X3')), 'an HIBC label');
});

const member = (id: string, extra: Partial<CaseTeamMember> & { name?: string | null; gsrn?: string | null } = {}): CaseTeamMember => ({
  staff: { id, gsrn: extra.gsrn ?? null, localId: null, name: extra.name === undefined ? `Name ${id}` : extra.name },
  role: extra.role ?? 'scrub',
  evidence: extra.evidence ?? 'badge',
  joinedAt: '2026-12-07T10:00:00Z',
  leftAt: extra.leftAt ?? null,
  atScanner: extra.atScanner ?? false,
});

t.test('whom scans from the device are named to: a person signed in, else the member at the scanner, else nobody', async (t) => {
  const team: CaseTeam = { members: [member('a', { atScanner: true, gsrn: gsrn(1) }), member('b', { leftAt: '2026-12-07T11:00:00Z' })], atScanner: 'a' };
  t.same(namedTo(team, null), { kind: 'badge', name: 'Name a', staffId: 'a' });
  t.equal(namedToSentence(namedTo(team, null)), 'Scans from this device are named to: Name a (badge)');
  t.same(namedTo(team, 'Nurse Ann'), { kind: 'person', name: 'Nurse Ann' }, 'a person signed in on the device wins, as at the service');
  t.equal(namedToSentence(namedTo(team, 'Nurse Ann')), 'Scans from this device are named to: Nurse Ann (signed in)');
  const nobody: CaseTeam = { members: [member('c', { evidence: 'typed', role: 'lead-clinician' })], atScanner: null };
  t.equal(namedToSentence(namedTo(nobody, null)), 'Scans from this device are named to nobody: scan your staff badge');
  t.match(meanwhileSentence(namedTo(nobody, null)), /device only/);
  t.match(meanwhileSentence(namedTo(team, null)), /still named to Name a/);
});

t.test('members are named by name, else GSRN, else local id; the one badged in is found in the answer', async (t) => {
  t.equal(staffName({ id: 'x', name: null, gsrn: gsrn(2), localId: null }), `GSRN ${gsrn(2)}`);
  t.equal(staffName({ id: 'x', name: null, gsrn: null, localId: 'ST-1' }), 'local id ST-1');
  const team: CaseTeam = { members: [member('a', { gsrn: gsrn(1) }), member('b', { gsrn: gsrn(2), name: 'Sam Scrub', atScanner: true })], atScanner: 'b' };
  t.equal(badgedMember(team, gsrn(2))?.staff.id, 'b');
  t.equal(badgedInSentence(badgedMember(team, gsrn(2)), namedTo(team, null)), 'Sam Scrub badged in: scans from this device are now named to them.');
  t.equal(badgedInSentence(badgedMember(team, gsrn(2)), namedTo(team, 'Nurse Ann')), 'Sam Scrub badged in. Scans from this device stay named to Nurse Ann, signed in on it.');
});
