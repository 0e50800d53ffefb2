import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { csvLine } from '../../shared/csv.js';
import { ProblemError } from '../../shared/problem.js';
import { idempotencyKeyHeaders, jsonResponse, problemResponse } from '../../shared/schemas.js';
import {
  ConsignmentPageSchema,
  ConsignmentQuerySchema,
  ParLevelListSchema,
  ParLevelSetSchema,
  ParLevelsBody,
  ParLevelsQuerySchema,
  ToOrderQuerySchema,
  ToOrderSchema,
} from './replenishment.schemas.js';
import { allConsignmentUsed, listConsignmentUsed, listParLevels, setParLevels, toOrderReport } from './replenishment.service.js';

const CSV_RESPONSE = { schema: z.string().describe('CSV (RFC 4180 quoting, LF line ends) with a header row; cells a spreadsheet could run as a formula begin with an apostrophe.') };

const wantsCsv = (format: string | undefined, accept: string | undefined) => format === 'csv' || (format === undefined && (accept ?? '').includes('text/csv'));

const TO_ORDER_COLUMNS = ['location_gln', 'location_gln_extension', 'location_name', 'issuing_agency', 'di', 'gtin', 'brand', 'model', 'par', 'reorder_at', 'available', 'quarantined', 'shortfall', 'net_consumption', 'average_per_day', 'to_order', 'note'];
const CONSIGNMENT_COLUMNS = [
  'procedure_date',
  'procedure_id',
  'procedure_code',
  'location_gln',
  'location_gln_extension',
  'location_name',
  'issuing_agency',
  'di',
  'gtin',
  'brand',
  'model',
  'lot',
  'serial',
  'expiry',
  'quantity',
  'supplier',
  'order_ref',
  'received_at',
  'consumed_at',
  'item_id',
];

