import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { finishDocument } from './openapi-document.js';

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

export interface SwaggerOptions {
  /** PUBLIC_BASE_URL: the one server the document names. Unset: `/`, the origin the document is read from. */
  readonly publicBaseUrl: string | undefined;
}

/**
 * A route's schema as fastify-type-provider-zod documents it (zod to JSON Schema), with the response
 * headers a route declares (`createdResponse`): the library keeps a response's description and content
 * but not its headers.
 */
const documentRoute: SwaggerTransform<FastifySchema> = (input) => {
  const output = jsonSchemaTransform(input);
  const declared = (input.schema.response ?? {}) as Record<string, unknown>;
  const documented = (output.schema as { response?: Record<string, unknown> }).response;
  for (const [status, response] of Object.entries(declared)) {
    const headers = typeof response === 'object' && response !== null && 'headers' in response ? response.headers : undefined;
    const entry = documented?.[status];
    if (headers !== undefined && typeof entry === 'object' && entry !== null) Object.assign(entry, { headers });
  }
  return output;
};

/** OpenAPI 3.1 generated from the zod route schemas; Swagger UI at /docs. */
export const swaggerPlugin = fp<SwaggerOptions>(
  async (app, options) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: API_INFO,
        servers: [
          options.publicBaseUrl === undefined
            ? { url: '/', description: 'This service: the origin this document was read from (PUBLIC_BASE_URL is not set).' }
            : { url: options.publicBaseUrl, description: 'This service (PUBLIC_BASE_URL).' },
        ],
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key issued by POST /v1/api-keys. People signed in with OpenID Connect (GET /auth/login) send their session cookie instead, and on changes its CSRF token in X-CSRF-Token (GET /v1/me gives it).' },
          },
        },
        tags: [
          { name: 'service', description: 'Liveness, readiness and the API description.' },
          { name: 'access', description: 'Organisations, API keys and who is calling.' },
          { name: 'sign-in', description: 'Staff sign in as themselves with their organisation\'s OpenID Provider: sessions for the web console.' },
          { name: 'barcodes', description: 'Parse and explain scans; render labels.' },
          { name: 'theatre', description: 'Procedures, scans at the point of use, locations and staff.' },
          { name: 'catalogue', description: 'The product catalogue (GUDID-like).' },
          { name: 'compatibility', description: "The compatibility rules checked before an implant is opened: the national sets, an organisation's own rules and its waivers." },
          { name: 'reports', description: 'Data quality of the scanning.' },
          { name: 'recalls', description: 'Field Safety Notices: affected patients, exports, contact tracking, quarantine at scan.' },
          { name: 'stock', description: 'The stock ledger: goods received by scanning, moves, write-offs, returns, quarantine; stock on hand and the shelf-expiry report.' },
          { name: 'prices', description: 'Unit prices: each organisation’s price list as an append-only history (JSON or CSV), and the price in force on a date.' },
          { name: 'registries', description: 'Registries, patient consent and the change feed of procedures.' },
          { name: 'outcomes', description: 'Implant survival (Kaplan–Meier).' },
          { name: 'fhir', description: 'FHIR R4 Bulk Data export for registries.' },
          { name: 'smart', description: 'SMART Backend Services: registry clients, their token endpoint and the smart-configuration.' },
        ],
      },
      // Route URLs are the paths under the server URL as they are: none starts with its path.
      stripBasePath: false,
      transform: documentRoute,
      transformObject: (document) => finishDocument(jsonSchemaTransformObject(document)),
    });
    // A Content-Security-Policy built from the page's own script and style hashes; no upgrade to https,
    // which would break /docs on a plain-http installation.
    await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: true, transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, '') });
  },
  { name: 'swagger', dependencies: ['auth'] },
);
