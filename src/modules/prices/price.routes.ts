import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { ProblemError } from '../../shared/problem.js';
import { createdResponse, idempotencyKeyHeaders, jsonResponse, problemResponse } from '../../shared/schemas.js';
import { MAX_CSV_PRICES, MAX_JSON_PRICES, BatchParamsSchema, BatchQuerySchema, PriceBatchPageSchema, PriceBatchSchema, PriceImportResultSchema, PriceListBody, PricesInForceSchema, PricesQuerySchema } from './price.schemas.js';
import { getPriceBatch, importPrices, PRICE_CSV_COLUMNS, pricesOn, recordPrices } from './price.service.js';

const IdempotencyHeaders = idempotencyKeyHeaders('One key per price list request (e.g. a UUID); retries reuse it. Without it: 400 IDEMPOTENCY_KEY_MISSING.');
/** A trust's whole price list: 100,000 rows of about 80 bytes. */
const IMPORT_LIMIT_BYTES = 16 * 1024 * 1024;

const HISTORY =
  'Append-only: a price is never changed. A later `effectiveFrom` supersedes it from that day; a mistaken price is corrected by sending the product again with the same `effectiveFrom`, which supersedes it from when it is recorded (the history keeps both).';
const ONCE =
  'Exactly once per Idempotency-Key: a retry (same key, same body) records nothing and answers the first answer (header Idempotency-Replayed: true); the same key with another body is refused (IDEMPOTENCY_KEY_REUSED). An organisation’s procurement key writes its organisation’s price list; national keys read every organisation’s and write none (403). Audited.';

function idempotencyKeyOf(headers: Record<string, unknown>): string {
  const key = headers['idempotency-key'];
  if (typeof key !== 'string') throw new ProblemError('IDEMPOTENCY_KEY_MISSING', 'Send an Idempotency-Key header (a new UUID per price list request; the same one on retries).');
  return key;
}

export const priceRoutes: FastifyPluginAsyncZod = async (app) => {
  // Price list imports arrive as CSV text; this parser exists only within this plugin. Not UTF-8: refused.
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: IMPORT_LIMIT_BYTES }, (_req, body: Buffer, done) => {
    try {
      done(null, new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch {
      const message = 'is not valid UTF-8 (a byte sequence no character has, or a lone UTF-16 surrogate)';
      done(new ProblemError('VALIDATION_FAILED', `The body ${message}: save the CSV as UTF-8.`, { errors: [{ in: 'body', pointer: '', message, code: 'invalid_characters' }] }), undefined);
    }
  });

  app.post(
    '/v1/prices',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'recordPrices',
        tags: ['prices'],
        summary: 'Record unit prices: the organisation’s price list, from a date',
        description: `1 to ${MAX_JSON_PRICES} prices, each of a product (GTIN, or HIBC labeller, product code and unit of measure) from \`effectiveFrom\` (inclusive), as an exact decimal string (never a float). All or nothing: an invalid entry refuses the list (422 VALIDATION_FAILED with its pointer; a currency other than the price list’s: PRICE_LIST_INVALID). ${HISTORY} ${ONCE}`,
        headers: IdempotencyHeaders,
        body: PriceListBody,
        response: {
          201: createdResponse('The prices recorded (`Location`: the batch).', PriceBatchSchema),
          400: problemResponse('No Idempotency-Key header (IDEMPOTENCY_KEY_MISSING), or malformed JSON.'),
          422: problemResponse('An entry is invalid (VALIDATION_FAILED), its currency is not the price list’s (PRICE_LIST_INVALID), or the Idempotency-Key was used for another request (IDEMPOTENCY_KEY_REUSED).'),
        },
      },
    },
    async (req, reply) => {
      const { body, replayed } = await recordPrices(app.db, requestContext(req), req.body, idempotencyKeyOf(req.headers));
      if (replayed) reply.header('idempotency-replayed', 'true');
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/prices/batches/${body.batchId}`).send(body);
    },
  );

  app.post(
    '/v1/prices/import',
    {
      config: { access: ['procurement'] },
      bodyLimit: IMPORT_LIMIT_BYTES,
      schema: {
        operationId: 'importPrices',
        tags: ['prices'],
        summary: 'Import a price list from CSV, all or nothing',
        description: [
          `Content-Type text/csv (UTF-8), comma separated, a header row naming the columns (any order, case ignored): ${PRICE_CSV_COLUMNS.join(', ')}; gtin, unit_price and effective_from required, empty cells of the others not given (currency: GBP).`,
          `gtin: 8, 12, 13 or 14 digits with their check digit (a GTIN-14 whose leading zero a spreadsheet dropped reads as the same product). unit_price: an exact decimal ("123.45"; GBP at most 2 decimal places). effective_from: YYYY-MM-DD. Up to ${MAX_CSV_PRICES} rows.`,
          'All or nothing: any bad row refuses the import with 422 PRICE_LIST_INVALID, whose `rows` lists each bad row (`row`: its line, the header being row 1) and why; nothing is recorded. A file that cannot be read as CSV or lacks a required column: 422 CSV_INVALID.',
          HISTORY,
          ONCE,
        ].join(' '),
        consumes: ['text/csv'],
        headers: IdempotencyHeaders,
        body: z.string().describe('The CSV text.'),
        response: {
          201: createdResponse('What was recorded (`Location`: the batch, its rows a page at a time).', PriceImportResultSchema),
          400: problemResponse('No Idempotency-Key header (IDEMPOTENCY_KEY_MISSING).'),
          422: problemResponse('Bad rows (PRICE_LIST_INVALID, each listed), a file that cannot be read or lacks a required column (CSV_INVALID), or the Idempotency-Key was used for another request (IDEMPOTENCY_KEY_REUSED).'),
        },
      },
    },
    async (req, reply) => {
      const { body, replayed } = await importPrices(app.db, requestContext(req), req.body, idempotencyKeyOf(req.headers));
      if (replayed) reply.header('idempotency-replayed', 'true');
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/prices/batches/${body.batchId}`).send(body);
    },
  );

  app.get(
    '/v1/prices',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'getPrices',
        tags: ['prices'],
        summary: 'The unit price in force on a date: of a product, or of every product priced',
        description:
          'The price in force on `on` (default: today in Europe/London) is the one with the latest `effectiveFrom` on or before it, the latest recorded among those (a correction). `history=true` adds each product’s whole price history, each row marked in force, superseded, corrected or future. An organisation’s key reads its own price list; a national key every organisation’s. Audited.',
        querystring: PricesQuerySchema,
        response: { 200: jsonResponse('The prices in force on the date.', PricesInForceSchema) },
      },
    },
    async (req) => pricesOn(app.db, requestContext(req), { gtin: req.query.gtin, on: req.query.on, history: req.query.history === 'true' }, app.clock),
  );

  app.get(
    '/v1/prices/batches/:id',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'getPriceBatch',
        tags: ['prices'],
        summary: 'The prices one request recorded (a JSON list or a CSV import), a page at a time',
        params: BatchParamsSchema,
        querystring: BatchQuerySchema,
        response: { 200: jsonResponse('A page of the batch’s prices, in the order recorded; `nextCursor` continues.', PriceBatchPageSchema) },
      },
    },
    async (req) => getPriceBatch(app.db, requestContext(req), req.params.id, req.query),
  );
};
