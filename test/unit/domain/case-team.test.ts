import t from 'tap';
import { caseTeam, type CaseStaffEvent } from '../../../src/domain/case-team.js';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 9, minute));
const joined = (staffId: string, minute: number, evidence: 'badge' | 'typed' = 'badge', role: CaseStaffEvent['role'] = 'scrub'): CaseStaffEvent => ({
  staffId,
  event: 'joined',
  role,
  evidence,
  at: at(minute),
});
const left = (staffId: string, minute: number): CaseStaffEvent => ({ staffId, event: 'left', role: null, evidence: null, at: at(minute) });

t.test('nobody named: an empty team, nobody at the scanner', async (t) => {
  t.same(caseTeam([]), { members: [], atScanner: null });
});

t.test('the badge scanned most recently is at the scanner', async (t) => {
  const team = caseTeam([joined('lead', 0, 'badge', 'lead-clinician'), joined('scrub', 5), joined('circ', 6, 'badge', 'circulating')]);
  t.equal(team.atScanner, 'circ');
  t.same(
    team.members.map((m) => [m.staffId, m.role, m.evidence, m.leftAt]),
    [
      ['lead', 'lead-clinician', 'badge', null],
      ['scrub', 'scrub', 'badge', null],
      ['circ', 'circulating', 'badge', null],
    ],
  );
});

t.test('a typed GSRN or local id names a member but never puts them at the scanner', async (t) => {
  t.equal(caseTeam([joined('lead', 0, 'typed', 'lead-clinician')]).atScanner, null);
  const team = caseTeam([joined('scrub', 0), joined('lead', 1, 'typed', 'lead-clinician')]);
  t.equal(team.atScanner, 'scrub', 'the typed entry after the badge does not take the scanner');
  t.equal(team.members[1]?.evidence, 'typed');
});

t.test('when the one at the scanner leaves, the one badged before them is there again', async (t) => {
  const events = [joined('a', 0), joined('b', 1), left('b', 2)];
  const team = caseTeam(events);
  t.equal(team.atScanner, 'a');
  t.same(team.members[1]?.leftAt, at(2));
  t.equal(caseTeam([...events, left('a', 3)]).atScanner, null, 'everyone badged has left: nobody');
});

t.test('badging again while in the case takes the scanner back and keeps the stint', async (t) => {
  const team = caseTeam([joined('a', 0), joined('b', 1), joined('a', 2, 'badge', 'assistant')]);
  t.equal(team.atScanner, 'a');
  t.equal(team.members.length, 2, 'one stint each');
  t.same(team.members[0], { staffId: 'a', role: 'assistant', evidence: 'badge', joinedAt: at(0), leftAt: null }, 'the new role, the first start');
});

t.test('a badge seen in a stint is not weakened by a later typed entry, and a typed stint is strengthened by a badge', async (t) => {
  const kept = caseTeam([joined('a', 0), joined('a', 1, 'typed')]);
  t.equal(kept.members[0]?.evidence, 'badge');
  t.equal(kept.atScanner, 'a');
  const strengthened = caseTeam([joined('a', 0, 'typed'), joined('a', 1)]);
  t.equal(strengthened.members[0]?.evidence, 'badge');
  t.equal(strengthened.atScanner, 'a');
});

t.test('leaving and joining again is a new stint; its old badge does not count', async (t) => {
  const team = caseTeam([joined('a', 0), left('a', 1), joined('a', 2, 'typed')]);
  t.equal(team.members.length, 2);
  t.same(team.members[0]?.leftAt, at(1));
  t.equal(team.members[1]?.leftAt, null);
  t.equal(team.atScanner, null, 'the badge was scanned in the stint that ended');
});

t.test('a leave for someone not in the case changes nothing', async (t) => {
  t.same(caseTeam([left('ghost', 0), joined('a', 1)]).members.map((m) => m.staffId), ['a']);
});
