import { z } from 'zod';
import { GtinSchema } from '../../shared/schemas.js';

export const GtinParams = z.object({ gtin: GtinSchema });

export const PutProductBody = z
  .strictObject({
    brand: z.string().trim().min(1).max(200).optional(),
    model: z.string().trim().min(1).max(200).optional().describe('Version or model number.'),
    manufacturer: z.string().trim().min(1).max(200).optional().describe('Company name, as in GUDID.'),
    description: z.string().trim().min(1).max(2000).optional(),
    implantable: z.boolean().optional(),
  })
  .meta({ id: 'PutProductBody' });

export const ProductSchema = z
  .object({
    di: z.string(),
    issuingAgency: z.enum(['GS1', 'HIBCC', 'ICCBBA']),
    brand: z.string().nullable(),
    model: z.string().nullable(),
    manufacturer: z.string().nullable(),
    description: z.string().nullable(),
    implantable: z.boolean().nullable(),
    source: z.enum(['api', 'gudid-import']),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Product' });

export const ImportReportSchema = z
  .object({
    total: z.number().int(),
    accepted: z.number().int(),
    rejected: z.array(z.object({ row: z.number().int(), primaryDi: z.string().nullable(), reason: z.string() })).readonly(),
  })
  .meta({ id: 'ProductImportReport' });
