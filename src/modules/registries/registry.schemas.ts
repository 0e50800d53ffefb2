import { z } from 'zod';
import { WITHOUT_CONSENT_POLICIES } from '../../domain/vocabulary.js';

export const WithoutConsentSchema = z
  .enum(WITHOUT_CONSENT_POLICIES)
  .describe(
    'What the registry receives for a patient without granted consent: `pseudonymous` = the procedure and devices under a stable ' +
      'pseudonymous patient id (no NHS number, no date of birth); `omit` = nothing (feeds carry only a withheld marker).',
  )
  .meta({ id: 'WithoutConsentPolicy' });

export const RegistrySchema = z
  .object({
    code: z.string().describe('e.g. NJR'),
    name: z.string(),
    withoutConsent: WithoutConsentSchema,
  })
  .meta({ id: 'Registry' });

export const RegistryListSchema = z.object({ items: z.array(RegistrySchema) }).meta({ id: 'RegistryList' });

export const PutRegistryBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    withoutConsent: WithoutConsentSchema,
  })
  .meta({ id: 'PutRegistryBody' });
