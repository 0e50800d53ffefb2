import { z } from 'zod';
import { ITEM_ACTIONS, SIDES } from '../../domain/vocabulary.js';
import { DEVICE_FIELDS, RegistryCodeSchema } from '../../shared/schemas.js';

export const FeedQuerySchema = z.strictObject({
  registry: RegistryCodeSchema.describe('The registry whose feed to read; a registry key reads only its own.'),
  after: z.string().max(100).optional().describe('The `nextCursor` of the previous page. Omit to start from the beginning.'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const Revision = z
  .object({
    itemId: z.uuid(),
    procedureId: z.uuid(),
    revisedAt: z.iso.datetime().describe('Start of the revision operation.'),
    daysToRevision: z.number().int().describe('Whole days from the implant operation to the revision.'),
  })
  .describe('For an implant that has since been explanted: the revision (possibly at another organisation).');

const RevisionOf = z
  .object({
    itemId: z.uuid(),
    procedureId: z.uuid(),
    implantedAt: z.iso.datetime().describe('Start of the primary operation.'),
    daysSinceImplant: z.number().int(),
  })
  .describe('For an explant: the implant it removed (same patient, by serial, else GTIN + lot; possibly at another organisation).');

export const FeedItemSchema = z
  .object({
    id: z.uuid(),
    action: z.enum(ITEM_ACTIONS),
    status: z.enum(['active', 'voided']).describe('`voided`: the scan was withdrawn; a registry should delete what it holds for this item.'),
    ...DEVICE_FIELDS,
    awaiting: z.enum(['product-label', 'secondary-label']).nullable(),
    decision: z
      .enum(['pending', 'not-used', 'implanted'])
      .nullable()
      .describe(
        'For an implant that raised a critical warning at scan: pending (not decided yet), not-used (put aside: it did not go into the patient; delete anything held for it) or implanted (an override). Null when no decision was needed. Count an implant only when this is null or implanted.',
      ),
    firstScannedAt: z.iso.datetime(),
    product: z.object({ brand: z.string().nullable(), model: z.string().nullable(), manufacturer: z.string().nullable() }).nullable(),
    revision: Revision.nullable(),
    revisionOf: RevisionOf.nullable(),
  })
  .meta({ id: 'FeedItem' });

export const FeedProcedureSchema = z
  .object({
    id: z.uuid(),
    organisation: z.string().describe('ODS code of the organisation where it took place.'),
    status: z.enum(['open', 'completed']),
    procedureCode: z.string().nullable(),
    side: z.enum(SIDES).nullable(),
    startedAt: z.iso.datetime(),
    completedAt: z.iso.datetime().nullable(),
    location: z.object({ id: z.uuid(), gln: z.string(), glnExtension: z.string(), name: z.string() }).nullable(),
    leadClinician: z.object({ id: z.uuid(), gsrn: z.string().nullable(), localId: z.string().nullable(), name: z.string().nullable() }).nullable(),
    patient: z.object({
      pseudonym: z.string().describe("Stable per patient and registry; the same in this registry's FHIR exports (Patient.id)."),
      nhsNumber: z.string().nullable().describe('Only with consent granted and not withdrawn.'),
      dateOfBirth: z.string().nullable().describe('Only with consent granted and not withdrawn.'),
      consent: z.enum(['granted', 'withdrawn', 'not-recorded']),
    }),
    items: z.array(FeedItemSchema),
  })
  .meta({ id: 'FeedProcedure' });

export const FeedEntrySchema = z
  .object({
    cursor: z.string().describe('Position of this entry.'),
    procedureId: z.uuid(),
    disclosure: z
      .enum(['identified', 'pseudonymous', 'withheld'])
      .describe('`withheld`: the registry takes nothing without consent; delete anything held for this procedure.'),
    procedure: FeedProcedureSchema.nullable(),
  })
  .meta({ id: 'FeedEntry' });

export const FeedPageSchema = z
  .object({
    registry: z.string(),
    entries: z.array(FeedEntrySchema),
    nextCursor: z.string().nullable().describe('Pass as `after` to read on; unchanged when nothing new has committed.'),
    hasMore: z.boolean().describe('True when the page is full: read on at once. Otherwise poll again later.'),
  })
  .meta({ id: 'FeedPage' });
