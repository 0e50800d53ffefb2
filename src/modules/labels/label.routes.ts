import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../domain/vocabulary.js';
import { ProblemError } from '../../shared/problem.js';
import { problemResponse } from '../../shared/schemas.js';
import { carriesPersonalData, LABEL_SYMBOLOGIES, renderLabel, type LabelSymbology } from './label.render.js';

const labelFields = {
    symbology: z.enum(Object.keys(LABEL_SYMBOLOGIES) as [LabelSymbology, ...LabelSymbology[]]),
    data: z
      .string()
      .min(1)
      .max(2000)
      .describe('What to encode: GS1 data (bracketed form, element string or Digital Link) or HIBC data (with its "+" and check character).'),
    format: z.enum(['svg', 'png']).default('svg'),
};
// Query strings cannot be $refs in OpenAPI parameters: only the body schema is registered.
const LabelQuery = z.strictObject(labelFields);
const LabelBody = z.strictObject(labelFields).meta({ id: 'LabelRequest' });

const image = {
  description: 'The label image.',
  content: {
    'image/svg+xml': { schema: z.string() },
    'image/png': { schema: z.custom<Buffer>((v) => Buffer.isBuffer(v)).meta({ type: 'string', format: 'binary' }) },
  },
};

export const labelRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/labels',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'renderLabelFromQuery',
        tags: ['barcodes'],
        summary: 'Render a product or place label (GS1 DataMatrix, GS1-128, GS1 QR, HIBC DataMatrix)',
        description:
          'The data is validated by the parser first: a label never encodes what a scanner would reject. Patient wristband data (8018 and other person AIs) is refused here because URLs are logged: use POST /v1/labels.',
        querystring: LabelQuery,
        response: { 200: image, 422: problemResponse('The data is not valid for the symbology (LABEL_DATA_INVALID), or carries patient data in the URL (PERSONAL_DATA_IN_URL).') },
      },
    },
    async (req, reply) => {
      const label = await renderLabel(req.query, app.clock.now());
      if (carriesPersonalData(label.parsed)) {
        throw new ProblemError('PERSONAL_DATA_IN_URL', 'Patient identifiers and personal details must not be sent in a URL. Use POST /v1/labels with the same fields in the body.');
      }
      return reply.type(label.contentType).header('cache-control', 'private, max-age=300').send(label.body);
    },
  );

  app.post(
    '/v1/labels',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'renderLabel',
        tags: ['barcodes'],
        summary: 'Render any label, including patient wristbands (8018), with the data in the body',
        body: LabelBody,
        response: { 200: image, 422: problemResponse('The data is not valid for the symbology (LABEL_DATA_INVALID).') },
      },
    },
    async (req, reply) => {
      const label = await renderLabel(req.body, app.clock.now());
      return reply.type(label.contentType).header('cache-control', 'no-store').send(label.body);
    },
  );
};
