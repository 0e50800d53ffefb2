import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FHIR_EXPORT_TYPES, type FhirExportType } from '../../domain/vocabulary.js';
import { requestContext, requireReadable } from '../../plugins/auth.js';
import { ProblemError } from '../../shared/problem.js';
import { InstantSchema, jsonResponse, operationOutcomeResponse, RegistryCodeSchema, requiredByRoute } from '../../shared/schemas.js';
import { cancelExport, EXPORT_RUNNING, exportFile, exportStatus, startExport, type FhirDeps } from './fhir.service.js';

const NDJSON_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'] as const;

const KickOffQuery = z.strictObject({
  _type: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return [...FHIR_EXPORT_TYPES];
      const types = [...new Set(v.split(',').map((s) => s.trim()))];
      const unknown = types.filter((t) => !(FHIR_EXPORT_TYPES as readonly string[]).includes(t));
      if (unknown.length > 0 || types.length === 0) {
        ctx.addIssue({ code: 'custom', message: `unsupported resource type(s) ${unknown.join(', ')}: this export has ${FHIR_EXPORT_TYPES.join(', ')}` });
        return z.NEVER;
      }
      return types as FhirExportType[];
    })
    .describe(`Comma-separated resource types (default all: ${FHIR_EXPORT_TYPES.join(', ')}).`),
  _since: InstantSchema.optional().describe('Only resources of procedures changed at or after this instant.'),
  _outputFormat: z.enum(NDJSON_FORMATS).optional(),
});

const JobParams = z.object({ id: z.uuid() });
const FileParams = z.object({ id: z.uuid(), file: z.enum(FHIR_EXPORT_TYPES.map((t) => `${t}.ndjson`) as [string, ...string[]]) });

const ManifestSchema = z
  .object({
    transactionTime: z.iso.datetime(),
    request: z.string(),
    requiresAccessToken: z.boolean(),
    output: z.array(z.object({ type: z.enum(FHIR_EXPORT_TYPES), url: z.string(), count: z.number().int() })),
    error: z.array(z.object({ type: z.string(), url: z.string() })),
  })
  .meta({ id: 'BulkDataManifest' });

/** The query string of a request target as sent (`?…`, or nothing). */
function queryOf(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at);
}

