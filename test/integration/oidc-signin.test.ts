import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import type { Clock } from '../../src/shared/clock.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { signInAtProvider, signInEnv, startProvider, type TestProvider } from '../helpers/oidc-provider.js';

/**
 * Staff sign in as themselves (issue 18): the full Authorization Code + PKCE flow
 * against a real OpenID Provider (oidc-provider, in process, over HTTP on a
 * loopback port), the browser played by hand; sessions, CSRF, timeouts by the
 * service's clock, sign-out, and two instances on one database.
 */
const APP = 'http://app.test';

const provider: TestProvider = await startProvider({
  appBaseUrl: APP,
  customClaims: ['roles', 'org'],
  accounts: {
    'n-admin': { name: 'Nadia National', roles: ['trace-national-admin'] },
    'p-rrk': { name: 'Priya Procurement', roles: ['trace-procurement'], org: 'RRK' },
    'two-roles': { name: 'Tomás Two-Roles', roles: ['trace-procurement', 'trace-admin', 'unrelated'], org: 'RRK' },
    'no-role': { name: 'Nobody Mapped', roles: ['visitor'], org: 'RRK' },
    'other-org': { name: 'Olu Elsewhere', roles: ['trace-procurement'], org: 'ZZZ9' },
  },
});
t.teardown(() => provider.close());

const env = signInEnv(APP, provider, { 'trace-procurement': 'procurement', 'trace-admin': 'admin', 'trace-national-admin': { role: 'admin', national: true } });

let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
const first = await buildTestApp(t, { env, clock });
const rrk = await first.request({ method: 'POST', url: '/v1/organisations', key: first.adminKey, payload: { odsCode: 'RRK', name: 'Royal Rook Trust' } });
t.equal(rrk.statusCode, 201);

function cookieOf(res: LightMyRequestResponse, name: string): string | undefined {
  const found = (res.cookies as Array<{ name: string; value: string }>).find((c) => c.name === name);
  return found?.value === '' ? undefined : found?.value;
}

/** The whole flow, as a browser: login → provider → callback. The callback's answer. */
async function signIn(app: TestApp, account: string, returnTo = '/console/recalls'): Promise<LightMyRequestResponse> {
  const login = await app.request({ method: 'GET', url: `/auth/login?returnTo=${encodeURIComponent(returnTo)}` });
  if (login.statusCode !== 303) throw new Error(`login: ${login.statusCode} ${login.body}`);
  const location = String(login.headers.location);
  const authUrl = new URL(location);
  t.equal(authUrl.origin, provider.issuer, 'to the provider');
  t.equal(authUrl.searchParams.get('code_challenge_method'), 'S256', 'PKCE S256');
  t.ok(authUrl.searchParams.get('state') && authUrl.searchParams.get('nonce'), 'state and nonce');
  const attempt = cookieOf(login, 'it_sign_in');
  const back = await signInAtProvider(location, account);
  t.equal(back.origin + back.pathname, `${APP}/auth/callback`);
  return app.request({ method: 'GET', url: `${back.pathname}${back.search}`, cookies: attempt === undefined ? {} : { it_sign_in: attempt } });
}

async function session(app: TestApp, account: string): Promise<string> {
  const res = await signIn(app, account);
  if (res.statusCode !== 303) throw new Error(`callback: ${res.statusCode} ${res.body}`);
  const id = cookieOf(res, 'it_session');
  if (id === undefined) throw new Error('no session cookie');
  return id;
}

const me = (app: TestApp, id: string) => app.request({ method: 'GET', url: '/v1/me', cookies: { it_session: id } });

