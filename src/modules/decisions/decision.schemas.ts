import { z } from 'zod';
import { DECISION_OUTCOMES, DISPOSITIONS } from '../../domain/vocabulary.js';
import { ReasonSchema } from '../../shared/schemas.js';

export const DecisionBody = z
  .strictObject({
    outcome: z.enum(DECISION_OUTCOMES).describe('not-used: the item was put aside. implanted: it was implanted despite the warning (an override).'),
    reason: ReasonSchema.optional().describe('Required to implant (an override) and to correct an earlier decision.'),
    disposition: z.enum(DISPOSITIONS).optional().describe('Required for not-used: returned-to-stock, wasted or quarantined.'),
  })
  .superRefine((b, ctx) => {
    if (b.outcome === 'implanted' && b.reason === undefined) ctx.addIssue({ code: 'custom', path: ['reason'], message: 'say why the item was implanted despite the warning' });
    if (b.outcome === 'not-used' && b.disposition === undefined) ctx.addIssue({ code: 'custom', path: ['disposition'], message: 'say what became of the item: returned-to-stock, wasted or quarantined' });
    if (b.outcome === 'implanted' && b.disposition !== undefined) ctx.addIssue({ code: 'custom', path: ['disposition'], message: 'only an item not used has a disposition' });
  })
  .meta({ id: 'DecisionBody' });
