import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { csvLine } from '../../shared/csv.js';
import { ProblemError } from '../../shared/problem.js';
import { createdResponse, idempotencyKeyHeaders, jsonResponse, problemResponse } from '../../shared/schemas.js';
import {
  DiscrepancySchema,
  ExpiringQuerySchema,
  ExpiringSchema,
  MoveBody,
  MovementGroupParamsSchema,
  MovementGroupSchema,
  MovementPageSchema,
  MovementQuerySchema,
  MovementResultSchema,
  ReceiptBody,
  ReturnBody,
  StatusChangeBody,
  StockPageSchema,
  StockQuerySchema,
  WriteOffBody,
} from './stock.schemas.js';
import { allStock, expiringStock, getMovementGroup, listMovements, listStock, recordStockMovement, stockDiscrepancies, type OnHandApi, type StockRequest } from './stock.service.js';

const IdempotencyHeaders = idempotencyKeyHeaders('One key per stock request (e.g. a UUID); retries reuse it. Without it: 400 IDEMPOTENCY_KEY_MISSING.');

const CSV_RESPONSE = { schema: z.string().describe('CSV (RFC 4180 quoting, LF line ends) with a header row; cells a spreadsheet could run as a formula begin with an apostrophe.') };

const ON_HAND_COLUMNS = ['location_gln', 'location_gln_extension', 'location_name', 'issuing_agency', 'di', 'gtin', 'brand', 'model', 'lot', 'serial', 'expiry', 'status', 'consignment', 'quantity'];
const onHandCells = (r: OnHandApi) => [r.location?.gln ?? 'unlocated', r.location?.glnExtension, r.location?.name, r.issuingAgency, r.di, r.gtin, r.brand, r.model, r.lotNumber, r.serialNumber, r.expirationDate, r.status, String(r.consignment), r.quantity];

const DiscrepancyQuerySchema = z.object({ format: z.enum(['json', 'csv']).optional() });

const wantsCsv = (format: string | undefined, accept: string | undefined) => format === 'csv' || (format === undefined && (accept ?? '').includes('text/csv'));

interface WriteRoute {
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly body: z.ZodType;
  readonly toRequest: (body: never) => StockRequest;
}

const WRITES: readonly WriteRoute[] = [
  {
    url: '/v1/stock/receipts',
    operationId: 'receiveStock',
    summary: 'Goods in: receive products by scanning them at a location',
    description:
      'Each scan is a unit (a serial number: quantity 1) or a lot and quantity (the label’s count, GS1 AI 30 or 37 or the HIBC quantity, unless `quantity` says otherwise; else 1). A serial on hand already in the organisation is refused (409 STOCK_UNIT_ON_HAND). A label that does not read refuses the whole receipt (422 BARCODE_INVALID naming the scan). The location is registered on first use.',
    body: ReceiptBody,
    toRequest: (b: z.output<typeof ReceiptBody>) => ({ kind: 'received', ...b }),
  },
  {
    url: '/v1/stock/moves',
    operationId: 'moveStock',
    summary: 'Move available stock from one location (or the unlocated account) to another',
    description: 'Takes what expires first. All or nothing: a line with fewer units available at `from` than it asks refuses the request (409 STOCK_INSUFFICIENT).',
    body: MoveBody,
    toRequest: (b: z.output<typeof MoveBody>) => ({ kind: 'moved', ...b }),
  },
  {
    url: '/v1/stock/write-offs',
    operationId: 'writeOffStock',
    summary: 'Write stock off (expired, damaged, opened and not used)',
    description: 'Takes quarantined units first, then available ones. All or nothing (409 STOCK_INSUFFICIENT).',
    body: WriteOffBody,
    toRequest: (b: z.output<typeof WriteOffBody>) => ({ kind: 'written-off', ...b }),
  },
  {
    url: '/v1/stock/returns',
    operationId: 'returnStock',
    summary: 'Return stock to its supplier',
    description: 'Takes quarantined units first (a recall’s return), then available ones. All or nothing (409 STOCK_INSUFFICIENT).',
    body: ReturnBody,
    toRequest: (b: z.output<typeof ReturnBody>) => ({ kind: 'returned-to-supplier', ...b }),
  },
  {
    url: '/v1/stock/quarantine',
    operationId: 'quarantineStock',
    summary: 'Quarantine available stock where it is',
    description: 'The units stay on hand with status quarantined: not moved, not counted as available. All or nothing (409 STOCK_INSUFFICIENT).',
    body: StatusChangeBody,
    toRequest: (b: z.output<typeof StatusChangeBody>) => ({ kind: 'quarantined', ...b }),
  },
  {
    url: '/v1/stock/release',
    operationId: 'releaseStock',
    summary: 'Release quarantined stock back to available',
    description: 'All or nothing (409 STOCK_INSUFFICIENT when fewer units are quarantined there than a line asks).',
    body: StatusChangeBody,
    toRequest: (b: z.output<typeof StatusChangeBody>) => ({ kind: 'released', ...b }),
  },
];