t.test('a person with a mapped role signs in; what they write is audited under their name and subject', async (t) => {
  const res = await signIn(first, 'n-admin');
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `${APP}/console/recalls`, 'back where they started');
  const cookie = (res.cookies as Array<{ name: string; httpOnly?: boolean; sameSite?: string; path?: string }>).find((c) => c.name === 'it_session');
  t.ok(cookie?.httpOnly, 'HttpOnly');
  t.equal(cookie?.sameSite, 'Strict');
  t.equal(cookie?.path, '/');
  const id = cookieOf(res, 'it_session') ?? '';
  const who = await me(first, id);
  t.equal(who.statusCode, 200);
  const body = who.json<{ role: string; national: boolean; keyId: string; person: { subject: string; name: string; provider: string }; csrfToken: string }>();
  t.match(body, { role: 'admin', national: true, person: { subject: 'n-admin', name: 'Nadia National', provider: provider.issuer } });
  t.type(body.csrfToken, 'string');

  const created = await first.request({
    method: 'POST',
    url: '/v1/organisations',
    cookies: { it_session: id },
    headers: { 'x-csrf-token': body.csrfToken },
    payload: { odsCode: 'RXN', name: 'Signed-in Trust' },
  });
  t.equal(created.statusCode, 201, created.body);
  const audit = await first.db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', 'organisation.create')
    .where('actor_key_id', '=', body.keyId)
    .executeTakeFirstOrThrow();
  t.match(audit, { actor_person_subject: 'n-admin', actor_person_name: 'Nadia National', actor_person_issuer: provider.issuer, actor_role: 'admin' });
  // The principal is a row of api_keys that no key can match: its prefix says so, its hash is of bytes nobody has.
  const principal = await first.db.selectFrom('api_keys').selectAll().where('id', '=', body.keyId).executeTakeFirstOrThrow();
  t.match(principal, { key_prefix: 'person', name: 'Nadia National', national: true, role: 'admin' });
  const signedIn = await first.db.selectFrom('audit_events').selectAll().where('action', '=', 'sign-in').where('actor_key_id', '=', body.keyId).execute();
  t.ok(signedIn.length >= 1, 'the sign-in itself is audited');

  // The same person signing in again acts as the same principal.
  const again = await session(first, 'n-admin');
  t.equal((await me(first, again)).json<{ keyId: string }>().keyId, body.keyId);
});

t.test('CSRF: a change made with a session needs its token; a key needs none', async (t) => {
  const id = await session(first, 'p-rrk');
  const token = (await me(first, id)).json<{ csrfToken: string }>().csrfToken;
  const put = (headers: Record<string, string>) =>
    first.request({ method: 'PUT', url: '/v1/products/09506000134352', cookies: { it_session: id }, headers, payload: { brand: 'Aster', description: 'Aster stem' } });
  const missing = await put({});
  t.equal(missing.statusCode, 403);
  t.equal(missing.json<{ code: string }>().code, 'CSRF_INVALID');
  const wrong = await put({ 'x-csrf-token': `${token.slice(0, -2)}xx` });
  t.equal(wrong.json<{ code: string }>().code, 'CSRF_INVALID');
  const other = await session(first, 'p-rrk');
  const othersToken = (await me(first, other)).json<{ csrfToken: string }>().csrfToken;
  t.equal((await put({ 'x-csrf-token': othersToken })).json<{ code: string }>().code, 'CSRF_INVALID', "another session's token is refused");
  const ok = await put({ 'x-csrf-token': token });
  t.ok(ok.statusCode === 200 || ok.statusCode === 201, ok.body);
  const audit = await first.db.selectFrom('audit_events').select(['actor_person_subject', 'actor_person_name']).where('route', '=', 'PUT /v1/products/:gtin').orderBy('id', 'desc').executeTakeFirst();
  if (audit) t.same(audit, { actor_person_subject: 'p-rrk', actor_person_name: 'Priya Procurement' });
  // Reads need no token.
  t.equal((await first.request({ method: 'GET', url: '/v1/products/09506000134352', cookies: { it_session: id } })).statusCode, 200);
  // A key in the Authorization header wins over a cookie and needs no CSRF token.
  const byKey = await first.request({ method: 'GET', url: '/v1/me', key: first.adminKey, cookies: { it_session: id } });
  t.equal(byKey.json<{ person?: unknown }>().person, undefined);
  // A role the route does not admit is still refused.
  const forbidden = await first.request({ method: 'POST', url: '/v1/organisations', cookies: { it_session: id }, headers: { 'x-csrf-token': token }, payload: { odsCode: 'RZZ', name: 'x' } });
  t.equal(forbidden.statusCode, 403);
  t.equal(forbidden.json<{ code: string }>().code, 'FORBIDDEN');
});

