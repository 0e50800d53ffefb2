/**
 * Who scanned it (issue 18): each product scan records the person behind it by
 * the strongest evidence at the time: the signed-in person of the session that
 * sent it, else the staff member at the scanner (here the lead clinician whose
 * badge was scanned when the case was opened; case-staff.test.ts covers the
 * case team and handovers), else the device alone. Stored on the scan row,
 * shown in the scan's answer and the procedure's history, kept by replays, and
 * device-only scans counted by the data-quality report.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import t from 'tap';
import { authenticate } from '../../src/modules/api-keys/api-key.service.js';
import { recordScans, type ScanRequest } from '../../src/modules/scans/scan.service.js';
import type { Actor, RequestContext } from '../../src/shared/actor.js';
import { systemClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { signInAtProvider, signInEnv, startProvider } from '../helpers/oidc-provider.js';
import { BADGE, GTIN, PLACE, newProcedure, scan } from '../helpers/theatre.js';

const APP = 'http://app.test';

interface Attribution {
  kind: 'person' | 'badge' | 'device-only';
  person: { provider: string; subject: string; name: string } | null;
  staffId: string | null;
}
interface ScanAnswer {
  scan: { id: string; attribution: Attribution | null };
}

const provider = await startProvider({
  appBaseUrl: APP,
  customClaims: ['roles', 'org'],
  accounts: { 'sam-scrub': { name: 'Sam Scrub', roles: ['trace-scanner'], org: 'RRK' } },
});
t.teardown(() => provider.close());

const app = await buildTestApp(t, {
  env: signInEnv(APP, provider, { 'trace-scanner': 'scanner' }),
});
const org = await createOrganisationWithKeys(app, 'RRK');
const key = org.keys.scanner;

const cookieOf = (res: LightMyRequestResponse, name: string) => (res.cookies as Array<{ name: string; value: string }>).find((c) => c.name === name)?.value;

/** Signs in as a browser would (login, the provider, the callback): the session id and its CSRF token. */
async function signIn(account: string): Promise<{ id: string; csrf: string }> {
  const login = await app.request({ method: 'GET', url: '/auth/login?returnTo=%2Fconsole%2Ftheatre' });
  const back = await signInAtProvider(String(login.headers.location), account);
  const attempt = cookieOf(login, 'it_sign_in');
  const callback = await app.request({ method: 'GET', url: `${back.pathname}${back.search}`, cookies: attempt === undefined ? {} : { it_sign_in: attempt } });
  const id = cookieOf(callback, 'it_session');
  if (callback.statusCode !== 303 || id === undefined) throw new Error(`sign-in: ${callback.statusCode} ${callback.body}`);
  const me = await app.request({ method: 'GET', url: '/v1/me', cookies: { it_session: id } });
  return { id, csrf: me.json<{ csrfToken: string }>().csrfToken };
}

const sessionScan = (session: { id: string; csrf: string }, procedureId: string, body: Record<string, unknown>, idempotencyKey = randomUUID()) =>
  app.request({
    method: 'POST',
    url: `/v1/procedures/${procedureId}/scans`,
    cookies: { it_session: session.id },
    headers: { 'x-csrf-token': session.csrf, 'idempotency-key': idempotencyKey },
    payload: body,
  });

const procedureRead = async (id: string) => (await app.request({ method: 'GET', url: `/v1/procedures/${id}`, key })).json<{
  clinician: { id: string } | null;
  items: Array<{ history: Array<{ id: string; kind: string; attribution: Attribution | null }> }>;
}>();

const storedRow = (scanId: string) =>
  app.db.selectFrom('scans').select(['attribution', 'person_issuer', 'person_subject', 'person_name', 'staff_id', 'actor_key_id']).where('id', '=', scanId).executeTakeFirstOrThrow();

const DEVICE_ONLY: Attribution = { kind: 'device-only', person: null, staffId: null };

// Procedures of the report's period: one at the theatre (device-only scans), one badged, one for the session.
const atTheatre = await newProcedure(app, key, 1, { location: { barcode: PLACE } });
const badged = await newProcedure(app, key, 2, { clinician: { barcode: BADGE, name: 'Ms Anika Raman' } });
const clinicianId = (await procedureRead(badged)).clinician?.id ?? '';

