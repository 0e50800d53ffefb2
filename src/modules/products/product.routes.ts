import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProblemError } from '../../shared/problem.js';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import type { Product } from './product.repository.js';
import { GtinParams, ImportReportSchema, ProductSchema, PutProductBody } from './product.schemas.js';
import { getProduct, importProducts, putProduct } from './product.service.js';

const IMPORT_LIMIT_BYTES = 50 * 1024 * 1024;

export const toProductApi = (p: Product) => ({
  di: p.di,
  issuingAgency: p.issuingAgency,
  brand: p.brand,
  model: p.model,
  manufacturer: p.manufacturer,
  description: p.description,
  implantable: p.implantable,
  productionIdentifiers: p.productionIdentifiers && { ...p.productionIdentifiers },
  source: p.source,
  updatedAt: p.updatedAt.toISOString(),
});

export const productRoutes: FastifyPluginAsyncZod = async (app) => {
  // Catalogue imports arrive as CSV text; this parser exists only within this plugin.
  // Decoded strictly: bytes that are not UTF-8 are refused, never stored as U+FFFD in their place.
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'buffer', bodyLimit: IMPORT_LIMIT_BYTES }, (_req, body: Buffer, done) => {
    try {
      done(null, new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch {
      const message = 'is not valid UTF-8 (a byte sequence no character has, or a lone UTF-16 surrogate)';
      done(new ProblemError('VALIDATION_FAILED', `The body ${message}: save the CSV as UTF-8.`, { errors: [{ in: 'body', pointer: '', message, code: 'invalid_characters' }] }), undefined);
    }
  });

  app.put(
    '/v1/products/:gtin',
    {
      config: { access: ['procurement'] },
      schema: { tags: ['catalogue'], summary: 'Add or replace a product in the catalogue by its GTIN', params: GtinParams, body: PutProductBody, response: { 200: ProductSchema } },
    },
    async (req) => toProductApi(await putProduct(app.db, requestContext(req), req.params.gtin, req.body, app.clock)),
  );

  app.get(
    '/v1/products/:gtin',
    {
      config: { access: ['procurement', 'scanner', 'registry', 'admin'] },
      schema: { tags: ['catalogue'], summary: 'A product of the catalogue by its GTIN', params: GtinParams, response: { 200: ProductSchema } },
    },
    async (req) => toProductApi(await getProduct(app.db, req.params.gtin)),
  );

  app.post(
    '/v1/products/import',
    {
      config: { access: ['procurement'] },
      bodyLimit: IMPORT_LIMIT_BYTES,
      schema: {
        tags: ['catalogue'],
        summary: 'Import products from CSV in FDA GUDID device-file columns',
        description:
          'Content-Type text/csv. Columns by GUDID name (case and punctuation ignored): PrimaryDI (required), brandName, versionModelNumber, companyName, deviceDescription, implantable, issuingAgency, and the production identifier flags lotBatch, serialNumber, expirationDate, manufacturingDate (which the label carries). Pipe, comma, tab or semicolon separated. Every row is accepted (upserted by DI) or rejected with its reason.',
        body: z.string().describe('The CSV text.'),
        response: { 200: ImportReportSchema },
      },
    },
    async (req) => importProducts(app.db, requestContext(req), req.body, app.clock),
  );
};
