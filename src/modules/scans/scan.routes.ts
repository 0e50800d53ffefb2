import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestContext } from '../../plugins/auth.js';
import { ProblemError } from '../../shared/problem.js';
import { createdResponse, IdParamsSchema, idempotencyKeyHeaders, jsonResponse, problemResponse } from '../../shared/schemas.js';
import { CheckBody, CheckResultSchema, ChecksListSchema, RecordScanBody, ScanResultSchema, VoidResultSchema, VoidScanBody } from './scan.schemas.js';
import { checkBeforeOpening, listChecks } from './check.service.js';
import { Coalescer } from '../../shared/coalescer.js';
import { recordScans, voidScan, type ScanOutcome, type ScanRequest } from './scan.service.js';

const IdempotencyHeaders = idempotencyKeyHeaders('One key per scan (e.g. a UUID made by the scanner); retries reuse it. Without it: 400 IDEMPOTENCY_KEY_MISSING.');

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

  app.post(
    '/v1/procedures/:id/check',
    {
      config: { access: ['scanner'] },
      schema: {
        operationId: 'checkBeforeOpening',
        tags: ['theatre'],
        summary: 'Check a box before opening it: the warnings a scan as implanted would give, recording no item',
        description:
          'Scan the box before it is opened. The answer is the item as a scan would read it and every warning a scan of it as implanted would give now: expired, recalled, already implanted in another patient, and the compatibility checks against the procedure’s side and the components implanted in it (SIDE_MISMATCH, SIZE_MISMATCH, TAPER_MISMATCH are critical: do not open it). Unknown clinical attributes are never taken as compatible: the check says what it could not check (COMPATIBILITY_NOT_CHECKED, information). Nothing is recorded about the patient; the check itself is kept as a finding event (what, found what, by whom, when) and audited. Safe to repeat.',
        params: IdParamsSchema,
        body: CheckBody,
        response: {
          200: jsonResponse('The item as it would be recorded, the findings, and whether a scan would ask for a decision.', CheckResultSchema),
          409: problemResponse('The procedure is completed (PROCEDURE_COMPLETED).'),
        },
      },
    },
    async (req) => checkBeforeOpening(app.db, requestContext(req), req.params.id, req.body, app.clock),
  );

  app.get(
    '/v1/procedures/:id/checks',
    {
      config: { access: ['scanner'] },
      schema: {
        operationId: 'listChecks',
        tags: ['theatre'],
        summary: 'The checks before opening made in a procedure, oldest first',
        params: IdParamsSchema,
        response: { 200: jsonResponse('Each check as kept.', ChecksListSchema) },
      },
    },
    async (req) => listChecks(app.db, requestContext(req), req.params.id),
  );
};