t.test('a person with no mapped role, or only roles in unregistered organisations, is refused: never a default role', async (t) => {
  for (const account of ['no-role', 'other-org']) {
    const res = await signIn(first, account);
    t.equal(res.statusCode, 403, account);
    t.equal(res.json<{ code: string }>().code, 'SIGN_IN_NO_ROLE');
    t.equal(cookieOf(res, 'it_session'), undefined, 'no session');
  }
  const refused = await first.db.selectFrom('audit_events').selectAll().where('action', '=', 'sign-in.refused').execute();
  t.same(refused.map((r) => r.actor_person_subject).sort(), ['no-role', 'other-org']);
  t.match(refused.find((r) => r.actor_person_subject === 'other-org')?.detail, { unknownOrganisations: ['ZZZ9'] });
  const principals = await first.db.selectFrom('person_principals as pp').innerJoin('people as p', 'p.id', 'pp.person_id').select('p.subject').where('p.subject', 'in', ['no-role', 'other-org']).execute();
  t.same(principals, [], 'no principal made');
});

t.test('a browser refused at the callback is sent back to the page it started from, which says why; a script gets the problem', async (t) => {
  const login = await first.request({ method: 'GET', url: `/auth/login?returnTo=${encodeURIComponent('/console/recalls#/safety')}` });
  const back = await signInAtProvider(String(login.headers.location), 'no-role');
  const res = await first.request({
    method: 'GET',
    url: `${back.pathname}${back.search}`,
    cookies: { it_sign_in: cookieOf(login, 'it_sign_in') ?? '' },
    headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
  });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `${APP}/console/recalls?sign-in=SIGN_IN_NO_ROLE#/safety`);
  t.equal(cookieOf(res, 'it_session'), undefined, 'no session');
});

t.test('several role profiles: the person chooses one; the session then gets a new id', async (t) => {
  const id = await session(first, 'two-roles');
  const before = await me(first, id);
  t.equal(before.statusCode, 403);
  t.equal(before.json<{ code: string }>().code, 'PROFILE_REQUIRED');
  const listed = await first.request({ method: 'GET', url: '/auth/profiles', cookies: { it_session: id } });
  t.equal(listed.statusCode, 200);
  const { profiles, csrfToken, current } = listed.json<{ profiles: Array<{ id: string; role: string; organisation: string }>; csrfToken: string; current: string | null }>();
  t.equal(current, null);
  t.same(profiles.map((p) => `${p.role}@${p.organisation}`).sort(), ['admin@RRK', 'procurement@RRK']);
  const procurement = profiles.find((p) => p.role === 'procurement');
  const noToken = await first.request({ method: 'POST', url: '/auth/profile', cookies: { it_session: id }, payload: { profile: procurement?.id } });
  t.equal(noToken.json<{ code: string }>().code, 'CSRF_INVALID');
  const chosen = await first.request({ method: 'POST', url: '/auth/profile', cookies: { it_session: id }, headers: { 'x-csrf-token': csrfToken }, payload: { profile: procurement?.id } });
  t.equal(chosen.statusCode, 200, chosen.body);
  const next = cookieOf(chosen, 'it_session') ?? '';
  t.not(next, id);
  t.equal((await me(first, id)).statusCode, 401, 'the old id no longer works');
  t.match((await me(first, next)).json(), { role: 'procurement', organisation: 'RRK', person: { subject: 'two-roles' } });
  const stranger = await first.request({ method: 'POST', url: '/auth/profile', cookies: { it_session: next }, headers: { 'x-csrf-token': csrfToken }, payload: { profile: '00000000-0000-4000-8000-000000000000' } });
  t.equal(stranger.statusCode, 404);
});

