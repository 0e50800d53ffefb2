import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import type { OidcConfig } from '../../config.js';

/** The event a back-channel logout token carries (OpenID Connect Back-Channel Logout 1.0 §2.4). */
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How old (by its `iat`) a logout token may be when it arrives, beside a minute of clock skew. */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 60;

/** A logout token that passed every check: whose session it ends, and its jti (for replay protection). */
export interface LogoutToken {
  readonly issuer: string;
  readonly subject: string | undefined;
  readonly sid: string | undefined;
  readonly jti: string;
  /** After this it is too old to be accepted anyway: its jti need not be remembered longer. */
  readonly acceptableUntil: Date;
}

/** Why a logout token was refused, in words for the provider's log (the endpoint answers 400 invalid_request). */
export class LogoutTokenRejected extends Error {}

/**
 * The service as an OpenID Connect relying party, through openid-client (a
 * certified implementation): discovery, Authorization Code with PKCE (S256),
 * state and nonce, the ID token's validation, userinfo, RP-initiated logout.
 * Nothing of OAuth is written here by hand. The provider's metadata is
 * discovered at the first sign-in and kept; a failed discovery is tried again
 * at the next one. Back-channel logout tokens are verified with jose against
 * the provider's published keys (openid-client has no helper for them).
 */
export interface SignInChecks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface SignedIn {
  /** The validated ID token's claims, with the userinfo endpoint's claims over them (same subject, checked). */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly issuer: string;
  readonly subject: string;
  /** The raw ID token, kept as the hint for RP-initiated logout. */
  readonly idToken: string | undefined;
  /** The provider's session id (the ID token's `sid`), when it sends one: what back-channel logout names. */
  readonly sid: string | undefined;
}