export const replenishmentRoutes: FastifyPluginAsyncZod = async (app) => {
  app.put(
    '/v1/stock/par-levels',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'setParLevels',
        tags: ['stock'],
        summary: 'Set par levels: units to hold of a product at a location, and the reorder point',
        description:
          'A list of levels, all or nothing. Each is a new setting (the history is kept); the latest of a location and product is in force; `par: 0` or `remove: true` ends it. A product is a GTIN, or an HIBC labeller and product code (with its unit-of-measure digit, default 0). The location is registered on first use. Exactly once per Idempotency-Key: a retry answers the first answer (header Idempotency-Replayed: true); the same key with another body is refused (IDEMPOTENCY_KEY_REUSED). National keys read par levels and set none (403). Audited.',
        headers: idempotencyKeyHeaders('One key per request (e.g. a UUID); retries reuse it. Without it: 400 IDEMPOTENCY_KEY_MISSING.'),
        body: ParLevelsBody,
        response: {
          200: jsonResponse('The settings recorded.', ParLevelSetSchema),
          400: problemResponse('No Idempotency-Key header (IDEMPOTENCY_KEY_MISSING), or malformed JSON.'),
          422: problemResponse('The body is invalid (VALIDATION_FAILED), a line names a location and product an earlier line names or a reorder point above its par (STOCK_LINE_INVALID), or the Idempotency-Key was used for another request (IDEMPOTENCY_KEY_REUSED).'),
        },
      },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key'];
      if (key === undefined) throw new ProblemError('IDEMPOTENCY_KEY_MISSING', 'Send an Idempotency-Key header (a new UUID per request; the same one on retries).');
      const { body, replayed } = await setParLevels(app.db, requestContext(req), req.body, app.clock, key);
      if (replayed) reply.header('idempotency-replayed', 'true');
      return reply.code(200).send(body);
    },
  );

  app.get(
    '/v1/stock/par-levels',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'listParLevels',
        tags: ['stock'],
        summary: 'The par levels in force, by location and product (or every setting, with history=true)',
        description: 'An organisation’s key reads its own; a national key every organisation’s. Audited.',
        querystring: ParLevelsQuerySchema,
        response: { 200: jsonResponse('The par levels.', ParLevelListSchema) },
      },
    },
    async (req) => listParLevels(app.db, requestContext(req), req.query),
  );

  app.get(
    '/v1/stock/to-order',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'stockToOrder',
        tags: ['stock'],
        summary: 'The to-order report: par, available on hand, consumption over the last days, and what to order',
        description:
          'Per location and product with a par level in force: par, available on hand (negative rows, shortfalls, count against it), quarantined (not counted), net consumption at the point of use over the last `days` days (consumed less returned to stock; Europe/London days by the service’s clock, today included), the average per day and `toOrder = max(0, par − available)`. Products used at a location in the window with no par level there are listed apart (`usedWithoutPar`). CSV with `Accept: text/csv` or `?format=csv` (those rows with the note "used, no par level"). Audited.',
        querystring: ToOrderQuerySchema,
        response: { 200: { description: 'The to-order report.', content: { 'application/json': { schema: ToOrderSchema }, 'text/csv': CSV_RESPONSE } } },
      },
    },
    async (req, reply) => {
      const report = await toOrderReport(app.db, requestContext(req), req.query, app.clock);
      if (!wantsCsv(req.query.format, req.headers.accept)) return reply.type('application/json; charset=utf-8').send(report);
      const place = (l: { gln: string; glnExtension: string | null; name: string }) => [l.gln, l.glnExtension, l.name];
      const csv =
        csvLine(TO_ORDER_COLUMNS) +
        report.items.map((r) => csvLine([...place(r.location), r.issuingAgency, r.di, r.gtin, r.brand, r.model, r.par, r.reorderAt, r.available, r.quarantined, r.shortfall, r.netConsumption, r.averagePerDay, r.toOrder, r.atReorderPoint ? 'at reorder point' : ''])).join('') +
        report.usedWithoutPar.map((r) => csvLine([...place(r.location), r.issuingAgency, r.di, r.gtin, r.brand, r.model, '', '', r.available, r.quarantined, r.shortfall, r.netConsumption, r.averagePerDay, '', 'used, no par level'])).join('');
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="stock-to-order-${report.today}.csv"`).header('cache-control', 'no-store').send(csv);
    },
  );

  app.get(
    '/v1/stock/consignment-used',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'listConsignmentUsed',
        tags: ['stock'],
        summary: 'Consignment stock used, to be invoiced: every consignment unit consumed at the point of use and not returned',
        description:
          'Cases started from `from` through `to` (dates in Europe/London), ordered by the case’s start: the product (GTIN, lot, serial, expiry), the case (its id, procedure code and date), where the unit was taken from, and the supplier and order on the consignment receipt that brought it in (the latest receipt of its serial, else its lot, before it was used). A unit whose scan was voided or that was put aside and returned to stock is not listed. Keyset-paginated by `cursor` (JSON); CSV with `Accept: text/csv` or `?format=csv`: the whole list. An organisation’s key reads its own; a national key every organisation’s. Audited with the cases shown.',
        querystring: ConsignmentQuerySchema,
        response: { 200: { description: 'A page of the list (JSON; `nextCursor` continues), or the whole list (CSV).', content: { 'application/json': { schema: ConsignmentPageSchema }, 'text/csv': CSV_RESPONSE } } },
      },
    },
    async (req, reply) => {
      const { format, cursor, limit, ...filter } = req.query;
      if (!wantsCsv(format, req.headers.accept)) return reply.type('application/json; charset=utf-8').send(await listConsignmentUsed(app.db, requestContext(req), { ...filter, cursor, limit }));
      const rows = await allConsignmentUsed(app.db, requestContext(req), filter);
      const csv =
        csvLine(CONSIGNMENT_COLUMNS) +
        rows
          .map((r) =>
            csvLine([
              r.procedure.date,
              r.procedure.id,
              r.procedure.code,
              r.location?.gln ?? 'unlocated',
              r.location?.glnExtension,
              r.location?.name,
              r.issuingAgency,
              r.di,
              r.gtin,
              r.brand,
              r.model,
              r.lotNumber,
              r.serialNumber,
              r.expirationDate,
              r.quantity,
              r.supplier,
              r.orderRef,
              r.receivedAt,
              r.consumedAt,
              r.itemId,
            ]),
          )
          .join('');
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="consignment-used-${filter.from}-${filter.to}.csv"`).header('cache-control', 'no-store').send(csv);
    },
  );
};
