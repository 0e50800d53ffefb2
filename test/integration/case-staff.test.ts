/**
 * The case team (issue 18): staff badge into a case at its start and at each
 * handover; a scan sent with the theatre's device key is attributed to the
 * member badged most recently who is still in the case. A typed GSRN or local
 * id names a member but is never evidence they are at the scanner. A device
 * key sent with a signed-in person's session cookie (same organisation) names
 * that person instead. Real HTTP, real Postgres.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { gs1CheckDigit } from '../../src/barcode/gs1/check-digit.js';
import { caseTeam, type CaseStaffEvent } from '../../src/domain/case-team.js';
import { findProcedure } from '../../src/modules/procedures/procedure.repository.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { storeSession } from '../helpers/sessions.js';
import { GTIN, newProcedure } from '../helpers/theatre.js';

/** A staff badge's GSRN (AI 8017) with its check digit, and the badge as a DataMatrix scanner sends it. */
const gsrn = (n: number) => {
  const body = `95060001343${String(n).padStart(6, '0')}`;
  return body + gs1CheckDigit(body);
};
const badge = (n: number) => `]d28017${gsrn(n)}`;

interface Team {
  members: Array<{ staff: { id: string; gsrn: string | null; localId: string | null; name: string | null }; role: string; evidence: string; joinedAt: string; leftAt: string | null; atScanner: boolean }>;
  atScanner: string | null;
}
interface Attribution {
  kind: string;
  person: { provider: string; subject: string; name: string } | null;
  staffId: string | null;
}

const app = await buildTestApp(t);
const org = await createOrganisationWithKeys(app, 'RRK');
const other = await createOrganisationWithKeys(app, 'RGT');
const key = org.keys.scanner;

const join = (procedureId: string, body: Record<string, unknown>, as = key) => app.request({ method: 'POST', url: `/v1/procedures/${procedureId}/staff`, key: as, payload: body });
const leave = (procedureId: string, staffId: string, as = key) => app.request({ method: 'DELETE', url: `/v1/procedures/${procedureId}/staff/${staffId}`, key: as });
const attributionOfScan = async (procedureId: string, serial: string, cookies?: Record<string, string>) => {
  const res = await app.request({
    method: 'POST',
    url: `/v1/procedures/${procedureId}/scans`,
    key,
    headers: { 'idempotency-key': randomUUID() },
    ...(cookies ? { cookies } : {}),
    payload: { barcode: `01${GTIN}21${serial}` },
  });
  if (res.statusCode !== 201) throw new Error(`scan: ${res.statusCode} ${res.body}`);
  return res.json<{ scan: { attribution: Attribution } }>().scan.attribution;
};
const badgeAttribution = (staffId: string): Attribution => ({ kind: 'badge', person: null, staffId });
const DEVICE_ONLY: Attribution = { kind: 'device-only', person: null, staffId: null };

t.test('a lead clinician typed in at opening is in the team but not at the scanner: device-only', async (t) => {
  const typed = await newProcedure(app, key, 11, { clinician: { gsrn: gsrn(1), name: 'Mr Typed' } });
  const res = await app.request({ method: 'GET', url: `/v1/procedures/${typed}`, key });
  const { team } = res.json<{ team: Team }>();
  t.same(
    team.members.map((m) => [m.staff.gsrn, m.role, m.evidence, m.leftAt, m.atScanner]),
    [[gsrn(1), 'lead-clinician', 'typed', null, false]],
  );
  t.equal(team.atScanner, null);
  t.same(await attributionOfScan(typed, 'TYPED-1'), DEVICE_ONLY);
  const byLocalId = await newProcedure(app, key, 12, { clinician: { localId: 'ST-0042' } });
  t.same(await attributionOfScan(byLocalId, 'TYPED-2'), DEVICE_ONLY);
});