t.test('the sign-in itself: only from the browser that started it, once', async (t) => {
  const login = await first.request({ method: 'GET', url: '/auth/login' });
  const back = await signInAtProvider(String(login.headers.location), 'p-rrk');
  const withoutCookie = await first.request({ method: 'GET', url: `${back.pathname}${back.search}` });
  t.equal(withoutCookie.statusCode, 400);
  t.equal(withoutCookie.json<{ code: string }>().code, 'SIGN_IN_FAILED');
  const attempt = { it_sign_in: cookieOf(login, 'it_sign_in') ?? '' };
  const finished = await first.request({ method: 'GET', url: `${back.pathname}${back.search}`, cookies: attempt });
  t.equal(finished.statusCode, 303, 'with the cookie of the browser that started it');
  const replay = await first.request({ method: 'GET', url: `${back.pathname}${back.search}`, cookies: attempt });
  t.equal(replay.json<{ code: string }>().code, 'SIGN_IN_FAILED', 'the attempt is used up');
  // A browser whose attempt is used up (or expired, or another browser's) has no page to go back to: it gets one that says so.
  const browserReplay = await first.request({ method: 'GET', url: `${back.pathname}${back.search}`, cookies: attempt, headers: { accept: 'text/html,application/xhtml+xml' } });
  t.equal(browserReplay.statusCode, 400);
  t.match(browserReplay.headers['content-type'], /^text\/html/);
  t.match(browserReplay.headers['content-security-policy'], /default-src 'none'/);
  t.match(browserReplay.body, /Sign-in could not be finished/);
  t.match(browserReplay.body, /href="http:\/\/[^"]+\/console\/theatre"/, 'a way back to the consoles');
  t.match(browserReplay.body, /<code>SIGN_IN_FAILED<\/code>/);
  t.notMatch(browserReplay.body, /<script/i, 'no script');
  // Sign-in switched off is not a failed sign-in: a browser gets the problem, as anyone.
  const off = await buildTestApp(t);
  const offCallback = await off.request({ method: 'GET', url: '/auth/callback?code=x&state=y', headers: { accept: 'text/html' } });
  t.equal(offCallback.statusCode, 404);
  t.match(offCallback.headers['content-type'], /problem\+json/);
  const forged = await first.request({ method: 'GET', url: '/auth/callback?code=made-up&state=made-up', cookies: { it_sign_in: 'made-up' } });
  t.equal(forged.json<{ code: string }>().code, 'SIGN_IN_FAILED');
  const offsite = await first.request({ method: 'GET', url: '/auth/login?returnTo=//evil.example/' });
  t.equal(offsite.statusCode, 422, 'returnTo is a path on this service only');
});

t.test('a client that authenticates with a private key (private_key_jwt) signs people in; a wrong key is refused', async (t) => {
  const withoutSecret: Record<string, string> = { ...env };
  delete withoutSecret.OIDC_CLIENT_SECRET;
  const keyEnv = { ...withoutSecret, OIDC_CLIENT_ID: provider.keyClient.clientId, OIDC_CLIENT_PRIVATE_KEY: JSON.stringify(provider.keyClient.privateJwk) };
  const byKey = await buildTestApp(t, { env: keyEnv, clock, db: first.db });
  const done = await signIn(byKey, 'p-rrk');
  t.equal(done.statusCode, 303, done.body);
  const id = cookieOf(done, 'it_session');
  t.ok(id, 'a session');
  const me = await byKey.request({ method: 'GET', url: '/v1/me', cookies: { it_session: id ?? '' } });
  t.match(me.json(), { role: 'procurement', person: { subject: 'p-rrk', name: 'Priya Procurement' } });

  // Another key than the one the provider registered: the provider refuses the client at the token endpoint.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const wrongEnv = { ...keyEnv, OIDC_CLIENT_PRIVATE_KEY: JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'client-key-1', alg: 'ES256' }) };
  const wrong = await buildTestApp(t, { env: wrongEnv, clock, db: first.db });
  const login = await wrong.request({ method: 'GET', url: '/auth/login' });
  const back = await signInAtProvider(String(login.headers.location), 'p-rrk');
  const refused = await wrong.request({ method: 'GET', url: `${back.pathname}${back.search}`, cookies: { it_sign_in: cookieOf(login, 'it_sign_in') ?? '' } });
  t.equal(refused.statusCode, 400);
  t.equal(refused.json<{ code: string }>().code, 'SIGN_IN_FAILED');
  t.notOk(cookieOf(refused, 'it_session'), 'no session');
});

