import type { Kysely } from 'kysely';
import type { AuditOutcome, Database } from '../../db/database.js';
import type { RequestContext } from '../../shared/actor.js';
import { insertAuditEvents } from './audit.repository.js';

/**
 * The audit trail every module writes through. Call it inside the same
 * transaction as the write it records, so that a change and its audit row are
 * committed together or not at all; for reads, call it before returning data.
 */
export interface AuditEntry {
  /** What happened, as `<resource>.<verb>`, e.g. `procedure.read`, `api-key.revoke`. */
  readonly action: string;
  readonly outcome?: AuditOutcome;
  /** The organisation whose data was touched. */
  readonly organisationId?: string | null;
  readonly patientIds?: readonly string[];
  readonly procedureIds?: readonly string[];
  /** Small, non-identifying facts (ids, counts). Never NHS numbers or secrets. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export async function recordAudit(db: Kysely<Database>, ctx: RequestContext, ...entries: AuditEntry[]): Promise<void> {
  await insertAuditEvents(
    db,
    entries.map((entry) => ({
      requestId: ctx.requestId,
      actorKeyId: ctx.actor.keyId,
      actorOrganisationId: ctx.actor.organisationId,
      actorRole: ctx.actor.role,
      action: entry.action,
      route: ctx.route,
      outcome: entry.outcome ?? 'success',
      organisationId: entry.organisationId ?? null,
      patientIds: entry.patientIds ?? [],
      procedureIds: entry.procedureIds ?? [],
      detail: entry.detail ?? {},
    })),
  );
}
