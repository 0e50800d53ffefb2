import { z } from 'zod';
import { BEARINGS, COMPONENTS, DERIVED_ATTRIBUTES, LATERALITIES } from '../../domain/compatibility/attributes.js';
import { GtinSchema } from '../../shared/schemas.js';

export const GtinParams = z.object({ gtin: GtinSchema });

const ProductionIdentifiersFields = {
  lotNumber: z.boolean().describe('The label carries a lot or batch (AI 10).'),
  serialNumber: z.boolean().describe('The label carries a serial number (AI 21).'),
  expirationDate: z.boolean().describe('The label carries an expiry date (AI 17).'),
  manufacturingDate: z.boolean().describe('The label carries a manufacturing date (AI 11).'),
};

const millimetres = (what: string) => z.number().positive().max(200).multipleOf(0.01).describe(`${what}, in millimetres.`);

const component = z.enum(COMPONENTS).describe('Which component the product is: hips, knees and shoulders by part, or `other`.');
const laterality = z.enum(LATERALITIES).describe('`left` or `right` for a side-specific component, `none` for one that fits either side.');
const system = z.string().trim().min(1).max(100).describe("The manufacturer's product family (system).");
const taper = z.string().trim().min(1).max(40).describe('The taper by name (e.g. 12/14): the trunnion of a stem, the bore of a head.');
const bearing = z.enum(BEARINGS).describe('The bearing surface material class.');
const headDiameterMm = millimetres("A femoral or humeral head's diameter");
const innerDiameterMm = millimetres('The inner diameter: the head a liner or cup takes, the liner a shell takes');
const outerDiameterMm = millimetres('The outer diameter');

/** Clinical attributes as a writer sends them: the component, and whatever else is known (the rest is unknown, never guessed). */
export const ClinicalInputSchema = z
  .strictObject({
    component,
    laterality: laterality.optional(),
    system: system.optional(),
    taper: taper.optional(),
    bearing: bearing.optional(),
    headDiameterMm: headDiameterMm.optional(),
    innerDiameterMm: innerDiameterMm.optional(),
    outerDiameterMm: outerDiameterMm.optional(),
  })
  .describe('What the compatibility checks before opening read. Replaced whole when sent; an attribute left out is unknown, and the checks say what they could not check.')
  .meta({ id: 'ClinicalAttributesBody' });

export const ClinicalSchema = z
  .object({
    component,
    laterality: laterality.nullable(),
    system: system.nullable(),
    taper: taper.nullable(),
    bearing: bearing.nullable(),
    headDiameterMm: headDiameterMm.nullable(),
    innerDiameterMm: innerDiameterMm.nullable(),
    outerDiameterMm: outerDiameterMm.nullable(),
    derivedFromGudid: z
      .array(z.enum(DERIVED_ATTRIBUTES))
      .readonly()
      .optional()
      .describe(
        'The attributes derived by the GUDID import (component from the GMDN term, diameters from deviceSizes) rather than set explicitly; absent when none. A later GUDID import may correct these, never the others; a PUT or PATCH of `clinical` replaces them all as explicit values.',
      ),
  })
  .meta({ id: 'ClinicalAttributes' });

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
    clinical: ClinicalInputSchema.optional(),
  })
  .meta({ id: 'PutProductBody' });

/** PATCH: a field sent replaces, `null` unsets it (an organisation's own value: back to the national one), a field not sent is kept. */
export const PatchProductBody = z
  .strictObject({
    brand: z.string().trim().min(1).max(200).nullable().optional(),
    model: z.string().trim().min(1).max(200).nullable().optional().describe('Version or model number.'),
    manufacturer: z.string().trim().min(1).max(200).nullable().optional().describe('Company name, as in GUDID.'),
    description: z.string().trim().min(1).max(2000).nullable().optional(),
    implantable: z.boolean().nullable().optional(),
    productionIdentifiers: z
      .strictObject(Object.fromEntries(Object.entries(ProductionIdentifiersFields).map(([k, v]) => [k, v.nullable()])) as { [K in keyof typeof ProductionIdentifiersFields]: z.ZodNullable<z.ZodBoolean> })
      .partial()
      .nullable()
      .optional()
      .describe('Flags sent replace, null unsets; null for the whole object unsets them all.'),
    clinical: ClinicalInputSchema.nullable().optional().describe('Replaced whole when sent; null unsets (an organisation\'s own: back to the national one).'),
  })
  .meta({ id: 'PatchProductBody' });

export const PRODUCT_FIELD_NAMES = ['brand', 'model', 'manufacturer', 'description', 'implantable', 'productionIdentifiers', 'clinical'] as const;

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
    clinical: ClinicalSchema.nullable().describe('What the compatibility checks read; null when not known.'),
    source: z.enum(['api', 'gudid-import']),
    updatedAt: z.iso.datetime(),
    organisationValues: z
      .array(z.enum(PRODUCT_FIELD_NAMES))
      .describe('The fields whose value is the calling organisation’s own rather than the national record’s (always empty for a national key).'),
  })
  .meta({ id: 'Product' });

const FactsSchema = z.record(z.string(), z.unknown());

export const ProductHistorySchema = z
  .object({
    changes: z.array(
      z.object({
        id: z.string(),
        layer: z.enum(['national', 'organisation']).describe('The national record, or the calling organisation’s own values.'),
        how: z.enum(['put', 'patch', 'import']),
        before: FactsSchema.nullable().describe('The values the layer held before; null when it held none.'),
        after: FactsSchema,
        actorKeyId: z.uuid(),
        changedAt: z.iso.datetime(),
      }),
    ),
    next: z.string().nullable().describe('Pass as `before` for older changes; null at the first.'),
  })
  .meta({ id: 'ProductHistory' });

export const ProductHistoryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().regex(/^[0-9]{1,18}$/, 'must be a change id').optional(),
});

export const ImportReportSchema = z
  .object({
    total: z.number().int(),
    accepted: z.number().int(),
    changed: z.number().int().describe('Products whose values differ from what the caller’s layer held (for a device file, one row each): each change is in the product’s history.'),
    rejected: z.array(z.object({ row: z.number().int(), primaryDi: z.string().nullable(), reason: z.string() })).readonly(),
    notApplied: z
      .array(z.object({ row: z.number().int(), primaryDi: z.string().nullable(), reason: z.string() }))
      .readonly()
      .describe('Accepted rows that set nothing, and why: a GMDN term the catalogue does not map to a component, a size the compatibility checks do not read, a value set explicitly that GUDID differs from (kept).'),
  })
  .meta({ id: 'ProductImportReport' });
