import { sql, type ExpressionBuilder, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import type { BulkExportStatus, FhirExportType, ItemAction } from '../../domain/vocabulary.js';
import type { TenancyScope } from '../../shared/actor.js';
import { auditValues, type AuditRow } from '../audit/audit.repository.js';
import { catalogueColumn } from '../products/product.repository.js';

/** What an export covers: one registry, the caller's tenancy, and optionally only what changed since a time. */
export interface ExportScope {
  readonly registry: string;
  readonly tenancy: TenancyScope;
  readonly since: Date | null;
}

/** Procedures in scope: the caller's organisation (or all), changed since `since`. */
function proceduresInScope(db: Kysely<Database>, scope: ExportScope) {
  let query = db.selectFrom('procedures as p');
  if (scope.tenancy.kind === 'organisation') query = query.where('p.organisation_id', '=', scope.tenancy.organisationId);
  if (scope.since !== null) query = query.where('p.changed_at', '>=', scope.since);
  return query;
}

/**
 * The time an export is consistent to: the start of the export's snapshot, or
 * of the oldest write transaction still running when it was taken, whichever
 * is earlier. Every change the snapshot missed belongs to a transaction that
 * began at or after it, and so has `changed_at` >= it: a later `_since` export
 * from this time misses nothing.
 */
export function transactionTimeQuery(db: Kysely<Database>) {
  return sql<{ t: Date }>`
    select least(now(), (select min(xact_start) from pg_stat_activity where backend_xid is not null and pid <> pg_backend_pid())) as t
  `.compile(db);
}

/** One Patient per NHS number (an organisation's records of one person are one patient), with every record's id for the audit. */
export function patientsQuery(db: Kysely<Database>, scope: ExportScope) {
  return db
    .selectFrom('patients as pt')
    .select([
      'pt.nhs_number',
      sql<string | null>`(array_agg(pt.date_of_birth order by pt.date_of_birth asc nulls last))[1]`.as('date_of_birth'),
      sql<string[]>`array_agg(pt.id)`.as('patient_ids'),
    ])
    .where('pt.id', 'in', proceduresInScope(db, scope).select('p.patient_id'))
    .groupBy('pt.nhs_number')
    .orderBy('pt.nhs_number')
    .compile();
}

export function proceduresQuery(db: Kysely<Database>, scope: ExportScope) {
  return proceduresInScope(db, scope)
    .innerJoin('patients as pt', 'pt.id', 'p.patient_id')
    .innerJoin('organisations as o', 'o.id', 'p.organisation_id')
    .leftJoin('staff as s', 's.id', 'p.lead_clinician_id')
    .select([
      'p.id',
      'p.patient_id',
      'pt.nhs_number',
      'p.status',
      'p.procedure_code',
      'p.started_at',
      'p.completed_at',
      'p.location_id',
      'o.ods_code',
      's.id as staff_id',
      's.gsrn as staff_gsrn',
      's.local_id as staff_local_id',
      's.name as staff_name',
      sql<{ itemId: string; action: ItemAction }[]>`coalesce((
        select json_agg(json_build_object('itemId', i.id, 'action', i.action) order by i.first_scanned_at, i.id)
        from items i where i.procedure_id = p.id and i.status = 'active' and i.action in ('implanted', 'explanted')
          and (i.decision_status is null or i.decision_status = 'implanted')
      ), '[]'::json)`.as('devices'),
    ])
    .compile();
}

export function devicesQuery(db: Kysely<Database>, scope: ExportScope) {
  return db
    .selectFrom('items as i')
    .leftJoin('products as pr', 'pr.di', 'i.di')
    .leftJoin('product_overrides as po', (join) => join.onRef('po.organisation_id', '=', 'i.organisation_id').onRef('po.di', '=', 'i.di'))
    .select([
      'i.id',
      'i.patient_id',
      'i.procedure_id',
      'i.nhs_number',
      'i.status',
      'i.explanted_by_item_id',
      'i.issuing_agency',
      'i.di',
      'i.lot_number',
      'i.serial_number',
      'i.expiration_date',
      'i.manufacturing_date',
      'i.entry_type',
      catalogueColumn<string>('brand').as('brand'),
      catalogueColumn<string>('model').as('model'),
      catalogueColumn<string>('manufacturer').as('manufacturer'),
      (eb) =>
        eb
          .selectFrom('scans as s')
          .select('s.raw')
          .whereRef('s.item_id', '=', 'i.id')
          .where('s.kind', '=', 'product')
          .orderBy('s.recorded_at')
          .limit(1)
          .as('raw'),
    ])
    .where('i.action', 'in', ['implanted', 'explanted'])
    // Only what went into (or came out of) a patient: not an item put aside after a critical warning, nor one awaiting that decision.
    .where((eb) => eb.or([eb('i.decision_status', 'is', null), eb('i.decision_status', '=', 'implanted')]))
    .where('i.procedure_id', 'in', proceduresInScope(db, scope).select('p.id'))
    .compile();
}

export function locationsQuery(db: Kysely<Database>, scope: ExportScope) {
  return db
    .selectFrom('locations as l')
    .innerJoin('organisations as o', 'o.id', 'l.organisation_id')
    .select(['l.id', 'l.gln', 'l.gln_extension', 'l.name', 'o.ods_code'])
    .where('l.id', 'in', proceduresInScope(db, scope).select('p.location_id').where('p.location_id', 'is not', null))
    .compile();
}

// ---- the export jobs ----

export type ExportOutput = readonly { readonly type: FhirExportType; readonly file: string; readonly count: number; readonly bytes: number }[];

export interface ExportJob {
  readonly id: string;
  readonly registryCode: string;
  readonly organisationId: string | null;
  readonly actorKeyId: string;
  readonly requestUrl: string;
  readonly types: readonly FhirExportType[];
  readonly since: Date | null;
  readonly status: BulkExportStatus;
  readonly progress: string | null;
  readonly transactionTime: Date | null;
  readonly output: ExportOutput;
  readonly error: string | null;
  readonly expiresAt: Date;
  /** How many times the job was taken: what the current attempt wrote carries this number. */
  readonly attempt: number;
  readonly leaseOwner: string | null;
}

/** A job taken by one instance: the attempt and owner every write of it is fenced by. */
export interface Lease {
  readonly id: string;
  readonly attempt: number;
  readonly owner: string;
}

type JobRow = Awaited<ReturnType<ReturnType<typeof selectJobs>['executeTakeFirstOrThrow']>>;
const selectJobs = (db: Kysely<Database>) => db.selectFrom('bulk_exports').selectAll();
const toJob = (r: JobRow): ExportJob => ({
  id: r.id,
  registryCode: r.registry_code,
  organisationId: r.organisation_id,
  actorKeyId: r.actor_key_id,
  requestUrl: r.request_url,
  types: r.types,
  since: r.since,
  status: r.status,
  progress: r.progress,
  transactionTime: r.transaction_time,
  output: r.output,
  error: r.error,
  expiresAt: r.expires_at,
  attempt: r.attempt,
  leaseOwner: r.lease_owner,
});

export async function insertJob(
  db: Kysely<Database>,
  job: { registryCode: string; organisationId: string | null; actorKeyId: string; requestUrl: string; types: readonly FhirExportType[]; since: Date | null; expiresAt: Date },
): Promise<ExportJob> {
  const row = await db
    .insertInto('bulk_exports')
    .values({
      registry_code: job.registryCode,
      organisation_id: job.organisationId,
      actor_key_id: job.actorKeyId,
      request_url: job.requestUrl,
      types: [...job.types],
      since: job.since,
      expires_at: job.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toJob(row);
}

/** Whether an export for this registry and tenancy (null: national) is accepted or running. */
export async function hasRunningJob(db: Kysely<Database>, registryCode: string, organisationId: string | null): Promise<boolean> {
  const row = await db
    .selectFrom('bulk_exports')
    .select('id')
    .where('registry_code', '=', registryCode)
    .where('status', 'in', ['accepted', 'running'])
    .where((eb) => (organisationId === null ? eb('organisation_id', 'is', null) : eb('organisation_id', '=', organisationId)))
    .executeTakeFirst();
  return row !== undefined;
}

export async function findJob(db: Kysely<Database>, id: string): Promise<ExportJob | undefined> {
  const row = await selectJobs(db).where('id', '=', id).executeTakeFirst();
  return row && toJob(row);
}

/**
 * Takes the oldest job waiting to run, or one whose lease ran out (its
 * instance stopped or lost the database), as a new attempt under a lease of
 * `leaseSeconds` held by `owner`. Instances taking jobs at once never take the
 * same one (SKIP LOCKED). Lease times are the database's clock, the one clock
 * every instance shares.
 */
export async function claimJob(db: Kysely<Database>, owner: string, leaseSeconds: number, maxAttempts: number): Promise<ExportJob | undefined> {
  const row = await db
    .updateTable('bulk_exports')
    .set((eb) => ({
      status: 'running',
      attempt: eb('attempt', '+', 1),
      lease_owner: owner,
      lease_expires_at: sql<Date>`now() + make_interval(secs => ${leaseSeconds})`,
      progress: 'started',
      error: null,
    }))
    .where(
      'id',
      '=',
      db
        .selectFrom('bulk_exports')
        .select('id')
        .where((eb) => eb.or([eb('status', '=', 'accepted'), eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', sql<Date>`now()`)])]))
        .where('attempt', '<', maxAttempts)
        .orderBy('created_at')
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .executeTakeFirst();
  return row && toJob(row);
}

/** Jobs whose lease ran out on their last allowed attempt: they are not taken again, and fail. */
export async function failExhaustedJobs(db: Kysely<Database>, maxAttempts: number): Promise<number> {
  const result = await db
    .updateTable('bulk_exports')
    .set({ status: 'failed', error: `The export was interrupted ${maxAttempts} times. Start a new export.`, lease_owner: null, lease_expires_at: null })
    .where('status', 'in', ['accepted', 'running'])
    .where('attempt', '>=', maxAttempts)
    .where((eb) => eb.or([eb('status', '=', 'accepted'), eb('lease_expires_at', '<', sql<Date>`now()`)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Where the lease still holds, conditions on the job row: same job, same attempt, same owner, still running. */
function held(lease: Lease) {
  return (eb: ExpressionBuilder<Database, 'bulk_exports'>) =>
    eb.and([eb('bulk_exports.id', '=', lease.id), eb('bulk_exports.attempt', '=', lease.attempt), eb('bulk_exports.lease_owner', '=', lease.owner), eb('bulk_exports.status', '=', 'running')]);
}

/** Renews a lease (and records the progress); false when it is no longer held: the job was cancelled, or taken over. */
export async function renewLease(db: Kysely<Database>, lease: Lease, leaseSeconds: number, progress: string): Promise<boolean> {
  const result = await db
    .updateTable('bulk_exports')
    .set({ lease_expires_at: sql<Date>`now() + make_interval(secs => ${leaseSeconds})`, progress })
    .where(held(lease))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Gives a job back at shutdown, so another instance takes it at once rather than when the lease runs out. */
export async function releaseJob(db: Kysely<Database>, lease: Lease): Promise<void> {
  await db
    .updateTable('bulk_exports')
    .set({ status: 'accepted', lease_owner: null, lease_expires_at: null, progress: 'queued' })
    .where(held(lease))
    .execute();
}

/** Completes a job, if the lease still holds; false when it does not (the attempt's work is then discarded). */
export async function completeJob(
  db: Kysely<Database>,
  lease: Lease,
  done: { transactionTime: Date; output: ExportOutput; completedAt: Date; expiresAt: Date },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('bulk_exports')
      .set({
        status: 'completed',
        progress: 'completed',
        transaction_time: done.transactionTime,
        output: JSON.stringify(done.output),
        completed_at: done.completedAt,
        expires_at: done.expiresAt,
        lease_owner: null,
        lease_expires_at: null,
      })
      .where(held(lease))
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    // What earlier attempts wrote (a late write of one given up on included) is of no use now.
    await trx.deleteFrom('bulk_export_parts').where('export_id', '=', lease.id).where('attempt', '<>', lease.attempt).execute();
    await trx.deleteFrom('bulk_export_subjects').where('export_id', '=', lease.id).where('attempt', '<>', lease.attempt).execute();
    return true;
  });
}

/** Fails a job, if the lease still holds. */
export async function failJob(db: Kysely<Database>, lease: Lease, error: string): Promise<void> {
  await db.updateTable('bulk_exports').set({ status: 'failed', error, lease_owner: null, lease_expires_at: null }).where(held(lease)).execute();
}

/** Removes expired jobs with their files (and answers their ids). */
export async function deleteExpiredJobs(db: Kysely<Database>, now: Date): Promise<string[]> {
  const rows = await db.deleteFrom('bulk_exports').where('expires_at', '<=', now).returning('id').execute();
  return rows.map((r) => r.id);
}

export async function deleteJob(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('bulk_exports').where('id', '=', id).execute();
}

// ---- the files ----

/**
 * A row written for the job only while its lease holds: `insert … select`
 * from the job row (its id and attempt, then `values`), so a write of an
 * attempt given up on inserts nothing. True when the row was written.
 */
async function insertWhileHeld(
  db: Kysely<Database>,
  lease: Lease,
  table: 'bulk_export_parts' | 'bulk_export_subjects',
  values: Record<string, RawBuilder<unknown>>,
): Promise<boolean> {
  const result = await db
    .insertInto(table)
    .columns(['export_id', 'attempt', ...Object.keys(values)] as never)
    .expression(
      db
        .selectFrom('bulk_exports')
        .select(['bulk_exports.id', 'bulk_exports.attempt', ...Object.entries(values).map(([name, value]) => value.as(name))])
        .where(held(lease)),
    )
    .executeTakeFirst();
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

/** Stores one part of an export file, if the lease still holds; false when it does not. */
export async function insertPart(db: Kysely<Database>, lease: Lease, type: FhirExportType, part: number, bytes: number, data: Buffer): Promise<boolean> {
  return insertWhileHeld(db, lease, 'bulk_export_parts', { type: sql`${type}::text`, part: sql`${part}::int`, bytes: sql`${bytes}::int`, data: sql`${data}::bytea` });
}

/** The parts of one file of a completed export, in order, one at a time (memory stays flat whatever the file's size). */
export async function* readParts(db: Kysely<Database>, exportId: string, attempt: number, type: FhirExportType): AsyncGenerator<Buffer> {
  for (let part = 0; ; part++) {
    const row = await db
      .selectFrom('bulk_export_parts')
      .select('data')
      .where('export_id', '=', exportId)
      .where('attempt', '=', attempt)
      .where('type', '=', type)
      .where('part', '=', part)
      .executeTakeFirst();
    if (!row) return;
    yield row.data;
  }
}

// ---- whose data the files hold ----

/** Records the patients and procedures one chunk of an export file disclosed, if the lease still holds; false when it does not. */
export async function insertSubjects(
  db: Kysely<Database>,
  lease: Lease,
  type: FhirExportType,
  chunk: number,
  patientIds: readonly string[],
  procedureIds: readonly string[],
): Promise<boolean> {
  if (patientIds.length === 0 && procedureIds.length === 0) return true;
  return insertWhileHeld(db, lease, 'bulk_export_subjects', {
    type: sql`${type}::text`,
    chunk: sql`${chunk}::int`,
    patient_ids: sql`${[...new Set(patientIds)]}::uuid[]`,
    procedure_ids: sql`${[...new Set(procedureIds)]}::uuid[]`,
  });
}

/**
 * Audits a download of one export file: an audit row per chunk the file was
 * written in, naming the patients and procedures it disclosed, written by the
 * database from the chunk records (memory stays flat whatever the file's size).
 */
export async function auditDownloadSubjects(db: Kysely<Database>, row: AuditRow, exportId: string, attempt: number, type: FhirExportType): Promise<void> {
  const v = auditValues(row);
  await db
    .insertInto('audit_events')
    .columns(['request_id', 'actor_key_id', 'actor_organisation_id', 'actor_role', 'action', 'route', 'outcome', 'organisation_id', 'patient_ids', 'procedure_ids', 'detail', 'actor_person_issuer', 'actor_person_subject', 'actor_person_name'])
    .expression(
      db
        .selectFrom('bulk_export_subjects as s')
        .select([
          sql<string | null>`${v.request_id}::text`.as('request_id'),
          sql<string | null>`${v.actor_key_id}::uuid`.as('actor_key_id'),
          sql<string | null>`${v.actor_organisation_id}::uuid`.as('actor_organisation_id'),
          sql<string | null>`${v.actor_role}::text`.as('actor_role'),
          sql<string>`${v.action}::text`.as('action'),
          sql<string | null>`${v.route}::text`.as('route'),
          sql<string>`${v.outcome}::text`.as('outcome'),
          sql<string | null>`${v.organisation_id}::uuid`.as('organisation_id'),
          's.patient_ids',
          's.procedure_ids',
          sql<string>`${v.detail}::jsonb || jsonb_build_object('chunk', s.chunk)`.as('detail'),
          sql<string | null>`${v.actor_person_issuer}::text`.as('actor_person_issuer'),
          sql<string | null>`${v.actor_person_subject}::text`.as('actor_person_subject'),
          sql<string | null>`${v.actor_person_name}::text`.as('actor_person_name'),
        ])
        .where('s.export_id', '=', exportId)
        .where('s.attempt', '=', attempt)
        .where('s.type', '=', type)
        .orderBy('s.chunk'),
    )
    .execute();
}
