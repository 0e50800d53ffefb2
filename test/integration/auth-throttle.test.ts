import { sql } from 'kysely';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { AuthThrottle } from '../../src/plugins/auth-throttle.js';
import { throttleClient } from '../../src/plugins/auth.js';
import type { Clock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys, type TestApp } from '../helpers/app.js';

/** A clock the test moves by hand. */
function manualClock(start = '2026-03-02T09:00:00.000Z'): Clock & { advance(ms: number): void } {
  let now = new Date(start).getTime();
  return { now: () => new Date(now), advance: (ms) => void (now += ms) };
}

const ATTACKER = '203.0.113.7';
const NEIGHBOUR = '198.51.100.20';
const LIMIT = 5;

async function me(app: TestApp, remoteAddress: string, authorization?: string) {
  return app.request({ method: 'GET', url: '/v1/me', remoteAddress, headers: authorization === undefined ? {} : { authorization } });
}

t.test('failed authentication is limited per client, before the key lookup', async (t) => {
  const clock = manualClock();
  const app = await buildTestApp(t, { clock, env: { AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: '60' } });
  const org = await createOrganisationWithKeys(app, 'RTH');
  const revoke = await app.request({ method: 'DELETE', url: `/v1/api-keys/${org.keyIds.registry}`, key: app.adminKey });
  t.equal(revoke.statusCode, 204);
  const guesses = ['itk_guess-number-one-aaaaaaaaaaaaaaaa', 'itk_guess-number-two-bbbbbbbbbbbbbbbb'];

  // Every kind of failure counts: missing, malformed, unknown, revoked.
  const failures: Array<string | undefined> = [undefined, 'Basic dXNlcjpwYXNz', `Bearer ${guesses[0]}`, `Bearer ${org.keys.registry}`, `Bearer ${guesses[1]}`];
  t.equal(failures.length, LIMIT);
  for (const authorization of failures) {
    const res = await me(app, ATTACKER, authorization);
    t.equal(res.statusCode, 401, `failure ${String(authorization).slice(0, 14)} is still a 401`);
  }

  t.test('the next request is 429 RATE_LIMITED with Retry-After, even with a valid key', async (t) => {
    for (const authorization of [`Bearer ${guesses[0]}`, `Bearer ${org.keys.scanner}`, undefined]) {
      const res = await me(app, ATTACKER, authorization);
      t.equal(res.statusCode, 429);
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      t.equal(res.headers['retry-after'], '60');
      t.match(res.json(), { code: 'RATE_LIMITED', status: 429, type: '/problems/RATE_LIMITED', instance: res.headers['x-request-id'] });
    }
    clock.advance(45_000);
    const later = await me(app, ATTACKER, `Bearer ${guesses[0]}`);
    t.equal(later.statusCode, 429);
    t.equal(later.headers['retry-after'], '15', 'Retry-After counts down with the clock');
  });

  t.test('a throttled client never reaches the database: the key table can be gone', async (t) => {
    await sql`ALTER TABLE api_keys RENAME TO api_keys_hidden`.execute(app.db);
    try {
      const res = await me(app, ATTACKER, `Bearer ${guesses[1]}`);
      t.equal(res.statusCode, 429, 'refused without a key lookup (a lookup would fail with 500)');
      const control = await me(app, NEIGHBOUR, `Bearer ${guesses[1]}`);
      t.equal(control.statusCode, 500, 'control: a client that is not throttled does look the key up');
    } finally {
      await sql`ALTER TABLE api_keys_hidden RENAME TO api_keys`.execute(app.db);
    }
  });

  t.test('other clients are unaffected', async (t) => {
    const ok = await me(app, NEIGHBOUR, `Bearer ${org.keys.scanner}`);
    t.equal(ok.statusCode, 200);
    const wrong = await me(app, NEIGHBOUR, `Bearer ${guesses[0]}`);
    t.equal(wrong.statusCode, 401, 'another client has its own count');
  });

  t.test('public routes stay open to a throttled client', async (t) => {
    t.equal((await app.request({ method: 'GET', url: '/health', remoteAddress: ATTACKER })).statusCode, 200);
  });

  t.test('the throttle is logged once, with the client address and never the key', async (t) => {
    const throttled = app.logs.filter((l) => l.msg === 'authentication throttled');
    t.equal(throttled.length, 1, 'one line for the episode, not one per refused request');
    t.match(throttled[0], { level: 40, ip: ATTACKER, failures: LIMIT, windowSeconds: 60 });
    const raw = app.rawLogs();
    for (const secret of [...guesses, ...Object.values(org.keys), app.adminKey, 'dXNlcjpwYXNz']) t.notOk(raw.includes(secret), 'no presented key in the logs');
  });

  t.test('once the window has passed the client may try again', async (t) => {
    clock.advance(15_000);
    t.equal((await me(app, ATTACKER, `Bearer ${org.keys.scanner}`)).statusCode, 200);
    t.equal((await me(app, ATTACKER, `Bearer ${guesses[0]}`)).statusCode, 401);
  });
});

