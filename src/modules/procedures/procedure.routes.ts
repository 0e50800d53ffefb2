import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestContext } from '../../plugins/auth.js';
import { IdParamsSchema } from '../../shared/schemas.js';
import { CreateProcedureBody, ProcedureListSchema, ProcedureSchema, SearchProceduresBody } from './procedure.schemas.js';
import { completeProcedureFor, createProcedure, getProcedure, searchVisibleProcedures } from './procedure.service.js';

export const procedureRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/procedures',
    {
      config: { access: ['scanner'] },
      schema: {
        tags: ['theatre'],
        summary: 'Open a procedure: the patient (wristband and/or NHS number), the place, the lead clinician',
        description: 'Unknown locations (414) and staff badges (8017) are registered on first use. NHS numbers travel only in bodies, never in URLs.',
        body: CreateProcedureBody,
        response: { 201: ProcedureSchema },
      },
    },
    async (req, reply) => {
      const { startedAt, ...rest } = req.body;
      const procedure = await createProcedure(app.db, requestContext(req), { ...rest, startedAt: startedAt === undefined ? undefined : new Date(startedAt) }, app.clock);
      return reply.code(201).send(procedure);
    },
  );

  app.get(
    '/v1/procedures/:id',
    {
      config: { access: ['scanner', 'procurement'] },
      schema: { tags: ['theatre'], summary: 'A procedure with its current items and their scan history', params: IdParamsSchema, response: { 200: ProcedureSchema } },
    },
    async (req) => getProcedure(app.db, requestContext(req), req.params.id),
  );

  app.post(
    '/v1/procedures/:id/complete',
    {
      config: { access: ['scanner'] },
      schema: {
        tags: ['theatre'],
        summary: 'Complete (close) a procedure; later scans need lateEntry',
        description: 'Completing a completed procedure changes nothing and answers it again.',
        params: IdParamsSchema,
        response: { 200: ProcedureSchema },
      },
    },
    async (req) => completeProcedureFor(app.db, requestContext(req), req.params.id, app.clock),
  );

  app.post(
    '/v1/procedures/search',
    {
      config: { access: ['procurement'] },
      schema: {
        tags: ['theatre'],
        summary: "Find procedures by patient, period or place (the NHS number goes in the body, not the URL)",
        body: SearchProceduresBody,
        response: { 200: ProcedureListSchema },
      },
    },
    async (req) => {
      const { from, to, ...rest } = req.body;
      const items = await searchVisibleProcedures(app.db, requestContext(req), {
        ...rest,
        from: from === undefined ? undefined : new Date(from),
        to: to === undefined ? undefined : new Date(to),
      });
      return { items };
    },
  );
};