t.test('sessions end when idle and at their absolute limit, by the service clock', async (t) => {
  t.teardown(() => {
    offsetMs = 0;
  });
  const idle = await session(first, 'p-rrk');
  offsetMs += 29 * 60_000;
  t.equal((await me(first, idle)).statusCode, 200, 'used within 30 minutes');
  offsetMs += 29 * 60_000;
  t.equal((await me(first, idle)).statusCode, 200, 'each use counts');
  offsetMs += 31 * 60_000;
  const ended = await me(first, idle);
  t.equal(ended.statusCode, 401, 'idle for 31 minutes');
  t.equal(ended.json<{ code: string }>().code, 'UNAUTHENTICATED');

  const busy = await session(first, 'p-rrk');
  let lastOk = 0;
  for (let minutes = 25; minutes <= 13 * 60; minutes += 25) {
    offsetMs += 25 * 60_000;
    if ((await me(first, busy)).statusCode !== 200) break;
    lastOk = minutes;
  }
  t.ok(lastOk >= 11 * 60 && lastOk < 12 * 60, `ends at 12 hours however used (last answered at ${lastOk} min)`);
});

t.test('sign-out ends the session at once and sends the browser to the provider to end it there', async (t) => {
  const id = await session(first, 'p-rrk');
  const token = (await me(first, id)).json<{ csrfToken: string }>().csrfToken;
  const noToken = await first.request({ method: 'POST', url: '/auth/logout', cookies: { it_session: id } });
  t.equal(noToken.json<{ code: string }>().code, 'CSRF_INVALID');
  const out = await first.request({ method: 'POST', url: '/auth/logout', cookies: { it_session: id }, headers: { 'x-csrf-token': token } });
  t.equal(out.statusCode, 303);
  const to = new URL(String(out.headers.location));
  t.equal(`${to.origin}${to.pathname}`, `${provider.issuer}/session/end`);
  t.ok(to.searchParams.get('id_token_hint'), 'with the ID token as hint');
  t.equal(to.searchParams.get('post_logout_redirect_uri'), `${APP}/console/`);
  t.equal(cookieOf(out, 'it_session'), undefined, 'the cookie is cleared');
  t.equal((await me(first, id)).statusCode, 401, 'the old cookie no longer works');
  const atProvider = await fetch(to, { redirect: 'manual' });
  t.equal(atProvider.status, 200, 'the provider accepts the hint and asks to confirm');
  const audit = await first.db.selectFrom('audit_events').selectAll().where('action', '=', 'sign-out').orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.equal(audit.actor_person_subject, 'p-rrk');
});

t.test('several instances share sessions: one signs in, another serves and ends it', async (t) => {
  const second = await buildTestApp(t, { env, clock, db: first.db });
  const id = await session(first, 'p-rrk');
  const there = await me(second, id);
  t.equal(there.statusCode, 200);
  const token = there.json<{ csrfToken: string }>().csrfToken;
  const out = await second.request({ method: 'POST', url: '/auth/logout', cookies: { it_session: id }, headers: { 'x-csrf-token': token, accept: 'application/json' } });
  t.equal(out.statusCode, 200);
  t.match(out.json(), { redirectTo: `${provider.issuer}/session/end` });
  t.equal((await me(first, id)).statusCode, 401, 'ended on the first instance too');
  // A sign-in started on one instance finishes on another.
  const login = await first.request({ method: 'GET', url: '/auth/login' });
  const back = await signInAtProvider(String(login.headers.location), 'p-rrk');
  const done = await second.request({ method: 'GET', url: `${back.pathname}${back.search}`, cookies: { it_sign_in: cookieOf(login, 'it_sign_in') ?? '' } });
  t.equal(done.statusCode, 303);
});