t.test('a success in between does not reset the count (a valid low key cannot launder guesses)', async (t) => {
  const clock = manualClock();
  const app = await buildTestApp(t, { clock, env: { AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '60' } });
  const org = await createOrganisationWithKeys(app, 'RTS');
  const steps: Array<[string, number]> = [
    ['itk_wrong-1', 401],
    [org.keys.scanner, 200],
    ['itk_wrong-2', 401],
    [org.keys.scanner, 200],
    ['itk_wrong-3', 401],
    [org.keys.scanner, 429],
  ];
  for (const [key, status] of steps) t.equal((await me(app, ATTACKER, `Bearer ${key}`)).statusCode, status);
});

t.test('failures older than the window are forgotten (sliding window)', async (t) => {
  const clock = manualClock();
  const app = await buildTestApp(t, { clock, env: { AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '60' } });
  for (let i = 0; i < 10; i++) {
    t.equal((await me(app, ATTACKER, 'Bearer itk_slow-guess')).statusCode, 401, `slow guess ${i}`);
    clock.advance(30_001);
  }
});

t.test('a wrong role is not an authentication failure', async (t) => {
  const app = await buildTestApp(t, { env: { AUTH_FAILURE_LIMIT: '2' } });
  const org = await createOrganisationWithKeys(app, 'RTR');
  for (let i = 0; i < 5; i++) {
    const res = await app.request({ method: 'GET', url: '/v1/organisations', key: org.keys.scanner, remoteAddress: ATTACKER });
    t.equal(res.statusCode, 403);
  }
});

t.test('the default limit is 20 failures a minute', async (t) => {
  const config = loadConfig({});
  t.equal(config.authFailureLimit, 20);
  t.equal(config.authFailureWindowSeconds, 60);
  const app = await buildTestApp(t);
  for (let i = 0; i < 20; i++) t.equal((await me(app, ATTACKER, `Bearer itk_guess-${i}`)).statusCode, 401);
  t.equal((await me(app, ATTACKER, 'Bearer itk_guess-20')).statusCode, 429);
});

t.test('the OpenAPI document lists the 429 on authenticated routes only', async (t) => {
  const app = await buildTestApp(t);
  await app.app.ready();
  const doc = app.app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  t.ok(doc.paths['/v1/me']?.get?.responses['429'], 'GET /v1/me documents 429');
  t.ok(doc.paths['/v1/procedures/{id}']?.get?.responses['429'], 'GET /v1/procedures/{id} documents 429');
  t.notOk(doc.paths['/health']?.get?.responses['429'], 'a public route does not');
});

