import formbody from '@fastify/formbody';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CSRF_HEADER, csrfTokenOf } from '../../plugins/auth.js';
import { OAuthError, oauthErrorHandler, oauthResponse, sendOAuthError } from '../../shared/oauth-errors.js';
import { ProblemError } from '../../shared/problem.js';
import { jsonResponse, problemResponse } from '../../shared/schemas.js';
import { LogoutTokenRejected } from './oidc-client.js';
import { SIGN_IN_PAGE_CSP, signInFailedPage } from './sign-in-page.js';
import { SignInRefusal, type SignInService } from './sign-in.service.js';

/**
 * Staff sign-in with OpenID Connect (issue 18): public routes (the person has no
 * session yet, or the route checks the session itself), the browser's side of the
 * Authorization Code flow. Sessions are cookies holding a random id; the
 * database knows its hash only.
 */
export interface SignInCookies {
  /** `__Host-it_session` behind TLS (PUBLIC_BASE_URL https), `it_session` otherwise. */
  readonly session: string;
  /** The sign-in under way (10 minutes, one use). */
  readonly attempt: string;
  readonly secure: boolean;
}

export function signInCookies(publicBaseUrl: string | undefined): SignInCookies {
  const secure = publicBaseUrl?.startsWith('https://') === true;
  // __Host-: the browser keeps it only if Secure, for this host exactly, path /; no sibling domain can set or read it.
  return secure ? { session: '__Host-it_session', attempt: '__Host-it_sign_in', secure } : { session: 'it_session', attempt: 'it_sign_in', secure };
}

export interface SignInRoutesOptions {
  readonly signIn: SignInService;
  readonly cookies: SignInCookies;
}

/** A path on this service to return to after sign-in: absolute path, never another origin (`//`, `/\`). */
const ReturnTo = z
  .string()
  .max(500)
  .regex(/^\/(?![/\\])[\x21-\x7e]*$/, 'must be a path on this service, starting with a single /')
  .default('/console/')
  .describe('Where to send the browser once signed in: a path on this service (default `/console/`).');

const PersonSchema = z
  .object({
    provider: z.string().describe("The OpenID Provider's issuer."),
    subject: z.string().describe('The person\'s subject at the provider.'),
    name: z.string().describe('Their display name, from the provider.'),
  })
  .meta({ id: 'Person' });

const ProfileSchema = z
  .object({
    id: z.uuid().describe('The principal acting in this profile: the `keyId` of the audit trail.'),
    role: z.enum(['admin', 'scanner', 'procurement']),
    national: z.boolean(),
    organisation: z.string().nullable().describe('ODS code; null when national.'),
    organisationName: z.string().nullable(),
  })
  .meta({ id: 'RoleProfile' });

const ProfilesSchema = z
  .object({
    person: PersonSchema,
    current: z.uuid().nullable().describe('The profile the session acts in; null until one is chosen.'),
    profiles: z.array(ProfileSchema),
    csrfToken: z.string().describe(`The session's CSRF token: send it in \`${CSRF_HEADER}\` with every change.`),
  })
  .meta({ id: 'RoleProfiles' });

const redirect = (description: string) => z.undefined().describe(description);

/** A browser's navigation (it asks for HTML), not a script asking for JSON. */
function prefersHtml(req: FastifyRequest): boolean {
  return req.headers.accept?.includes('text/html') === true;
}

/** `returnTo` with `sign-in=<code>` added to its query (before any fragment): the page it names says why. */
export function withSignInCode(returnTo: string, code: string): string {
  const hashAt = returnTo.indexOf('#');
  const [path, hash] = hashAt < 0 ? [returnTo, ''] : [returnTo.slice(0, hashAt), returnTo.slice(hashAt)];
  return `${path}${path.includes('?') ? '&' : '?'}sign-in=${encodeURIComponent(code)}${hash}`;
}

/** Where the provider posts logout tokens: register `PUBLIC_BASE_URL` + this as the back-channel logout URI. */
export const BACKCHANNEL_LOGOUT_PATH = '/auth/backchannel-logout';
/** A logout token is a few kB. */
const LOGOUT_BODY_LIMIT = 32 * 1024;

