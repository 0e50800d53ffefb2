import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { createdResponse, IdParamsSchema, jsonResponse } from '../../shared/schemas.js';
import type { ApiKeyRecord } from './api-key.repository.js';
import { ApiKeyListSchema, CreateApiKeyBody, CreatedApiKeySchema, MeSchema } from './api-key.schemas.js';
import { createApiKey, listVisibleKeys, revokeApiKey } from './api-key.service.js';

const toApi = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  national: k.national,
  organisation: k.odsCode,
  registry: k.registryCode,
  prefix: k.keyPrefix,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt?.toISOString() ?? null,
  kind: k.kind,
});

export const apiKeyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/api-keys',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'createApiKey',
        tags: ['access'],
        summary: 'Create an API key (the secret is returned once)',
        description:
          'A national admin may create keys for any organisation, or national keys; an organisation admin only for its own organisation.',
        body: CreateApiKeyBody,
        response: { 201: createdResponse('The key, with its secret: shown this once, never again.', CreatedApiKeySchema) },
      },
    },
    async (req, reply) => {
      const { record, key } = await createApiKey(app.db, requestContext(req), req.body);
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/api-keys/${record.id}`).send({ ...toApi(record), key });
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'listApiKeys',
        tags: ['access'],
        summary: 'List the API keys the caller administers (never their secrets)',
        response: { 200: jsonResponse('The keys, revoked ones included.', ApiKeyListSchema) },
      },
    },
    async (req) => ({ items: (await listVisibleKeys(app.db, requestContext(req))).map(toApi) }),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'revokeApiKey',
        tags: ['access'],
        summary: 'Revoke an API key, with immediate effect',
        params: IdParamsSchema,
        response: { 204: z.undefined().describe('Revoked (or already revoked).') },
      },
    },
    async (req, reply) => {
      await revokeApiKey(app.db, requestContext(req), req.params.id, app.clock);
      // Refused from the next request on, not after the cache's lifetime.
      app.actorCache.forget(req.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/me',
    {
      config: { access: ['admin', 'scanner', 'procurement', 'registry'], smart: [] },
      schema: {
        operationId: 'getMe',
        tags: ['access'],
        summary: 'Who the presented key is: role and organisation',
        response: { 200: jsonResponse('The key presented: its name, role, organisation or national reach, and registry.', MeSchema) },
      },
    },
    async (req) => {
      const { actor } = requestContext(req);
      return {
        keyId: actor.keyId,
        keyName: actor.keyName,
        role: actor.role,
        national: actor.national,
        organisation: actor.odsCode,
        registry: actor.registryCode,
        ...(actor.person ? { person: actor.person } : {}),
        ...(req.csrfToken === null ? {} : { csrfToken: req.csrfToken }),
      };
    },
  );
};
