import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { CompiledQuery, Kysely } from 'kysely';
import type pg from 'pg';
import { poolOf } from '../../db/create-db.js';
import { readAhead } from '../../db/read-ahead.js';
import type { Database } from '../../db/database.js';
import type { ConsentStatus, FhirExportType } from '../../domain/vocabulary.js';
import type { Clock } from '../../shared/clock.js';
import { consentsInForceQuery } from '../consents/consent.repository.js';
import { disclosureFor, pseudonymFor } from '../registries/disclosure.js';
import { findRegistry, type Registry } from '../registries/registry.repository.js';
import {
  deleteExpiredJobs,
  deleteJob,
  devicesQuery,
  failInterruptedJobs,
  insertSubjects,
  locationsQuery,
  patientsQuery,
  proceduresQuery,
  transactionTimeQuery,
  updateJob,
  type ExportJob,
  type ExportScope,
} from './fhir.repository.js';
import { deviceResource, locationResource, patientResource, procedureResource } from './fhir.resources.js';

interface Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const FLUSH_BYTES = 256 * 1024;
const CHUNK = 2000;

class Cancelled extends Error {}

/** NDJSON lines into a file, in large writes, honouring back-pressure. */
class NdjsonFile {
  readonly #out;
  #buffer = '';
  count = 0;
  constructor(file: string) {
    this.#out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  }
  async write(resource: object): Promise<void> {
    this.#buffer += `${JSON.stringify(resource)}\n`;
    this.count++;
    if (this.#buffer.length >= FLUSH_BYTES) await this.#flush();
  }
  async #flush(): Promise<void> {
    const chunk = this.#buffer;
    this.#buffer = '';
    if (chunk !== '' && !this.#out.write(chunk)) await once(this.#out, 'drain');
  }
  async close(): Promise<void> {
    await this.#flush();
    this.#out.end();
    await once(this.#out, 'close');
  }
}

/**
 * FHIR Bulk Data exports, run in this process. Each export reads one
 * REPEATABLE READ snapshot (so its files agree with each other and with its
 * transactionTime), streams rows through cursors and writes NDJSON files under
 * `exportDir/<id>/` — memory stays flat whatever the size. Patients without
 * consent appear under their registry pseudonym, or not at all, as the
 * registry's policy says. Files live until the export expires.
 */
export class BulkExporter {
  readonly #running = new Map<string, { controller: AbortController; progress: string; done: Promise<void> }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { exportDir: string; ttlHours: number; clock: Clock; log: Logger },
  ) {}

  /** Starts an accepted job in the background; the promise settles when it has finished (never rejects). */
  start(job: ExportJob): Promise<void> {
    const controller = new AbortController();
    const entry = { controller, progress: 'queued', done: Promise.resolve() };
    entry.done = this.#run(job, controller.signal, (p) => (entry.progress = p))
      .catch(async (error: unknown) => {
        if (error instanceof Cancelled) return;
        this.options.log.error({ err: error, exportId: job.id }, 'bulk export failed');
        await updateJob(this.db, job.id, { status: 'failed', error: 'The export failed. Start a new one.' }).catch(() => undefined);
      })
      .finally(() => this.#running.delete(job.id));
    this.#running.set(job.id, entry);
    return entry.done;
  }

  /** Live progress of a running job, for X-Progress. */
  progress(id: string): string | undefined {
    return this.#running.get(id)?.progress;
  }

  isRunning(id: string): boolean {
    return this.#running.has(id);
  }

  directoryOf(id: string): string {
    return path.join(this.options.exportDir, id);
  }

  /** Stops a job if it runs, and deletes it and its files. */
  async cancel(id: string): Promise<void> {
    const running = this.#running.get(id);
    if (running) {
      running.controller.abort();
      await running.done;
    }
    await deleteJob(this.db, id);
    await rm(this.directoryOf(id), { recursive: true, force: true });
  }

  /** Deletes expired exports and their files. */
  async sweep(): Promise<void> {
    for (const id of await deleteExpiredJobs(this.db, this.options.clock.now())) {
      await rm(this.directoryOf(id), { recursive: true, force: true });
    }
  }

  /** At boot: jobs that were running when the service last stopped are marked failed. */
  async recover(): Promise<void> {
    for (const id of await failInterruptedJobs(this.db)) await rm(this.directoryOf(id), { recursive: true, force: true });
  }

  /** At shutdown: stops running jobs (they are marked failed at the next boot). */
  async close(): Promise<void> {
    for (const entry of this.#running.values()) entry.controller.abort();
    await Promise.all([...this.#running.values()].map((e) => e.done));
  }

  async #run(job: ExportJob, signal: AbortSignal, report: (progress: string) => void): Promise<void> {
    const registry = await findRegistry(this.db, job.registryCode);
    if (!registry) throw new Error(`registry ${job.registryCode} vanished`);
    await updateJob(this.db, job.id, { status: 'running', progress: 'started' });
    const dir = this.directoryOf(job.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const scope: ExportScope = {
      registry: registry.code,
      tenancy: job.organisationId === null ? { kind: 'national' } : { kind: 'organisation', organisationId: job.organisationId },
      since: job.since,
    };
    const output: { type: FhirExportType; file: string; count: number }[] = [];
    // One REPEATABLE READ snapshot on one connection; rows come through cursors read ahead (src/db/read-ahead.ts).
    const client = await poolOf(this.db).connect();
    let time: Date;
    try {
      await client.query('begin isolation level repeatable read read only');
      const run = async <R>(query: CompiledQuery<R>): Promise<R[]> => (await client.query(query.sql, query.parameters as unknown[])).rows as R[];
      const first = (await run(transactionTimeQuery(this.db)))[0];
      if (!first) throw new Error('no transaction time');
      time = first.t;
      const consents = new Map((await run(consentsInForceQuery(this.db, registry.code).compile())).map((r) => [r.nhs_number, r.status]));
      const disclose = new Disclosures(registry, consents);
      for (const type of job.types) {
        const file = `${type}.ndjson`;
        const ndjson = new NdjsonFile(path.join(dir, file));
        try {
          let n = 0;
          for await (const chunk of this.#resources(client, type, scope, disclose)) {
            if (signal.aborted) throw new Cancelled();
            for (const resource of chunk.resources) await ndjson.write(resource);
            // Whose data this part of the file holds, kept (on another connection: the snapshot is read-only) for the download's audit.
            await insertSubjects(this.db, job.id, type, n++, chunk.patientIds, chunk.procedureIds);
            report(`${type}: ${ndjson.count} written`);
          }
        } finally {
          await ndjson.close();
        }
        if (ndjson.count > 0) output.push({ type, file, count: ndjson.count });
        else await unlink(path.join(dir, file));
        report(`${type}: done (${ndjson.count})`);
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    const now = this.options.clock.now();
    await updateJob(this.db, job.id, {
      status: 'completed',
      progress: 'completed',
      transactionTime: time,
      output,
      completedAt: now,
      expiresAt: new Date(now.getTime() + this.options.ttlHours * 3_600_000),
    });
    this.options.log.info({ exportId: job.id, output: output.map((o) => `${o.type}:${o.count}`) }, 'bulk export completed');
  }

  /** The resources of one type, a chunk at a time, for the patients the registry may see, with whose data each chunk holds. */
  async *#resources(client: pg.PoolClient, type: FhirExportType, scope: ExportScope, d: Disclosures): AsyncGenerator<Chunk> {
    const exporter = EXPORTERS[type] as Exporter<unknown>;
    for await (const rows of readAhead(client, exporter.query(this.db, scope), CHUNK)) {
      const chunk: Chunk = { resources: [], patientIds: [], procedureIds: [] };
      for (const row of rows) exporter.add(row, d, chunk);
      yield chunk;
    }
  }
}

/** One chunk of a file: its resources, and the patients and procedures they disclose (for the download's audit). */
interface Chunk {
  readonly resources: object[];
  readonly patientIds: string[];
  readonly procedureIds: string[];
}

/** How one resource type is exported: its query, and what each row adds to a chunk (nothing, for a patient the registry may not see). */
interface Exporter<R> {
  query(db: Kysely<Database>, scope: ExportScope): CompiledQuery<R>;
  add(row: R, d: Disclosures, chunk: Chunk): void;
}

const exporter = <R>(e: Exporter<R>): Exporter<R> => e;

const EXPORTERS: { readonly [T in FhirExportType]: Exporter<never> } = {
  Patient: exporter({
    query: patientsQuery,
    add: (r, d, chunk) => {
      const seen = d.of(r.nhs_number);
      if (seen === null) return;
      chunk.resources.push(
        patientResource({ pseudonym: seen.pseudonym, registry: d.registry.code, nhsNumber: seen.identified ? r.nhs_number : null, dateOfBirth: seen.identified ? r.date_of_birth : null }),
      );
      chunk.patientIds.push(...r.patient_ids);
    },
  }),
  Procedure: exporter({
    query: proceduresQuery,
    add: (r, d, chunk) => {
      const seen = d.of(r.nhs_number);
      if (seen === null) return;
      chunk.resources.push(
        procedureResource({
          id: r.id,
          pseudonym: seen.pseudonym,
          status: r.status,
          procedureCode: r.procedure_code,
          startedAt: r.started_at,
          completedAt: r.completed_at,
          locationId: r.location_id,
          odsCode: r.ods_code,
          clinician: r.staff_id === null ? null : { gsrn: r.staff_gsrn, localId: r.staff_local_id, name: r.staff_name },
          devices: r.devices,
        }),
      );
      chunk.patientIds.push(r.patient_id);
      chunk.procedureIds.push(r.id);
    },
  }),
  Device: exporter({
    query: devicesQuery,
    add: (r, d, chunk) => {
      const seen = d.of(r.nhs_number);
      if (seen === null) return;
      chunk.resources.push(
        deviceResource({
          id: r.id,
          pseudonym: seen.pseudonym,
          status: r.status,
          explanted: r.explanted_by_item_id !== null,
          issuingAgency: r.issuing_agency,
          di: r.di,
          lotNumber: r.lot_number,
          serialNumber: r.serial_number,
          expirationDate: r.expiration_date,
          manufacturingDate: r.manufacturing_date,
          entryType: r.entry_type,
          raw: r.raw,
          brand: r.brand,
          model: r.model,
          manufacturer: r.manufacturer,
        }),
      );
      chunk.patientIds.push(r.patient_id);
      chunk.procedureIds.push(r.procedure_id);
    },
  }),
  Location: exporter({
    query: locationsQuery,
    add: (r, _d, chunk) => {
      chunk.resources.push(locationResource({ id: r.id, gln: r.gln, glnExtension: r.gln_extension, name: r.name, odsCode: r.ods_code }));
    },
  }),
};

/**
 * What the registry may see of each patient, remembered for the export:
 * a patient turns up in the Patient, Procedure and Device files, and the
 * pseudonym (an HMAC) is worth computing once. Bounded: cleared when full.
 */
class Disclosures {
  static readonly MAX = 250_000;
  readonly #cache = new Map<string, { pseudonym: string; identified: boolean } | null>();
  constructor(
    readonly registry: Registry,
    private readonly consents: ReadonlyMap<string, ConsentStatus>,
  ) {}

  /** The patient's pseudonym and whether they may be identified; null when the registry gets nothing of them. */
  of(nhsNumber: string): { pseudonym: string; identified: boolean } | null {
    const cached = this.#cache.get(nhsNumber);
    if (cached !== undefined) return cached;
    const disclosure = disclosureFor(this.registry, this.consents.get(nhsNumber));
    const seen = disclosure === 'withheld' ? null : { pseudonym: pseudonymFor(this.registry, nhsNumber), identified: disclosure === 'identified' };
    if (this.#cache.size >= Disclosures.MAX) this.#cache.clear();
    this.#cache.set(nhsNumber, seen);
    return seen;
  }
}
