import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { tenancyOf, type RequestContext } from '../../shared/actor.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit } from '../audit/audit.service.js';
import { insertOrganisation, listOrganisations, type Organisation } from './organisation.repository.js';

export async function createOrganisation(
  db: Kysely<Database>,
  ctx: RequestContext,
  input: { odsCode: string; name: string },
): Promise<Organisation> {
  if (!ctx.actor.national) {
    throw new ProblemError('FORBIDDEN', 'Only a national admin key can register organisations.');
  }
  try {
    return await db.transaction().execute(async (trx) => {
      const organisation = await insertOrganisation(trx, input);
      await recordAudit(trx, ctx, {
        action: 'organisation.create',
        organisationId: organisation.id,
        detail: { odsCode: organisation.odsCode },
      });
      return organisation;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ProblemError('ORGANISATION_EXISTS', `An organisation with ODS code ${input.odsCode} is already registered.`);
    }
    throw error;
  }
}

/** A national admin sees every organisation; an organisation's admin sees its own. */
export async function listVisibleOrganisations(db: Kysely<Database>, ctx: RequestContext): Promise<Organisation[]> {
  return listOrganisations(db, tenancyOf(ctx.actor));
}
