import t from 'tap';
import { isDatabaseUnavailable, isUniqueViolation } from '../../../src/db/errors.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

t.test('connection failures count as "database unavailable"', async (t) => {
  t.ok(isDatabaseUnavailable(withCode('ECONNREFUSED')));
  t.ok(isDatabaseUnavailable(withCode('08006')), 'SQLSTATE class 08: connection exception');
  t.ok(isDatabaseUnavailable(withCode('57P01')), 'admin shutdown');
  t.ok(isDatabaseUnavailable(withCode('53300')), 'too many connections');
  t.ok(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')));
  t.ok(isDatabaseUnavailable(new Error('wrapped', { cause: withCode('ECONNRESET') })), 'through a cause');
  t.ok(isDatabaseUnavailable(new AggregateError([withCode('ECONNREFUSED')], 'all failed')), 'any of an AggregateError');
});

t.test('other errors do not', async (t) => {
  t.notOk(isDatabaseUnavailable(withCode('23505')), 'unique violation');
  t.notOk(isDatabaseUnavailable(withCode('42P01')), 'undefined table');
  t.notOk(isDatabaseUnavailable(new Error('boom')));
  t.notOk(isDatabaseUnavailable('not an error'));
  t.notOk(isDatabaseUnavailable(undefined));
});

t.test('unique violations, optionally on a named constraint', async (t) => {
  const e = Object.assign(withCode('23505'), { constraint: 'organisations_ods_code_key' });
  t.ok(isUniqueViolation(e));
  t.ok(isUniqueViolation(e, 'organisations_ods_code_key'));
  t.notOk(isUniqueViolation(e, 'other'));
  t.notOk(isUniqueViolation(withCode('23503')));
  t.notOk(isUniqueViolation(null));
});