t.test('badges scanned at the start and at a handover name the member at the scanner', async (t) => {
  const proc = await newProcedure(app, key, 13, { clinician: { barcode: badge(2), name: 'Ms Lead' } });
  const lead = (await app.request({ method: 'GET', url: `/v1/procedures/${proc}`, key })).json<{ clinician: { id: string }; team: Team }>();
  t.equal(lead.team.atScanner, lead.clinician.id, 'the lead clinician, badged at opening');
  t.same(await attributionOfScan(proc, 'HAND-1'), badgeAttribution(lead.clinician.id));

  const scrubIn = await join(proc, { staff: { barcode: badge(3), name: 'Sam Scrub' }, role: 'scrub' });
  t.equal(scrubIn.statusCode, 200, scrubIn.body);
  const scrubTeam = scrubIn.json<Team>();
  const scrub = scrubTeam.members.find((m) => m.staff.gsrn === gsrn(3));
  t.match(scrub, { role: 'scrub', evidence: 'badge', leftAt: null, atScanner: true, staff: { name: 'Sam Scrub' } }, 'registered on first use, at the scanner');
  const scrubId = scrub?.staff.id ?? '';
  t.same(await attributionOfScan(proc, 'HAND-2'), badgeAttribution(scrubId));

  // Someone typed in joins: named, not at the scanner.
  const typedIn = await join(proc, { staff: { localId: 'ST-0099' }, role: 'circulating' });
  t.equal(typedIn.json<Team>().atScanner, scrubId);

  // Handover: the circulating nurse badges in, then leaves; the scrub nurse is at the scanner again.
  const circIn = (await join(proc, { staff: { barcode: badge(4) }, role: 'circulating' })).json<Team>();
  const circId = circIn.atScanner ?? '';
  t.not(circId, scrubId);
  t.same(await attributionOfScan(proc, 'HAND-3'), badgeAttribution(circId));
  const afterLeave = await leave(proc, circId);
  t.equal(afterLeave.statusCode, 200, afterLeave.body);
  const left = afterLeave.json<Team>();
  t.equal(left.atScanner, scrubId);
  t.ok(left.members.find((m) => m.staff.id === circId)?.leftAt, 'the record keeps that they were in the case, and when they left');
  t.same(await attributionOfScan(proc, 'HAND-4'), badgeAttribution(scrubId));

  // The lead clinician badges again: they take the scanner back.
  const back = (await join(proc, { staff: { barcode: badge(2) }, role: 'lead-clinician' })).json<Team>();
  t.equal(back.atScanner, lead.clinician.id);
  t.equal(back.members.filter((m) => m.staff.id === lead.clinician.id).length, 1, 'one stint: badging again while in the case');

  // Everyone badged leaves: device-only again.
  await leave(proc, lead.clinician.id);
  await leave(proc, scrubId);
  t.same(await attributionOfScan(proc, 'HAND-5'), DEVICE_ONLY);

  // Every change is audited, with who and how (never a GSRN in the audit detail: the staff id).
  const audit = await app.db.selectFrom('audit_events').select(['action', 'detail']).where(sql<boolean>`${proc} = any(procedure_ids)`).where('action', 'like', 'procedure.staff.%').orderBy('id').execute();
  t.same(
    audit.map((a) => [a.action, (a.detail as { evidence?: string }).evidence ?? null]),
    [
      ['procedure.staff.join', 'badge'],
      ['procedure.staff.join', 'typed'],
      ['procedure.staff.join', 'badge'],
      ['procedure.staff.leave', null],
      ['procedure.staff.join', 'badge'],
      ['procedure.staff.leave', null],
      ['procedure.staff.leave', null],
    ],
  );
});

t.test('refusals change nothing', async (t) => {
  const proc = await newProcedure(app, key, 14);
  const stranger = (await join(proc, { staff: { barcode: badge(5) } })).json<Team>().atScanner ?? '';

  const notIn = await leave(proc, randomUUID());
  t.equal(notIn.statusCode, 409);
  t.equal(notIn.json<{ code: string }>().code, 'STAFF_NOT_IN_CASE');
  await leave(proc, stranger);
  const twice = await leave(proc, stranger);
  t.equal(twice.json<{ code: string }>().code, 'STAFF_NOT_IN_CASE', 'leaving twice');

  const product = await join(proc, { staff: { barcode: `01${GTIN}21X` } });
  t.equal(product.statusCode, 422);
  t.equal(product.json<{ code: string }>().code, 'BARCODE_INVALID', 'a product label is not a badge');
  const noRole = await join(proc, { staff: { barcode: badge(6) }, role: 'surgeon-in-chief' });
  t.equal(noRole.json<{ code: string }>().code, 'VALIDATION_FAILED');
  const both = await join(proc, { staff: { barcode: badge(6), gsrn: gsrn(6) } });
  t.equal(both.json<{ code: string }>().code, 'VALIDATION_FAILED', 'exactly one of barcode, gsrn or localId');

  const elsewhere = await join(proc, { staff: { barcode: badge(7) } }, other.keys.scanner);
  t.equal(elsewhere.statusCode, 404, 'another organisation: no such procedure');
  t.equal((await leave(proc, stranger, other.keys.scanner)).statusCode, 404);
  t.equal((await join(proc, { staff: { barcode: badge(7) } }, org.keys.procurement)).statusCode, 403, 'scanners only');

  const done = await app.request({ method: 'POST', url: `/v1/procedures/${proc}/complete`, key });
  t.equal(done.statusCode, 200, done.body);
  const late = await join(proc, { staff: { barcode: badge(8) } });
  t.equal(late.statusCode, 409);
  t.equal(late.json<{ code: string }>().code, 'PROCEDURE_COMPLETED');

  const events = await app.db.selectFrom('case_staff_events').select(sql<number>`count(*)::int`.as('n')).where('procedure_id', '=', proc).executeTakeFirstOrThrow();
  t.equal(events.n, 2, 'one join and one leave: no refusal wrote anything');
  await t.rejects(sql`update case_staff_events set role = 'other' where procedure_id = ${proc}`.execute(app.db), /append-only|forbid|not allowed|cannot/i, 'the events are never changed');
});

