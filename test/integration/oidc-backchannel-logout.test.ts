/**
 * OpenID Connect Back-Channel Logout (issue 18): when a person's session ends
 * at the provider, the provider posts a signed logout token and the sessions
 * it names end here at once. The whole flow against a real provider
 * (oidc-provider in process: the person signs out on its own page and it posts
 * the token through a loopback relay to the app), then every check of the
 * token with tokens signed by the provider's key, or forged.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { CookieJar, signInAtProvider, signInEnv, signOutAtProvider, startProvider } from '../helpers/oidc-provider.js';

const APP = 'http://app.test';
/** The app, once built (the provider is started first: the app's configuration names it). */
const built: { app?: TestApp } = {};
const delivered: number[] = [];

const provider = await startProvider({
  appBaseUrl: APP,
  customClaims: ['roles', 'org'],
  accounts: {
    'p-rrk': { name: 'Priya Procurement', roles: ['trace-procurement'], org: 'RRK' },
    'q-rrk': { name: 'Quinn Procurement', roles: ['trace-procurement'], org: 'RRK' },
  },
  backchannelLogout: async (form) => {
    if (!built.app) return 503;
    const res = await built.app.request({ method: 'POST', url: '/auth/backchannel-logout', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form });
    delivered.push(res.statusCode);
    return res.statusCode;
  },
});
t.teardown(() => provider.close());

const theApp = await buildTestApp(t, {
  env: signInEnv(APP, provider, { 'trace-procurement': 'procurement' }),
});
built.app = theApp;
await theApp.request({ method: 'POST', url: '/v1/organisations', key: theApp.adminKey, payload: { odsCode: 'RRK', name: 'Royal Rook Trust' } });

const cookieOf = (res: LightMyRequestResponse, name: string) => (res.cookies as Array<{ name: string; value: string }>).find((c) => c.name === name)?.value;

/** Signs in as a browser would, keeping the browser's cookies at the provider in `jar`: the session id. */
async function signIn(account: string, jar = new CookieJar()): Promise<string> {
  const login = await theApp.request({ method: 'GET', url: '/auth/login' });
  const back = await signInAtProvider(String(login.headers.location), account, jar);
  const callback = await theApp.request({ method: 'GET', url: `${back.pathname}${back.search}`, cookies: { it_sign_in: cookieOf(login, 'it_sign_in') ?? '' } });
  const id = cookieOf(callback, 'it_session');
  if (callback.statusCode !== 303 || id === undefined) throw new Error(`sign-in: ${callback.statusCode} ${callback.body}`);
  return id;
}
const alive = async (id: string) => (await theApp.request({ method: 'GET', url: '/v1/me', cookies: { it_session: id } })).statusCode === 200;
const post = (form: Record<string, string>) =>
  theApp.request({ method: 'POST', url: '/auth/backchannel-logout', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(form).toString() });
const sidOf = async (id: string) => {
  const { hashId } = await import('../../src/modules/sign-in/sign-in.service.js');
  const row = await theApp.db.selectFrom('sessions').select('provider_sid').where('id_hash', '=', hashId(id)).executeTakeFirstOrThrow();
  return row.provider_sid;
};

t.test('the person signs out at the provider: the provider posts a logout token and the session ends here', async (t) => {
  const jar = new CookieJar();
  const id = await signIn('p-rrk', jar);
  const other = await signIn('q-rrk');
  t.ok(await alive(id));
  t.ok(await sidOf(id), "the provider's session id is kept with the session");
  await signOutAtProvider(provider.issuer, jar);
  for (let wait = 0; wait < 40 && (await alive(id)); wait++) await new Promise((r) => setTimeout(r, 50));
  t.notOk(await alive(id), 'ended here too');
  t.same(delivered, [200], 'one logout token, accepted');
  t.ok(await alive(other), "another person's session goes on");
  const audit = await theApp.db.selectFrom('audit_events').select(['action', 'actor_person_subject', 'detail']).where('action', '=', 'sign-out.provider').execute();
  t.match(audit, [{ actor_person_subject: 'p-rrk', detail: { sessions: 1, bySession: true } }]);
});

