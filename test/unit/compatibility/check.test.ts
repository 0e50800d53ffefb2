/** The compatibility rules and their check, on the corpus of realistic constructs (test/fixtures/compatibility). */
import t from 'tap';
import {
  checkCompatibility,
  COMPATIBILITY_CODES,
  COMPONENTS,
  JOINT_COMPONENTS,
  jointOf,
  NATIONAL_RULE_SETS,
  NATIONAL_RULES,
} from '../../../src/domain/compatibility/index.js';
import { CASES } from '../../fixtures/compatibility/constructs.js';

t.test('the corpus: each construct raises exactly its findings', async (t) => {
  for (const c of CASES) {
    const findings = checkCompatibility(NATIONAL_RULES, c.input);
    t.same(
      findings.map((f) => `${f.severity} ${f.code} ${f.rule}`),
      c.expected,
      c.name,
    );
    for (const f of findings) {
      t.notMatch(f.message, /\{\w+\}/, `${c.name}: every placeholder of "${f.message}" is filled`);
      if (f.severity !== 'info' && c.input.implanted.length > 0 && f.code !== 'SIDE_MISMATCH') {
        t.ok(f.withItemId, `${c.name}: a conflict names the implanted item it is with`);
      }
    }
  }
});

t.test('a finding reads as a sentence for the theatre', async (t) => {
  const size = checkCompatibility(NATIONAL_RULES, CASES.find((c) => c.name.startsWith('a 36 mm head'))!.input);
  t.equal(size[0]?.message, 'Size mismatch: the femoral head is 36 mm and the liner takes a 32 mm head. Do not open it.');
  const side = checkCompatibility(NATIONAL_RULES, CASES.find((c) => c.name.startsWith('a left knee'))!.input);
  t.equal(side[0]?.message, 'Wrong side: this is a right femoral component and the procedure is on the left. Do not open it.');
  const taper = checkCompatibility(NATIONAL_RULES, CASES.find((c) => c.name.startsWith('a 12/14 head'))!.input);
  t.equal(taper[0]?.message, 'Taper mismatch: the femoral head has a 12/14 taper and the stem a 10/12 taper. Do not open it.');
  const retained = checkCompatibility(NATIONAL_RULES, CASES.find((c) => c.name.startsWith('a revision'))!.input);
  t.equal(
    retained[0]?.message,
    'Taper mismatch: the femoral head has a 12/14 taper and the stem a 10/12 taper. Do not open it. The other part is retained from an earlier operation on this side: check the record of that operation.',
    'a conflict with a part retained from an earlier operation says so',
  );
});

t.test('the rule sets are well formed', async (t) => {
  const ids = NATIONAL_RULES.map((r) => r.id);
  t.equal(new Set(ids).size, ids.length, 'rule ids are unique');
  for (const set of NATIONAL_RULE_SETS) t.match(set.version, /^\d{4}-\d{2}-\d{2}$/, `${set.name} is versioned by date`);
  for (const rule of NATIONAL_RULES) {
    t.ok(COMPATIBILITY_CODES.includes(rule.code), `${rule.id}: a known code`);
    const critical = rule.code === 'SIDE_MISMATCH' || rule.code === 'SIZE_MISMATCH' || rule.code === 'TAPER_MISMATCH';
    t.equal(rule.severity, critical ? 'critical' : 'warning', `${rule.id}: ${rule.code} is ${critical ? 'critical' : 'a warning'}`);
    const placeholders = [...rule.message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    t.ok(placeholders.every((p) => ['candidate', 'other', 'a', 'b'].includes(p ?? '')), `${rule.id}: placeholders are {candidate} {other} {a} {b}`);
    if (rule.kind === 'pair-equal' || rule.kind === 'bearing') {
      const [x, y] = rule.components;
      t.ok(COMPONENTS.includes(x) && COMPONENTS.includes(y), `${rule.id}: known components`);
      t.equal(jointOf(x), jointOf(y), `${rule.id}: a pair within one joint`);
    }
    if (rule.kind === 'at-most') t.ok(rule.components.every((c) => JOINT_COMPONENTS[jointOf(c)].includes(c as never)), `${rule.id}: known components`);
  }
});
