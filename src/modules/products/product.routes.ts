import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProblemError } from '../../shared/problem.js';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { jsonResponse } from '../../shared/schemas.js';
import type { Product } from './product.repository.js';
import { GtinParams, ImportReportSchema, PatchProductBody, ProductHistoryQuery, ProductHistorySchema, ProductSchema, PutProductBody } from './product.schemas.js';
import { getProduct, getProductHistory, importProducts, writeProduct } from './product.service.js';

const LAYERS =
  'A national procurement key writes the national record, which every organisation sees; an organisation’s procurement key ' +
  'writes that organisation’s own values, which only it sees, each over the national value. Readers (scan checks, recalls, ' +
  'registry feeds, the console) see the merge. Every change is kept with its values before and after (`/history`) and audited.';

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
  clinical: p.clinical && { ...p.clinical },
  source: p.source,
  updatedAt: p.updatedAt.toISOString(),
  organisationValues: [...p.organisationValues],
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

  // PUT replaces the caller's values, PATCH changes the fields sent: one route each, the same shape.
  for (const write of [
    {
      how: 'put',
      operationId: 'replaceProduct',
      body: PutProductBody,
      summary: 'Set the caller’s values for a product, replacing them all (fields not sent are unset)',
      rule: 'PUT replaces what the caller’s layer holds: for an organisation, a field not sent falls back to the national value.',
    },
    {
      how: 'patch',
      operationId: 'updateProduct',
      body: PatchProductBody,
      summary: 'Change some of the caller’s values for a product (fields not sent are kept; null unsets)',
      rule: 'PATCH changes only the fields sent; `null` unsets one (for an organisation: back to the national value).',
    },
  ] as const) {
    app.route({
      method: write.how === 'put' ? 'PUT' : 'PATCH',
      url: '/v1/products/:gtin',
      config: { access: ['procurement'] },
      schema: {
        operationId: write.operationId,
        tags: ['catalogue'],
        summary: write.summary,
        description: `${LAYERS} ${write.rule}`,
        params: GtinParams,
        body: write.body,
        response: { 200: jsonResponse('The product as the caller now sees it.', ProductSchema) },
      },
      handler: async (req) => toProductApi(await writeProduct(app.db, requestContext(req), req.params.gtin, req.body, write.how, app.clock)),
    });
  }

  app.get(
    '/v1/products/:gtin/history',
    {
      config: { access: ['procurement', 'admin'] },
      schema: {
        operationId: 'listProductHistory',
        tags: ['catalogue'],
        summary: 'Every change of a product the caller may see, with the values before and after, newest first',
        description: 'The national record’s changes, and (for an organisation’s key) that organisation’s own; never another organisation’s.',
        params: GtinParams,
        querystring: ProductHistoryQuery,
        response: { 200: jsonResponse('A page of changes, newest first; `next` continues.', ProductHistorySchema) },
      },
    },
    async (req) => {
      const changes = await getProductHistory(app.db, requestContext(req), req.params.gtin, req.query.limit + 1, req.query.before);
      const page = changes.slice(0, req.query.limit);
      return {
        changes: page.map((c) => ({ ...c, changedAt: c.changedAt.toISOString() })),
        next: changes.length > req.query.limit ? (page.at(-1)?.id ?? null) : null,
      };
    },
  );

  app.get(
    '/v1/products/:gtin',
    {
      config: { access: ['procurement', 'scanner', 'registry', 'admin'] },
      schema: {
        operationId: 'getProduct',
        tags: ['catalogue'],
        summary: 'A product of the catalogue by its GTIN, as the caller’s organisation sees it',
        description: 'The organisation’s own values over the national record (`organisationValues` names the fields that are its own); for a national key, the national record.',
        params: GtinParams,
        response: { 200: jsonResponse('The product.', ProductSchema) },
      },
    },
    async (req) => toProductApi(await getProduct(app.db, requestContext(req), req.params.gtin)),
  );

  app.post(
    '/v1/products/import',
    {
      config: { access: ['procurement'] },
      bodyLimit: IMPORT_LIMIT_BYTES,
      schema: {
        operationId: 'importProducts',
        tags: ['catalogue'],
        summary: 'Import products from CSV in FDA GUDID columns: the device file, or its gmdnTerms and deviceSizes files',
        description:
          'Content-Type text/csv. Writes the caller’s layer: a national key the national record, an organisation’s key its own values. Pipe, comma, tab or semicolon separated; columns by GUDID name (case, spaces and punctuation ignored). ' +
          'Which file it is, the columns say. **Device file**: PrimaryDI (required), brandName, versionModelNumber, companyName, deviceDescription, implantable, issuingAgency, the production identifier flags lotBatch, serialNumber, expirationDate, manufacturingDate (which the label carries), and the clinical columns component, laterality, system, taper, bearing, headDiameterMm, innerDiameterMm, outerDiameterMm (a manufacturer’s CSV; explicit values); each row is upserted by DI. ' +
          '**gmdnTerms file** (PrimaryDI, gmdnPTName, optionally gmdnCode) and **deviceSizes file** (PrimaryDI, sizeType, size (value), size (unit)), or one with both: for products already in the catalogue, the clinical component is derived from the GMDN preferred term (whole terms from a table, never a part of one; a term not listed gives nothing) and the head, inner and outer diameters from the sizes (by component; centimetres and inches converted to millimetres; other units refused; an ambiguous size left unknown). A device file may carry gmdnPTName and one size per row too. ' +
          'Derived values fill unknown attributes and correct values derived before (`clinical.derivedFromGudid`); a value set explicitly (the catalogue API, a CSV’s clinical columns) is never replaced. GUDID has no laterality, taper, bearing or system: they stay as they are. ' +
          'Every row is accepted or rejected with its reason (a size for a product whose component is unknown is rejected: set the component and import again); accepted rows that set nothing are listed in `notApplied` with the reason. Bad files are 422 `CSV_INVALID`.',
        body: z.string().describe('The CSV text.'),
        response: { 200: jsonResponse('What became of each row: accepted, changed or rejected with its reason.', ImportReportSchema) },
      },
    },
    async (req) => importProducts(app.db, requestContext(req), req.body, app.clock),
  );
};
