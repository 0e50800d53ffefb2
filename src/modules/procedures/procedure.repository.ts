import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import type { Database, ProceduresTable } from '../../db/database.js';
import type { Side } from '../../domain/vocabulary.js';
import type { TenancyScope } from '../../shared/actor.js';

export interface Procedure {
  readonly id: string;
  readonly organisationId: string;
  readonly patientId: string;
  readonly locationId: string | null;
  readonly leadClinicianId: string | null;
  /**
   * The staff member at the scanner now (the case team's most recently badged member still in the case,
   * src/domain/case-team.ts), whom a scan sent with a device key is attributed to; null: nobody badged in.
   */
  readonly scanningStaffId: string | null;
  readonly procedureCode: string | null;
  readonly side: Side | null;
  readonly status: 'open' | 'completed';
  readonly startedAt: Date;
  readonly completedAt: Date | null;
}

const toProcedure = (r: Selectable<ProceduresTable> & { scanning_staff_id: string | null }): Procedure => ({
  id: r.id,
  organisationId: r.organisation_id,
  patientId: r.patient_id,
  locationId: r.location_id,
  leadClinicianId: r.lead_clinician_id,
  scanningStaffId: r.scanning_staff_id,
  procedureCode: r.procedure_code,
  side: r.side,
  status: r.status,
  startedAt: r.started_at,
  completedAt: r.completed_at,
});

export async function insertProcedure(
  db: Kysely<Database>,
  p: Omit<Procedure, 'id' | 'status' | 'completedAt' | 'scanningStaffId'> & { createdBy: string },
): Promise<Procedure> {
  const row = await db
    .insertInto('procedures')
    .values({
      organisation_id: p.organisationId,
      patient_id: p.patientId,
      location_id: p.locationId,
      lead_clinician_id: p.leadClinicianId,
      procedure_code: p.procedureCode,
      side: p.side,
      started_at: p.startedAt,
      created_by: p.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  // Nobody has badged in to a case that did not exist a moment ago.
  return toProcedure({ ...row, scanning_staff_id: null });
}

/**
 * Who is at the scanner (see Procedure.scanningStaffId): the latest badge scanned into the case by someone
 * who has not left it since. The rule of caseTeam() in src/domain/case-team.ts, as SQL, so that the query
 * locking the procedure answers it too; test/integration/case-staff.test.ts holds the two to the same answers.
 */
function scanningStaff(eb: ExpressionBuilder<Database, 'procedures'>) {
  return eb
    .selectFrom('case_staff_events as joined')
    .select('joined.staff_id')
    .whereRef('joined.procedure_id', '=', 'procedures.id')
    .where('joined.event', '=', 'joined')
    .where('joined.evidence', '=', 'badge')
    .where((e) =>
      e.not(
        e.exists(
          e
            .selectFrom('case_staff_events as left')
            .select(sql`1`.as('one'))
            .whereRef('left.procedure_id', '=', 'joined.procedure_id')
            .whereRef('left.staff_id', '=', 'joined.staff_id')
            .where('left.event', '=', 'left')
            .whereRef('left.id', '>', 'joined.id'),
        ),
      ),
    )
    .orderBy('joined.id', 'desc')
    .limit(1)
    .as('scanning_staff_id');
}

/** The procedure, locked against concurrent changes when `lock` (scans of one procedure are serialised). */
export async function findProcedure(db: Kysely<Database>, id: string, lock = false): Promise<Procedure | undefined> {
  let query = db.selectFrom('procedures').selectAll('procedures').select(scanningStaff).where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toProcedure(row);
}

/**
 * These procedures, locked against concurrent changes (scans of one procedure
 * are serialised), by id. Locked in id order, so two transactions locking
 * overlapping sets cannot deadlock each other.
 */
export async function lockProcedures(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, Procedure>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('procedures').selectAll('procedures').select(scanningStaff).where('id', 'in', [...new Set(ids)]).orderBy('id').forUpdate().execute();
  return new Map(rows.map((r) => [r.id, toProcedure(r)]));
}

export async function completeProcedure(db: Kysely<Database>, id: string, at: Date): Promise<void> {
  await db.updateTable('procedures').set({ status: 'completed', completed_at: at }).where('id', '=', id).where('status', '=', 'open').execute();
}

export interface ProcedureSearch {
  readonly nhsNumber?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly locationGln?: string | undefined;
  readonly limit: number;
}

export interface ProcedureSummary {
  readonly id: string;
  readonly organisationId: string;
  readonly odsCode: string;
  readonly patientId: string;
  readonly nhsNumber: string;
  readonly startedAt: Date;
  readonly status: 'open' | 'completed';
  readonly procedureCode: string | null;
  readonly side: Side | null;
  readonly locationName: string | null;
  readonly locationGln: string | null;
  readonly itemCount: number;
}

export async function searchProcedures(db: Kysely<Database>, scope: TenancyScope, s: ProcedureSearch): Promise<ProcedureSummary[]> {
  let query = db
    .selectFrom('procedures as p')
    .innerJoin('patients as pt', 'pt.id', 'p.patient_id')
    .innerJoin('organisations as o', 'o.id', 'p.organisation_id')
    .leftJoin('locations as l', 'l.id', 'p.location_id')
    .select((eb) => [
      'p.id',
      'p.organisation_id',
      'o.ods_code',
      'p.patient_id',
      'pt.nhs_number',
      'p.started_at',
      'p.status',
      'p.procedure_code',
      'p.side',
      'l.name as location_name',
      'l.gln as location_gln',
      eb
        .selectFrom('items as i')
        .select((e) => e.fn.countAll<string>().as('n'))
        .whereRef('i.procedure_id', '=', 'p.id')
        .where('i.status', '=', 'active')
        .as('item_count'),
    ])
    .orderBy('p.started_at', 'desc')
    .orderBy('p.id')
    .limit(s.limit);
  if (scope.kind === 'organisation') query = query.where('p.organisation_id', '=', scope.organisationId);
  if (s.nhsNumber !== undefined) query = query.where('pt.nhs_number', '=', s.nhsNumber);
  if (s.from !== undefined) query = query.where('p.started_at', '>=', s.from);
  if (s.to !== undefined) query = query.where('p.started_at', '<', s.to);
  if (s.locationGln !== undefined) query = query.where('l.gln', '=', s.locationGln);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    organisationId: r.organisation_id,
    odsCode: r.ods_code,
    patientId: r.patient_id,
    nhsNumber: r.nhs_number,
    startedAt: r.started_at,
    status: r.status,
    procedureCode: r.procedure_code,
    side: r.side,
    locationName: r.location_name,
    locationGln: r.location_gln,
    itemCount: Number(r.item_count ?? 0),
  }));
}