export const fhirRoutes: FastifyPluginAsyncZod = async (app) => {
  // Absolute URLs come from configuration, never from the request's Host header (which the caller chooses).
  const base = () => app.publicBaseUrl();
  const deps: FhirDeps = { db: app.db, exporter: app.exporter, clock: app.clock, exportTtlHours: app.config.exportTtlHours };

  app.get(
    '/fhir/R4/Group/:registry/$export',
    {
      config: { access: ['registry'], smart: [] },
      schema: {
        operationId: 'startFhirExport',
        tags: ['fhir'],
        summary: 'FHIR Bulk Data kick-off: export a registry’s Patients, Procedures, Devices and Locations as NDJSON',
        description:
          'Needs `Prefer: respond-async`. Answers 202 with `Content-Location`, the status URL to poll. The group is the registry; a ' +
          'registry key exports only its own registry, within its organisation (or nationally). Patients without consent appear under ' +
          'their registry pseudonym or not at all, as the registry’s policy says. One export at a time per registry and tenancy (429). ' +
          'Errors on /fhir routes are FHIR OperationOutcomes carrying the same stable codes.',
        params: z.object({ registry: RegistryCodeSchema }),
        querystring: KickOffQuery,
        headers: requiredByRoute(z.object({ prefer: z.string().optional().describe('`respond-async`: Bulk Data exports are asynchronous. Without it: 400 PREFER_ASYNC_REQUIRED.') }), ['prefer']),
        response: {
          202: z.undefined().describe('Accepted: poll the Content-Location URL.'),
          400: operationOutcomeResponse('No `Prefer: respond-async` (PREFER_ASYNC_REQUIRED).'),
          429: operationOutcomeResponse(
            'An export for this registry is already running (RATE_LIMITED, `Retry-After`), or too many failed authentications from this client.',
          ),
        },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      // A SMART token exports what its scopes read: without `_type`, those types; with it, all it names or nothing.
      const token = ctx.actor.token;
      const named = new URLSearchParams(queryOf(req.url)).has('_type');
      const types = token === undefined || named ? req.query._type : req.query._type.filter((t) => token.readable.includes(t));
      requireReadable(ctx.actor, reply, types.length > 0 ? types : req.query._type);
      const job = await startExport(deps, ctx, {
        registry: req.params.registry,
        respondAsync: /\brespond-async\b/i.test(req.headers.prefer ?? ''),
        types,
        since: req.query._since,
        requestUrl: `${base()}/fhir/R4/Group/${req.params.registry}/$export${queryOf(req.url)}`,
      });
      if (job === EXPORT_RUNNING) {
        reply.header('retry-after', '10');
        throw new ProblemError('RATE_LIMITED', 'An export for this registry is already running: poll it, or retry when it has finished.');
      }
      return reply.code(202).header('content-location', `${base()}/fhir/R4/$export-status/${job.id}`).send(undefined);
    },
  );

  app.get(
    '/fhir/R4/$export-status/:id',
    {
      config: { access: ['registry'], smart: [] },
      schema: {
        operationId: 'getFhirExportStatus',
        tags: ['fhir'],
        summary: 'Poll a Bulk Data export: 202 with X-Progress while it runs, then 200 with the manifest',
        params: JobParams,
        response: { 200: jsonResponse('Complete: the manifest of the files to download.', ManifestSchema), 202: z.undefined().describe('Still running; see X-Progress and Retry-After.') },
      },
    },
    async (req, reply) => {
      const status = await exportStatus(deps, requestContext(req), req.params.id);
      if (status.kind === 'running') return reply.code(202).header('x-progress', status.progress.slice(0, 100)).header('retry-after', '2').send(undefined);
      const { job } = status;
      return reply
        .code(200)
        .header('expires', job.expiresAt.toUTCString())
        .send({
          transactionTime: job.transactionTime.toISOString(),
          request: job.requestUrl,
          requiresAccessToken: true,
          output: job.output.map((o) => ({ type: o.type, url: `${base()}/fhir/R4/$export-file/${job.id}/${o.file}`, count: o.count })),
          error: [],
        });
    },
  );

  app.delete(
    '/fhir/R4/$export-status/:id',
    {
      config: { access: ['registry'], smart: [] },
      schema: {
        operationId: 'cancelFhirExport',
        tags: ['fhir'],
        summary: 'Cancel a Bulk Data export, or delete a finished one and its files',
        params: JobParams,
        response: { 202: z.undefined().describe('Cancelled and deleted; polling it now answers 404.') },
      },
    },
    async (req, reply) => {
      await cancelExport(deps, requestContext(req), req.params.id);
      return reply.code(202).send();
    },
  );

  app.get(
    '/fhir/R4/$export-file/:id/:file',
    {
      config: { access: ['registry'], smart: [] },
      schema: {
        operationId: 'getFhirExportFile',
        tags: ['fhir'],
        summary: 'Download one NDJSON file of a completed export (needs the same registry key)',
        params: FileParams,
        produces: ['application/fhir+ndjson'],
        response: { 200: { description: 'NDJSON: one FHIR resource per line.', content: { 'application/fhir+ndjson': { schema: z.custom<Readable>((v) => v instanceof Readable).meta({ type: 'string' }) } } } },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      requireReadable(ctx.actor, reply, [req.params.file.replace(/\.ndjson$/, '') as FhirExportType]);
      const file = await exportFile(deps, ctx, req.params.id, req.params.file);
      return reply
        .type('application/fhir+ndjson')
        .header('content-length', file.size)
        .header('cache-control', 'private, no-store')
        .send(file.stream);
    },
  );
};
