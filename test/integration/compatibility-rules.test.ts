/**
 * An organisation's say over the compatibility checks (issue 16): its own
 * rules (declared, listed, retired) and its waivers of national rules (a
 * reason always; a history, lifted, never overwritten), through the API, each
 * organisation alone with its own, every read and write audited; and the seam
 * the scan path reads them through.
 */
import { sql } from 'kysely';
import t from 'tap';
import { checkCompatibility, NATIONAL_RULES, rulesForOrganisation } from '../../src/domain/compatibility/index.js';
import { organisationRules, organisationRulesColumn } from '../../src/modules/compatibility/compatibility.repository.js';
import { CASES } from '../fixtures/compatibility/constructs.js';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';

const ONE_STEM = { slug: 'one-stem', kind: 'at-most', severity: 'critical', components: ['femoral-stem'], max: 1, message: 'A second {candidate} in this hip: stop and check.' };
const HEAD_LINER = {
  slug: 'head-liner-local',
  kind: 'pair-equal',
  severity: 'critical',
  components: ['femoral-head', 'acetabular-liner'],
  attributes: ['headDiameterMm', 'innerDiameterMm'],
  message: 'Local rule: the head is {a} mm, the liner takes {b} mm. Do not open the {candidate}.',
};

async function auditActions(app: TestApp, requestId: unknown) {
  return app.db.selectFrom('audit_events').select(['action', 'organisation_id', 'actor_key_id', 'detail']).where('request_id', '=', String(requestId)).execute();
}

