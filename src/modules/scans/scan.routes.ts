import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { ProblemError } from '../../shared/problem.js';
import { createdResponse, IdParamsSchema, jsonResponse, problemResponse, requiredByRoute } from '../../shared/schemas.js';
import { RecordScanBody, ScanResultSchema, VoidResultSchema, VoidScanBody } from './scan.schemas.js';
import { Coalescer } from '../../shared/coalescer.js';
import { recordScans, voidScan, type ScanOutcome, type ScanRequest } from './scan.service.js';

const IdempotencyHeaders = requiredByRoute(
  z.looseObject({
    'idempotency-key': z.string().min(1).max(200).optional().describe('One key per scan (e.g. a UUID made by the scanner); retries reuse it. Without it: 400 IDEMPOTENCY_KEY_MISSING.'),
  }),
  ['idempotency-key'],
);

/**
 * Scans arriving while earlier ones are being committed go together in the
 * next transaction: one durable commit for many scans, each answered after it.
 * Two batches at a time, so one is being written while the next is prepared.
 */
const SCAN_BATCH = { maxBatch: 64, maxInFlight: 2 };

export const scanRoutes: FastifyPluginAsyncZod = async (app) => {
  const scans = new Coalescer<ScanRequest, ScanOutcome>((batch) => recordScans(app.db, batch, app.clock), SCAN_BATCH);

  app.post(
    '/v1/procedures/:id/scans',
    {
      config: { access: ['scanner'] },
      schema: {
        operationId: 'recordScan',
        tags: ['theatre'],
        summary: 'Record a scan at the point of use, exactly once per Idempotency-Key',
        description:
          'Always recorded when it reads, with warnings the theatre must see (PRODUCT_EXPIRED, PRODUCT_RECALLED and SERIAL_ALREADY_IMPLANTED are critical). A retry with the same key answers the first response (header Idempotency-Replayed: true) and stores nothing; the same key with another body is refused. An unreadable barcode is refused (422 BARCODE_INVALID with the parser error) and nothing is stored.',
        params: IdParamsSchema,
        headers: IdempotencyHeaders,
        body: RecordScanBody,
        response: {
          201: createdResponse('The scan, the item it recorded or completed, and the warnings to show (or, for a retry, the first answer again).', ScanResultSchema),
          400: problemResponse('No Idempotency-Key header (IDEMPOTENCY_KEY_MISSING), or malformed JSON.'),
          409: problemResponse('The procedure is completed and no lateEntry was given (PROCEDURE_COMPLETED).'),
        },
      },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key'];
      if (key === undefined) throw new ProblemError('IDEMPOTENCY_KEY_MISSING', 'Send an Idempotency-Key header (e.g. a new UUID per scan; the same one on retries).');
      const { scannedAt, ...rest } = req.body;
      const outcome = await scans.submit({
        ctx: requestContext(req),
        procedureId: req.params.id,
        idempotencyKey: key,
        input: { ...rest, scannedAt: scannedAt === undefined ? undefined : new Date(scannedAt) },
      });
      if (outcome.replayed) reply.header('idempotency-replayed', 'true');
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/scans/${outcome.body.scan.id}`).send(outcome.body);
    },
  );

  app.post(
    '/v1/scans/:id/void',
    {
      config: { access: ['scanner'] },
      schema: {
        operationId: 'voidScan',
        tags: ['theatre'],
        summary: 'Void a scan made in error (recorded as a new row; nothing is deleted)',
        params: IdParamsSchema,
        body: VoidScanBody,
        response: { 200: jsonResponse('The void (a scan of kind void) and the item as it is now (null when no item is left).', VoidResultSchema), 409: problemResponse('Already voided (SCAN_ALREADY_VOIDED), or a void (SCAN_NOT_VOIDABLE).') },
      },
    },
    async (req) => voidScan(app.db, requestContext(req), req.params.id, req.body.reason, app.clock),
  );
};