export const stockRoutes: FastifyPluginAsyncZod = async (app) => {
  for (const route of WRITES) {
    app.post(
      route.url,
      {
        config: { access: ['procurement'] },
        schema: {
          operationId: route.operationId,
          tags: ['stock'],
          summary: route.summary,
          description: `${route.description} Exactly once per Idempotency-Key: a retry (same key, same body) records nothing and answers the first answer (header Idempotency-Replayed: true); the same key with another body is refused (IDEMPOTENCY_KEY_REUSED). National keys read stock and write none (403).`,
          headers: IdempotencyHeaders,
          body: route.body,
          response: {
            201: createdResponse('The movement: its ledger rows and the stock on hand after it, where it moved the products.', MovementResultSchema),
            400: problemResponse('No Idempotency-Key header (IDEMPOTENCY_KEY_MISSING), or malformed JSON.'),
            409: problemResponse('Not enough on hand in the status needed (STOCK_INSUFFICIENT), or a serialised unit on hand already (STOCK_UNIT_ON_HAND).'),
            422: problemResponse('The body is invalid (VALIDATION_FAILED), a label does not read (BARCODE_INVALID) or names no product (NOT_A_PRODUCT_LABEL, STOCK_LINE_INVALID), or the Idempotency-Key was used for another request (IDEMPOTENCY_KEY_REUSED).'),
          },
        },
      },
      async (req, reply) => {
        const key = req.headers['idempotency-key'];
        if (key === undefined) throw new ProblemError('IDEMPOTENCY_KEY_MISSING', 'Send an Idempotency-Key header (a new UUID per stock request; the same one on retries).');
        const { body, replayed } = await recordStockMovement(app.db, requestContext(req), route.toRequest(req.body as never), app.clock, key);
        if (replayed) reply.header('idempotency-replayed', 'true');
        return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/stock/movements/${body.movementGroup}`).send(body);
      },
    );
  }

  app.get(
    '/v1/stock/movements',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'listStockMovements',
        tags: ['stock'],
        summary: 'The stock ledger, oldest first, a page at a time',
        description: 'Keyset-paginated by `cursor`. Filters: a location’s GLN (the rows from or to it) or "unlocated", GTIN, lot, kind. An organisation’s key reads its own ledger; a national key every organisation’s. Audited.',
        querystring: MovementQuerySchema,
        response: { 200: jsonResponse('A page of the ledger; `nextCursor` continues.', MovementPageSchema) },
      },
    },
    async (req) => listMovements(app.db, requestContext(req), req.query),
  );

  app.get(
    '/v1/stock/movements/:group',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'getStockMovement',
        tags: ['stock'],
        summary: 'The ledger rows of one stock movement',
        params: MovementGroupParamsSchema,
        response: { 200: jsonResponse('The rows of the movement, in the order recorded.', MovementGroupSchema) },
      },
    },
    async (req) => getMovementGroup(app.db, requestContext(req), req.params.group),
  );

  app.get(
    '/v1/stock',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'listStock',
        tags: ['stock'],
        summary: 'Stock on hand by location, product, lot, serial and expiry: JSON pages, or CSV',
        description:
          'Keyset-paginated by `cursor` in a stable order. Filters: a location’s GLN (or "unlocated"), GTIN, lot, status, expiring before a date. An organisation’s key sees its own stock; a national key every organisation’s. CSV with `Accept: text/csv` or `?format=csv`: the whole filtered list (streamed, `cursor` and `limit` ignored), the same columns as JSON. Audited.',
        querystring: StockQuerySchema,
        response: {
          200: {
            description: 'A page of stock on hand (JSON; `nextCursor` continues), or the whole filtered list (CSV).',
            content: { 'application/json': { schema: StockPageSchema }, 'text/csv': { schema: z.custom<Readable>((v) => v instanceof Readable).meta({ type: 'string', description: 'CSV (RFC 4180 quoting, LF line ends) with a header row; cells a spreadsheet could run as a formula begin with an apostrophe.' }) } },
          },
        },
      },
    },
    async (req, reply) => {
      const { format, cursor, limit, ...filter } = req.query;
      if (!wantsCsv(format, req.headers.accept)) return reply.type('application/json; charset=utf-8').send(await listStock(app.db, requestContext(req), { ...filter, cursor, limit }));
      const pages = await allStock(app.db, requestContext(req), filter);
      const csv = Readable.from(
        (async function* lines() {
          yield csvLine(ON_HAND_COLUMNS);
          for await (const page of pages) yield page.map((r) => csvLine(onHandCells(r))).join('');
        })(),
      );
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="stock.csv"').header('cache-control', 'no-store').send(csv);
    },
  );

  app.get(
    '/v1/stock/expiring',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'listExpiringStock',
        tags: ['stock'],
        summary: 'The shelf-expiry report: stock that has expired or expires within N days, by location',
        description:
          'Dates are the service’s, in Europe/London (as the scan path’s PRODUCT_EXPIRED). Expired stock still on hand first, then soonest to expire. CSV with `Accept: text/csv` or `?format=csv`. Audited.',
        querystring: ExpiringQuerySchema,
        response: { 200: { description: 'Expired and expiring stock on hand.', content: { 'application/json': { schema: ExpiringSchema }, 'text/csv': CSV_RESPONSE } } },
      },
    },
    async (req, reply) => {
      const report = await expiringStock(app.db, requestContext(req), req.query.days, app.clock);
      if (!wantsCsv(req.query.format, req.headers.accept)) return reply.type('application/json; charset=utf-8').send(report);
      const csv = csvLine([...ON_HAND_COLUMNS, 'expiry_status']) + report.items.map((r) => csvLine([...onHandCells(r), r.expiry])).join('');
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="stock-expiring-${report.today}.csv"`).header('cache-control', 'no-store').send(csv);
    },
  );

  app.get(
    '/v1/stock/discrepancies',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'listStockDiscrepancies',
        tags: ['stock'],
        summary: 'The discrepancy report: what the point of use took that the stock did not hold',
        description:
          'Stock below zero by location (the unlocated account last: cases opened without a theatre), product, lot and serial, with the case that last found it short. A theatre scan never waits on stock: a unit that was not received there is recorded as used, and shows here until a receipt or a move puts it right. CSV with `Accept: text/csv` or `?format=csv`. Audited.',
        querystring: DiscrepancyQuerySchema,
        response: { 200: { description: 'Stock below zero.', content: { 'application/json': { schema: DiscrepancySchema }, 'text/csv': CSV_RESPONSE } } },
      },
    },
    async (req, reply) => {
      const report = await stockDiscrepancies(app.db, requestContext(req));
      if (!wantsCsv(req.query.format, req.headers.accept)) return reply.type('application/json; charset=utf-8').send(report);
      const csv =
        csvLine([...ON_HAND_COLUMNS, 'last_procedure_id', 'last_consumed_at']) +
        report.items.map((r) => csvLine([...onHandCells(r), r.lastConsumption?.procedureId, r.lastConsumption?.recordedAt])).join('');
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="stock-discrepancies.csv"').header('cache-control', 'no-store').send(csv);
    },
  );
};
