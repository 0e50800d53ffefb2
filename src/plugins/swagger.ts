import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export const DOCS_PREFIX = '/docs';

export const API_INFO = {
  title: 'Implant Trace API',
  version: '0.1.0',
  description: [
    'Implant traceability at the point of use (NHS Scan4Safety): parse GS1 and HIBC barcodes,',
    'link implanted devices to patients and procedures, answer recalls, and feed registries.',
    '',
    'Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457 `application/problem+json`',
    'with a stable `code`; see `GET /problems` for the list. NHS numbers never travel in URLs.',
  ].join('\n'),
  license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
};

/** OpenAPI 3.1 generated from the zod route schemas; Swagger UI at /docs. */
export const swaggerPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: API_INFO,
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key issued by POST /v1/api-keys.' },
          },
        },
        tags: [
          { name: 'service', description: 'Liveness, readiness and the API description.' },
          { name: 'access', description: 'Organisations, API keys and who is calling.' },
          { name: 'barcodes', description: 'Parse and explain scans; render labels.' },
          { name: 'theatre', description: 'Procedures, scans at the point of use, locations and staff.' },
          { name: 'catalogue', description: 'The product catalogue (GUDID-like).' },
          { name: 'reports', description: 'Data quality of the scanning.' },
          { name: 'recalls', description: 'Field Safety Notices: affected patients, exports, contact tracking, quarantine at scan.' },
        ],
      },
      transform: jsonSchemaTransform,
      transformObject: jsonSchemaTransformObject,
    });
    // A Content-Security-Policy built from the page's own script and style hashes; no upgrade to https,
    // which would break /docs on a plain-http installation.
    await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: true, transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, '') });
  },
  { name: 'swagger', dependencies: ['auth'] },
);
