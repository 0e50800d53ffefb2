import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import ProviderModule from 'oidc-provider';

interface ProviderContext {
  oidc: {
    result?: { consent?: { grantId?: string } };
    session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    client?: { clientId: string };
    provider: { Grant: GrantClass };
  };
}
interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}
interface GrantClass {
  new (init: { clientId: string; accountId: string }): Grant;
  find(id: string): Promise<Grant | undefined>;
}
const Provider = ProviderModule as new (
  issuer: string,
  configuration: Record<string, unknown>,
) => { callback(): (req: IncomingMessage, res: ServerResponse) => void };

/**
 * A real OpenID Provider for the tests: the certified `oidc-provider` package,
 * in process, on a loopback port, with its own signing key. Its development
 * login form takes any account id (no password check); consent is granted to
 * our client as a first-party application would be.
 */
export interface TestProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * Signs a back-channel logout token as the provider would (its own key; `iss` the issuer, `aud` our client,
   * `iat` now, the logout event and a fresh `jti` unless `claims` says otherwise; null drops a claim). With
   * `key`, signed by that key instead (a forgery).
   */
  logoutToken(claims: Readonly<Record<string, unknown>>, key?: KeyObject): Promise<string>;
  /** A second client of the same application that authenticates with private_key_jwt: its id and private key (JWK). */
  readonly keyClient: { readonly clientId: string; readonly privateJwk: Readonly<Record<string, unknown>> };
  close(): Promise<void>;
}

export type Accounts = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export interface ProviderOptions {
  readonly appBaseUrl: string;
  readonly accounts: Accounts;
  readonly customClaims: readonly string[];
  /**
   * Back-channel logout on: ID tokens carry `sid`, and when a person's session at the provider ends, the
   * provider's post of the logout token to the app's back-channel URI is handed to this function (its
   * form body; the test sends it to the app), which answers the status the provider gets back.
   */
  readonly backchannelLogout?: (form: string) => Promise<number>;
}

export async function startProvider(options: ProviderOptions): Promise<TestProvider> {
  // The provider posts logout tokens with its own fetch, which refuses loopback addresses (SSRF protection):
  // the app's back-channel URI is handed to the test's function instead, with the provider's real request body.
  const backchannelUri = `${options.appBaseUrl}/auth/backchannel-logout`;
  const deliver = options.backchannelLogout;
  const providerFetch = async (url: URL | string, init: RequestInit & { dispatcher?: unknown }): Promise<Response> => {
    if (deliver !== undefined && String(url) === backchannelUri) {
      const body = typeof init.body === 'string' ? init.body : init.body instanceof URLSearchParams ? init.body.toString() : '';
      return new Response(null, { status: await deliver(body) });
    }
    const rest = { ...init };
    delete rest.dispatcher;
    return fetch(url, rest);
  };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'implant-trace';
  const clientSecret = 'a-test-client-secret-of-enough-length-0123456789';
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };
  const claims = ['name', 'given_name', 'family_name', ...options.customClaims];
  // The key client's key pair: the provider holds the public half (the client's registered JWKS).
  const client = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyClient = { clientId: 'implant-trace-key', privateJwk: { ...client.privateKey.export({ format: 'jwk' }), kid: 'client-key-1', alg: 'ES256' } };
  const clientPublicJwk = { ...client.publicKey.export({ format: 'jwk' }), kid: 'client-key-1', alg: 'ES256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [`${options.appBaseUrl}/auth/callback`],
        post_logout_redirect_uris: [`${options.appBaseUrl}/console/`],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
        ...(deliver === undefined ? {} : { backchannel_logout_uri: backchannelUri, backchannel_logout_session_required: true }),
      },
      {
        client_id: keyClient.clientId,
        redirect_uris: [`${options.appBaseUrl}/auth/callback`],
        post_logout_redirect_uris: [`${options.appBaseUrl}/console/`],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [clientPublicJwk] },
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-cookie-signing-key'] },
    claims: { openid: ['sub'], profile: claims },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true }, backchannelLogout: { enabled: deliver !== undefined } },
    fetch: providerFetch,
    pkce: { required: () => true },
    findAccount: (_ctx: unknown, id: string) => {
      const account = options.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: () => ({ sub: id, ...account }) };
    },
    // A first-party client: the person is not asked to consent.
    loadExistingGrant: async (ctx: ProviderContext) => {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? '');
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client?.clientId ?? '', accountId: ctx.oidc.session?.accountId ?? '' });
      grant.addOIDCScope('openid profile');
      grant.addOIDCClaims(['sub', ...claims]);
      await grant.save();
      return grant;
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    keyClient,
    logoutToken: async (claims, key) => {
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: issuer,
        aud: clientId,
        iat: now,
        jti: randomUUID(),
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        ...claims,
      };
      for (const [name, value] of Object.entries(payload)) if (value === null) delete payload[name];
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'logout+jwt' }).sign(key ?? privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A browser's cookies for the provider (one host): what a browser would send back. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();
  take(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Plays the person at the provider: follows its redirects by hand from the authorisation URL,
 * signs in as `account` on its login form, and returns the URL it finally sends the browser to
 * (our callback).
 */
export async function signInAtProvider(authorizationUrl: string, account: string, jar = new CookieJar()): Promise<URL> {
  let url = new URL(authorizationUrl);
  const origin = url.origin;
  for (let hops = 0; hops < 20; hops++) {
    if (url.origin !== origin) return url;
    let res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(res.headers);
    if (res.status === 200 && url.pathname.startsWith('/interaction/')) {
      const html = await res.text();
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1] ?? 'login';
      const form: Record<string, string> = prompt === 'login' ? { prompt, login: account, password: 'any' } : { prompt };
      res = await fetch(url, { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
      jar.take(res.headers);
    }
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || location === null) throw new Error(`the provider answered ${res.status} at ${url.pathname}: ${(await res.text()).slice(0, 500)}`);
    url = new URL(location, url);
  }
  throw new Error('too many redirects at the provider');
}

/**
 * Plays the person signing out at the provider itself (its end-session page, then its confirmation form),
 * with the browser's cookies there: the provider ends its session and posts logout tokens to the clients.
 */
export async function signOutAtProvider(issuer: string, jar: CookieJar): Promise<void> {
  const page = await fetch(`${issuer}/session/end`, { headers: { cookie: jar.header() } });
  jar.take(page.headers);
  const html = await page.text();
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (xsrf === undefined || action === undefined) throw new Error(`no sign-out form at the provider: ${html.slice(0, 300)}`);
  const confirm = await fetch(new URL(action, issuer), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  });
  jar.take(confirm.headers);
  if (confirm.status >= 400) throw new Error(`the provider refused the sign-out: ${confirm.status}`);
}

/** The service's settings for signing in through the test provider (roles in `roles`, the ODS code in `org`), with this role map. */
export function signInEnv(appBaseUrl: string, provider: TestProvider, roleMap: Readonly<Record<string, unknown>>): Record<string, string> {
  return {
    PUBLIC_BASE_URL: appBaseUrl,
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: provider.clientId,
    OIDC_CLIENT_SECRET: provider.clientSecret,
    OIDC_SCOPES: 'openid profile',
    OIDC_ROLES_CLAIM: 'roles',
    OIDC_ORGANISATION_CLAIM: 'org',
    OIDC_ROLE_MAP: JSON.stringify(roleMap),
  };
}