t.test("an organisation's compatibility rules", async (t) => {
  const app = await buildTestApp(t);
  const a = await createOrganisationWithKeys(app, 'RRA');
  const b = await createOrganisationWithKeys(app, 'RRB');
  const rules = (key: string) => app.request({ method: 'GET', url: '/v1/compatibility/rules', key });
  const declare = (key: string, payload: object) => app.request({ method: 'POST', url: '/v1/compatibility/rules', key, payload });
  const waive = (key: string, ruleId: string, payload: object = { reason: 'Metal heads are not stocked here; the check only adds noise.' }) =>
    app.request({ method: 'POST', url: `/v1/compatibility/rules/${ruleId}/waiver`, key, payload });
  const lift = (key: string, ruleId: string) => app.request({ method: 'DELETE', url: `/v1/compatibility/rules/${ruleId}/waiver`, key });
  const retire = (key: string, ruleId: string, payload: object = { reason: 'Replaced by the manufacturer table.' }) =>
    app.request({ method: 'POST', url: `/v1/compatibility/rules/${ruleId}/retire`, key, payload });

  t.test('nothing configured: the national sets, every rule active, and the seam says null', async (t) => {
    const res = await rules(a.keys.scanner);
    t.equal(res.statusCode, 200, res.body);
    const body = res.json<{ ruleSets: Array<{ name: string; version: string; rules: Array<{ id: string; state: string; source: string }> }>; own: unknown[]; waivers: unknown[] }>();
    t.same(body.ruleSets.flatMap((s) => s.rules.map((r) => r.id)), NATIONAL_RULES.map((r) => r.id));
    t.ok(body.ruleSets.every((s) => /^\d{4}-\d{2}-\d{2}$/.test(s.version)), 'each set with its version');
    t.ok(body.ruleSets.every((s) => s.rules.every((r) => r.state === 'active' && r.source === 'national')));
    t.same([body.own, body.waivers], [[], []]);
    const hip = body.ruleSets.find((s) => s.name === 'hip')?.rules.find((r) => r.id === 'hip.head-liner-diameter');
    t.match(hip, { kind: 'pair-equal', code: 'SIZE_MISMATCH', severity: 'critical', components: ['femoral-head', 'acetabular-liner'], attributes: ['headDiameterMm', 'innerDiameterMm'], waiver: null }, 'what it compares');
    t.equal(await organisationRules(app.db, a.id), null);
    t.same(rulesForOrganisation(await organisationRules(app.db, a.id)).rules, NATIONAL_RULES);
    t.same(
      (await auditActions(app, res.headers['x-request-id'])).map((r) => [r.action, r.organisation_id, r.actor_key_id]),
      [['compatibility-rules.read', a.id, a.keyIds.scanner]],
      'the read is audited',
    );
  });

  t.test('declare, read and retire an own rule', async (t) => {
    const created = await declare(a.keys.procurement, ONE_STEM);
    t.equal(created.statusCode, 201, created.body);
    t.match(String(created.headers.location), /\/v1\/compatibility\/rules\/org\.one-stem$/);
    t.match(created.json(), { id: 'org.one-stem', source: 'organisation', ruleSet: null, kind: 'at-most', code: 'DUPLICATE_COMPONENT', severity: 'critical', components: ['femoral-stem'], max: 1, state: 'active', created: { by: a.keyIds.procurement }, retired: null });
    t.match(await auditActions(app, created.headers['x-request-id']), [{ action: 'compatibility-rule.create', organisation_id: a.id, actor_key_id: a.keyIds.procurement, detail: { ruleId: 'org.one-stem', kind: 'at-most' } }]);
    t.equal((await declare(a.keys.procurement, HEAD_LINER)).statusCode, 201);

    const again = await declare(a.keys.procurement, { ...ONE_STEM, max: 2 });
    t.equal(again.statusCode, 409);
    t.equal(again.json().code, 'COMPATIBILITY_RULE_EXISTS');

    const one = await app.request({ method: 'GET', url: '/v1/compatibility/rules/org.one-stem', key: a.keys.scanner });
    t.equal(one.statusCode, 200, one.body);
    t.match(one.json(), { id: 'org.one-stem', state: 'active', waivers: [] });
    t.match(await auditActions(app, one.headers['x-request-id']), [{ action: 'compatibility-rule.read', organisation_id: a.id }]);

    const listed = (await rules(a.keys.scanner)).json<{ own: Array<{ id: string; state: string }> }>().own;
    t.same(listed.map((r) => [r.id, r.state]), [['org.one-stem', 'active'], ['org.head-liner-local', 'active']], 'in the order declared');

    const noReason = await retire(a.keys.procurement, 'org.head-liner-local', {});
    t.equal(noReason.statusCode, 422);
    t.equal(noReason.json().errors[0].pointer, '/reason');
    const retired = await retire(a.keys.procurement, 'org.head-liner-local');
    t.equal(retired.statusCode, 200, retired.body);
    t.match(retired.json(), { state: 'retired', retired: { by: a.keyIds.procurement, reason: 'Replaced by the manufacturer table.' } });
    t.match(await auditActions(app, retired.headers['x-request-id']), [{ action: 'compatibility-rule.retire', organisation_id: a.id, detail: { ruleId: 'org.head-liner-local' } }]);
    t.equal((await retire(a.keys.procurement, 'org.head-liner-local')).json().code, 'COMPATIBILITY_RULE_RETIRED', 'retired once');
    t.equal((await declare(a.keys.procurement, HEAD_LINER)).json().code, 'COMPATIBILITY_RULE_EXISTS', 'a retired slug is never reused');
    t.equal((await retire(a.keys.procurement, 'org.no-such-rule')).statusCode, 404);
    t.equal((await retire(a.keys.procurement, 'hip.bearing')).json().code, 'COMPATIBILITY_RULE_UNKNOWN', 'a national rule is waived, not retired');
  });

  t.test('waive a national rule: a reason always; then lift it, the history kept', async (t) => {
    for (const [payload, what] of [
      [{}, 'no reason'],
      [{ reason: '' }, 'an empty reason'],
      [{ reason: ' . ' }, 'no words'],
      [{ reason: 'x'.repeat(501) }, 'too long'],
    ] as const) {
      const res = await waive(a.keys.procurement, 'hip.bearing', payload);
      t.equal(res.statusCode, 422, what);
      t.equal(res.json().code, 'VALIDATION_FAILED', what);
      t.equal(res.json().errors[0].pointer, '/reason', what);
    }
    const unknown = await waive(a.keys.procurement, 'hip.no-such-rule');
    t.equal(unknown.statusCode, 404);
    t.equal(unknown.json().code, 'COMPATIBILITY_RULE_UNKNOWN');
    t.equal((await waive(a.keys.procurement, 'org.one-stem')).json().code, 'COMPATIBILITY_RULE_UNKNOWN', "an own rule is retired, not waived");
    t.equal((await waive(a.keys.procurement, 'Hip.Bearing!')).statusCode, 422, 'a malformed id');
    t.equal((await lift(a.keys.procurement, 'hip.bearing')).json().code, 'COMPATIBILITY_RULE_NOT_WAIVED');

    const waived = await waive(a.keys.procurement, 'hip.bearing');
    t.equal(waived.statusCode, 200, waived.body);
    t.match(waived.json(), { id: 'hip.bearing', state: 'waived', waiver: { ruleId: 'hip.bearing', reason: 'Metal heads are not stocked here; the check only adds noise.', waivedBy: a.keyIds.procurement, liftedAt: null } });
    t.match(await auditActions(app, waived.headers['x-request-id']), [{ action: 'compatibility-rule.waive', organisation_id: a.id, actor_key_id: a.keyIds.procurement, detail: { ruleId: 'hip.bearing' } }]);
    t.equal((await waive(a.keys.procurement, 'hip.bearing')).json().code, 'COMPATIBILITY_RULE_WAIVED', 'one waiver in force at a time');

    const listed = (await rules(a.keys.scanner)).json<{ ruleSets: Array<{ rules: Array<{ id: string; state: string; waiver: { reason: string } | null }> }> }>();
    const bearing = listed.ruleSets.flatMap((s) => s.rules).find((r) => r.id === 'hip.bearing');
    t.match(bearing, { state: 'waived', waiver: { reason: /not stocked/ } }, 'the list shows the rule waived, with its reason');

    const lifted = await lift(a.keys.procurement, 'hip.bearing');
    t.equal(lifted.statusCode, 200, lifted.body);
    t.match(lifted.json(), { state: 'active', waiver: null, waivers: [{ liftedBy: a.keyIds.procurement, reason: /not stocked/ }] });
    t.match(await auditActions(app, lifted.headers['x-request-id']), [{ action: 'compatibility-rule.lift-waiver', organisation_id: a.id }]);

    const again = await waive(a.keys.procurement, 'hip.bearing', { reason: 'Second trial: metal liners withdrawn from stock.' });
    t.equal(again.statusCode, 200, 'waived again: a new row');
    const history = again.json<{ waivers: Array<{ reason: string; liftedAt: string | null }> }>().waivers;
    t.same(history.map((w) => w.liftedAt === null), [true, false], 'newest first: the one in force, then the lifted one');
    t.same((await rules(a.keys.scanner)).json<{ waivers: unknown[] }>().waivers.length, 2, 'the list holds the history');
  });

  t.test('the seam: one scalar subquery per organisation, read back into the rules in force', async (t) => {
    const json = await organisationRules(app.db, a.id);
    t.same(json, { own: [{ slug: 'one-stem', definition: { kind: 'at-most', severity: 'critical', components: ['femoral-stem'], max: 1, message: ONE_STEM.message } }], waived: ['hip.bearing'] }, 'rules in force only; waivers in force only');
    // As a column of a set-based query, which is how the scan facts carry it.
    const { rows } = await sql<{ ods_code: string; rules: unknown }>`
      select o.ods_code, ${organisationRulesColumn(sql.ref('o.id'))} as rules from organisations o where o.id in (${a.id}, ${b.id}) order by o.ods_code`.execute(app.db);
    t.same(rows.map((r) => [r.ods_code, r.rules === null]), [['RRA', false], ['RRB', true]]);
    const { rules: inForce, unreadable } = rulesForOrganisation(rows[0]?.rules);
    t.same(unreadable, []);
    t.same(inForce.map((r) => r.id), [...NATIONAL_RULES.map((r) => r.id).filter((id) => id !== 'hip.bearing'), 'org.one-stem']);
    const metal = CASES.find((c) => c.name === 'metal on metal');
    t.same(metal && checkCompatibility(inForce, metal.input).map((f) => f.rule), [], 'the waived rule raises nothing for A');
    t.same(metal && checkCompatibility(rulesForOrganisation(rows[1]?.rules).rules, metal.input).map((f) => f.rule), ['hip.bearing'], 'and still does for B');
  });

  t.test('invalid definitions are refused with the pointer of what is wrong', async (t) => {
    for (const [payload, pointer] of [
      [{ ...ONE_STEM, slug: 'hip.bearing' }, '/slug'],
      [{ ...ONE_STEM, slug: 'Has Spaces' }, '/slug'],
      [{ ...ONE_STEM, kind: 'side' }, '/kind'],
      [{ ...ONE_STEM, slug: 'x2', components: ['femoral-stem', 'patella'] }, '/components/1'],
      [{ ...ONE_STEM, slug: 'x3', message: 'A second {candidate}, for {patient}.' }, '/message'],
      [{ ...HEAD_LINER, slug: 'x4', components: ['femoral-head', 'humeral-insert'] }, '/components/1'],
      [{ ...HEAD_LINER, slug: 'x5', attributes: ['taper', 'innerDiameterMm'] }, '/attributes/1'],
      [{ ...HEAD_LINER, slug: 'x6', severity: 'info' }, '/severity'],
      [{ ...HEAD_LINER, slug: 'x7', id: 'hip.head-liner-diameter' }, ''],
      [{ slug: 'x8', kind: 'bearing', severity: 'warning', components: ['femoral-head', 'acetabular-liner'], pairs: [['ceramic', 'wood']], message: 'Not this bearing, {candidate}.' }, '/pairs/0/1'],
    ] as const) {
      const res = await declare(a.keys.procurement, payload);
      t.equal(res.statusCode, 422, `${JSON.stringify(payload).slice(0, 80)}: ${res.body.slice(0, 300)}`);
      t.equal(res.json().code, 'VALIDATION_FAILED');
      t.ok(res.json().errors.some((e: { pointer: string }) => e.pointer === pointer), `points at ${pointer || '(root)'}: ${JSON.stringify(res.json().errors)}`);
    }
    t.same((await rules(a.keys.scanner)).json<{ own: unknown[] }>().own.length, 2, 'nothing stored');
  });

  t.test('another organisation neither sees nor changes them; a national key changes none; roles', async (t) => {
    const seen = (await rules(b.keys.procurement)).json<{ own: unknown[]; waivers: unknown[]; ruleSets: Array<{ rules: Array<{ state: string }> }> }>();
    t.same([seen.own, seen.waivers], [[], []]);
    t.ok(seen.ruleSets.every((s) => s.rules.every((r) => r.state === 'active')), "A's waiver is not B's");
    t.equal((await app.request({ method: 'GET', url: '/v1/compatibility/rules/org.one-stem', key: b.keys.procurement })).statusCode, 404);
    t.equal((await retire(b.keys.procurement, 'org.one-stem')).statusCode, 404);
    t.equal((await lift(b.keys.procurement, 'hip.bearing')).json().code, 'COMPATIBILITY_RULE_NOT_WAIVED', "B cannot lift A's waiver");
    t.equal((await declare(b.keys.procurement, ONE_STEM)).statusCode, 201, 'slugs are per organisation');
    t.same((await organisationRules(app.db, a.id))?.waived, ['hip.bearing'], "A's waiver stands");

    const national = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'national procurement', role: 'procurement', national: true } });
    const nationalKey = national.json<{ key: string }>().key;
    const nationalView = await rules(nationalKey);
    t.equal(nationalView.statusCode, 200);
    t.same(nationalView.json<{ own: unknown[] }>().own, [], 'no organisation’s own rules');
    t.equal((await waive(nationalKey, 'hip.bearing')).statusCode, 403, 'a waiver belongs to an organisation');
    t.equal((await declare(nationalKey, { ...ONE_STEM, slug: 'national-x' })).statusCode, 403);

    for (const key of [a.keys.scanner, a.keys.admin, a.keys.registry]) {
      t.equal((await waive(key, 'hip.head-stem-taper')).statusCode, 403, 'only procurement writes');
      t.equal((await declare(key, { ...ONE_STEM, slug: 'by-another-role' })).statusCode, 403);
    }
    t.equal((await rules(a.keys.registry)).statusCode, 403, 'registries do not read them');
    t.equal((await rules(a.keys.admin)).statusCode, 200);
  });

  t.test('the database keeps the history: a rule is only retired, a waiver only lifted', async (t) => {
    await t.rejects(sql`update organisation_compatibility_rules set definition = '{"kind":"at-most"}' where slug = 'one-stem'`.execute(app.db), /only ever retired/);
    await t.rejects(sql`delete from organisation_compatibility_rules`.execute(app.db), /only ever retired/);
    await t.rejects(sql`update compatibility_rule_waivers set reason = 'changed' where rule_id = 'hip.bearing'`.execute(app.db), /only ever lifted/);
    await t.rejects(sql`delete from compatibility_rule_waivers`.execute(app.db), /only ever lifted/);
    await t.rejects(sql`insert into compatibility_rule_waivers (organisation_id, rule_id, reason, waived_by) values (${a.id}, 'hip.bearing', 'twice', ${a.keyIds.procurement})`.execute(app.db), /compatibility_rule_waivers_in_force/);
  });
});
