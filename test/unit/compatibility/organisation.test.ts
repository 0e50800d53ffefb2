/** An organisation's own rules and waivers: the schema of a rule it may declare, and the rules in force for it. */
import t from 'tap';
import {
  checkCompatibility,
  effectiveRules,
  NATIONAL_RULES,
  organisationRule,
  OrganisationRuleDefinitionSchema,
  OrganisationRuleSlugSchema,
  parseOrganisationConfiguration,
  rulesForOrganisation,
  type OrganisationRule,
} from '../../../src/domain/compatibility/index.js';
import { CASES, device } from '../../fixtures/compatibility/constructs.js';

const caseNamed = (prefix: string) => {
  const found = CASES.find((c) => c.name.startsWith(prefix));
  if (!found) throw new Error(`no case ${prefix}`);
  return found;
};
const summary = (findings: ReturnType<typeof checkCompatibility>) => findings.map((f) => `${f.severity} ${f.code} ${f.rule}`);
const NONE = { own: [], waived: new Set<string>() };

/** A local rule: this hospital stocks only 36 mm liners with its 36 mm heads, and a shell carries the liner's outer diameter. */
const HEAD_LINER_36: OrganisationRule = {
  slug: 'head-liner-local',
  definition: {
    kind: 'pair-equal',
    severity: 'critical',
    components: ['femoral-head', 'acetabular-liner'],
    attributes: ['headDiameterMm', 'innerDiameterMm'],
    message: 'Local rule: the head is {a} mm, the liner takes {b} mm. Do not open the {candidate}.',
  },
};
const ONE_STEM: OrganisationRule = {
  slug: 'one-stem',
  definition: { kind: 'at-most', severity: 'critical', components: ['femoral-stem'], max: 1, message: 'A second {candidate} in this hip: stop and check.' },
};

t.test('nothing configured: the national rules, unchanged', async (t) => {
  t.same(effectiveRules(NATIONAL_RULES, NONE), NATIONAL_RULES);
  t.same(rulesForOrganisation(null).rules, NATIONAL_RULES, 'the column is null for an organisation without configuration');
  t.same(rulesForOrganisation(null).unreadable, []);
  for (const c of CASES) t.same(summary(checkCompatibility(effectiveRules(NATIONAL_RULES, NONE), c.input)), c.expected, c.name);
});

t.test('no national rule id can be taken by an organisation', async (t) => {
  t.ok(NATIONAL_RULES.every((r) => !r.id.startsWith('org.')), 'no national rule set is named org');
  t.equal(organisationRule(ONE_STEM).id, 'org.one-stem');
  t.notOk(OrganisationRuleSlugSchema.safeParse('hip.bearing').success, 'a slug cannot carry a dot');
  const rules = effectiveRules(NATIONAL_RULES, { own: [ONE_STEM, { ...ONE_STEM, definition: { ...ONE_STEM.definition, severity: 'warning' } }], waived: new Set() });
  t.equal(rules.filter((r) => r.id === 'org.one-stem').length, 1, 'a slug counts once');
  t.equal(rules.length, NATIONAL_RULES.length + 1);
});

t.test('a waived national rule no longer raises its finding; the others still do', async (t) => {
  const metal = caseNamed('metal on metal');
  t.same(summary(checkCompatibility(NATIONAL_RULES, metal.input)), ['warning BEARING_NOT_RECOMMENDED hip.bearing']);
  const waived = effectiveRules(NATIONAL_RULES, { own: [], waived: new Set(['hip.bearing']) });
  t.equal(waived.length, NATIONAL_RULES.length - 1);
  t.same(summary(checkCompatibility(waived, metal.input)), []);
  const size = caseNamed('a 36 mm head on a 32 mm liner');
  t.same(summary(checkCompatibility(waived, size.input)), ['critical SIZE_MISMATCH hip.head-liner-diameter'], 'other rules stay in force');
  t.same(effectiveRules(NATIONAL_RULES, { own: [], waived: new Set(['hip.no-such-rule', 'org.one-stem']) }), NATIONAL_RULES, 'an unknown id waives nothing');
});

t.test("an organisation's own rule raises its finding, under its own id", async (t) => {
  const size = caseNamed('a 36 mm head on a 32 mm liner');
  // The national size rule waived, the local one in its place: the finding is the local rule's.
  const local = effectiveRules(NATIONAL_RULES, { own: [HEAD_LINER_36], waived: new Set(['hip.head-liner-diameter']) });
  const findings = checkCompatibility(local, size.input);
  t.same(summary(findings), ['critical SIZE_MISMATCH org.head-liner-local']);
  t.equal(findings[0]?.message, 'Local rule: the head is 36 mm, the liner takes 32 mm. Do not open the femoral head.');
  t.ok(findings[0]?.withItemId, 'names the implanted liner');

  const twoStems = { side: 'left' as const, implanted: [device('Acme Ortho', { component: 'femoral-stem', taper: '12/14' })], candidate: device('Acme Ortho', { component: 'femoral-stem', taper: '12/14' }, false) };
  const withOwn = effectiveRules(NATIONAL_RULES, { own: [ONE_STEM], waived: new Set() });
  t.same(summary(checkCompatibility(withOwn, twoStems)), ['warning DUPLICATE_COMPONENT hip.one-of-each', 'critical DUPLICATE_COMPONENT org.one-stem'], 'national rules first, then own');
  t.same(summary(checkCompatibility(effectiveRules(NATIONAL_RULES, { own: [{ ...ONE_STEM, enabled: false }], waived: new Set() }), twoStems)), ['warning DUPLICATE_COMPONENT hip.one-of-each'], 'a retired rule raises nothing');
});