t.test('AuthThrottle: memory is bounded, the least recently failing client is evicted', async (t) => {
  const clock = manualClock();
  const throttle = new AuthThrottle({ maxFailures: 2, windowMs: 60_000, maxClients: 3, clock });
  for (const ip of ['a', 'b', 'c']) throttle.recordFailure(ip);
  throttle.recordFailure('a'); // a is now throttled, and the most recent
  t.equal(throttle.size, 3);
  t.ok(throttle.check('a').throttled);
  throttle.recordFailure('d'); // evicts b, the least recently failing
  t.equal(throttle.size, 3, 'never more than maxClients');
  t.equal(throttle.failuresOf('b'), 0, 'b was forgotten');
  t.equal(throttle.failuresOf('c'), 1, 'c kept its failure');
  t.ok(throttle.check('a').throttled, 'a is still throttled');
  throttle.recordFailure('b');
  t.notOk(throttle.check('b').throttled, "b's earlier failure does not count any more");
  for (let i = 0; i < 1000; i++) throttle.recordFailure(`10.0.${Math.floor(i / 256)}.${i % 256}`);
  t.equal(throttle.size, 3, 'a spray of addresses cannot grow the table');
});

t.test('AuthThrottle: per client it keeps at most maxFailures timestamps', async (t) => {
  const clock = manualClock();
  const throttle = new AuthThrottle({ maxFailures: 4, windowMs: 1000, maxClients: 10, clock });
  for (let i = 0; i < 100; i++) {
    throttle.recordFailure('x');
    clock.advance(300);
  }
  t.ok(throttle.failuresOf('x') <= 4);
});

t.test('IPv6 clients are counted per /64, IPv4-mapped addresses as IPv4', async (t) => {
  t.equal(throttleClient('203.0.113.7'), '203.0.113.7');
  t.equal(throttleClient('::ffff:203.0.113.7'), '203.0.113.7');
  t.equal(throttleClient('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(throttleClient('2001:0db8:0001:0002:ffff:1:2:3'), '2001:db8:1:2::/64');
  t.equal(throttleClient('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(throttleClient('::1'), '0:0:0:0::/64');
  t.equal(throttleClient('fe80::1%eth0'), 'fe80:0:0:0::/64');

  const app = await buildTestApp(t, { env: { AUTH_FAILURE_LIMIT: '2' } });
  t.equal((await me(app, '2001:db8:1:2::10', 'Bearer itk_v6-guess')).statusCode, 401);
  t.equal((await me(app, '2001:db8:1:2::11', 'Bearer itk_v6-guess')).statusCode, 401);
  t.equal((await me(app, '2001:db8:1:2::12', 'Bearer itk_v6-guess')).statusCode, 429, 'a new address in the same /64 is still throttled');
  t.equal((await me(app, '2001:db8:1:3::12', 'Bearer itk_v6-guess')).statusCode, 401, 'another /64 is another client');
});

t.test('behind a trusted proxy, clients are told apart by X-Forwarded-For; untrusted, the header is ignored', async (t) => {
  const PROXY = '10.0.0.5';
  const fail = (app: TestApp, forwardedFor: string) =>
    app.request({ method: 'GET', url: '/v1/me', remoteAddress: PROXY, headers: { authorization: 'Bearer wrong', 'x-forwarded-for': forwardedFor } });

  const trusted = await buildTestApp(t, { env: { AUTH_FAILURE_LIMIT: '2', TRUST_PROXY: PROXY } });
  await fail(trusted, '203.0.113.7');
  await fail(trusted, '203.0.113.7');
  t.equal((await fail(trusted, '203.0.113.7')).statusCode, 429, 'the guessing client is throttled');
  t.equal((await fail(trusted, '198.51.100.9')).statusCode, 401, 'another client behind the same proxy is not');

  const untrusted = await buildTestApp(t, { env: { AUTH_FAILURE_LIMIT: '2' } });
  await fail(untrusted, '203.0.113.7');
  await fail(untrusted, '198.51.100.1');
  t.equal((await fail(untrusted, '198.51.100.2')).statusCode, 429, 'a forged header does not escape the limit');
});
