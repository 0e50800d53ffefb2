import t from 'tap';
import { z } from 'zod';
import { issuesToReport, valueAt, type UnionAwareIssue } from '../../../src/plugins/validation-issues.js';

const Either = z.xor([z.strictObject({ a: z.string(), n: z.number().optional() }), z.strictObject({ b: z.object({ c: z.string() }), n: z.number().optional() })], { error: 'give exactly one of a or b' });
const Nested = z.strictObject({ list: z.array(Either) });
const OneOrMany = z.union([z.enum(['a', 'b']), z.array(z.enum(['a', 'b'])).min(1)], { error: 'expected a, b (repeat for several)' });

/** What would be reported for `input` against `schema`, as the error handler does it: paths and codes. */
function reported(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.flatMap((issue) => issuesToReport(issue as unknown as UnionAwareIssue, valueAt(input, issue.path))).map((i) => `/${i.path.join('/')} ${i.code}`);
}

const cases: Array<[string, z.ZodType, unknown, string[]]> = [
  ['valid', Either, { a: 'x' }, []],
  ['neither alternative: the union', Either, { n: 1 }, ['/ invalid_union']],
  ['both: the union', Either, { a: 'x', b: { c: 'y' } }, ['/ invalid_union']],
  ['not an object: the union', Either, null, ['/ invalid_union']],
  ['the first chosen, with a bad member', Either, { a: 'x', n: 'one' }, ['/n invalid_type']],
  ['the first chosen, with an unknown member', Either, { a: 'x', m: 1, n: 'one' }, ['/ unrecognized_keys', '/n invalid_type']],
  ['the second chosen, bad inside', Either, { b: { c: 5 } }, ['/b/c invalid_type']],
  ['the chosen member of the wrong type', Either, { a: 5 }, ['/a invalid_type']],
  ['within a list, at its place', Nested, { list: [{ a: 'x' }, { b: { c: 5 } }] }, ['/list/1/b/c invalid_type']],
  ['within a list, neither', Nested, { list: [{}] }, ['/list/0 invalid_union']],
  ['a value refused as a whole: the union, which names what is allowed', OneOrMany, 'c', ['/ invalid_union']],
];

for (const [name, schema, input, expected] of cases) {
  t.test(name, async (t) => {
    t.same(reported(schema, input).sort(), expected.sort());
  });
}

t.test('issues that are not about a union pass through as they are', async (t) => {
  const issue = { path: ['x'], code: 'too_small', message: 'Too small' };
  t.same(issuesToReport(issue, { x: '' }), [issue]);
});