t.test('a device key with a signed-in person on the device names the person; anyone else is ignored', async (t) => {
  const proc = await newProcedure(app, key, 15, { clinician: { barcode: badge(9) } });
  const clinicianId = (await findProcedure(app.db, proc))?.scanningStaffId ?? '';
  t.ok(clinicianId);
  const nurse = await storeSession(app.db, { subject: 'nurse-1', name: 'Nia Nurse' }, { role: 'scanner', national: false, organisationId: org.id });
  const attribution = await attributionOfScan(proc, 'DEV-PERSON-1', { it_session: nurse });
  t.same(attribution, { kind: 'person', person: { provider: 'https://idp.example.invalid', subject: 'nurse-1', name: 'Nia Nurse' }, staffId: null });
  const audit = await app.db.selectFrom('audit_events').select(['actor_person_subject', 'actor_key_id']).where('action', '=', 'scan.record').where(sql<boolean>`${proc} = any(procedure_ids)`).orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.match(audit, { actor_person_subject: 'nurse-1', actor_key_id: org.keyIds.scanner }, "the key acted, the person is named");

  // A person of another organisation, a procurement profile of this one (a name, not a right: still named), an ended or forged session.
  const outsider = await storeSession(app.db, { subject: 'nurse-2', name: 'Other Trust' }, { role: 'scanner', national: false, organisationId: other.id });
  t.same(await attributionOfScan(proc, 'DEV-PERSON-2', { it_session: outsider }), badgeAttribution(clinicianId), 'another organisation: ignored');
  const expired = await storeSession(app.db, { subject: 'nurse-3', name: 'Old Session' }, { role: 'scanner', national: false, organisationId: org.id }, new Date(Date.now() - 3 * 3_600_000));
  t.same(await attributionOfScan(proc, 'DEV-PERSON-3', { it_session: expired }), badgeAttribution(clinicianId), 'an ended session: ignored, and the scan is recorded');
  t.same(await attributionOfScan(proc, 'DEV-PERSON-4', { it_session: 'forged' }), badgeAttribution(clinicianId), 'an unknown cookie: ignored');
  const me = await app.request({ method: 'GET', url: '/v1/me', key, cookies: { it_session: nurse } });
  t.match(me.json(), { role: 'scanner', keyId: org.keyIds.scanner, person: { subject: 'nurse-1' } }, "/v1/me: the key's rights, the person named");
  t.notOk('csrfToken' in me.json<object>(), 'no CSRF token: the key, not the session, authenticates');
  // The cookie adds a name, never a right: an admin's session beside a scanner key does not admit an admin route.
  const admin = await storeSession(app.db, { subject: 'admin-1', name: 'Ada Admin' }, { role: 'admin', national: false, organisationId: org.id });
  const keys = await app.request({ method: 'GET', url: '/v1/api-keys', key, cookies: { it_session: admin } });
  t.equal(keys.statusCode, 403, keys.body);
});

t.test("the scan path's SQL and caseTeam() agree on who is at the scanner, for random histories", async (t) => {
  // Random joins (badge or typed) and leaves among four staff, written as events; after each, the locked
  // procedure's scanningStaffId (SQL) must equal caseTeam(events).atScanner (the domain rule).
  const proc = await newProcedure(app, key, 16);
  const staffIds: string[] = [];
  for (let n = 0; n < 4; n++) staffIds.push((await join(proc, { staff: { localId: `R-${n}` } })).json<Team>().members.at(-1)?.staff.id ?? '');
  const events: CaseStaffEvent[] = staffIds.map((staffId) => ({ staffId, event: 'joined', role: 'other', evidence: 'typed', at: new Date() }));
  let seed = 20261207;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  let mismatches = 0;
  for (let step = 0; step < 120; step++) {
    const staffId = staffIds[random(staffIds.length)] ?? '';
    const kind = random(3);
    const event: CaseStaffEvent =
      kind === 0 ? { staffId, event: 'left', role: null, evidence: null, at: new Date() } : { staffId, event: 'joined', role: 'other', evidence: kind === 1 ? 'badge' : 'typed', at: new Date() };
    await app.db
      .insertInto('case_staff_events')
      .values({ organisation_id: org.id, procedure_id: proc, staff_id: staffId, event: event.event, role: event.role, evidence: event.evidence, recorded_by: org.keyIds.scanner })
      .execute();
    events.push(event);
    const bySql = (await findProcedure(app.db, proc, false))?.scanningStaffId ?? null;
    if (bySql !== caseTeam(events).atScanner) mismatches++;
  }
  t.equal(mismatches, 0);
  t.ok(events.some((e) => e.event === 'left') && events.some((e) => e.evidence === 'badge'), 'the history has leaves and badges');
});
