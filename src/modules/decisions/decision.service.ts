import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { DecisionOutcome, Disposition } from '../../domain/vocabulary.js';
import { requireOrganisation, type RequestContext } from '../../shared/actor.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit } from '../audit/audit.service.js';
import { findProcedure } from '../procedures/procedure.repository.js';
import { findItem, type Item } from '../scans/scan.repository.js';
import { settlePointOfUse } from '../stock/point-of-use.service.js';
import { toItemApi } from '../scans/scan.service.js';
import { insertDecision } from './decision.repository.js';

export interface DecisionInput {
  readonly outcome: DecisionOutcome;
  readonly reason?: string | undefined;
  readonly disposition?: Disposition | undefined;
}

const sameDecision = (d: NonNullable<Item['decision']>, input: DecisionInput) =>
  d.status === input.outcome && d.reason === (input.reason ?? null) && d.disposition === (input.disposition ?? null);

/**
 * Records the theatre's decision on an item that raised a critical warning:
 * put aside (not used, and what became of it) or implanted anyway (an
 * override, with a reason). A decision already made is corrected by a later
 * one with a reason, never erased; the same decision sent again (a retry after
 * a lost response) records nothing more. The time is the database's.
 */
export async function decideItem(db: Kysely<Database>, ctx: RequestContext, itemId: string, input: DecisionInput) {
  const organisationId = requireOrganisation(ctx);
  return db.transaction().execute(async (trx) => {
    const seen = await findItem(trx, itemId);
    if (!seen || seen.organisationId !== organisationId) throw new ProblemError('NOT_FOUND', 'No such item.');
    // Serialised with the procedure's scans, voids and completion.
    const procedure = await findProcedure(trx, seen.procedureId, true);
    const item = (await findItem(trx, itemId)) as Item;
    const current = item.decision;
    if (!procedure || item.status === 'voided' || current === null) {
      throw new ProblemError('DECISION_NOT_REQUIRED', item.status === 'voided' ? 'The item was voided: there is nothing to decide.' : 'The item raised no critical warning while being implanted: there is nothing to decide.');
    }
    if (current.status !== 'pending' && sameDecision(current, input)) return toItemApi(item);
    if (current.status !== 'pending' && input.reason === undefined) {
      throw new ProblemError('VALIDATION_FAILED', `The item was already decided (${current.status}): a correction needs a reason.`, {
        errors: [{ in: 'body', pointer: '/reason', message: 'a correction of an earlier decision needs a reason', code: 'custom' }],
      });
    }
    const decision = await insertDecision(trx, {
      organisationId,
      procedureId: item.procedureId,
      itemId,
      outcome: input.outcome,
      reason: input.reason ?? null,
      disposition: input.disposition ?? null,
      correctsDecisionId: current.id,
      actorKeyId: ctx.actor.keyId,
    });
    const decided = (await findItem(trx, itemId)) as Item;
    // Put aside and returned to stock or held: the unit goes back; implanted (a correction): it is taken again.
    await settlePointOfUse(trx, [{ item: decided, locationId: procedure.locationId, fresh: false, actorKeyId: ctx.actor.keyId }]);
    await recordAudit(trx, ctx, {
      action: 'item.decision',
      organisationId,
      patientIds: [item.patientId],
      procedureIds: [item.procedureId],
      detail: { itemId, decisionId: decision.id, outcome: input.outcome, disposition: input.disposition ?? null, corrects: current.id, override: input.outcome === 'implanted' },
    });
    return toItemApi(decided);
  });
}
