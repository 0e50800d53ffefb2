import { sql, type Kysely } from 'kysely';
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
  readonly output: readonly { type: FhirExportType; file: string; count: number }[];
  readonly error: string | null;
  readonly expiresAt: Date;
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

export async function updateJob(
  db: Kysely<Database>,
  id: string,
  patch: {
    status?: BulkExportStatus;
    progress?: string | null;
    transactionTime?: Date;
    output?: ExportJob['output'];
    error?: string | null;
    completedAt?: Date;
    expiresAt?: Date;
  },
): Promise<void> {
  await db
    .updateTable('bulk_exports')
    .set({
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.progress !== undefined ? { progress: patch.progress } : {}),
      ...(patch.transactionTime !== undefined ? { transaction_time: patch.transactionTime } : {}),
      ...(patch.output !== undefined ? { output: JSON.stringify(patch.output) } : {}),
      ...(patch.error !== undefined ? { error: patch.error } : {}),
      ...(patch.completedAt !== undefined ? { completed_at: patch.completedAt } : {}),
      ...(patch.expiresAt !== undefined ? { expires_at: patch.expiresAt } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** Jobs that were under way when the service stopped: they cannot finish now. */
export async function failInterruptedJobs(db: Kysely<Database>): Promise<string[]> {
  const rows = await db
    .updateTable('bulk_exports')
    .set({ status: 'failed', error: 'The service restarted while the export was running. Start a new export.' })
    .where('status', 'in', ['accepted', 'running'])
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Removes expired jobs (and answers their ids, so their files go too). */
export async function deleteExpiredJobs(db: Kysely<Database>, now: Date): Promise<string[]> {
  const rows = await db.deleteFrom('bulk_exports').where('expires_at', '<=', now).returning('id').execute();
  return rows.map((r) => r.id);
}

export async function deleteJob(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('bulk_exports').where('id', '=', id).execute();
}

// ---- whose data the files hold ----

/** Records the patients and procedures one chunk of an export file disclosed. */
export async function insertSubjects(db: Kysely<Database>, exportId: string, type: FhirExportType, chunk: number, patientIds: readonly string[], procedureIds: readonly string[]): Promise<void> {
  if (patientIds.length === 0 && procedureIds.length === 0) return;
  await db
    .insertInto('bulk_export_subjects')
    .values({ export_id: exportId, type, chunk, patient_ids: [...new Set(patientIds)], procedure_ids: [...new Set(procedureIds)] })
    .execute();
}

/**
 * Audits a download of one export file: an audit row per chunk the file was
 * written in, naming the patients and procedures it disclosed, written by the
 * database from the chunk records (memory stays flat whatever the file's size).
 */
export async function auditDownloadSubjects(db: Kysely<Database>, row: AuditRow, exportId: string, type: FhirExportType): Promise<void> {
  const v = auditValues(row);
  await db
    .insertInto('audit_events')
    .columns(['request_id', 'actor_key_id', 'actor_organisation_id', 'actor_role', 'action', 'route', 'outcome', 'organisation_id', 'patient_ids', 'procedure_ids', 'detail'])
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
        ])
        .where('s.export_id', '=', exportId)
        .where('s.type', '=', type)
        .orderBy('s.chunk'),
    )
    .execute();
}