t.test('without OIDC_ISSUER, sign-in is off and keys work as before', async (t) => {
  const plain = await buildTestApp(t);
  const res = await plain.request({ method: 'GET', url: '/auth/login' });
  t.equal(res.statusCode, 404);
  t.equal(res.json<{ code: string }>().code, 'SIGN_IN_OFF');
  t.equal((await plain.request({ method: 'GET', url: '/v1/me', cookies: { it_session: 'made-up' } })).statusCode, 401);
  t.equal((await plain.request({ method: 'GET', url: '/v1/me', key: plain.adminKey })).statusCode, 200);
});

t.test('the provider down: sessions already open go on, device keys go on', async (t) => {
  const down = await startProvider({ appBaseUrl: APP, customClaims: ['roles', 'org'], accounts: { 'p-rrk': { name: 'Priya Procurement', roles: ['trace-procurement'], org: 'RRK' } } });
  const app = await buildTestApp(t, {
    env: { ...env, OIDC_ISSUER: down.issuer, OIDC_CLIENT_ID: down.clientId, OIDC_CLIENT_SECRET: down.clientSecret },
    clock,
  });
  t.equal((await app.request({ method: 'POST', url: '/v1/organisations', key: app.adminKey, payload: { odsCode: 'RRK', name: 'Royal Rook Trust' } })).statusCode, 201);
  const scannerKey = (await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'Theatre 1 scanner', role: 'scanner', organisation: 'RRK' } })).json<{ key: string }>().key;
  // Signed in while the provider is up (the same flow as above, against this provider).
  const login = await app.request({ method: 'GET', url: '/auth/login?returnTo=%2Fconsole%2Frecalls' });
  const back = await signInAtProvider(String(login.headers.location), 'p-rrk');
  const callback = await app.request({ method: 'GET', url: `${back.pathname}${back.search}`, cookies: { it_sign_in: cookieOf(login, 'it_sign_in') ?? '' } });
  const id = cookieOf(callback, 'it_session');
  if (id === undefined) throw new Error(`no session: ${callback.statusCode} ${callback.body}`);

  await down.close();

  const mine = await me(app, id);
  t.equal(mine.statusCode, 200, 'a session is checked against the database only: the provider is not asked on each request');
  const token = mine.json<{ csrfToken: string }>().csrfToken;
  const write = await app.request({ method: 'PUT', url: '/v1/products/09506000134352', cookies: { it_session: id }, headers: { 'x-csrf-token': token }, payload: { brand: 'Aster' } });
  t.ok(write.statusCode === 200 || write.statusCode === 201, `the signed-in person goes on working: ${write.body}`);
  const opened = await app.request({ method: 'POST', url: '/v1/procedures', key: scannerKey, payload: { patient: { nhsNumber: '9990000018' } } });
  t.equal(opened.statusCode, 201, 'a theatre device key needs no provider');
  const scanned = await app.request({
    method: 'POST',
    url: `/v1/procedures/${opened.json<{ id: string }>().id}/scans`,
    key: scannerKey,
    headers: { 'idempotency-key': 'provider-down-1' },
    payload: { barcode: '0109506000134352' + '10LOT1' },
  });
  t.equal(scanned.statusCode, 201, 'scanning goes on');

  const again = await app.request({ method: 'GET', url: '/auth/login?returnTo=%2Fconsole%2Frecalls' });
  t.equal(again.statusCode, 303, 'a new sign-in is sent to the provider as before (its configuration was read at the first sign-in); it is the provider that cannot answer');
});
