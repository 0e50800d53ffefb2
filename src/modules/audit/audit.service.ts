import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { AuditOutcome } from '../../domain/vocabulary.js';
import type { RequestContext } from '../../shared/actor.js';
import { insertAuditEvents, type AuditRow } from './audit.repository.js';

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
    entries.map((entry) => auditRowOf(ctx, entry)),
  );
}

/** The audit row of one entry under a request's context (for writes that store it with other rows). */
export const auditRowOf = (ctx: RequestContext, entry: AuditEntry): AuditRow => ({
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
  // Every action taken in a session names the person, whatever the module.
  person: ctx.actor.person,
});

/** A row of a list of patient data: whose it is. */
export interface ListedRow {
  readonly organisationId: string;
  readonly patientId: string;
  readonly procedureId: string;
}

/**
 * Audits a list of patient data (a search, a recall page): one row per
 * organisation whose patients it shows, with their patient and procedure ids;
 * one row with no ids when the list is empty.
 */
export async function recordListAudit(
  db: Kysely<Database>,
  ctx: RequestContext,
  action: string,
  rows: readonly ListedRow[],
  detail: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const byOrganisation = new Map<string, ListedRow[]>();
  for (const row of rows) {
    const list = byOrganisation.get(row.organisationId);
    if (list) list.push(row);
    else byOrganisation.set(row.organisationId, [row]);
  }
  const entries: AuditEntry[] =
    byOrganisation.size === 0
      ? [{ action, organisationId: ctx.actor.organisationId, detail: { ...detail, results: 0 } }]
      : [...byOrganisation].map(([organisationId, list]) => ({
          action,
          organisationId,
          patientIds: [...new Set(list.map((r) => r.patientId))],
          procedureIds: [...new Set(list.map((r) => r.procedureId))],
          detail: { ...detail, results: list.length },
        }));
  await recordAudit(db, ctx, ...entries);
}
