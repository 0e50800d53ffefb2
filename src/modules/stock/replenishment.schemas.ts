import { z } from 'zod';
import { GlnSchema, GtinSchema, IsoDateSchema } from '../../shared/schemas.js';
import { StockLocationRefSchema } from './stock.schemas.js';

const Units = z.int().min(0).max(100_000);

export const ParLevelLineSchema = z
  .strictObject({
    location: StockLocationRefSchema,
    gtin: GtinSchema.optional(),
    hibc: z
      .strictObject({
        lic: z.string().regex(/^[A-Z][A-Z0-9]{3}$/, 'an HIBC LIC: 4 characters, the first a letter'),
        pcn: z.string().regex(/^[A-Z0-9]{1,18}$/),
        uom: z.string().regex(/^\d$/).default('0').describe('The unit-of-measure digit of the labels counted (default 0: the unit of use).'),
      })
      .optional(),
    par: Units.optional().describe('Units to hold there; 0 ends the par level.'),
    reorderAt: Units.optional().describe('Reorder when available on hand is at or below this (at most the par).'),
    remove: z.literal(true).optional().describe('End the par level (as a par of 0).'),
  })
  .superRefine((l, ctx) => {
    if ((l.gtin === undefined) === (l.hibc === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of gtin or hibc {lic, pcn}', path: ['gtin'] });
    if ((l.par === undefined) === (l.remove === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of par or remove: true', path: ['par'] });
  })
  .meta({ id: 'ParLevelLine', description: 'A par level for a location and product: set (`par`, optionally `reorderAt`), or ended (`par: 0` or `remove: true`).' });

export const ParLevelsBody = z.array(ParLevelLineSchema).min(1).max(500).meta({ id: 'ParLevelsBody', description: 'The par levels to set, 1 to 500, all or nothing.' });

const LocationView = z.object({ gln: z.string(), glnExtension: z.string().nullable(), name: z.string() });

const ProductView = {
  issuingAgency: z.string(),
  di: z.string(),
  gtin: z.string().nullable(),
  brand: z.string().nullable(),
  model: z.string().nullable(),
};

export const ParLevelSchema = z
  .object({
    location: LocationView,
    ...ProductView,
    par: z.int().describe('0: the level was ended by this setting (history only).'),
    reorderAt: z.int().nullable(),
    setGroup: z.uuid().describe('The request that set it.'),
    setAt: z.iso.datetime(),
  })
  .meta({ id: 'ParLevel' });

export const ParLevelSetSchema = z.object({ setGroup: z.uuid(), levels: z.array(ParLevelSchema).describe('The settings recorded, in the order of the request.') }).meta({ id: 'ParLevelSet' });

export const ParLevelsQuerySchema = z.object({
  location: GlnSchema.optional().describe('A location’s GLN.'),
  history: z.enum(['true', 'false']).optional().describe('true: every setting, oldest first, ended ones included.'),
});

export const ParLevelListSchema = z.object({ items: z.array(ParLevelSchema) }).meta({ id: 'ParLevelList' });

const Format = z.enum(['json', 'csv']).optional();

export const ToOrderQuerySchema = z.object({
  location: GlnSchema.optional().describe('A location’s GLN; every location when absent.'),
  days: z.coerce.number().int().min(1).max(365).default(30).describe('The days of consumption to look back over, today included (Europe/London, the service’s clock).'),
  format: Format,
});

const Position = {
  location: LocationView,
  ...ProductView,
  available: z.int().describe('Available on hand there; negative rows (shortfalls) count against it.'),
  quarantined: z.int().describe('Quarantined there: not counted.'),
  shortfall: z.int().describe('Units the point of use took there that were not on hand (the negative rows), already counted against `available`.'),
  netConsumption: z.int().describe('Units consumed at the point of use taken from there in the window, less those returned to stock.'),
  averagePerDay: z.number().describe('netConsumption / days, to two decimals.'),
};

export const ToOrderSchema = z
  .object({
    today: z.string().describe('The service’s date in Europe/London.'),
    from: z.string().describe('The first day of the window.'),
    days: z.int(),
    items: z.array(z.object({ ...Position, par: z.int(), reorderAt: z.int().nullable(), toOrder: z.int().describe('max(0, par − available).'), atReorderPoint: z.boolean() })).describe('Each location and product with a par level in force.'),
    usedWithoutPar: z.array(z.object(Position)).describe('Products used at a location in the window that have no par level there: listed so nothing is silently missing.'),
  })
  .meta({ id: 'StockToOrder' });

export const ConsignmentQuerySchema = z
  .object({
    from: IsoDateSchema.describe('The first day of the cases (their start, Europe/London).'),
    to: IsoDateSchema.describe('The last day, inclusive.'),
    supplier: z.string().trim().min(1).max(200).optional().describe('Only units whose receipt names this supplier (case-insensitive).'),
    cursor: z.string().min(1).max(200).optional().describe('nextCursor of the previous page (JSON only).'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    format: Format,
  })
  .refine((q) => q.from <= q.to, { message: 'from is after to', path: ['from'] });

export const ConsignmentUsedSchema = z
  .object({
    location: LocationView.nullable().describe('Where it was taken from; null: the unlocated account.'),
    ...ProductView,
    lotNumber: z.string().nullable(),
    serialNumber: z.string().nullable(),
    expirationDate: z.string().nullable(),
    quantity: z.int(),
    procedure: z.object({ id: z.uuid(), code: z.string().nullable(), date: z.string().describe('The case’s start, a date in Europe/London.'), startedAt: z.iso.datetime() }),
    itemId: z.uuid(),
    consumedAt: z.iso.datetime(),
    supplier: z.string().nullable().describe('The supplier on the consignment receipt that brought the unit in (null: none named, or no receipt found).'),
    orderRef: z.string().nullable(),
    receivedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ConsignmentUsed' });

export const ConsignmentPageSchema = z
  .object({ items: z.array(ConsignmentUsedSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last.') })
  .meta({ id: 'ConsignmentUsedPage' });
