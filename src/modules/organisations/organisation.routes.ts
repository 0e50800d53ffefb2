import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestContext } from '../../plugins/auth.js';
import { createdResponse, jsonResponse } from '../../shared/schemas.js';
import type { Organisation } from './organisation.repository.js';
import { CreateOrganisationBody, OrganisationListSchema, OrganisationSchema } from './organisation.schemas.js';
import { createOrganisation, listVisibleOrganisations } from './organisation.service.js';

const toApi = (o: Organisation) => ({ id: o.id, odsCode: o.odsCode, name: o.name, createdAt: o.createdAt.toISOString() });

export const organisationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/organisations',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'createOrganisation',
        tags: ['access'],
        summary: 'Register an organisation (national admins only)',
        body: CreateOrganisationBody,
        response: { 201: createdResponse('The organisation, registered.', OrganisationSchema) },
      },
    },
    async (req, reply) => {
      const organisation = await createOrganisation(app.db, requestContext(req), req.body);
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/organisations/${organisation.id}`).send(toApi(organisation));
    },
  );

  app.get(
    '/v1/organisations',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'listOrganisations',
        tags: ['access'],
        summary: 'List organisations: all for a national admin, its own for an organisation admin',
        response: { 200: jsonResponse('The organisations the caller administers.', OrganisationListSchema) },
      },
    },
    async (req) => ({ items: (await listVisibleOrganisations(app.db, requestContext(req))).map(toApi) }),
  );
};