export class OidcClient {
  #configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly oidc: OidcConfig,
    /** Where the provider sends the browser back: PUBLIC_BASE_URL + /auth/callback. */
    private readonly redirectUri: () => string,
  ) {}

  private configuration(): Promise<client.Configuration> {
    this.#configuration ??= this.discover().catch((error: unknown) => {
      this.#configuration = undefined;
      throw error;
    });
    return this.#configuration;
  }

  private async discover(): Promise<client.Configuration> {
    const issuer = new URL(this.oidc.issuer);
    const insecure = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
    const options = { execute: insecure, timeout: 10 };
    if (this.oidc.clientPrivateKey !== undefined) {
      const jwk = this.oidc.clientPrivateKey as JsonWebKey & { kid?: string; alg?: string };
      const algorithm = importAlgorithm(jwk);
      const key = await crypto.subtle.importKey('jwk', jwk, algorithm, false, ['sign']);
      const auth = client.PrivateKeyJwt(jwk.kid === undefined ? key : { key, kid: jwk.kid });
      return client.discovery(issuer, this.oidc.clientId, {}, auth, options);
    }
    return client.discovery(issuer, this.oidc.clientId, {}, client.ClientSecretBasic(this.oidc.clientSecret), options);
  }

  /** A fresh state, nonce and PKCE verifier, and the provider's authorisation URL that carries them. */
  async authorizationUrl(): Promise<{ url: URL; checks: SignInChecks }> {
    const configuration = await this.configuration();
    const checks = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri(),
      scope: this.oidc.scopes,
      response_type: 'code',
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, checks };
  }

  /** Exchanges the code the provider sent back to `callbackUrl`; throws when any check fails. */
  async finish(callbackUrl: URL, checks: SignInChecks): Promise<SignedIn> {
    const configuration = await this.configuration();
    const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('The provider returned no ID token');
    let claims: Record<string, unknown> = { ...idClaims };
    // Some providers (CIS2: nhsid_nrbac_roles) give the role claims at the userinfo endpoint only.
    if (configuration.serverMetadata().userinfo_endpoint !== undefined && tokens.access_token !== '') {
      const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
      claims = { ...userinfo, ...idClaims };
    }
    const sid = typeof idClaims.sid === 'string' && idClaims.sid.length >= 1 && idClaims.sid.length <= 255 ? idClaims.sid : undefined;
    return { claims, issuer: idClaims.iss, subject: idClaims.sub, idToken: tokens.id_token, sid };
  }

  #keys: JWTVerifyGetKey | undefined;

  /**
   * Verifies a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6): signed by one of
   * the provider's published keys, issued by it, for this client, recent (`iat`, by the service's clock,
   * `exp` when present), with the logout event, a `sub` or `sid`, a `jti`, and no `nonce` (so that an ID
   * token cannot pass for one). Throws LogoutTokenRejected for anything else.
   */
  async verifyLogoutToken(token: string, now: Date): Promise<LogoutToken> {
    const configuration = await this.configuration();
    const metadata = configuration.serverMetadata();
    if (metadata.jwks_uri === undefined) throw new LogoutTokenRejected('The provider publishes no keys (jwks_uri)');
    this.#keys ??= createRemoteJWKSet(new URL(metadata.jwks_uri));
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.#keys, {
        issuer: metadata.issuer,
        audience: this.oidc.clientId,
        currentDate: now,
        maxTokenAge: LOGOUT_TOKEN_MAX_AGE_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['iat', 'jti'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new LogoutTokenRejected(`The logout token does not verify: ${error.code}`, { cause: error });
      throw error;
    }
    const events = payload.events;
    if (events === null || typeof events !== 'object' || Array.isArray(events) || !(BACKCHANNEL_LOGOUT_EVENT in events)) {
      throw new LogoutTokenRejected('The logout token carries no back-channel logout event');
    }
    if ('nonce' in payload) throw new LogoutTokenRejected('A logout token has no nonce (an ID token is not a logout token)');
    const text = (value: unknown, max: number) => (typeof value === 'string' && value.length >= 1 && value.length <= max ? value : undefined);
    const subject = text(payload.sub, 255);
    const sid = text(payload.sid, 255);
    const jti = text(payload.jti, 255);
    if (subject === undefined && sid === undefined) throw new LogoutTokenRejected('The logout token names neither a subject (sub) nor a session (sid)');
    if (jti === undefined) throw new LogoutTokenRejected('The logout token has no usable jti');
    const iat = payload.iat as number;
    return { issuer: metadata.issuer, subject, sid, jti, acceptableUntil: new Date((iat + LOGOUT_TOKEN_MAX_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000) };
  }

  /** Where to send the browser to end the session at the provider too, when it supports it. */
  async endSessionUrl(idToken: string | null, postLogoutRedirectUri: string): Promise<URL | undefined> {
    const configuration = await this.configuration();
    if (configuration.serverMetadata().end_session_endpoint === undefined) return undefined;
    return client.buildEndSessionUrl(configuration, {
      post_logout_redirect_uri: postLogoutRedirectUri,
      client_id: this.oidc.clientId,
      ...(idToken === null ? {} : { id_token_hint: idToken }),
    });
  }
}

/** Web Crypto's import parameters for a private JWK (RSA → RS256, EC → ES256/384/512, OKP → Ed25519). */
function importAlgorithm(jwk: JsonWebKey & { alg?: string }): RsaHashedImportParams | EcKeyImportParams | { name: 'Ed25519' } {
  if (jwk.kty === 'RSA') {
    const hash = jwk.alg?.endsWith('384') === true ? 'SHA-384' : jwk.alg?.endsWith('512') === true ? 'SHA-512' : 'SHA-256';
    if (jwk.alg?.startsWith('PS') === true) return { name: 'RSA-PSS', hash };
    return { name: 'RSASSA-PKCS1-v1_5', hash };
  }
  if (jwk.kty === 'EC') return { name: 'ECDSA', namedCurve: jwk.crv ?? 'P-256' };
  if (jwk.kty === 'OKP') return { name: 'Ed25519' };
  throw new Error(`OIDC_CLIENT_PRIVATE_KEY: key type ${String(jwk.kty)} is not supported (RSA, EC or OKP)`);
}