t.test('each kind gives its code', async (t) => {
  const rule = (definition: unknown) => organisationRule({ slug: 'x1', definition: OrganisationRuleDefinitionSchema.parse(definition) });
  t.equal(rule({ ...HEAD_LINER_36.definition }).code, 'SIZE_MISMATCH');
  t.equal(rule({ kind: 'pair-equal', severity: 'critical', components: ['humeral-head', 'humeral-stem'], attributes: ['taper', 'taper'], message: 'Taper {a} against {b}: check.' }).code, 'TAPER_MISMATCH');
  t.equal(rule({ kind: 'bearing', severity: 'warning', components: ['femoral-head', 'acetabular-liner'], pairs: [['ceramic', 'ceramic']], message: 'Ceramic on ceramic: squeak risk with {other}.' }).code, 'BEARING_NOT_RECOMMENDED');
  t.equal(rule({ kind: 'same-manufacturer', severity: 'critical', joint: 'knee', message: 'Made by {a}, the {other} by {b}: stop.' }).code, 'MIXED_MANUFACTURER');
  t.equal(rule(ONE_STEM.definition).code, 'DUPLICATE_COMPONENT');
});

t.test('a definition is refused with the pointer of what is wrong', async (t) => {
  const refused: Array<[string, unknown, string]> = [
    ['a side rule', { kind: 'side', severity: 'critical', message: 'Wrong side: {a} {b}.' }, 'kind'],
    ['an unknown component', { ...HEAD_LINER_36.definition, components: ['femoral-head', 'acetabular-line'] }, 'components/1'],
    ['the same component twice', { ...HEAD_LINER_36.definition, components: ['femoral-head', 'femoral-head'] }, 'components/1'],
    ['components of two joints', { ...HEAD_LINER_36.definition, components: ['femoral-head', 'humeral-insert'] }, 'components/1'],
    ['a taper against a diameter', { ...HEAD_LINER_36.definition, attributes: ['taper', 'innerDiameterMm'] }, 'attributes/1'],
    ['an unknown attribute', { ...HEAD_LINER_36.definition, attributes: ['colour', 'innerDiameterMm'] }, 'attributes/0'],
    ['an unknown placeholder', { ...HEAD_LINER_36.definition, message: 'The head is {a} mm and {patient} is asleep.' }, 'message'],
    ['a placeholder at-most does not fill', { ...ONE_STEM.definition, message: 'A second {candidate}, like the {other}.' }, 'message'],
    ['an info severity', { ...ONE_STEM.definition, severity: 'info' }, 'severity'],
    ['an unknown bearing', { kind: 'bearing', severity: 'warning', components: ['femoral-head', 'acetabular-liner'], pairs: [['ceramic', 'wood']], message: 'Not this bearing, {candidate}.' }, 'pairs/0/1'],
    ['no bearing pairs', { kind: 'bearing', severity: 'warning', components: ['femoral-head', 'acetabular-liner'], pairs: [], message: 'Not this bearing, {candidate}.' }, 'pairs'],
    ['the other joint', { kind: 'same-manufacturer', severity: 'warning', joint: 'other', message: 'Mixed makers {a} and {b}.' }, 'joint'],
    ['at-most over two joints', { ...ONE_STEM.definition, components: ['femoral-stem', 'patella'] }, 'components/1'],
    ['at-most listing one twice', { ...ONE_STEM.definition, components: ['femoral-stem', 'femoral-stem'] }, 'components/1'],
    ['a max of 0', { ...ONE_STEM.definition, max: 0 }, 'max'],
    ['an unknown member', { ...ONE_STEM.definition, id: 'hip.one-of-each' }, ''],
  ];
  for (const [what, definition, pointer] of refused) {
    const result = OrganisationRuleDefinitionSchema.safeParse(definition);
    t.notOk(result.success, what);
    t.ok(result.error?.issues.some((i) => i.path.join('/') === pointer), `${what}: at /${pointer} (${JSON.stringify(result.error?.issues.map((i) => [i.path.join('/'), i.message]))})`);
  }
});

t.test('the JSON of the scan-facts column reads back; what no longer reads is named, never dropped silently', async (t) => {
  const json = { own: [{ slug: 'one-stem', definition: ONE_STEM.definition }, { slug: 'old-rule', definition: { kind: 'at-most', max: 99 } }], waived: ['hip.bearing'] };
  const parsed = parseOrganisationConfiguration(json);
  t.same(parsed.own, [{ slug: 'one-stem', definition: ONE_STEM.definition }]);
  t.same([...parsed.waived], ['hip.bearing']);
  t.same(parsed.unreadable, ['org.old-rule']);
  t.same(parseOrganisationConfiguration(JSON.stringify(json)).own, parsed.own, 'as text too');
  for (const nothing of [null, undefined, 'not json', 42, {}]) {
    const p = parseOrganisationConfiguration(nothing);
    t.same([p.own, [...p.waived], p.unreadable], [[], [], []], `${JSON.stringify(nothing)}: nothing configured`);
  }
  const { rules, unreadable } = rulesForOrganisation(json);
  t.same(
    rules.map((r) => r.id),
    [...NATIONAL_RULES.map((r) => r.id).filter((id) => id !== 'hip.bearing'), 'org.one-stem'],
  );
  t.same(unreadable, ['org.old-rule']);
});
