import t from 'tap';
import { createApi, CSRF_HEADER, type Credentials } from '../../../src/console/shared/api.js';

/** A fetch that records what the console sent and answers 200 with an empty object. */
function recorder() {
  const sent: Array<{ path: string; init: RequestInit }> = [];
  const fetchImpl = (async (path: string, init: RequestInit) => {
    sent.push({ path, init });
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { sent, fetchImpl };
}

const headersOf = (init: RequestInit) => init.headers as Record<string, string>;

t.test('a key: Bearer, no CSRF token, and same-origin credentials (a person signed in on the device is named by their cookie)', async (t) => {
  const { sent, fetchImpl } = recorder();
  const api = createApi(() => ({ kind: 'key', key: 'it_scanner_key' }), fetchImpl);
  await api.request('/v1/procedures/x/scans', { method: 'POST', body: { barcode: 'b' } });
  await api.request('/v1/me');
  for (const { init } of sent) {
    t.equal(headersOf(init).authorization, 'Bearer it_scanner_key');
    t.equal(headersOf(init)[CSRF_HEADER], undefined, 'no CSRF token with a key');
    t.equal(init.credentials, 'same-origin', 'the cookie goes with the key, same origin only');
  }
});

t.test('a key given for one call (the sign-in form checking it) wins over a session, with the same credentials', async (t) => {
  const { sent, fetchImpl } = recorder();
  const api = createApi(() => ({ kind: 'session', csrfToken: 'csrf-1' }), fetchImpl);
  await api.request('/v1/me', { method: 'POST', headers: { authorization: 'Bearer typed_key' } });
  const init = sent[0]?.init ?? {};
  t.equal(headersOf(init).authorization, 'Bearer typed_key');
  t.equal(headersOf(init)[CSRF_HEADER], undefined, 'a key needs no CSRF token');
  t.equal(init.credentials, 'same-origin');
});

t.test("a person's session: the cookie, no Authorization, and the CSRF token on every change", async (t) => {
  const { sent, fetchImpl } = recorder();
  const credentials: Credentials = { kind: 'session', csrfToken: 'csrf-2' };
  const api = createApi(() => credentials, fetchImpl);
  await api.request('/v1/me');
  await api.request('/v1/procedures/x/staff', { method: 'POST', body: {} });
  const [get, post] = sent.map((s) => s.init);
  t.equal(headersOf(get ?? {}).authorization, undefined);
  t.equal(headersOf(get ?? {})[CSRF_HEADER], undefined, 'a GET needs none');
  t.equal(headersOf(post ?? {})[CSRF_HEADER], 'csrf-2');
  t.equal(post?.credentials, 'same-origin');
});