t.test('a scan with a device key in a case nobody badged into is device-only', async (t) => {
  const res = await scan(app, key, atTheatre, { barcode: `01${GTIN}21DEV-1` });
  t.equal(res.statusCode, 201, res.body);
  const body = res.json<ScanAnswer>();
  t.same(body.scan.attribution, DEVICE_ONLY);
  t.match(await storedRow(body.scan.id), { attribution: 'device-only', person_issuer: null, person_subject: null, person_name: null, staff_id: null, actor_key_id: org.keyIds.scanner });
});

t.test('a scan with a device key in a case opened with the lead clinician\'s badge scanned names that staff member', async (t) => {
  t.ok(clinicianId, 'the case has its lead clinician');
  const res = await scan(app, key, badged, { barcode: `01${GTIN}21BADGE-1` });
  t.equal(res.statusCode, 201, res.body);
  const body = res.json<ScanAnswer>();
  t.same(body.scan.attribution, { kind: 'badge', person: null, staffId: clinicianId });
  t.match(await storedRow(body.scan.id), { attribution: 'badge', staff_id: clinicianId, person_subject: null });
  // The procedure's scan history shows it, and a void made in the case is attributed the same way.
  const voided = await app.request({ method: 'POST', url: `/v1/scans/${body.scan.id}/void`, key, payload: { reason: 'scanned twice' } });
  t.equal(voided.statusCode, 200, voided.body);
  t.same(voided.json<ScanAnswer>().scan.attribution, { kind: 'badge', person: null, staffId: clinicianId });
  const history = (await procedureRead(badged)).items.flatMap((i) => i.history);
  t.same(
    history.map((h) => [h.kind, h.attribution]),
    [
      ['product', { kind: 'badge', person: null, staffId: clinicianId }],
      ['void', { kind: 'badge', person: null, staffId: clinicianId }],
    ],
  );
});

t.test('a scan made in a signed-in session names the person, even in a badged case', async (t) => {
  const session = await signIn('sam-scrub');
  const idem = randomUUID();
  const res = await sessionScan(session, badged, { barcode: `01${GTIN}21PERSON-1` }, idem);
  t.equal(res.statusCode, 201, res.body);
  const body = res.json<ScanAnswer>();
  const person = { provider: provider.issuer, subject: 'sam-scrub', name: 'Sam Scrub' };
  t.same(body.scan.attribution, { kind: 'person', person, staffId: null });
  t.match(await storedRow(body.scan.id), { attribution: 'person', person_issuer: provider.issuer, person_subject: 'sam-scrub', person_name: 'Sam Scrub', staff_id: null });
  const history = (await procedureRead(badged)).items.flatMap((i) => i.history);
  t.same(history.find((h) => h.id === body.scan.id)?.attribution, { kind: 'person', person, staffId: null });

  t.test('a replay answers the attribution stored with the scan, whoever sends it', async (t) => {
    const again = await sessionScan(session, badged, { barcode: `01${GTIN}21PERSON-1` }, idem);
    t.equal(again.headers['idempotency-replayed'], 'true');
    t.equal(again.body, res.body, 'the same answer');
    // The device retrying the person's scan (same key, same body) gets the person's answer, not a device-only one.
    const byDevice = await scan(app, key, badged, { barcode: `01${GTIN}21PERSON-1` }, idem);
    t.equal(byDevice.statusCode, 201);
    t.equal(byDevice.headers['idempotency-replayed'], 'true');
    t.same(byDevice.json<ScanAnswer>().scan.attribution, { kind: 'person', person, staffId: null });
    t.equal(Number((await sql<{ n: string }>`select count(*) as n from scans where serial_number = 'PERSON-1'`.execute(app.db)).rows[0]?.n), 1, 'recorded once');
  });
});

t.test('a device-only replay stays device-only, and an answer stored before attribution replays as null', async (t) => {
  const idem = randomUUID();
  const first = await scan(app, key, atTheatre, { barcode: `01${GTIN}21DEV-2` }, idem);
  const again = await scan(app, key, atTheatre, { barcode: `01${GTIN}21DEV-2` }, idem);
  t.equal(again.headers['idempotency-replayed'], 'true');
  t.same(again.json<ScanAnswer>().scan.attribution, DEVICE_ONLY);
  t.equal(again.body, first.body);
  // An answer stored by the version before attribution has no such field: it replays with null ("recorded before attribution").
  await sql`update idempotency_keys set response = response #- '{scan,attribution}' where key = ${idem}`.execute(app.db);
  const old = await scan(app, key, atTheatre, { barcode: `01${GTIN}21DEV-2` }, idem);
  t.equal(old.statusCode, 201, old.body);
  t.equal(old.json<ScanAnswer>().scan.attribution, null);
});