const LogoutRequestBody = z
  .looseObject({ logout_token: z.string().max(16_384).optional().describe('The logout token (a signed JWT).') })
  .meta({ id: 'BackchannelLogoutRequest' });

export const signInRoutes: FastifyPluginAsyncZod<SignInRoutesOptions> = async (app, { signIn, cookies }) => {
  const base = () => app.publicBaseUrl();
  const sessionOf = (req: FastifyRequest) => req.cookies[cookies.session];
  const sessionCookie = { path: '/', httpOnly: true, secure: cookies.secure, sameSite: 'strict' } as const;
  const clearSession = (reply: FastifyReply) => reply.clearCookie(cookies.session, sessionCookie);

  app.get(
    '/auth/login',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'signIn',
        tags: ['sign-in'],
        summary: 'Sign in with the organisation\'s OpenID Provider (Authorization Code with PKCE)',
        description:
          'Redirects the browser to the provider with a fresh state, nonce and PKCE challenge (S256); the attempt is kept in the database for 10 minutes, found by a cookie.',
        querystring: z.object({ returnTo: ReturnTo }),
        response: {
          303: redirect('To the provider\'s authorisation endpoint.'),
          404: problemResponse('Sign-in is not configured (SIGN_IN_OFF).'),
          502: problemResponse('The provider cannot be reached (SIGN_IN_FAILED).'),
        },
      },
    },
    async (req, reply) => {
      let started;
      try {
        started = await signIn.start(req.query.returnTo);
      } catch (error) {
        if (error instanceof ProblemError) throw error;
        req.log.error({ err: error }, 'OpenID Provider discovery failed');
        throw new ProblemError('SIGN_IN_FAILED', 'The OpenID Provider cannot be reached. Try again later.', {}, { cause: error });
      }
      reply.setCookie(cookies.attempt, started.attemptId, { path: '/', httpOnly: true, secure: cookies.secure, sameSite: 'lax', maxAge: 600 });
      return reply.redirect(started.url.href, 303);
    },
  );

  app.get(
    '/auth/callback',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'signInCallback',
        tags: ['sign-in'],
        summary: 'Where the provider sends the browser back',
        description:
          'Checks the attempt (its cookie, once), exchanges the code, validates the ID token, maps the claims to role profiles. None: 403 SIGN_IN_NO_ROLE. One: the session acts in it. Several: the session waits for `POST /auth/profile`. Then back to `returnTo`.',
        querystring: z.looseObject({
          code: z.string().max(2000).optional(),
          state: z.string().max(2000).optional(),
          error: z.string().max(2000).optional(),
        }),
        response: {
          303: redirect('Signed in: to `returnTo`, with the session cookie. A browser (`Accept: text/html`) refused or failed once its sign-in was found is sent back to `returnTo` too, with `sign-in=<code>` (SIGN_IN_NO_ROLE, SIGN_IN_FAILED) in its query, for the console to say why.'),
          // A browser whose attempt is unknown (expired, used, another browser's) gets an HTML page with the same status.
          400: problemResponse('The sign-in could not be finished (SIGN_IN_FAILED). A browser (`Accept: text/html`) whose attempt is unknown (expired, already used, started in another browser), so with no page to go back to, gets an HTML page saying so, with links to the consoles.'),
          403: problemResponse('None of the person\'s roles maps to a role here (SIGN_IN_NO_ROLE).'),
          404: problemResponse('Sign-in is not configured (SIGN_IN_OFF).'),
        },
      },
    },
    async (req, reply) => {
      reply.clearCookie(cookies.attempt, { path: '/', httpOnly: true, secure: cookies.secure, sameSite: 'lax' });
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      const callbackUrl = new URL(`${base()}/auth/callback${query}`);
      try {
        const done = await signIn.finish(req.cookies[cookies.attempt], callbackUrl);
        reply.setCookie(cookies.session, done.sessionId, sessionCookie);
        return await reply.redirect(`${base()}${done.returnTo}`, 303);
      } catch (error) {
        if (error instanceof ProblemError && error.cause !== undefined) req.log.warn({ err: error.cause }, 'sign-in failed');
        // A browser (it asks for HTML) goes back to the page it started from, which says why in words; a script gets the problem.
        if (error instanceof SignInRefusal && prefersHtml(req)) return reply.redirect(`${base()}${withSignInCode(error.returnTo, error.code)}`, 303);
        // The attempt is unknown (expired, used, another browser's): no page to go back to, so a page that says so.
        if (error instanceof ProblemError && error.code === 'SIGN_IN_FAILED' && prefersHtml(req)) {
          // A page, not one of the route's documented JSON bodies: sent as a string, which no serializer touches.
          const page = reply as FastifyReply;
          return page.code(error.status).type('text/html; charset=utf-8').header('content-security-policy', SIGN_IN_PAGE_CSP).header('cache-control', 'no-store').send(signInFailedPage(error, base()));
        }
        throw error;
      }
    },
  );

  app.get(
    '/auth/profiles',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'listRoleProfiles',
        tags: ['sign-in'],
        summary: 'The signed-in person, their role profiles and the one in use',
        description:
          'With the session cookie. A person whose claims give several profiles (CIS2 role profiles) chooses one with `POST /auth/profile`. Without a session: 401, or 404 SIGN_IN_OFF when sign-in is not configured (how the console knows whether to offer it).',
        response: {
          200: jsonResponse('The person and their profiles.', ProfilesSchema),
          401: problemResponse('No session, or it has ended (UNAUTHENTICATED).'),
          404: problemResponse('Sign-in is not configured (SIGN_IN_OFF): the console offers API keys only.'),
        },
      },
    },
    async (req) => {
      // The console asks here first: whether sign-in is on (404), and who is signed in (401 when nobody).
      if (!signIn.enabled) throw new ProblemError('SIGN_IN_OFF');
      const id = sessionOf(req);
      const session = id === undefined ? undefined : await signIn.authenticate(id);
      const found = id === undefined || !session || session.status === 'ended' ? undefined : await signIn.profiles(id);
      if (!found || !session || session.status === 'ended') throw new ProblemError('UNAUTHENTICATED', 'No session: sign in first (GET /auth/login).');
      return { ...found, csrfToken: session.csrfToken };
    },
  );

  app.post(
    '/auth/profile',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'chooseRoleProfile',
        tags: ['sign-in'],
        summary: 'Act in one of the session\'s role profiles',
        description: `With the session cookie and its CSRF token in \`${CSRF_HEADER}\`. The session gets a new id (a new cookie): a change of role never keeps the old cookie working.`,
        body: z.object({ profile: z.uuid().describe('The `id` of one of the session\'s profiles.') }),
        response: {
          200: jsonResponse('The profile now in use.', ProfilesSchema),
          401: problemResponse('No session, or it has ended (UNAUTHENTICATED).'),
          403: problemResponse(`The CSRF token is missing or wrong (CSRF_INVALID).`),
          404: problemResponse('The session has no such profile (NOT_FOUND).'),
        },
      },
    },
    async (req, reply) => {
      const id = sessionOf(req);
      const session = id === undefined ? undefined : await signIn.authenticate(id);
      if (id === undefined || !session || session.status === 'ended') throw new ProblemError('UNAUTHENTICATED', 'No session: sign in first (GET /auth/login).');
      if (!session.verifyCsrf(csrfTokenOf(req))) throw new ProblemError('CSRF_INVALID', `Send the session's CSRF token in the ${CSRF_HEADER} header.`);
      const next = await signIn.choose(id, req.body.profile);
      reply.setCookie(cookies.session, next, sessionCookie);
      const found = await signIn.profiles(next);
      if (!found) throw new ProblemError('UNAUTHENTICATED', 'The session has ended. Sign in again.');
      return { ...found, csrfToken: session.csrfToken };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'signOut',
        tags: ['sign-in'],
        summary: 'Sign out: end the session here and at the provider',
        description: `With the session cookie and its CSRF token in \`${CSRF_HEADER}\`. Ends the session at once (on every instance), then sends the browser to the provider's end-session endpoint with the ID token as hint, when the provider has one; otherwise to the console. \`Accept: application/json\` gets that address as JSON instead of a redirect (for scripts in the page).`,
        response: {
          200: jsonResponse('Signed out; where to send the browser next.', z.object({ redirectTo: z.url() }).meta({ id: 'SignedOut' })),
          303: redirect('Signed out: to the provider\'s end-session endpoint, or to the console.'),
          403: problemResponse(`The CSRF token is missing or wrong (CSRF_INVALID).`),
        },
      },
    },
    async (req, reply) => {
      const id = sessionOf(req);
      const session = id === undefined ? undefined : await signIn.authenticate(id);
      if (session && session.status !== 'ended' && !session.verifyCsrf(csrfTokenOf(req))) {
        throw new ProblemError('CSRF_INVALID', `Send the session's CSRF token in the ${CSRF_HEADER} header.`);
      }
      const console = `${base()}/console/`;
      const endSession = session && session.status !== 'ended' ? await signIn.end(id, console) : undefined;
      clearSession(reply);
      const to = endSession?.href ?? console;
      if (req.headers.accept?.includes('application/json') === true) return { redirectTo: to };
      return reply.redirect(to, 303);
    },
  );

  // OpenID Connect Back-Channel Logout: the provider posts a logout token (form-encoded) when a person's session
  // there ends. In a context of its own, as the SMART token endpoint is: form bodies, OAuth errors.
  await app.register(async (logout) => {
    logout.removeAllContentTypeParsers();
    await logout.register(formbody, { bodyLimit: LOGOUT_BODY_LIMIT });
    logout.setErrorHandler(oauthErrorHandler('back-channel logout'));
    logout.withTypeProvider<ZodTypeProvider>().post(
      BACKCHANNEL_LOGOUT_PATH,
      {
        config: { access: 'public', ownErrors: true },
        bodyLimit: LOGOUT_BODY_LIMIT,
        schema: {
          operationId: 'backchannelLogout',
          tags: ['sign-in'],
          summary: 'OpenID Connect Back-Channel Logout: the provider ends a person\'s sessions here',
          description:
            'Form-encoded `logout_token`: a JWT signed by one of the provider\'s published keys, issued by it for this client, at most 5 minutes old by the service\'s clock, with the back-channel logout event, `sub` and/or `sid`, a `jti` never accepted before, and no `nonce`. The sessions it names end at once on every instance (all of the person\'s with `sub` only; those begun in the provider\'s session with `sid`). Register this URL at the provider as the client\'s back-channel logout URI. Errors are OAuth errors, not problem+json.',
          consumes: ['application/x-www-form-urlencoded'],
          body: LogoutRequestBody,
          response: {
            200: z.undefined().describe('Accepted: the sessions it names have ended (there may have been none left).'),
            400: oauthResponse('invalid_request: no logout token, or one that does not pass (signature, issuer, audience, age, event, sub/sid, jti, nonce), or a replay; or sign-in is not configured.'),
            413: oauthResponse('invalid_request: the body is too large.'),
            415: oauthResponse('invalid_request: not a form body.'),
            429: oauthResponse('temporarily_unavailable: too many failed authentications from this client address; see Retry-After.'),
            500: oauthResponse('server_error.'),
            503: oauthResponse('temporarily_unavailable: the database or the provider\'s keys cannot be reached; retry.'),
          },
        },
      },
      async (req, reply) => {
        const retryAfter = app.authThrottle.retryAfter(req);
        if (retryAfter !== undefined) {
          reply.header('retry-after', String(retryAfter));
          return sendOAuthError(reply, new OAuthError('temporarily_unavailable', `Too many failed authentications from this client. Retry in ${retryAfter} s.`, 429));
        }
        const token = req.body.logout_token;
        if (token === undefined) throw new OAuthError('invalid_request', 'logout_token is required.');
        if (!signIn.enabled) throw new OAuthError('invalid_request', 'Sign-in is not configured here: there are no sessions of a provider to end.');
        try {
          const ended = await signIn.backchannelLogout(token, req.id);
          req.log.info({ sessions: ended }, 'back-channel logout');
        } catch (error) {
          if (error instanceof LogoutTokenRejected) {
            app.authThrottle.failed(req);
            req.log.warn({ reason: error.message }, 'back-channel logout token refused');
            throw new OAuthError('invalid_request', error.message);
          }
          throw error;
        }
        return reply.code(200).header('cache-control', 'no-store').send(undefined);
      },
    );
  });
};
