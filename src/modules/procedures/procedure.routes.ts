import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestContext } from '../../plugins/auth.js';
import { z } from 'zod';
import { createdResponse, IdParamsSchema, jsonResponse, problemResponse } from '../../shared/schemas.js';
import { joinCase, leaveCase } from './case-staff.service.js';
import { CaseStaffParamsSchema, CaseTeamSchema, CreateProcedureBody, JoinCaseBody, ProcedureListSchema, ProcedureSchema, SearchProceduresBody } from './procedure.schemas.js';
import { completeProcedureFor, createProcedure, getProcedure, searchVisibleProcedures } from './procedure.service.js';

export const procedureRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/procedures',
    {
      config: { access: ['scanner'] },
      schema: {
        operationId: 'createProcedure',
        tags: ['theatre'],
        summary: 'Open a procedure: the patient (wristband and/or NHS number), the place, the lead clinician',
        description:
          'Unknown locations (414) and staff badges (8017) are registered on first use. NHS numbers travel only in bodies, never in URLs. With an Idempotency-Key, a retry (same key, same body) opens nothing and answers the procedure the first request opened, as it is now, with header Idempotency-Replayed: true; the same key with another body is refused (IDEMPOTENCY_KEY_REUSED).',
        headers: z.looseObject({
          'idempotency-key': z.string().min(1).max(200).optional().describe('Recommended: a new key (e.g. a UUID) per procedure to open, the same one on retries, so a lost response never opens a second case.'),
        }),
        body: CreateProcedureBody,
        response: {
          201: createdResponse('The procedure, opened (or, for a retry with the same Idempotency-Key, the one the first request opened).', ProcedureSchema),
          422: problemResponse('The body is invalid (VALIDATION_FAILED), the wristband or label is unreadable (BARCODE_INVALID), or the Idempotency-Key was used for another request (IDEMPOTENCY_KEY_REUSED).'),
        },
      },
    },
    async (req, reply) => {
      const { startedAt, ...rest } = req.body;
      const input = { ...rest, startedAt: startedAt === undefined ? undefined : new Date(startedAt) };
      const { procedure, replayed } = await createProcedure(app.db, requestContext(req), input, app.clock, req.headers['idempotency-key']);
      if (replayed) reply.header('idempotency-replayed', 'true');
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/procedures/${procedure.id}`).send(procedure);
    },
  );

  app.get(
    '/v1/procedures/:id',
    {
      config: { access: ['scanner', 'procurement'] },
      schema: {
        operationId: 'getProcedure',
        tags: ['theatre'],
        summary: 'A procedure with its current items and their scan history',
        params: IdParamsSchema,
        response: { 200: jsonResponse('The procedure, its items and every scan of each.', ProcedureSchema) },
      },
    },
    async (req) => getProcedure(app.db, requestContext(req), req.params.id),
  );

  app.post(
    '/v1/procedures/:id/complete',
    {
      config: { access: ['scanner'] },
      schema: {
        operationId: 'completeProcedure',
        tags: ['theatre'],
        summary: 'Complete (close) a procedure; later scans need lateEntry',
        description:
          'Refused while an item that raised a critical warning waits for its decision (409 DECISION_REQUIRED, with `pendingItemIds`). Completing a completed procedure changes nothing and answers it again.',
        params: IdParamsSchema,
        response: { 200: jsonResponse('The procedure, completed.', ProcedureSchema), 409: problemResponse('An item awaits a decision (DECISION_REQUIRED).') },
      },
    },
    async (req) => completeProcedureFor(app.db, requestContext(req), req.params.id, app.clock),
  );

  app.post(
    '/v1/procedures/:id/staff',
    {
      config: { access: ['scanner'] },
      schema: {
        operationId: 'joinCase',
        tags: ['theatre'],
        summary: 'A staff member joins the case team: their badge scanned (or a GSRN or local id typed)',
        description:
          "Scan each badge (AI 8017) at the start of the case and at every handover: scans sent afterwards with the theatre's device key are attributed to the member badged most recently who is still in the case (`scan.attribution` badge). Someone badging again takes the scanner back. A GSRN or local id typed in names a member but never puts them at the scanner. Unknown badges are registered on first use. Refused for a completed case (PROCEDURE_COMPLETED).",
        params: IdParamsSchema,
        body: JoinCaseBody,
        response: {
          200: jsonResponse('The case team now.', CaseTeamSchema),
          409: problemResponse('The procedure is completed (PROCEDURE_COMPLETED).'),
          422: problemResponse('The body is invalid (VALIDATION_FAILED) or the badge does not read as one (BARCODE_INVALID).'),
        },
      },
    },
    async (req) => {
      const { role, staff } = req.body;
      return joinCase(app.db, requestContext(req), req.params.id, { staff, role }, app.clock);
    },
  );

  app.delete(
    '/v1/procedures/:id/staff/:staffId',
    {
      config: { access: ['scanner'] },
      schema: {
        operationId: 'leaveCase',
        tags: ['theatre'],
        summary: 'A staff member leaves the case team (a handover, or badged in by mistake)',
        description:
          'The record keeps that they were in the case, and when they left. Whoever was badged before them and is still in the case is at the scanner again.',
        params: CaseStaffParamsSchema,
        response: {
          200: jsonResponse('The case team now.', CaseTeamSchema),
          409: problemResponse('The procedure is completed (PROCEDURE_COMPLETED), or the staff member is not in the case (STAFF_NOT_IN_CASE).'),
        },
      },
    },
    async (req) => leaveCase(app.db, requestContext(req), req.params.id, req.params.staffId),
  );

  app.post(
    '/v1/procedures/search',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'searchProcedures',
        tags: ['theatre'],
        summary: "Find procedures by patient, period or place (the NHS number goes in the body, not the URL)",
        body: SearchProceduresBody,
        response: { 200: jsonResponse('The procedures found, newest first.', ProcedureListSchema) },
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
