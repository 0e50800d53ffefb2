import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestContext } from '../../plugins/auth.js';
import { createdResponse } from '../../shared/schemas.js';
import type { Location, StaffMember } from './location.repository.js';
import { CreateLocationBody, CreateStaffBody, LocationSchema, StaffSchema } from './location.schemas.js';
import { registerLocation, registerStaff } from './location.service.js';

export const toLocationApi = (l: Location) => ({ id: l.id, gln: l.gln, glnExtension: l.glnExtension, name: l.name, kind: l.kind });
export const toStaffApi = (s: StaffMember) => ({ id: s.id, gsrn: s.gsrn, localId: s.localId, name: s.name, role: s.role });

export const locationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/locations',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'registerLocation',
        tags: ['theatre'],
        summary: "Register a location (theatre, store…) by its GLN. Scanning an unknown 414 label also registers it",
        body: CreateLocationBody,
        response: { 201: createdResponse('The location, registered.', LocationSchema) },
      },
    },
    async (req, reply) => {
      const location = await registerLocation(app.db, requestContext(req), req.body);
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/locations/${location.id}`).send(toLocationApi(location));
    },
  );

  app.post(
    '/v1/staff',
    {
      config: { access: ['admin'] },
      schema: {
        operationId: 'registerStaff',
        tags: ['theatre'],
        summary: 'Register a staff member by badge (8017 GSRN) or local id',
        body: CreateStaffBody,
        response: { 201: createdResponse('The staff member, registered.', StaffSchema) },
      },
    },
    async (req, reply) => {
      const staff = await registerStaff(app.db, requestContext(req), req.body, app.clock.now());
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/staff/${staff.id}`).send(toStaffApi(staff));
    },
  );
};
