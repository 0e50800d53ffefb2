import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { caseTeam } from '../../domain/case-team.js';
import type { CaseRole, StaffEvidence } from '../../domain/vocabulary.js';
import type { RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit } from '../audit/audit.service.js';
import { resolveStaff, type StaffRef } from '../locations/location.service.js';
import { caseStaffEvents, caseStaffEventsWithStaff, insertCaseStaffEvent } from './case-staff.repository.js';
import { findProcedure, type Procedure } from './procedure.repository.js';

/** The case team as the API shows it: every stint with the staff member, and who is at the scanner. */
export interface CaseTeamView {
  readonly members: Array<{
    readonly staff: { readonly id: string; readonly gsrn: string | null; readonly localId: string | null; readonly name: string | null };
    readonly role: CaseRole;
    readonly evidence: StaffEvidence;
    readonly joinedAt: string;
    readonly leftAt: string | null;
    readonly atScanner: boolean;
  }>;
  readonly atScanner: string | null;
}

/** How a reference names a staff member: a scanned badge is evidence they are here; a typed id is not. */
export const evidenceOf = (ref: StaffRef): StaffEvidence => ('barcode' in ref ? 'badge' : 'typed');

export async function caseTeamView(db: Kysely<Database>, procedureId: string): Promise<CaseTeamView> {
  const events = await caseStaffEventsWithStaff(db, procedureId);
  const staff = new Map(events.map((e) => [e.staffId, e.staff]));
  const team = caseTeam(events);
  return {
    members: team.members.map((m) => ({
      staff: staff.get(m.staffId) as CaseTeamView['members'][number]['staff'],
      role: m.role,
      evidence: m.evidence,
      joinedAt: m.joinedAt.toISOString(),
      leftAt: m.leftAt?.toISOString() ?? null,
      atScanner: m.leftAt === null && m.staffId === team.atScanner,
    })),
    atScanner: team.atScanner,
  };
}

/** The open procedure of the caller's organisation, locked: the case team changes one event at a time. */
async function lockOpenCase(trx: Kysely<Database>, ctx: RequestContext, procedureId: string): Promise<Procedure> {
  const procedure = await findProcedure(trx, procedureId, true);
  // Another organisation's case is not found, as every read of it.
  if (!procedure || procedure.organisationId !== ctx.actor.organisationId) {
    throw new ProblemError('NOT_FOUND', 'No such procedure.');
  }
  if (procedure.status === 'completed') throw new ProblemError('PROCEDURE_COMPLETED', 'The procedure is completed: its team is as it was when it closed. Nothing was changed.');
  return procedure;
}

/**
 * A staff member joins the case (or, in it already, takes the scanner back by badging again): registered on
 * first use, as at opening. Audited.
 */
export async function joinCase(
  db: Kysely<Database>,
  ctx: RequestContext,
  procedureId: string,
  input: { readonly staff: StaffRef; readonly role: CaseRole },
  clock: Clock,
): Promise<CaseTeamView> {
  return db.transaction().execute(async (trx) => {
    const procedure = await lockOpenCase(trx, ctx, procedureId);
    const staff = await resolveStaff(trx, procedure.organisationId, input.staff, clock.now());
    const evidence = evidenceOf(input.staff);
    await insertCaseStaffEvent(trx, { organisationId: procedure.organisationId, procedureId, staffId: staff.id, event: 'joined', role: input.role, evidence, recordedBy: ctx.actor.keyId });
    await recordAudit(trx, ctx, {
      action: 'procedure.staff.join',
      organisationId: procedure.organisationId,
      procedureIds: [procedureId],
      detail: { staffId: staff.id, role: input.role, evidence },
    });
    return caseTeamView(trx, procedureId);
  });
}

/** A staff member leaves the case (a handover, or they were badged in by mistake). Audited. */
export async function leaveCase(db: Kysely<Database>, ctx: RequestContext, procedureId: string, staffId: string): Promise<CaseTeamView> {
  return db.transaction().execute(async (trx) => {
    const procedure = await lockOpenCase(trx, ctx, procedureId);
    const team = caseTeam(await caseStaffEvents(trx, procedureId));
    if (!team.members.some((m) => m.staffId === staffId && m.leftAt === null)) {
      throw new ProblemError('STAFF_NOT_IN_CASE', 'This staff member is not in the case now. Nothing was changed.');
    }
    await insertCaseStaffEvent(trx, { organisationId: procedure.organisationId, procedureId, staffId, event: 'left', role: null, evidence: null, recordedBy: ctx.actor.keyId });
    await recordAudit(trx, ctx, { action: 'procedure.staff.leave', organisationId: procedure.organisationId, procedureIds: [procedureId], detail: { staffId } });
    return caseTeamView(trx, procedureId);
  });
}