t.test('rows recorded before attribution read as null, never guessed', async (t) => {
  const proc = await newProcedure(app, key, 3, { clinician: { barcode: BADGE } });
  const res = await scan(app, key, proc, { barcode: `01${GTIN}21OLD-1` });
  const { scan: recorded } = res.json<{ scan: { id: string; itemId: string } }>();
  // As the version before this one wrote them: no attribution columns.
  const oldId = randomUUID();
  await sql`
    insert into scans (id, organisation_id, procedure_id, item_id, kind, action, entry_type, raw, di, serial_number, scanned_at, actor_key_id)
    select ${oldId}, organisation_id, procedure_id, item_id, 'product', 'implanted', 'barcode', raw, di, serial_number, scanned_at, actor_key_id
    from scans where id = ${recorded.id}`.execute(app.db);
  const history = (await procedureRead(proc)).items.flatMap((i) => i.history);
  t.equal(history.find((h) => h.id === oldId)?.attribution, null);
  // The database refuses half an attribution.
  await t.rejects(
    sql`insert into scans (organisation_id, procedure_id, kind, action, entry_type, scanned_at, actor_key_id, attribution)
        select organisation_id, procedure_id, 'product', 'implanted', 'barcode', scanned_at, actor_key_id, 'badge' from scans where id = ${recorded.id}`.execute(app.db),
    /scans_attribution/,
  );
});

t.test('in one batch, each scan is attributed by its own evidence (recordScans, set-based)', async (t) => {
  const deviceActor = await authenticate(app.db, key);
  if (!deviceActor) throw new Error('no actor');
  const personActor: Actor = { ...deviceActor, person: { provider: 'https://idp.example', subject: 'p-42', name: 'Pat Person' } };
  const ctx = (actor: Actor): RequestContext => ({ requestId: randomUUID(), route: 'POST /v1/procedures/:id/scans', actor });
  const other = await newProcedure(app, key, 4);
  const request = (actor: Actor, procedureId: string, serial: string): ScanRequest => ({
    ctx: ctx(actor),
    procedureId,
    idempotencyKey: randomUUID(),
    input: { barcode: `01${GTIN}21${serial}`, action: 'implanted' },
  });
  const results = await recordScans(
    app.db,
    [request(personActor, other, 'BATCH-P'), request(deviceActor, badged, 'BATCH-B'), request(deviceActor, other, 'BATCH-D'), request(personActor, badged, 'BATCH-P2')],
    systemClock,
  );
  const attributions = results.map((r) => (r.ok ? r.value.body.scan.attribution : r.error));
  const pat = { provider: 'https://idp.example', subject: 'p-42', name: 'Pat Person' };
  t.same(attributions, [
    { kind: 'person', person: pat, staffId: null },
    { kind: 'badge', person: null, staffId: clinicianId },
    DEVICE_ONLY,
    { kind: 'person', person: pat, staffId: null },
  ]);
});

t.test('the data-quality report counts device-only scans per location and in the totals', async (t) => {
  // At the theatre: DEV-1 and DEV-2 (device-only); one more, voided, which does not count.
  const mistaken = await scan(app, key, atTheatre, { barcode: `01${GTIN}21DEV-VOID` });
  await app.request({ method: 'POST', url: `/v1/scans/${mistaken.json<ScanAnswer>().scan.id}/void`, key, payload: { reason: 'wrong box' } });
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const res = await app.request({ method: 'GET', url: `/v1/reports/data-quality?from=${from}&to=${to}`, key: org.keys.procurement });
  t.equal(res.statusCode, 200, res.body);
  const report = res.json<{ total: { deviceOnlyScans: number }; byLocation: Array<{ location: { gln: string } | null; deviceOnlyScans: number }> }>();
  const theatre = report.byLocation.find((l) => l.location?.gln === '9506000134369');
  const nowhere = report.byLocation.find((l) => l.location === null);
  t.equal(theatre?.deviceOnlyScans, 2, 'the theatre: two device-only scans (the voided one not counted)');
  // No location: the badged case (badge and person scans, none device-only) and the batch's case (one device-only scan, BATCH-D);
  // the case of the rows recorded before attribution (one badge scan, one without attribution: neither counts).
  t.equal(nowhere?.deviceOnlyScans, 1);
  t.equal(report.total.deviceOnlyScans, 3);
});
