import t from 'tap';
import { canSee, tenancyOf, type Actor } from '../../../src/shared/actor.js';
import { fixedClock } from '../../../src/shared/clock.js';
import { isProblemCode, pointerToken, PROBLEMS, problemBody, ProblemError } from '../../../src/shared/problem.js';

t.test('every problem code is UPPER_SNAKE with a 4xx/5xx status and a title', async (t) => {
  for (const [code, def] of Object.entries(PROBLEMS)) {
    t.match(code, /^[A-Z][A-Z0-9_]*$/);
    t.ok(def.status >= 400 && def.status < 600, `${code} status`);
    t.ok(def.title.length > 0 && def.description.length > 0, `${code} text`);
  }
});

t.test('problemBody: standard members first; extensions cannot replace them', async (t) => {
  const body = problemBody('VALIDATION_FAILED', 'bad', 'req-1', { errors: [], status: 200, code: 'X' });
  t.same(Object.keys(body), ['type', 'title', 'status', 'detail', 'instance', 'code', 'errors']);
  t.equal(body.status, 422);
  t.equal(body.code, 'VALIDATION_FAILED');
  t.equal(body.type, '/problems/VALIDATION_FAILED');
});

t.test('ProblemError carries code, status and extensions', async (t) => {
  const e = new ProblemError('NOT_FOUND', 'gone', { id: 'x' });
  t.equal(e.status, 404);
  t.equal(e.message, 'gone');
  t.same(e.extensions, { id: 'x' });
  t.equal(new ProblemError('FORBIDDEN').message, PROBLEMS.FORBIDDEN.title);
  t.ok(isProblemCode('FORBIDDEN'));
  t.notOk(isProblemCode('toString'), 'inherited names are not codes');
});

t.test('JSON pointer tokens are escaped per RFC 6901', async (t) => {
  t.equal(pointerToken('a/b~c'), 'a~1b~0c');
  t.equal(pointerToken(3), '3');
});

t.test('tenancy: national sees all, an organisation only its own, fail closed otherwise', async (t) => {
  const national: Actor = { keyId: 'k', keyName: 'n', role: 'procurement', national: true, organisationId: null, odsCode: null, registryCode: null };
  const local: Actor = { ...national, national: false, organisationId: 'org-a', odsCode: 'AAA' };
  t.same(tenancyOf(national), { kind: 'national' });
  t.same(tenancyOf(local), { kind: 'organisation', organisationId: 'org-a' });
  t.throws(() => tenancyOf({ ...local, organisationId: null }));
  t.ok(canSee(national, 'org-b'));
  t.ok(canSee(local, 'org-a'));
  t.notOk(canSee(local, 'org-b'));
  t.notOk(canSee(local, null), 'national rows are not an organisation key\'s');
});

t.test('a fixed clock always answers the same instant, as a fresh Date', async (t) => {
  const clock = fixedClock('2026-01-31T10:00:00Z');
  const a = clock.now();
  a.setFullYear(2000);
  t.equal(clock.now().toISOString(), '2026-01-31T10:00:00.000Z');
});
