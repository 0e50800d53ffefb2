import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SCOPES_SUPPORTED } from '../../domain/smart-scopes.js';
import { requestContext } from '../../plugins/auth.js';
import { OAuthError, oauthErrorHandler, oauthResponse, sendOAuthError } from '../../shared/oauth-errors.js';
import { createdResponse, IdParamsSchema, jsonResponse, problemResponse } from '../../shared/schemas.js';
import type { SmartClientRecord } from './smart.repository.js';
import {
  CreateSmartClientBody,
  SmartClientListSchema,
  SmartClientSchema,
  SmartConfigurationSchema,
  TokenRequestBody,
  TokenResponseSchema,
} from './smart.schemas.js';
import { ClientKeySets, issueToken, listSmartClients, registerClient, revokeSmartClient, SIGNING_ALGORITHMS } from './smart.service.js';

/** Where clients ask for tokens; the `aud` of their assertions is this path under PUBLIC_BASE_URL. */
export const TOKEN_PATH = '/oauth/token';
/** Client assertions are a few kB; nothing else is posted here. */
const TOKEN_BODY_LIMIT = 64 * 1024;

const toApi = (c: SmartClientRecord) => ({
  id: c.id,
  clientId: c.clientId,
  registry: c.registryCode,
  national: c.national,
  organisation: c.odsCode,
  keyId: c.keyId,
  jwksUrl: c.jwksUrl,
  jwks: c.jwks as z.infer<typeof SmartClientSchema>['jwks'],
  createdAt: c.createdAt.toISOString(),
  revokedAt: c.revokedAt?.toISOString() ?? null,
});

export const smartRoutes: FastifyPluginAsyncZod = async (app) => {
  const tokenUrl = () => `${app.publicBaseUrl()}${TOKEN_PATH}`;
  const keySets = new ClientKeySets();

  app.post(
    '/v1/smart/clients',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'registerSmartClient',
        tags: ['smart'],
        summary: 'Register a registry’s SMART Backend Services client, with its public keys (national admins only)',
        description:
          'The client authenticates at the token endpoint with JWTs signed by its private key (RS384 or ES384) and reads what a ' +
          'registry key of that registry and tenancy reads, within its token’s scopes. It acts as a principal of its own (`keyId`, ' +
          'an API key of kind smart-client that has no secret), which its actions and audit rows name.',
        body: CreateSmartClientBody,
        response: {
          201: createdResponse('The client, registered.', SmartClientSchema),
          409: problemResponse('The client_id is taken (SMART_CLIENT_EXISTS).'),
        },
      },
    },
    async (req, reply) => {
      const client = await registerClient(app.db, requestContext(req), req.body);
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/smart/clients/${client.id}`).send(toApi(client));
    },
  );

  app.get(
    '/v1/smart/clients',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'listSmartClients',
        tags: ['smart'],
        summary: 'The SMART clients, revoked ones included (national admins only)',
        response: { 200: jsonResponse('The clients, oldest first.', SmartClientListSchema) },
      },
    },
    async (req) => ({ items: (await listSmartClients(app.db, requestContext(req))).map(toApi) }),
  );

  app.delete(
    '/v1/smart/clients/:id',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'revokeSmartClient',
        tags: ['smart'],
        summary: 'Revoke a SMART client: no more tokens, and its live tokens stop working at once (national admins only)',
        params: IdParamsSchema,
        response: { 204: z.undefined().describe('Revoked (or already revoked).') },
      },
    },
    async (req, reply) => {
      const client = await revokeSmartClient(app.db, requestContext(req), req.params.id, app.clock);
      app.actorCache.forget(client.keyId);
      return reply.code(204).send();
    },
  );

  const configuration = () => ({
    token_endpoint: tokenUrl(),
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    grant_types_supported: ['client_credentials'],
    scopes_supported: [...SCOPES_SUPPORTED],
    response_types_supported: ['token'],
    capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
  });
  for (const [url, operationId] of [
    ['/.well-known/smart-configuration', 'getSmartConfiguration'],
    ['/fhir/R4/.well-known/smart-configuration', 'getFhirSmartConfiguration'],
  ] as const) {
    app.get(
      url,
      {
        config: { access: 'public' },
        schema: {
          operationId,
          tags: ['smart'],
          summary: 'SMART configuration: the token endpoint and what it accepts (Backend Services)',
          response: { 200: jsonResponse('What a SMART Backend Services client needs to know.', SmartConfigurationSchema) },
        },
      },
      async () => configuration(),
    );
  }

  // The token endpoint, in a context of its own: the only route that reads form bodies, and answers OAuth errors.
  await app.register(async (token) => {
    // Form bodies only (RFC 6749 §4.4.2): anything else is 415, answered as invalid_request.
    token.removeAllContentTypeParsers();
    await token.register(formbody, { bodyLimit: TOKEN_BODY_LIMIT });
    token.setErrorHandler(oauthErrorHandler('token request'));
    token.withTypeProvider<ZodTypeProvider>().post(
      TOKEN_PATH,
      {
        config: { access: 'public', ownErrors: true },
        bodyLimit: TOKEN_BODY_LIMIT,
        schema: {
          operationId: 'requestSmartToken',
          tags: ['smart'],
          summary: 'SMART Backend Services token endpoint: client_credentials with a private_key_jwt client assertion',
          description:
            'Form-encoded (`application/x-www-form-urlencoded`): `grant_type=client_credentials`, `client_assertion_type=' +
            'urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, `client_assertion` (a JWT signed RS384 or ES384 with iss = sub = ' +
            'client_id, aud = this URL, exp at most 5 minutes ahead, a jti never used before) and `scope`. Answers a 5-minute bearer ' +
            'token. Errors are OAuth 2.0 errors (RFC 6749 §5.2), not problem+json: `invalid_client` (401) when the client or its ' +
            'assertion is not accepted, `invalid_request`, `unsupported_grant_type`, `invalid_scope` (400).',
          consumes: ['application/x-www-form-urlencoded'],
          body: TokenRequestBody,
          response: {
            200: jsonResponse('An access token.', TokenResponseSchema),
            400: oauthResponse('invalid_request, unsupported_grant_type or invalid_scope.'),
            401: oauthResponse('invalid_client: unknown or revoked client, or an assertion not accepted (signature, alg, aud, exp, iss/sub, a jti used before).'),
            413: oauthResponse('invalid_request: the body is too large.'),
            415: oauthResponse('invalid_request: not a form body.'),
            429: oauthResponse('temporarily_unavailable: too many failed authentications from this client address; see Retry-After.'),
            500: oauthResponse('server_error.'),
            503: oauthResponse('temporarily_unavailable: the database is unreachable; retry.'),
          },
        },
      },
      async (req, reply) => {
        const retryAfter = app.authThrottle.retryAfter(req);
        if (retryAfter !== undefined) {
          reply.header('retry-after', String(retryAfter));
          return sendOAuthError(reply, new OAuthError('temporarily_unavailable', `Too many failed authentications from this client. Retry in ${retryAfter} s.`, 429));
        }
        try {
          const token = await issueToken(
            { db: app.db, clock: app.clock, keySets, tokenUrl: tokenUrl() },
            { requestId: req.id, route: `POST ${TOKEN_PATH}`, form: req.body as Record<string, string | undefined> },
          );
          return reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache').send(token);
        } catch (error) {
          if (error instanceof OAuthError && error.error === 'invalid_client') app.authThrottle.failed(req);
          throw error;
        }
      },
    );
  });
};
