import { createReadStream, ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { FHIR_EXPORT_TYPES, type Database, type FhirExportType } from '../../db/database.js';
import { requestContext } from '../../plugins/auth.js';
import type { RequestContext } from '../../shared/actor.js';
import { isUniqueViolation } from '../../db/errors.js';
import { ProblemError } from '../../shared/problem.js';
import { InstantSchema, RegistryCodeSchema } from '../../shared/schemas.js';
import { recordAudit } from '../audit/audit.service.js';
import { registryForKey } from '../registries/registry.service.js';
import { findJob, hasRunningJob, insertJob, type ExportJob } from './fhir.repository.js';

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

/** An export is the business of the registry and tenancy that asked for it: any key of theirs may poll and fetch it. */
async function visibleJob(db: Kysely<Database>, ctx: RequestContext, id: string): Promise<ExportJob> {
  const job = await findJob(db, id);
  if (!job || job.registryCode !== ctx.actor.registryCode || job.organisationId !== ctx.actor.organisationId || job.status === 'cancelled') {
    throw new ProblemError('EXPORT_NOT_FOUND', 'No such export for this key.');
  }
  return job;
}

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

  app.get(
    '/fhir/R4/Group/:registry/$export',
    {
      config: { access: ['registry'] },
      schema: {
        tags: ['fhir'],
        summary: 'FHIR Bulk Data kick-off: export a registry’s Patients, Procedures, Devices and Locations as NDJSON',
        description:
          'Needs `Prefer: respond-async`. Answers 202 with `Content-Location`, the status URL to poll. The group is the registry; a ' +
          'registry key exports only its own registry, within its organisation (or nationally). Patients without consent appear under ' +
          'their registry pseudonym or not at all, as the registry’s policy says. One export at a time per registry and tenancy (429). ' +
          'Errors on /fhir routes are FHIR OperationOutcomes carrying the same stable codes.',
        params: z.object({ registry: RegistryCodeSchema }),
        querystring: KickOffQuery,
        headers: z.object({ prefer: z.string().optional() }),
        response: { 202: z.undefined().describe('Accepted: poll the Content-Location URL.') },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      const registry = await registryForKey(app.db, ctx, req.params.registry);
      if (!/\brespond-async\b/i.test(req.headers.prefer ?? '')) {
        throw new ProblemError('PREFER_ASYNC_REQUIRED', 'Send `Prefer: respond-async`: a bulk export runs in the background.');
      }
      await app.exporter.sweep();
      const alreadyRunning = () => {
        reply.header('retry-after', '10');
        return new ProblemError('RATE_LIMITED', 'An export for this registry is already running: poll it, or retry when it has finished.');
      };
      if (await hasRunningJob(app.db, registry.code, ctx.actor.organisationId)) throw alreadyRunning();
      const now = app.clock.now();
      // The check above is the fast answer; the database's unique index is the guarantee (two kick-offs at once).
      const job = await app.db.transaction().execute(async (trx) => {
        const job = await insertJob(trx, {
          registryCode: registry.code,
          organisationId: ctx.actor.organisationId,
          actorKeyId: ctx.actor.keyId,
          requestUrl: `${base()}/fhir/R4/Group/${registry.code}/$export${queryOf(req.url)}`,
          types: req.query._type,
          since: req.query._since === undefined ? null : new Date(req.query._since),
          expiresAt: new Date(now.getTime() + app.config.exportTtlHours * 3_600_000),
        });
        await recordAudit(trx, ctx, {
          action: 'fhir.export.start',
          organisationId: ctx.actor.organisationId,
          detail: { exportId: job.id, registry: registry.code, types: job.types, since: req.query._since ?? null },
        });
        return job;
      }).catch((error: unknown) => {
        throw isUniqueViolation(error) ? alreadyRunning() : error;
      });
      void app.exporter.start(job);
      return reply.code(202).header('content-location', `${base()}/fhir/R4/$export-status/${job.id}`).send();
    },
  );

  app.get(
    '/fhir/R4/$export-status/:id',
    {
      config: { access: ['registry'] },
      schema: {
        tags: ['fhir'],
        summary: 'Poll a Bulk Data export: 202 with X-Progress while it runs, then 200 with the manifest',
        params: JobParams,
        response: { 200: ManifestSchema, 202: z.undefined().describe('Still running; see X-Progress and Retry-After.') },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      await app.exporter.sweep();
      const job = await visibleJob(app.db, ctx, req.params.id);
      if (job.status === 'accepted' || job.status === 'running') {
        const progress = app.exporter.progress(job.id) ?? job.progress ?? 'queued';
        return reply.code(202).header('x-progress', progress.slice(0, 100)).header('retry-after', '2').send(undefined);
      }
      if (job.status === 'failed') throw new ProblemError('EXPORT_FAILED', job.error ?? 'The export failed. Start a new one.');
      if (job.transactionTime === null) throw new Error(`export ${job.id} completed without a transaction time`);
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
      config: { access: ['registry'] },
      schema: {
        tags: ['fhir'],
        summary: 'Cancel a Bulk Data export, or delete a finished one and its files',
        params: JobParams,
        response: { 202: z.undefined().describe('Cancelled and deleted; polling it now answers 404.') },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      const job = await visibleJob(app.db, ctx, req.params.id);
      await app.exporter.cancel(job.id);
      await recordAudit(app.db, ctx, { action: 'fhir.export.cancel', organisationId: ctx.actor.organisationId, detail: { exportId: job.id } });
      return reply.code(202).send();
    },
  );

  app.get(
    '/fhir/R4/$export-file/:id/:file',
    {
      config: { access: ['registry'] },
      schema: {
        tags: ['fhir'],
        summary: 'Download one NDJSON file of a completed export (needs the same registry key)',
        params: FileParams,
        produces: ['application/fhir+ndjson'],
        response: { 200: { description: 'NDJSON: one FHIR resource per line.', content: { 'application/fhir+ndjson': { schema: z.custom<ReadStream>((v) => v instanceof ReadStream).meta({ type: 'string' }) } } } },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      await app.exporter.sweep();
      const job = await visibleJob(app.db, ctx, req.params.id);
      const entry = job.status === 'completed' ? job.output.find((o) => o.file === req.params.file) : undefined;
      if (!entry) throw new ProblemError('EXPORT_NOT_FOUND', `The export has no ${req.params.file}.`);
      const file = path.join(app.exporter.directoryOf(job.id), entry.file);
      const size = (await stat(file)).size;
      await recordAudit(app.db, ctx, {
        action: 'fhir.export.download',
        organisationId: ctx.actor.organisationId,
        detail: { exportId: job.id, type: entry.type, resources: entry.count },
      });
      return reply
        .type('application/fhir+ndjson')
        .header('content-length', size)
        .header('cache-control', 'private, no-store')
        .send(createReadStream(file));
    },
  );
};
