import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { ConsentStatus } from '../../domain/vocabulary.js';
import { requireOrganisation, type RequestContext } from '../../shared/actor.js';
import { ProblemError } from '../../shared/problem.js';
import { CLOCK_SKEW_MS } from '../../shared/time-bounds.js';
import { recordAudit } from '../audit/audit.service.js';
import { findRegistry } from '../registries/registry.repository.js';
import { consentHistory, insertConsent, patientIdsFor, type ConsentRecord } from './consent.repository.js';

export interface RecordConsentInput {
  readonly nhsNumber: string;
  readonly registry: string;
  readonly status: ConsentStatus;
  readonly recordedAt?: string | undefined;
}

/**
 * Records a patient's consent to (or withdrawal from) one registry. Consent
 * belongs to the patient, so it applies to their procedures in every
 * organisation; the record in force is the latest by `recordedAt` (when the
 * patient gave or withdrew it), so a back-dated paper form entered late does
 * not override a newer decision. The history is append-only.
 */
export async function recordConsent(db: Kysely<Database>, ctx: RequestContext, input: RecordConsentInput, now: Date): Promise<ConsentRecord> {
  const organisationId = requireOrganisation(ctx);
  const recordedAt = input.recordedAt === undefined ? now : new Date(input.recordedAt);
  if (recordedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw new ProblemError('VALIDATION_FAILED', 'recordedAt is in the future: give the time the patient gave or withdrew consent.', {
      errors: [{ in: 'body', pointer: '/recordedAt', message: 'must not be in the future', code: 'too_big' }],
    });
  }
  if (!(await findRegistry(db, input.registry))) {
    throw new ProblemError('REGISTRY_UNKNOWN', `No registry with code ${input.registry} is configured.`);
  }
  return db.transaction().execute(async (trx) => {
    const record = await insertConsent(trx, {
      nhsNumber: input.nhsNumber,
      registryCode: input.registry,
      status: input.status,
      recordedAt,
      organisationId,
      actorKeyId: ctx.actor.keyId,
    });
    await recordAudit(trx, ctx, {
      action: 'consent.record',
      organisationId,
      patientIds: await patientIdsFor(trx, organisationId, input.nhsNumber),
      detail: { consentId: record.id, registry: input.registry, status: input.status },
    });
    return record;
  });
}

export interface ConsentView {
  readonly inForce: readonly ConsentRecord[];
  readonly history: readonly ConsentRecord[];
}

/** A patient's consent, per registry in force and in full history. Reading it is audited. */
export async function patientConsents(db: Kysely<Database>, ctx: RequestContext, nhsNumber: string): Promise<ConsentView> {
  const organisationId = requireOrganisation(ctx);
  const history = await consentHistory(db, nhsNumber);
  const inForce: ConsentRecord[] = [];
  for (const record of history) if (inForce.at(-1)?.registryCode !== record.registryCode) inForce.push(record);
  await recordAudit(db, ctx, {
    action: 'consent.read',
    organisationId,
    patientIds: await patientIdsFor(db, organisationId, nhsNumber),
    detail: { records: history.length },
  });
  return { inForce, history };
}
