import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestContext } from '../../plugins/auth.js';
import type { Actor } from '../../shared/actor.js';
import { createdResponse, jsonResponse } from '../../shared/schemas.js';
import type { ConsentRecord } from './consent.repository.js';
import { ConsentSchema, ConsentSearchBody, PatientConsentsSchema, RecordConsentBody } from './consent.schemas.js';
import { patientConsents, recordConsent } from './consent.service.js';

const toApi = (actor: Actor) => (c: ConsentRecord) => ({
  id: c.id,
  registry: c.registryCode,
  status: c.status,
  recordedAt: c.recordedAt.toISOString(),
  enteredAt: c.createdAt.toISOString(),
  recordedBy: c.organisationId === actor.organisationId ? ('this-organisation' as const) : ('another-organisation' as const),
});

export const consentRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/consents',
    {
      config: { access: ['scanner', 'procurement'] },
      schema: {
        operationId: 'recordConsent',
        tags: ['registries'],
        summary: "Record a patient's consent to a registry, or its withdrawal",
        description:
          'Consent is per patient (NHS number, in the body: never in a URL) and per registry, and applies to their procedures in every ' +
          'organisation. Every change shows in the registry feeds as a newer entry for each of the patient\'s procedures. History is kept.',
        body: RecordConsentBody,
        response: { 201: createdResponse('The consent record.', ConsentSchema) },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      const record = await recordConsent(app.db, ctx, req.body, app.clock.now());
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/consents/${record.id}`).send(toApi(ctx.actor)(record));
    },
  );

  app.post(
    '/v1/consents/search',
    {
      config: { access: ['scanner', 'procurement'] },
      schema: {
        operationId: 'searchConsents',
        tags: ['registries'],
        summary: "A patient's consents: in force per registry, and the history (POST so the NHS number stays out of URLs)",
        body: ConsentSearchBody,
        response: { 200: jsonResponse('The consents in force, one per registry, and the whole history, newest first.', PatientConsentsSchema) },
      },
    },
    async (req) => {
      const ctx = requestContext(req);
      const view = await patientConsents(app.db, ctx, req.body.nhsNumber);
      return { inForce: view.inForce.map(toApi(ctx.actor)), history: view.history.map(toApi(ctx.actor)) };
    },
  );
};
