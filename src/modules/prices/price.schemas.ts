import { z } from 'zod';
import { CURRENCIES, DEFAULT_CURRENCY, toMinorUnits } from '../../domain/money.js';
import { GtinSchema, IsoDateSchema } from '../../shared/schemas.js';

/** The most prices one JSON request records; a whole price list goes through the CSV import. */
export const MAX_JSON_PRICES = 1000;
/** The most rows one CSV import records. */
export const MAX_CSV_PRICES = 100_000;

const Text200 = z.string().trim().min(1).max(200);

export const HibcProductSchema = z
  .strictObject({
    lic: z.string().regex(/^[A-Z][A-Z0-9]{3}$/, 'an HIBC LIC: 4 characters, the first a letter'),
    pcn: z.string().regex(/^[A-Z0-9]{1,18}$/, 'an HIBC product or catalogue number: 1 to 18 letters and digits'),
    uom: z.string().regex(/^\d$/, 'one digit').default('0').describe('The unit of measure digit of the HIBC primary (0: the unit of use, the default); the price is of one such unit.'),
  })
  .meta({ id: 'HibcProduct', description: 'An HIBC product: labeller (LIC), product or catalogue number (PCN) and unit of measure, as its primary barcode carries them.' });

/** One price as a writer sends it (JSON, or a CSV row read into this shape). */
export const PriceEntrySchema = z
  .strictObject({
    gtin: GtinSchema.optional(),
    hibc: HibcProductSchema.optional(),
    unitPrice: z
      .string()
      .max(40)
      .describe('The price of one unit as an exact decimal string in the currency: "123.45", "150". At most as many decimal places as the currency has (GBP: 2), more than zero. Never a JSON number: money is never a float.'),
    currency: z.enum(CURRENCIES).default(DEFAULT_CURRENCY).describe('ISO 4217 currency code (default GBP). An organisation’s price list is in one currency.'),
    effectiveFrom: IsoDateSchema.describe('The first day (inclusive) the price applies: the price in force on a day is the one with the latest effectiveFrom on or before it.'),
    supplier: Text200.optional(),
    contractRef: Text200.optional().describe('The contract or framework the price comes from.'),
  })
  .superRefine((p, ctx) => {
    if ((p.gtin === undefined) === (p.hibc === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of gtin or hibc {lic, pcn, uom?}', path: ['gtin'] });
    const read = toMinorUnits(p.unitPrice, p.currency);
    if (!read.ok) ctx.addIssue({ code: 'custom', message: read.message, path: ['unitPrice'] });
  })
  .meta({ id: 'PriceEntry', description: 'A unit price of a product from a date: exactly one of `gtin` or `hibc`.' });

export type PriceEntry = z.output<typeof PriceEntrySchema>;

/** The product a price entry names, as stock names it. */
export function productOfEntry(p: PriceEntry): { issuingAgency: 'GS1' | 'HIBCC'; di: string } {
  return p.gtin !== undefined ? { issuingAgency: 'GS1', di: p.gtin } : { issuingAgency: 'HIBCC', di: `${p.hibc?.lic ?? ''}${p.hibc?.pcn ?? ''}${p.hibc?.uom ?? ''}` };
}

export const PriceListBody = z
  .array(PriceEntrySchema)
  .min(1)
  .max(MAX_JSON_PRICES)
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    for (const [index, p] of list.entries()) {
      if ((p.gtin === undefined) === (p.hibc === undefined)) continue;
      const product = productOfEntry(p);
      const key = JSON.stringify([product.issuingAgency, product.di, p.effectiveFrom]);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else ctx.addIssue({ code: 'custom', message: `the same product and effectiveFrom as entry ${first}: send one price per product and date`, path: [index, 'effectiveFrom'] });
    }
  })
  .describe(`1 to ${MAX_JSON_PRICES} prices, each recorded as a new row of the price list's history (never changing one). All or nothing.`)
  .meta({ id: 'PriceListBody' });

export const PriceSchema = z
  .object({
    id: z.string().describe('The row of the price list’s history.'),
    batchId: z.uuid().describe('The request that recorded it.'),
    organisation: z.string().describe('ODS code of the organisation whose price it is.'),
    issuingAgency: z.enum(['GS1', 'HIBCC']),
    di: z.string(),
    gtin: z.string().nullable(),
    hibc: z.object({ lic: z.string(), pcn: z.string(), uom: z.string() }).nullable(),
    unitPrice: z.string().describe('One unit, an exact decimal string of the currency: "123.45".'),
    unitPriceMinor: z.int().describe('The same in minor units (pence).'),
    currency: z.enum(CURRENCIES),
    effectiveFrom: z.string().describe('YYYY-MM-DD, inclusive.'),
    supplier: z.string().nullable(),
    contractRef: z.string().nullable(),
    source: z.enum(['json', 'csv']),
    recordedAt: z.iso.datetime().describe('When the service recorded it (a later row for the same effectiveFrom corrects it).'),
  })
  .meta({ id: 'Price' });

export const PriceBatchSchema = z
  .object({
    batchId: z.uuid(),
    prices: z.array(PriceSchema).describe('The rows recorded, in the order sent.'),
  })
  .meta({ id: 'PriceBatch' });

export const PriceHistoryEntrySchema = PriceSchema.extend({
  status: z
    .enum(['in-force', 'superseded', 'corrected', 'future'])
    .describe(
      'On the date asked: `in-force` the price then; `superseded` an earlier price a later effectiveFrom replaced; `corrected` a row replaced by a later recording for the same effectiveFrom; `future` a price from after the date.',
    ),
}).meta({ id: 'PriceHistoryEntry' });

export const PriceInForceSchema = PriceSchema.extend({
  history: z.array(PriceHistoryEntrySchema).optional().describe('With `history=true`: every row of the product’s price list history, latest effectiveFrom first, then latest recorded first.'),
}).meta({ id: 'PriceInForce' });

export const PricesInForceSchema = z
  .object({
    on: z.string().describe('The date asked (default: the service’s date in Europe/London).'),
    items: z.array(PriceInForceSchema).describe('The price in force on the date of the product asked for (none: no price then), or of every product priced then; by organisation, then product.'),
  })
  .meta({ id: 'PricesInForce' });

export const PricesQuerySchema = z.strictObject({
  gtin: GtinSchema.optional().describe('The product (GTIN-8/12/13/14). Without it: every product’s price in force.'),
  on: IsoDateSchema.optional().describe('The date (default: today in Europe/London).'),
  history: z.enum(['true', 'false']).default('false').describe('true: with each price its product’s whole price history.'),
});

export const BatchParamsSchema = z.object({ id: z.uuid() });

export const PriceBatchPageSchema = PriceBatchSchema.extend({
  nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last.'),
}).meta({ id: 'PriceBatchPage' });

export const BatchQuerySchema = z.strictObject({
  cursor: z.string().min(1).max(100).optional().describe('nextCursor of the previous page.'),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

export const PriceImportResultSchema = z
  .object({
    batchId: z.uuid().describe('The import: its rows are read from GET /v1/prices/batches/{batchId} (the `Location`).'),
    recorded: z.int().describe('Prices recorded: every row of the file.'),
    products: z.int().describe('Distinct products among them.'),
    currency: z.enum(CURRENCIES),
    effectiveFrom: z.object({ earliest: z.string(), latest: z.string() }).describe('The earliest and latest effective_from of the file.'),
  })
  .meta({ id: 'PriceImportResult' });
