import t from 'tap';
import { issueAt, reasonProblem } from '../../../src/console/shared/reason.js';
import { ReasonSchema } from '../../../src/shared/schemas.js';

t.test('a reason in words: the device checks the service’s rule (at least 3 letters or digits, any script)', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['', false],
    ['   ', false],
    ['.', false],
    ['...', false],
    ['\u200b\u200b\u200b', false],
    ['a.b', false],
    ['ab1', true],
    [' Scanned twice ', true],
    ['Ошибка', true],
    ['患者取', true],
    ['١٢٣', true],
    ['x'.repeat(500), true],
    ['x'.repeat(501), false],
  ];
  for (const [text, ok] of cases) {
    t.equal(reasonProblem(text) === null, ok, `${JSON.stringify(text.slice(0, 12))}${text.length > 12 ? '…' : ''}: ${ok ? 'accepted' : 'refused'}`);
    t.equal(ReasonSchema.safeParse(text).success, ok, 'as the service decides');
  }
  t.match(reasonProblem('.'), /at least 3 letters or digits/);
  t.match(reasonProblem(''), /Give the reason/);
});

t.test('the service’s message for a field, by its pointer', async (t) => {
  const problem = { errors: [{ pointer: '/reason', message: 'must say why in words (at least 3 letters or digits)' }, { pointer: '/disposition', message: 'Say what became of it.' }] };
  t.equal(issueAt(problem, '/reason'), 'Must say why in words (at least 3 letters or digits).');
  t.equal(issueAt(problem, '/disposition'), 'Say what became of it.');
  t.equal(issueAt(problem, '/outcome'), null);
  t.equal(issueAt({}, '/reason'), null);
});
