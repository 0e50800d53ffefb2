import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { FhirExportType } from '../../domain/vocabulary.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { auditRowOf, recordAudit } from '../audit/audit.service.js';
import { registryForKey } from '../registries/registry.service.js';
import type { BulkExporter } from './bulk-export.js';
import { auditDownloadSubjects, findJob, hasRunningJob, insertJob, readParts, type ExportJob } from './fhir.repository.js';

const gunzipAsync = promisify(gunzip);

/** What the FHIR Bulk Data operations work with. */
export interface FhirDeps {
  readonly db: Kysely<Database>;
  readonly exporter: BulkExporter;
  readonly clock: Clock;
  readonly exportTtlHours: number;
}

export interface ExportRequest {
  readonly registry: string;
  /** The client sent `Prefer: respond-async` (a bulk export runs only in the background). */
  readonly respondAsync: boolean;
  readonly types: readonly FhirExportType[];
  readonly since: string | undefined;
  /** The kick-off URL as the client will read it in the manifest (built from the public base URL). */
  readonly requestUrl: string;
}

/** An export of this registry and tenancy is already under way: one at a time. */
export const EXPORT_RUNNING = Symbol('export running');

/** An export is the business of the registry and tenancy that asked for it: any key of theirs may poll and fetch it. */
async function visibleJob(db: Kysely<Database>, ctx: RequestContext, id: string): Promise<ExportJob> {
  const job = await findJob(db, id);
  if (!job || job.registryCode !== ctx.actor.registryCode || job.organisationId !== ctx.actor.organisationId || job.status === 'cancelled') {
    throw new ProblemError('EXPORT_NOT_FOUND', 'No such export for this key.');
  }
  return job;
}

/**
 * Accepts an export and starts it in the background; or answers EXPORT_RUNNING
 * when one of this registry and tenancy is under way (checked first for a fast
 * answer, and kept by the database's unique index when two arrive at once).
 */
export async function startExport(deps: FhirDeps, ctx: RequestContext, request: ExportRequest): Promise<ExportJob | typeof EXPORT_RUNNING> {
  const registry = await registryForKey(deps.db, ctx, request.registry);
  if (!request.respondAsync) throw new ProblemError('PREFER_ASYNC_REQUIRED', 'Send `Prefer: respond-async`: a bulk export runs in the background.');
  await deps.exporter.sweep();
  if (await hasRunningJob(deps.db, registry.code, ctx.actor.organisationId)) return EXPORT_RUNNING;
  const now = deps.clock.now();
  let job: ExportJob;
  try {
    job = await deps.db.transaction().execute(async (trx) => {
      const inserted = await insertJob(trx, {
        registryCode: registry.code,
        organisationId: ctx.actor.organisationId,
        actorKeyId: ctx.actor.keyId,
        requestUrl: request.requestUrl,
        types: request.types,
        since: request.since === undefined ? null : new Date(request.since),
        expiresAt: new Date(now.getTime() + deps.exportTtlHours * 3_600_000),
      });
      await recordAudit(trx, ctx, {
        action: 'fhir.export.start',
        organisationId: ctx.actor.organisationId,
        detail: { exportId: inserted.id, registry: registry.code, types: inserted.types, since: request.since ?? null },
      });
      return inserted;
    });
  } catch (error) {
    if (isUniqueViolation(error)) return EXPORT_RUNNING;
    throw error;
  }
  // Any instance may run it; this one looks at once.
  deps.exporter.poke();
  return job;
}

export type ExportStatus = { readonly kind: 'running'; readonly progress: string } | { readonly kind: 'completed'; readonly job: ExportJob & { readonly transactionTime: Date } };

export async function exportStatus(deps: FhirDeps, ctx: RequestContext, id: string): Promise<ExportStatus> {
  await deps.exporter.sweep();
  const job = await visibleJob(deps.db, ctx, id);
  if (job.status === 'accepted' || job.status === 'running') return { kind: 'running', progress: deps.exporter.progress(job.id) ?? job.progress ?? 'queued' };
  if (job.status === 'failed') throw new ProblemError('EXPORT_FAILED', job.error ?? 'The export failed. Start a new one.');
  if (job.transactionTime === null) throw new Error(`export ${job.id} completed without a transaction time`);
  return { kind: 'completed', job: { ...job, transactionTime: job.transactionTime } };
}

/** Stops an export if it runs, and deletes it and its files. */
export async function cancelExport(deps: FhirDeps, ctx: RequestContext, id: string): Promise<void> {
  const job = await visibleJob(deps.db, ctx, id);
  await deps.exporter.cancel(job.id);
  await recordAudit(deps.db, ctx, { action: 'fhir.export.cancel', organisationId: ctx.actor.organisationId, detail: { exportId: job.id } });
}

/**
 * One file of a completed export, to stream, from whichever instance wrote it
 * (the files are in the database). The download is audited before a byte
 * leaves: one row for the file, and one per chunk it was written in, naming
 * the patients and procedures it discloses.
 */
export async function exportFile(deps: FhirDeps, ctx: RequestContext, id: string, file: string): Promise<{ readonly stream: Readable; readonly size: number }> {
  await deps.exporter.sweep();
  const job = await visibleJob(deps.db, ctx, id);
  const entry = job.status === 'completed' ? job.output.find((o) => o.file === file) : undefined;
  if (!entry) throw new ProblemError('EXPORT_NOT_FOUND', `The export has no ${file}.`);
  await deps.db.transaction().execute(async (trx) => {
    const download = { action: 'fhir.export.download', organisationId: ctx.actor.organisationId, detail: { exportId: job.id, type: entry.type, resources: entry.count } };
    await recordAudit(trx, ctx, download);
    await auditDownloadSubjects(trx, auditRowOf(ctx, { ...download, action: 'fhir.export.download.disclosed' }), job.id, job.attempt, entry.type);
  });
  const parts = readParts(deps.db, job.id, job.attempt, entry.type);
  async function* ndjson(): AsyncGenerator<Buffer> {
    for await (const part of parts) yield await gunzipAsync(part);
  }
  return { stream: Readable.from(ndjson(), { objectMode: false }), size: entry.bytes };
}