t.test('a token with only sub ends every session of the person; with sid, only those begun in that provider session', async (t) => {
  const first = await signIn('q-rrk');
  const second = await signIn('q-rrk');
  const sid = await sidOf(second);
  t.ok(sid);
  const bySid = await post({ logout_token: await provider.logoutToken({ sid }) });
  t.equal(bySid.statusCode, 200, bySid.body);
  t.equal(bySid.headers['cache-control'], 'no-store');
  t.notOk(await alive(second), 'the session begun in that provider session ended');
  t.ok(await alive(first), 'the other one (another provider session) goes on');
  const bySub = await post({ logout_token: await provider.logoutToken({ sub: 'q-rrk' }) });
  t.equal(bySub.statusCode, 200);
  t.notOk(await alive(first), 'every session of the person');
  const none = await post({ logout_token: await provider.logoutToken({ sub: 'nobody-here' }) });
  t.equal(none.statusCode, 200, 'no session to end is a success too');
});

t.test('a token that does not pass every check ends nothing', async (t) => {
  const id = await signIn('p-rrk');
  const now = Math.floor(Date.now() / 1000);
  const { privateKey: stranger } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cases: Array<[string, Promise<string> | string]> = [
    ['signed by another key', provider.logoutToken({ sub: 'p-rrk' }, stranger)],
    ['for another client', provider.logoutToken({ sub: 'p-rrk', aud: 'someone-else' })],
    ['from another issuer', provider.logoutToken({ sub: 'p-rrk', iss: 'https://idp.evil.example' })],
    ['too old', provider.logoutToken({ sub: 'p-rrk', iat: now - 600 })],
    ['from the future', provider.logoutToken({ sub: 'p-rrk', iat: now + 600 })],
    ['expired', provider.logoutToken({ sub: 'p-rrk', exp: now - 120 })],
    ['without the logout event', provider.logoutToken({ sub: 'p-rrk', events: null })],
    ['with another event', provider.logoutToken({ sub: 'p-rrk', events: { 'http://schemas.openid.net/event/other': {} } })],
    ['with a nonce (an ID token)', provider.logoutToken({ sub: 'p-rrk', nonce: 'n-1' })],
    ['naming nobody', provider.logoutToken({})],
    ['without a jti', provider.logoutToken({ sub: 'p-rrk', jti: null })],
    ['not a JWT', 'not-a-token'],
  ];
  for (const [what, token] of cases) {
    const res = await post({ logout_token: await token });
    t.equal(res.statusCode, 400, `${what}: 400`);
    t.equal(res.json<{ error: string }>().error, 'invalid_request', what);
  }
  t.ok(await alive(id), 'the session goes on after every refusal');

  const missing = await post({});
  t.equal(missing.json<{ error: string; error_description: string }>().error_description, 'logout_token is required.');
  const json = await theApp.request({ method: 'POST', url: '/auth/backchannel-logout', payload: { logout_token: 'x' } });
  t.equal(json.statusCode, 415, 'form bodies only');
  t.equal(json.json<{ error: string }>().error, 'invalid_request');

  // The same token twice: the second is a replay, refused, whatever it would have ended.
  const token = await provider.logoutToken({ sub: 'p-rrk' });
  t.equal((await post({ logout_token: token })).statusCode, 200);
  t.notOk(await alive(id));
  const again = await signIn('p-rrk');
  const replay = await post({ logout_token: token });
  t.equal(replay.statusCode, 400);
  t.match(replay.json<{ error_description: string }>().error_description, /replay/);
  t.ok(await alive(again), 'a replayed token ends nothing');
});

t.test('without sign-in configured, the endpoint refuses in OAuth words', async (t) => {
  const plain = await buildTestApp(t);
  const res = await plain.request({ method: 'POST', url: '/auth/backchannel-logout', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'logout_token=x' });
  t.equal(res.statusCode, 400);
  t.equal(res.json<{ error: string }>().error, 'invalid_request');
});
