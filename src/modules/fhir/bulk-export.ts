import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
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
  claimJob,
  completeJob,
  deleteExpiredJobs,
  deleteJob,
  devicesQuery,
  failExhaustedJobs,
  failJob,
  findJob,
  insertPart,
  insertSubjects,
  locationsQuery,
  patientsQuery,
  proceduresQuery,
  releaseJob,
  renewLease,
  transactionTimeQuery,
  type ExportJob,
  type ExportOutput,
  type ExportScope,
  type Lease,
} from './fhir.repository.js';
import { deviceResource, locationResource, patientResource, procedureResource } from './fhir.resources.js';

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ExporterOptions {
  readonly ttlHours: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Exports this instance runs at once; 0: none (another instance runs them). */
  readonly workers: number;
  /** How long a lease holds without renewal; renewed every third of it. */
  readonly leaseSeconds: number;
  /** How often to look for exports waiting to run. */
  readonly pollSeconds: number;
}

/** NDJSON of a file is stored in parts of about this many bytes. */
const PART_BYTES = 1024 * 1024;
const CHUNK = 2000;
/** A job whose lease runs out this many times (each a crash, a lost database connection, or a shutdown) fails. */
export const MAX_ATTEMPTS = 5;

const gzipAsync = promisify(gzip);

/** The job is no longer this instance's to run: it was cancelled, or another instance took it over. */
class LeaseLost extends Error {}

