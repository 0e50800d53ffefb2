import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { AuditOutcome, Role } from '../../domain/vocabulary.js';
import type { Person } from '../../shared/actor.js';

export interface AuditRow {
  readonly requestId: string | null;
  readonly actorKeyId: string | null;
  readonly actorOrganisationId: string | null;
  readonly actorRole: Role | null;
  readonly action: string;
  readonly route: string | null;
  readonly outcome: AuditOutcome;
  readonly organisationId: string | null;
  readonly patientIds: readonly string[];
  readonly procedureIds: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
  /** The person who acted, signed in (a session); absent for keys. */
  readonly person?: Person | undefined;
}

/** Appends audit events. There is deliberately no update or delete here (the table forbids both). */
export async function insertAuditEvents(db: Kysely<Database>, rows: readonly AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto('audit_events').values(rows.map(auditValues)).execute();
}

/** An audit row as column values, for an insert (also one made within another statement). */
export const auditValues = (r: AuditRow) => ({
  request_id: r.requestId,
  actor_key_id: r.actorKeyId,
  actor_organisation_id: r.actorOrganisationId,
  actor_role: r.actorRole,
  action: r.action,
  route: r.route,
  outcome: r.outcome,
  organisation_id: r.organisationId,
  patient_ids: [...r.patientIds],
  procedure_ids: [...r.procedureIds],
  detail: JSON.stringify(r.detail),
  actor_person_issuer: r.person?.provider ?? null,
  actor_person_subject: r.person?.subject ?? null,
  actor_person_name: r.person?.name ?? null,
});
