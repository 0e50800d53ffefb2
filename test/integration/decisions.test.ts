/**
 * Every critical warning gets a decision: an item that raised one while being
 * implanted is recorded as pending, not as in the patient, until the theatre
 * puts it aside (not used) or implants it anyway with a reason (an override).
 */
import { sql } from 'kysely';
import t from 'tap';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { GS, GTIN, GTIN_B, newProcedure, scan } from '../helpers/theatre.js';

const NOW = '2026-11-21T09:00:00Z';

t.test('decisions on critical warnings', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(NOW) });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const other = await createOrganisationWithKeys(app, 'RH8');
  const key = org.keys.scanner;
  for (const gtin of [GTIN, GTIN_B]) {
    await app.request({ method: 'PUT', url: `/v1/products/${gtin}`, key: org.keys.procurement, payload: { brand: `Stem ${gtin}`, manufacturer: 'Acme', implantable: true } });
  }
  const recall = await app.request({ method: 'POST', url: '/v1/recalls', key: org.keys.procurement, payload: { reference: 'FSN-D1', title: 'Stem fractures', scope: [{ gtin: GTIN, lots: ['BAD1'] }] } });
  t.equal(recall.statusCode, 201, recall.body);
  const recallId = recall.json().id as string;
  const patientsOf = async () => (await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients`, key: org.keys.procurement })).json().items as Array<{ itemId: string; decision: string | null }>;
  const decide = (itemId: string, payload: Record<string, unknown>, k = key) => app.request({ method: 'POST', url: `/v1/items/${itemId}/decision`, key: k, payload });

  const proc = await newProcedure(app, key, 1);
  const recalled = await scan(app, key, proc, { barcode: `]d201${GTIN}17301231` + `10BAD1${GS}21S-1` });
  const itemId = recalled.json().item.id as string;

  t.test('a critical warning leaves the item pending, not implanted; the recall lists it as pending', async (t) => {
    t.equal(recalled.statusCode, 201);
    t.match(recalled.json().warnings, [{ code: 'PRODUCT_RECALLED', severity: 'critical' }]);
    t.match(recalled.json().item, { action: 'implanted', decision: { status: 'pending', reason: null, disposition: null, decidedAt: null, decidedBy: null } });
    t.match(await patientsOf(), [{ itemId, decision: 'pending' }], 'listed: a pending item may have gone in');
    const clean = await scan(app, key, proc, { barcode: `01${GTIN_B}17301231` + `10GOOD` });
    t.equal(clean.json().item.decision, null, 'no critical warning: no decision to make');
    const wasted = await scan(app, key, proc, { barcode: `01${GTIN}17301231` + `10BAD1`, action: 'wasted' });
    t.equal(wasted.json().item.decision, null, 'only an item being implanted waits for a decision');
    const decideClean = await decide(clean.json().item.id, { outcome: 'implanted', reason: 'nothing to decide here' });
    t.equal(decideClean.statusCode, 409);
    t.equal(decideClean.json().code, 'DECISION_NOT_REQUIRED');
  });

  t.test('completing is refused while a decision is pending', async (t) => {
    const res = await app.request({ method: 'POST', url: `/v1/procedures/${proc}/complete`, key });
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'DECISION_REQUIRED');
    t.same(res.json().pendingItemIds, [itemId]);
    const stored = await app.db.selectFrom('procedures').select('status').where('id', '=', proc).executeTakeFirstOrThrow();
    t.equal(stored.status, 'open', 'nothing changed');
  });

  t.test('an override needs a reason in words; not-used needs a disposition', async (t) => {
    for (const reason of [undefined, '.', '\u200b\u200b\u200b', '   ', '-- !']) {
      const res = await decide(itemId, { outcome: 'implanted', ...(reason === undefined ? {} : { reason }) });
      t.equal(res.statusCode, 422, JSON.stringify(reason));
      t.same(res.json().errors.map((e: { pointer: string }) => e.pointer), ['/reason'], JSON.stringify(reason));
    }
    const noDisposition = await decide(itemId, { outcome: 'not-used' });
    t.same(noDisposition.json().errors.map((e: { pointer: string }) => e.pointer), ['/disposition']);
    const both = await decide(itemId, { outcome: 'implanted', reason: 'Surgeon decided', disposition: 'wasted' });
    t.same(both.json().errors.map((e: { pointer: string }) => e.pointer), ['/disposition']);
  });

  t.test('put aside: not a patient of the recall, but a unit to quarantine', async (t) => {
    const res = await decide(itemId, { outcome: 'not-used', disposition: 'quarantined' });
    t.equal(res.statusCode, 200, res.body);
    t.match(res.json(), { id: itemId, decision: { status: 'not-used', disposition: 'quarantined', reason: null, decidedBy: org.keyIds.scanner } });
    t.ok(Date.parse(res.json().decision.decidedAt) > Date.parse(NOW), "decided at the database's time, not a client's");
    const again = await decide(itemId, { outcome: 'not-used', disposition: 'quarantined' });
    t.equal(again.statusCode, 200, 'the same decision again (a retry) is answered');
    t.equal((await app.db.selectFrom('item_decisions').select('id').where('item_id', '=', itemId).execute()).length, 1, 'and records nothing more');
    t.notOk((await patientsOf()).some((p) => p.itemId === itemId), 'not in the patient list');
    const detail = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}`, key: org.keys.procurement });
    t.match(detail.json().counts, { items: 0, notUsed: 1 });
    const notUsed = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/not-used`, key: org.keys.procurement });
    t.equal(notUsed.statusCode, 200, notUsed.body);
    t.match(notUsed.json().items, [{ itemId, procedure: { id: proc, organisation: 'RRK' }, item: { lotNumber: 'BAD1', serialNumber: 'S-1' }, disposition: 'quarantined' }]);
    t.notMatch(notUsed.body, /nhsNumber/, 'no patient on the not-used list');
    const csv = await app.request({ method: 'GET', url: `/v1/recalls/${recallId}/patients?format=csv`, key: org.keys.procurement });
    t.notMatch(csv.body, new RegExp(itemId), 'not in the CSV of patients either');
  });

  t.test('a decision is corrected by a later one with a reason, never erased', async (t) => {
    const bare = await decide(itemId, { outcome: 'implanted' });
    t.equal(bare.statusCode, 422);
    const noReason = await decide(itemId, { outcome: 'not-used', disposition: 'wasted' });
    t.equal(noReason.statusCode, 422, 'changing a decision needs a reason');
    t.match(noReason.json().errors, [{ pointer: '/reason' }]);
    const res = await decide(itemId, { outcome: 'implanted', reason: 'Consultant judged the risk acceptable; patient informed' });
    t.equal(res.statusCode, 200, res.body);
    t.match(res.json().decision, { status: 'implanted', reason: /risk acceptable/, disposition: null });
    t.match(await patientsOf(), [{ itemId, decision: 'override' }], 'an override says so on the recall row');
    const ledger = await app.db.selectFrom('item_decisions').selectAll().where('item_id', '=', itemId).orderBy('decided_at').orderBy('id').execute();
    t.same(ledger.map((d) => d.outcome), ['not-used', 'implanted']);
    t.equal(ledger[1]?.corrects_decision_id, ledger[0]?.id, 'the correction names what it corrects');
    await t.rejects(sql`update item_decisions set outcome = 'not-used'`.execute(app.db), /append-only/, 'the ledger is append-only');
    const audit = await app.db.selectFrom('audit_events').select(['detail']).where('action', '=', 'item.decision').execute();
    t.equal(audit.length, 2, 'each decision audited');
    t.match(audit[1]?.detail, { itemId, outcome: 'implanted', override: true });
    const complete = await app.request({ method: 'POST', url: `/v1/procedures/${proc}/complete`, key });
    t.equal(complete.statusCode, 200, 'with every decision made, the procedure completes');
  });

  t.test('tenancy and roles', async (t) => {
    const theirs = await decide(itemId, { outcome: 'not-used', disposition: 'wasted', reason: 'not ours to decide' }, other.keys.scanner);
    t.equal(theirs.statusCode, 404);
    const procurement = await decide(itemId, { outcome: 'not-used', disposition: 'wasted', reason: 'wrong role' }, org.keys.procurement);
    t.equal(procurement.statusCode, 403);
  });

  t.test('survival, FHIR and the feed count only what went into a patient', async (t) => {
    const p2 = await newProcedure(app, key, 2);
    const expired = await scan(app, key, p2, { barcode: `01${GTIN_B}17250131` + `10OLD${GS}21S-OLD` });
    t.match(expired.json().warnings, [{ code: 'PRODUCT_EXPIRED', severity: 'critical' }]);
    const inDate = await scan(app, key, p2, { barcode: `01${GTIN_B}17301231` + `10NEW${GS}21S-NEW` });
    await decide(expired.json().item.id, { outcome: 'not-used', disposition: 'wasted' });
    await app.request({ method: 'POST', url: `/v1/procedures/${p2}/complete`, key });
    const survival = await app.request({ method: 'GET', url: `/v1/outcomes/survival?groupBy=product&gtin=${GTIN_B}`, key: org.keys.procurement });
    t.equal(survival.statusCode, 200, survival.body);
    const group = survival.json().groups.find((g: { group: string }) => g.group === GTIN_B);
    t.equal(group?.n, 2, 'the clean implant of the first procedure and the in-date one; not the expired one put aside');
    const feed = await app.request({ method: 'GET', url: '/v1/feeds/procedures?registry=NJR', key: org.keys.registry });
    t.equal(feed.statusCode, 200, feed.body);
    const items = feed.json().entries.flatMap((e: { procedure?: { items: unknown[] } }) => e.procedure?.items ?? []) as Array<{ id: string; decision: string | null }>;
    t.match(items.find((i) => i.id === expired.json().item.id), { decision: 'not-used' }, 'the feed says it did not go in');
    t.match(items.find((i) => i.id === inDate.json().item.id), { decision: null });
  });

  t.test('the data-quality report counts what warnings stopped and what was overridden; old items that raised one without a decision', async (t) => {
    const p3 = await newProcedure(app, key, 3);
    const legacy = await scan(app, key, p3, { barcode: `01${GTIN_B}17250131` + `10OLD2${GS}21S-OLD2` });
    // As recorded before decisions existed: the critical warning is on the scan, the item has no decision.
    await sql`update items set decision_status = null where id = ${legacy.json().item.id}`.execute(app.db);
    await scan(app, key, p3, { barcode: `01${GTIN_B}17250131` + `10OLD3${GS}21S-OLD3` });
    const res = await app.request({ method: 'GET', url: '/v1/reports/data-quality?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z', key: org.keys.procurement });
    t.equal(res.statusCode, 200, res.body);
    t.match(res.json().total, { pendingDecisions: 1, overrides: 1, notUsedAfterWarning: 1, criticalWithoutDecision: 1 });
  });
});