/** NDJSON lines into parts of a file in the database, gzip-compressed off the event loop, each write fenced by the lease. */
class PartWriter {
  #buffer = '';
  #parts = 0;
  count = 0;
  bytes = 0;
  constructor(
    private readonly db: Kysely<Database>,
    private readonly lease: Lease,
    private readonly type: FhirExportType,
  ) {}
  async write(resource: object): Promise<void> {
    this.#buffer += `${JSON.stringify(resource)}\n`;
    this.count++;
    if (this.#buffer.length >= PART_BYTES) await this.#flush();
  }
  async #flush(): Promise<void> {
    if (this.#buffer === '') return;
    const text = Buffer.from(this.#buffer, 'utf8');
    this.#buffer = '';
    const data = await gzipAsync(text, { level: 1 });
    if (!(await insertPart(this.db, this.lease, this.type, this.#parts, text.length, data))) throw new LeaseLost();
    this.#parts++;
    this.bytes += text.length;
  }
  async close(): Promise<void> {
    await this.#flush();
  }
}

/**
 * FHIR Bulk Data exports as jobs in Postgres, run by whichever instance takes
 * them. An instance runs up to `workers` at once: it takes the one it accepted
 * at once, and looks for waiting ones every `pollSeconds`. It holds a job under
 * a lease it renews while it runs; when an instance dies, its lease runs out
 * and another instance runs the job again from the start (a new attempt; what
 * the old one wrote is never read). Each export reads one REPEATABLE READ
 * snapshot (so its files agree with each other and with its transactionTime),
 * streams rows through cursors and stores NDJSON parts in the database, which
 * every instance serves — memory stays flat whatever the size. Patients without
 * consent appear under their registry pseudonym, or not at all, as the
 * registry's policy says. Files live until the export expires.
 */
export class BulkExporter {
  /** This instance, as named on the jobs it holds. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #running = new Map<string, { controller: AbortController; progress: string; done: Promise<void> }>();
  #timer: NodeJS.Timeout | undefined;
  #claiming: Promise<void> | undefined;
  #pokedMeanwhile = false;
  #closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: ExporterOptions,
  ) {}

  /** Starts looking for exports to run, now and every `pollSeconds`. */
  startPolling(): void {
    if (this.#closed || this.#timer !== undefined || this.options.workers === 0) return;
    this.#timer = setInterval(() => this.poke(), this.options.pollSeconds * 1000);
    this.#timer.unref();
    this.poke();
  }

  /** Takes waiting exports now, up to the free workers (after an export was accepted here, or one finished). */
  poke(): void {
    if (this.#closed || this.options.workers === 0) return;
    // A poke while a look is under way (it may have missed an export accepted just now) looks again once it ends.
    if (this.#claiming) {
      this.#pokedMeanwhile = true;
      return;
    }
    this.#claiming = this.#claim()
      .catch((error: unknown) => this.options.log.error({ err: error }, 'bulk export: could not take waiting exports'))
      .finally(() => {
        this.#claiming = undefined;
        if (this.#pokedMeanwhile) {
          this.#pokedMeanwhile = false;
          this.poke();
        }
      });
  }

  /** Takes one waiting export and runs it to the end; false when none waits. For benchmarks and tools that run exports without polling. */
  async runNext(): Promise<boolean> {
    const job = await claimJob(this.db, this.owner, this.options.leaseSeconds, MAX_ATTEMPTS);
    if (!job) return false;
    await this.#start(job);
    return true;
  }

  async #claim(): Promise<void> {
    await failExhaustedJobs(this.db, MAX_ATTEMPTS);
    while (!this.#closed && this.#running.size < this.options.workers) {
      const job = await claimJob(this.db, this.owner, this.options.leaseSeconds, MAX_ATTEMPTS);
      if (!job) return;
      void this.#start(job).then(() => this.poke());
    }
  }

  /** Runs a job this instance holds; the promise settles when it has finished (never rejects). */
  #start(job: ExportJob): Promise<void> {
    const lease: Lease = { id: job.id, attempt: job.attempt, owner: this.owner };
    const controller = new AbortController();
    const entry = { controller, progress: 'started', done: Promise.resolve() };
    const report = (p: string) => (entry.progress = p);
    // The lease is renewed (with the progress) every third of its length; a renewal refused means the job is no longer ours.
    const renew = setInterval(() => {
      renewLease(this.db, lease, this.options.leaseSeconds, entry.progress).then(
        (held) => held || controller.abort(),
        (error: unknown) => this.options.log.warn({ err: error, exportId: job.id }, 'bulk export: lease renewal failed'),
      );
    }, (this.options.leaseSeconds * 1000) / 3);
    renew.unref();
    entry.done = this.#run(job, lease, controller.signal, report)
      .catch(async (error: unknown) => {
        if (error instanceof LeaseLost || controller.signal.aborted || !(await this.#holds(lease))) return this.#stopped(job, lease);
        this.options.log.error({ err: error, exportId: job.id, attempt: job.attempt }, 'bulk export failed');
        await failJob(this.db, lease, 'The export failed. Start a new one.').catch(() => undefined);
      })
      .finally(() => {
        clearInterval(renew);
        this.#running.delete(job.id);
      });
    this.#running.set(job.id, entry);
    return entry.done;
  }

  /** A run that stopped before its end: at shutdown it gives the job back; otherwise it was cancelled or taken over. */
  async #stopped(job: ExportJob, lease: Lease): Promise<void> {
    if (this.#closed) {
      await releaseJob(this.db, lease).catch(() => undefined);
      this.options.log.info({ exportId: job.id }, 'bulk export handed back at shutdown');
      return;
    }
    const now = await findJob(this.db, job.id).catch(() => undefined);
    if (now !== undefined && now.attempt !== lease.attempt) this.options.log.warn({ exportId: job.id, attempt: lease.attempt }, 'bulk export taken over by another instance');
  }

  /** Whether this instance still holds the job (a write that failed because the job was deleted under it is no failure of the export). */
  async #holds(lease: Lease): Promise<boolean> {
    const now = await findJob(this.db, lease.id).catch(() => undefined);
    return now !== undefined && now.status === 'running' && now.attempt === lease.attempt && now.leaseOwner === lease.owner;
  }

  /** Live progress of a job running in this instance, for X-Progress (the job row has it as of the last lease renewal). */
  progress(id: string): string | undefined {
    return this.#running.get(id)?.progress;
  }

  /** Stops a job if it runs here, and deletes it and its files (an instance running it elsewhere stops at its next write). */
  async cancel(id: string): Promise<void> {
    const running = this.#running.get(id);
    if (running) {
      running.controller.abort();
      await running.done;
    }
    await deleteJob(this.db, id);
  }

  /** Deletes expired exports and their files. */
  async sweep(): Promise<void> {
    await deleteExpiredJobs(this.db, this.options.clock.now());
  }

  /** At shutdown: stops taking jobs, stops running ones and gives them back for another instance to take. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#claiming;
    for (const entry of this.#running.values()) entry.controller.abort();
    await Promise.all([...this.#running.values()].map((e) => e.done));
  }

  async #run(job: ExportJob, lease: Lease, signal: AbortSignal, report: (progress: string) => void): Promise<void> {
    const registry = await findRegistry(this.db, job.registryCode);
    if (!registry) throw new Error(`registry ${job.registryCode} vanished`);
    const scope: ExportScope = {
      registry: registry.code,
      tenancy: job.organisationId === null ? { kind: 'national' } : { kind: 'organisation', organisationId: job.organisationId },
      since: job.since,
    };
    const output: ExportOutput[number][] = [];
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
        const file = new PartWriter(this.db, lease, type);
        let n = 0;
        for await (const chunk of this.#resources(client, type, scope, disclose)) {
          if (signal.aborted) throw new LeaseLost();
          for (const resource of chunk.resources) await file.write(resource);
          // Whose data this part of the file holds, kept (on another connection: the snapshot is read-only) for the download's audit.
          if (!(await insertSubjects(this.db, lease, type, n++, chunk.patientIds, chunk.procedureIds))) throw new LeaseLost();
          report(`${type}: ${file.count} written`);
        }
        await file.close();
        if (file.count > 0) output.push({ type, file: `${type}.ndjson`, count: file.count, bytes: file.bytes });
        report(`${type}: done (${file.count})`);
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    const now = this.options.clock.now();
    const completed = await completeJob(this.db, lease, {
      transactionTime: time,
      output,
      completedAt: now,
      expiresAt: new Date(now.getTime() + this.options.ttlHours * 3_600_000),
    });
    if (!completed) throw new LeaseLost();
    this.options.log.info({ exportId: job.id, attempt: job.attempt, output: output.map((o) => `${o.type}:${o.count}`) }, 'bulk export completed');
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
