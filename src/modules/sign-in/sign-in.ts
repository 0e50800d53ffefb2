import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { SessionAuthenticator } from '../../plugins/auth.js';
import type { Clock } from '../../shared/clock.js';
import { OidcClient } from './oidc-client.js';
import { signInCookies, type SignInCookies } from './sign-in.routes.js';
import { SignInService } from './sign-in.service.js';

export { signInRoutes } from './sign-in.routes.js';

/** Staff sign-in, put together for the composition root: the service, its cookies, and the sessions the auth plugin reads. */
export interface SignIn {
  readonly service: SignInService;
  readonly cookies: SignInCookies;
  readonly sessions: SessionAuthenticator;
}

export function createSignIn(config: Config, db: Db, clock: Clock, publicBaseUrl: () => string): SignIn {
  const oidc = config.oidc === undefined ? undefined : { config: config.oidc, client: new OidcClient(config.oidc, () => `${publicBaseUrl()}/auth/callback`) };
  const service = new SignInService(db, oidc, clock, { idleMinutes: config.sessionIdleMinutes, maxHours: config.sessionMaxHours });
  const cookies = signInCookies(config.publicBaseUrl);
  return { service, cookies, sessions: { cookieName: cookies.session, authenticate: (id) => service.authenticate(id) } };
}
