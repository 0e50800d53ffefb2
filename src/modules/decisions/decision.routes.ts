import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestContext } from '../../plugins/auth.js';
import { IdParamsSchema, jsonResponse, problemResponse } from '../../shared/schemas.js';
import { ItemSchema } from '../scans/scan.schemas.js';
import { DecisionBody } from './decision.schemas.js';
import { decideItem } from './decision.service.js';

export const decisionRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/items/:id/decision',
    {
      config: { access: ['scanner'] },
      schema: {
        operationId: 'decideItem',
        tags: ['theatre'],
        summary: 'Decide on an item that raised a critical warning: put aside (not-used) or implanted anyway (an override, with a reason)',
        description:
          'An item scanned for implanting that raised a critical warning (PRODUCT_EXPIRED, PRODUCT_RECALLED, SERIAL_ALREADY_IMPLANTED, a probable misread) is recorded with `decision.status: pending` and is not counted as in the patient until decided. `implanted` needs a reason; `not-used` needs a disposition. A decision can be corrected by a later one with a reason, never erased; sending the decision in force again changes nothing. Who decided and when (the service\'s time) are recorded and audited.',
        params: IdParamsSchema,
        body: DecisionBody,
        response: {
          200: jsonResponse('The item with the decision in force.', ItemSchema),
          409: problemResponse('The item raised no critical warning, or was voided (DECISION_NOT_REQUIRED).'),
          422: problemResponse('A reason or disposition is missing, or a correction without a reason (VALIDATION_FAILED).'),
        },
      },
    },
    async (req) => decideItem(app.db, requestContext(req), req.params.id, req.body),
  );
};
