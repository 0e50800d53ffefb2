import t from 'tap';
import { tapFailures } from '../../../scripts/tap-failures.js';

const LOG = `TAP version 14
# Subtest: test/a.test.ts
    # Subtest: outer
        # Subtest: inner
            ok 1 - fine
            not ok 2 - should be equal
              ---
              found: 1
              wanted: 2
              ...
            1..2
        not ok 1 - inner
        ok 2 - sibling
        1..2
    not ok 1 - outer
    # Subtest: later
        not ok 1 - thrown
        1..1
    not ok 2 - later
    1..2
not ok 1 - test/a.test.ts
# Subtest: test/b.test.ts
    ok 1 - all good
    1..1
ok 2 - test/b.test.ts
`;

t.test('each failure with the subtests around it, and its diagnostics', async (t) => {
  t.same(tapFailures(LOG), [
    'not ok: test/a.test.ts > outer > inner > not ok 2 - should be equal',
    '                  ---',
    '                  found: 1',
    '                  wanted: 2',
    '                  ...',
    'not ok: test/a.test.ts > outer > not ok 1 - inner',
    'not ok: test/a.test.ts > not ok 1 - outer',
    'not ok: test/a.test.ts > later > not ok 1 - thrown',
    'not ok: test/a.test.ts > not ok 2 - later',
    'not ok: not ok 1 - test/a.test.ts',
  ]);
});

t.test('a passing log has none; the output is bounded', async (t) => {
  t.same(tapFailures('ok 1 - a\nok 2 - b\n1..2\n'), []);
  const many = Array.from({ length: 1000 }, (_, i) => `not ok ${i + 1} - n`).join('\n');
  t.equal(tapFailures(many, 50).length, 50);
});
