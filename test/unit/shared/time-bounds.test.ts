import t from 'tap';
import { readCalendarDate, readInstant } from '../../../src/db/create-db.js';
import { CLOCK_SKEW_MS, dateInCalendarBounds, instantInCalendarBounds, OFFLINE_QUEUE_MAX_MS, procedureStartIssue, scanTimeIssue } from '../../../src/shared/time-bounds.js';

const NOW = new Date('2026-11-21T09:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);

t.test('calendar bounds: 1900-01-01 to 2099-12-31', async (t) => {
  for (const [date, ok] of [['1900-01-01', true], ['2099-12-31', true], ['1899-12-31', false], ['2100-01-01', false], ['0000-01-01', false], ['2026-1-1', false]] as const) {
    t.equal(dateInCalendarBounds(date), ok, date);
  }
  for (const [instant, ok] of [
    ['1900-01-01T00:00:00Z', true],
    ['2099-12-31T23:59:59.999Z', true],
    ['1899-12-31T23:59:59Z', false],
    ['9999-12-31T23:00:00-05:00', false],
    ['2099-12-31T23:00:00-05:00', false],
  ] as const) {
    t.equal(instantInCalendarBounds(Date.parse(instant)), ok, instant);
  }
  t.equal(instantInCalendarBounds(Number.NaN), false);
});

t.test('a scan: not in the future, not before its procedure, not older than an offline queue holds', async (t) => {
  const started = at(-3_600_000);
  t.equal(scanTimeIssue(NOW, NOW, started), undefined);
  t.equal(scanTimeIssue(at(CLOCK_SKEW_MS), NOW, started), undefined, 'a clock a little ahead');
  t.match(scanTimeIssue(at(CLOCK_SKEW_MS + 1), NOW, started), { message: /in the future/ });
  t.equal(scanTimeIssue(at(-3_600_000 - CLOCK_SKEW_MS), NOW, started), undefined, 'a clock a little behind the procedure’s');
  t.match(scanTimeIssue(at(-3_600_000 - CLOCK_SKEW_MS - 1), NOW, started), { message: /before the procedure started/ });
  const longAgo = at(-30 * 24 * 3_600_000);
  t.equal(scanTimeIssue(at(-OFFLINE_QUEUE_MAX_MS), NOW, longAgo), undefined, 'queued for the longest time allowed');
  t.match(scanTimeIssue(at(-OFFLINE_QUEUE_MAX_MS - 1), NOW, longAgo), { message: /more than 7 days ago/ });
});

t.test('a procedure start: not in the future; long past is allowed', async (t) => {
  t.equal(procedureStartIssue(at(CLOCK_SKEW_MS), NOW), undefined);
  t.match(procedureStartIssue(at(CLOCK_SKEW_MS + 1), NOW), { message: /in the future/ });
  t.equal(procedureStartIssue(new Date('1990-01-01T00:00:00Z'), NOW), undefined);
});

t.test('reading what Postgres stores: never a time the API cannot show', async (t) => {
  t.equal(readInstant(new Date('2026-11-21T09:00:00Z')).toISOString(), '2026-11-21T09:00:00.000Z');
  t.equal(readInstant(Infinity).toISOString(), '9999-12-31T23:59:59.999Z');
  t.equal(readInstant(-Infinity).toISOString(), '0001-01-01T00:00:00.000Z');
  t.equal(readInstant(new Date(Date.UTC(10000, 0, 1))).toISOString(), '9999-12-31T23:59:59.999Z');
  t.equal(readInstant(new Date(Number.NaN)).toISOString(), '9999-12-31T23:59:59.999Z');
  t.equal(readInstant(new Date('-004712-01-01T00:00:00Z')).toISOString(), '0001-01-01T00:00:00.000Z');
  t.equal(readInstant('not a date').toISOString(), '9999-12-31T23:59:59.999Z');
  for (const [text, read] of [
    ['2026-11-21', '2026-11-21'],
    ['infinity', '9999-12-31'],
    ['-infinity', '0001-01-01'],
    ['10000-01-01', '9999-12-31'],
    ['4713-01-01 BC', '0001-01-01'],
    ['0000-01-01', '0001-01-01'],
  ] as const) {
    t.equal(readCalendarDate(text), read, text);
  }
});
