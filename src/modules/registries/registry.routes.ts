import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { ProblemError } from '../../shared/problem.js';
import { createdResponse, jsonResponse, RegistryCodeSchema } from '../../shared/schemas.js';
import { recordAudit } from '../audit/audit.service.js';
import { listRegistries, upsertRegistry, type Registry } from './registry.repository.js';
import { PutRegistryBody, RegistryListSchema, RegistrySchema } from './registry.schemas.js';

const toApi = (r: Registry) => ({ code: r.code, name: r.name, withoutConsent: r.withoutConsent });

export const registryRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/registries',
    {
      config: { access: ['admin', 'scanner', 'procurement', 'registry'] },
      schema: {
        operationId: 'listRegistries',
        tags: ['registries'],
        summary: 'The registries consent can be recorded for and feeds are kept for',
        response: { 200: jsonResponse('The registries, with their policy for patients without consent.', RegistryListSchema) },
      },
    },
    async () => ({ items: (await listRegistries(app.db)).map(toApi) }),
  );

  app.put(
    '/v1/registries/:code',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'putRegistry',
        tags: ['registries'],
        summary: 'Configure a registry: its name and what it receives without consent (national admins only)',
        params: z.object({ code: RegistryCodeSchema }),
        body: PutRegistryBody,
        response: { 200: jsonResponse('The registry, changed.', RegistrySchema), 201: createdResponse('The registry, created.', RegistrySchema) },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      if (!ctx.actor.national) throw new ProblemError('FORBIDDEN', 'Registries are national configuration: use a national admin key.');
      const { registry, created } = await app.db.transaction().execute(async (trx) => {
        const result = await upsertRegistry(trx, { code: req.params.code, ...req.body }, app.clock.now());
        await recordAudit(trx, ctx, { action: result.created ? 'registry.create' : 'registry.update', detail: toApi(result.registry) });
        return result;
      });
      if (!created) return reply.code(200).send(toApi(registry));
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/registries/${registry.code}`).send(toApi(registry));
    },
  );
};
