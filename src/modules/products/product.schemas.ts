import { z } from 'zod';
import { GtinSchema } from '../../shared/schemas.js';

export const GtinParams = z.object({ gtin: GtinSchema });

const ProductionIdentifiersFields = {
  lotNumber: z.boolean().describe('The label carries a lot or batch (AI 10).'),
  serialNumber: z.boolean().describe('The label carries a serial number (AI 21).'),
  expirationDate: z.boolean().describe('The label carries an expiry date (AI 17).'),
  manufacturingDate: z.boolean().describe('The label carries a manufacturing date (AI 11).'),
};

export const PutProductBody = z
  .strictObject({
    brand: z.string().trim().min(1).max(200).optional(),
    model: z.string().trim().min(1).max(200).optional().describe('Version or model number.'),
    manufacturer: z.string().trim().min(1).max(200).optional().describe('Company name, as in GUDID.'),
    description: z.string().trim().min(1).max(2000).optional(),
    implantable: z.boolean().optional(),
    productionIdentifiers: z
      .strictObject(ProductionIdentifiersFields)
      .partial()
      .optional()
      .describe("Which production identifiers the product's label carries (GUDID's flags): how a scan notices a serial folded into the lot by a dropped GS separator."),
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
    productionIdentifiers: z
      .object(Object.fromEntries(Object.entries(ProductionIdentifiersFields).map(([k, v]) => [k, v.nullable()])) as { [K in keyof typeof ProductionIdentifiersFields]: z.ZodNullable<z.ZodBoolean> })
      .nullable()
      .describe('Which production identifiers the label carries; null when not known.'),
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
