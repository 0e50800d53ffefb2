import { z } from 'zod';
import { CONSENT_STATUSES } from '../../domain/vocabulary.js';
import { InstantSchema, NhsNumberSchema, RegistryCodeSchema } from '../../shared/schemas.js';

export const ConsentStatusSchema = z.enum(CONSENT_STATUSES).meta({ id: 'ConsentStatus' });

export const RecordConsentBody = z
  .strictObject({
    nhsNumber: NhsNumberSchema,
    registry: RegistryCodeSchema,
    status: ConsentStatusSchema,
    recordedAt: InstantSchema.optional()
      .describe('When the patient gave or withdrew consent (default: now). The latest by this time is in force.'),
  })
  .meta({ id: 'RecordConsentBody' });

export const ConsentSchema = z
  .object({
    id: z.uuid(),
    registry: z.string(),
    status: ConsentStatusSchema,
    recordedAt: z.iso.datetime(),
    enteredAt: z.iso.datetime().describe('When the service stored the record.'),
    recordedBy: z.enum(['this-organisation', 'another-organisation']),
  })
  .meta({ id: 'Consent' });

export const ConsentSearchBody = z.strictObject({ nhsNumber: NhsNumberSchema }).meta({ id: 'ConsentSearchBody' });

export const PatientConsentsSchema = z
  .object({
    inForce: z.array(ConsentSchema).describe('Per registry, the record in force. A registry not listed has never been asked: no consent.'),
    history: z.array(ConsentSchema).describe('Every record, per registry newest first.'),
  })
  .meta({ id: 'PatientConsents' });
