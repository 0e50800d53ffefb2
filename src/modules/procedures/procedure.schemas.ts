import { z } from 'zod';
import { CASE_ROLES, LOCATION_KINDS, SIDES, STAFF_EVIDENCE } from '../../domain/vocabulary.js';
import { GlnSchema, GsrnSchema, InstantSchema, IsoDateSchema, NhsNumberSchema, ScanTextSchema } from '../../shared/schemas.js';
import { ItemSchema, ScanSchema } from '../scans/scan.schemas.js';

const PatientRefSchema = z
  .strictObject({
    nhsNumber: NhsNumberSchema.optional(),
    barcode: ScanTextSchema.optional().describe('The scanned wristband (AI 8018 GSRN).'),
    dateOfBirth: IsoDateSchema.optional(),
    localMrn: z.string().trim().min(1).max(40).optional(),
  })
  .refine((p) => p.nhsNumber !== undefined || p.barcode !== undefined, { message: 'give the NHS number, the wristband barcode, or both', path: ['nhsNumber'] })
  .describe('The patient: NHS number and/or wristband scan. Both given: they must agree.');

/** Where: a GLN, or the wall label scanned; exactly one (`oneOf`). */
const LocationRefSchema = z.xor(
  [
    z.strictObject({ gln: GlnSchema, glnExtension: z.string().min(1).max(20).optional() }),
    z.strictObject({ barcode: ScanTextSchema.describe('The scanned wall label (AI 414, optionally 254).') }),
  ],
  { error: 'give exactly one of gln or barcode' },
);

/** Who: a badge's GSRN, the badge scanned, or a local id; exactly one (`oneOf`). */
const StaffRefSchema = z.xor(
  [
    z.strictObject({ gsrn: GsrnSchema, name: z.string().trim().min(1).max(200).optional() }),
    z.strictObject({ barcode: ScanTextSchema.describe('The scanned staff badge (AI 8017).'), name: z.string().trim().min(1).max(200).optional() }),
    z.strictObject({ localId: z.string().trim().min(1).max(40), name: z.string().trim().min(1).max(200).optional() }),
  ],
  { error: 'give exactly one of gsrn, barcode or localId' },
);

export const CaseTeamSchema = z
  .object({
    members: z
      .array(
        z.object({
          staff: z.object({ id: z.uuid(), gsrn: z.string().nullable(), localId: z.string().nullable(), name: z.string().nullable() }),
          role: z.enum(CASE_ROLES).describe('Their role in this case.'),
          evidence: z.enum(STAFF_EVIDENCE).describe('badge: their badge (AI 8017) was scanned in this stint; typed: named by a GSRN or local id only.'),
          joinedAt: z.iso.datetime().describe("When they joined, by the service's clock."),
          leftAt: z.iso.datetime().nullable().describe('When they left; null while in the case.'),
          atScanner: z.boolean().describe('Scans sent with a device key are attributed to them now.'),
        }),
      )
      .describe('Every stint in the case, in the order they began (someone who left and came back has two).'),
    atScanner: z.uuid().nullable().describe('The staff member at the scanner: the one in the case whose badge was scanned most recently; null: nobody badged in.'),
  })
  .meta({ id: 'CaseTeam' });

export const JoinCaseBody = z
  .strictObject({
    staff: StaffRefSchema.describe('Their badge as scanned (evidence they are here: scans from a device key are attributed to them), or a GSRN or local id typed in (named, never at the scanner).'),
    role: z.enum(CASE_ROLES).default('other').describe('Their role in this case.'),
  })
  .meta({ id: 'JoinCaseBody' });

export const CaseStaffParamsSchema = z.strictObject({ id: z.uuid(), staffId: z.uuid() });

export const CreateProcedureBody = z
  .strictObject({
    patient: PatientRefSchema,
    location: LocationRefSchema.optional(),
    clinician: StaffRefSchema.optional().describe('The lead clinician.'),
    procedureCode: z
      .string()
      .trim()
      .regex(/^[A-Z][0-9]{2}(\.?[0-9])?$/, 'must be an OPCS-4 code such as W37.1')
      .optional()
      .describe('OPCS-4 procedure code.'),
    side: z.enum(SIDES).optional(),
    startedAt: InstantSchema.optional().describe('Defaults to now.'),
  })
  .meta({ id: 'CreateProcedureBody' });

export const ProcedureSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['open', 'completed']),
    startedAt: z.iso.datetime(),
    completedAt: z.iso.datetime().nullable(),
    procedureCode: z.string().nullable(),
    side: z.enum(SIDES).nullable(),
    patient: z.object({ id: z.uuid(), nhsNumber: z.string(), wristbandGsrn: z.string().nullable(), localMrn: z.string().nullable(), dateOfBirth: z.string().nullable() }),
    location: z.object({ id: z.uuid(), gln: z.string(), glnExtension: z.string().nullable(), name: z.string(), kind: z.enum(LOCATION_KINDS) }).nullable(),
    clinician: z.object({ id: z.uuid(), gsrn: z.string().nullable(), localId: z.string().nullable(), name: z.string().nullable(), role: z.string().nullable() }).nullable(),
    team: CaseTeamSchema.describe('The case team: the lead clinician named at opening, and everyone badged in since.'),
    items: z.array(
      ItemSchema.extend({
        product: z.object({ brand: z.string().nullable(), model: z.string().nullable(), manufacturer: z.string().nullable(), implantable: z.boolean().nullable() }).nullable(),
        history: z.array(ScanSchema).describe('Every scan and void of the item, oldest first.'),
      }),
    ),
  })
  .meta({ id: 'Procedure' });

export const SearchProceduresBody = z
  .strictObject({
    nhsNumber: NhsNumberSchema.optional(),
    from: InstantSchema.optional(),
    to: InstantSchema.optional(),
    locationGln: GlnSchema.optional(),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .meta({ id: 'SearchProceduresBody' });

export const ProcedureListSchema = z
  .object({
    items: z.array(
      z.object({
        id: z.uuid(),
        organisation: z.string(),
        status: z.enum(['open', 'completed']),
        startedAt: z.iso.datetime(),
        procedureCode: z.string().nullable(),
        side: z.enum(SIDES).nullable(),
        patient: z.object({ id: z.uuid(), nhsNumber: z.string() }),
        location: z.object({ gln: z.string(), name: z.string().nullable() }).nullable(),
        itemCount: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'ProcedureList' });
