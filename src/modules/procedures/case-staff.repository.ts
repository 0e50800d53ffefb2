import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { CaseStaffEvent } from '../../domain/case-team.js';
import type { CaseRole, StaffEvidence } from '../../domain/vocabulary.js';

export interface NewCaseStaffEvent {
  readonly organisationId: string;
  readonly procedureId: string;
  readonly staffId: string;
  readonly event: 'joined' | 'left';
  readonly role: CaseRole | null;
  readonly evidence: StaffEvidence | null;
  /** The principal (API key, session or token principal) that recorded it. */
  readonly recordedBy: string;
}

export async function insertCaseStaffEvent(db: Kysely<Database>, e: NewCaseStaffEvent): Promise<void> {
  await db
    .insertInto('case_staff_events')
    .values({
      organisation_id: e.organisationId,
      procedure_id: e.procedureId,
      staff_id: e.staffId,
      event: e.event,
      role: e.role,
      evidence: e.evidence,
      recorded_by: e.recordedBy,
    })
    .execute();
}

/** The case's staff events in the order they were recorded (the identity orders them within one instant). */
export async function caseStaffEvents(db: Kysely<Database>, procedureId: string): Promise<CaseStaffEvent[]> {
  const rows = await db
    .selectFrom('case_staff_events')
    .select(['staff_id', 'event', 'role', 'evidence', 'recorded_at'])
    .where('procedure_id', '=', procedureId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ staffId: r.staff_id, event: r.event, role: r.role, evidence: r.evidence, at: r.recorded_at }));
}

/** The case's staff events with the staff member each names, in the order they were recorded: one query. */
export async function caseStaffEventsWithStaff(
  db: Kysely<Database>,
  procedureId: string,
): Promise<Array<CaseStaffEvent & { readonly staff: { readonly id: string; readonly gsrn: string | null; readonly localId: string | null; readonly name: string | null } }>> {
  const rows = await db
    .selectFrom('case_staff_events as e')
    .innerJoin('staff as s', 's.id', 'e.staff_id')
    .select(['e.staff_id', 'e.event', 'e.role', 'e.evidence', 'e.recorded_at', 's.gsrn', 's.local_id', 's.name'])
    .where('e.procedure_id', '=', procedureId)
    .orderBy('e.id')
    .execute();
  return rows.map((r) => ({
    staffId: r.staff_id,
    event: r.event,
    role: r.role,
    evidence: r.evidence,
    at: r.recorded_at,
    staff: { id: r.staff_id, gsrn: r.gsrn, localId: r.local_id, name: r.name },
  }));
}
