import { z } from 'zod';
import { LOCATION_KINDS } from '../../domain/vocabulary.js';
import { GlnSchema, GsrnSchema, ScanTextSchema } from '../../shared/schemas.js';

export const CreateLocationBody = z
  .strictObject({
    gln: GlnSchema,
    glnExtension: z.string().min(1).max(20).optional().describe('GLN extension component (AI 254), e.g. a theatre within a suite.'),
    name: z.string().trim().min(1).max(200),
    kind: z.enum(LOCATION_KINDS).default('theatre'),
  })
  .meta({ id: 'CreateLocationBody' });

export const LocationSchema = z
  .object({ id: z.uuid(), gln: z.string(), glnExtension: z.string().nullable(), name: z.string(), kind: z.enum(LOCATION_KINDS) })
  .meta({ id: 'Location' });

export const CreateStaffBody = z
  .strictObject({
    gsrn: GsrnSchema.optional(),
    barcode: ScanTextSchema.optional().describe('A scanned staff badge (AI 8017).'),
    localId: z.string().trim().min(1).max(40).optional(),
    name: z.string().trim().min(1).max(200).optional(),
    role: z.string().trim().min(1).max(60).optional().describe('e.g. consultant surgeon, scrub nurse.'),
  })
  .refine((b) => b.gsrn !== undefined || b.barcode !== undefined || b.localId !== undefined, {
    message: 'give a gsrn, a badge barcode or a localId',
    path: ['gsrn'],
  })
  .meta({ id: 'CreateStaffBody' });

export const StaffSchema = z
  .object({ id: z.uuid(), gsrn: z.string().nullable(), localId: z.string().nullable(), name: z.string().nullable(), role: z.string().nullable() })
  .meta({ id: 'Staff' });
