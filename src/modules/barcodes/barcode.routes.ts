import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseBarcode } from '../../barcode/index.js';
import { ROLES } from '../../domain/vocabulary.js';
import { jsonResponse } from '../../shared/schemas.js';
import { ParseBarcodeBody, ParseResultSchema } from './barcode.schemas.js';

export const barcodeRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/barcodes/parse',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'parseBarcode',
        tags: ['barcodes'],
        summary: 'Parse one scan and explain it',
        description:
          'Answers 200 with the parse result whether or not the scan is valid: `valid`, the device fields, and for an invalid scan `error` with its kind, stable code and the position of the offending characters. Use it to check a scanner configuration.',
        body: ParseBarcodeBody,
        response: { 200: jsonResponse('The parse result, valid or not.', ParseResultSchema) },
      },
    },
    async (req) => parseBarcode(req.body.barcode, { today: app.clock.now() }),
  );
};
