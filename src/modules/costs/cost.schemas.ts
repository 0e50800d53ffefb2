import { z } from 'zod';
import { CURRENCIES } from '../../domain/money.js';
import { IsoDateSchema } from '../../shared/schemas.js';

/** The longest period one cost report covers, in days. */
export const COST_MAX_DAYS = 731;

const daysBetween = (from: string, to: string) => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;

export const CostQuerySchema = z
  .strictObject({
    from: IsoDateSchema.describe('The first day (Europe/London) whose procedures are counted, by their start.'),
    to: IsoDateSchema.describe(`The last day counted, included (from=2026-01-01&to=2026-03-31: the first quarter). At most ${COST_MAX_DAYS} days after from.`),
    format: z.enum(['json', 'csv']).optional().describe('csv: the same as CSV (also with Accept: text/csv).'),
  })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['to'] })
  .refine((q) => daysBetween(q.from, q.to) <= COST_MAX_DAYS, { message: `at most ${COST_MAX_DAYS} days`, path: ['to'] });

const money = (what: string) => z.string().describe(`${what}, an exact decimal string of the currency.`);
const minor = (what: string) => z.int().describe(`${what} in minor units (pence).`);

const CaseCostFields = {
  procedureId: z.uuid(),
  organisation: z.string().describe('ODS code.'),
  startedAt: z.iso.datetime(),
  date: z.string().describe('The procedure’s start date in Europe/London: the prices in force on it apply.'),
  procedureCode: z.string().nullable(),
  status: z.enum(['open', 'completed']),
  leadClinician: z.object({ staffId: z.uuid(), name: z.string().nullable(), gsrn: z.string().nullable(), localId: z.string().nullable() }).nullable(),
  location: z.object({ gln: z.string(), name: z.string() }).nullable(),
  units: z.int().describe('Units consumed at the point of use (implanted or wasted), less those that went back to stock (not used, a voided scan).'),
  pricedUnits: z.int(),
  unpricedUnits: z.int().describe('Units with no price in force on the case’s date: the cost leaves them out, so the case is incomplete.'),
  currency: z.enum(CURRENCIES).describe('The organisation’s price list’s currency (GBP when it has none).'),
  cost: money('The cost of the priced units (a floor when the case is incomplete)'),
  costMinor: minor('The same'),
  complete: z.boolean().describe('Every consumed unit had a price: the cost is the whole cost. false: the cost is incomplete, never to be read as the case’s cost.'),
};

export const CaseCostSchema = z.object(CaseCostFields).meta({ id: 'CaseCost' });

export const CostLineSchema = z
  .object({
    issuingAgency: z.string(),
    di: z.string(),
    gtin: z.string().nullable(),
    lotNumber: z.string().nullable(),
    serialNumber: z.string().nullable(),
    brand: z.string().nullable(),
    model: z.string().nullable(),
    units: z.int().describe('Consumed less returned to stock.'),
    priced: z.boolean(),
    unitPrice: money('The unit price in force on the case’s date').nullable(),
    unitPriceMinor: minor('The same').nullable(),
    priceEffectiveFrom: z.string().nullable().describe('The effectiveFrom of the price applied.'),
    priceId: z.string().nullable().describe('The price list row applied.'),
    lineCost: money('units × unit price').nullable(),
    lineCostMinor: minor('The same').nullable(),
  })
  .meta({ id: 'CostLine' });

export const ProcedureCostSchema = z.object({ ...CaseCostFields, lines: z.array(CostLineSchema).describe('Per product, lot and serial consumed (net > 0).') }).meta({ id: 'ProcedureCost' });

export const CostPerCaseReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    timeZone: z.literal('Europe/London'),
    cases: z.array(CaseCostSchema).describe('Every procedure started in the period, oldest first.'),
    incompleteCases: z.int().describe('Cases with a unit that had no price: their cost is incomplete.'),
  })
  .meta({ id: 'CostPerCaseReport' });

const SpreadFields = {
  currency: z.enum(CURRENCIES),
  cases: z.int(),
  incompleteCases: z.int().describe('Cases with a unit without a price: left out of min, median, max and mean (never counted as cheap).'),
  casesWithoutConsumption: z.int().describe('Cases with nothing consumed recorded: left out too (never counted as free).'),
  min: money('The cheapest complete case').nullable(),
  median: money('The median complete case (the mean of the two middle ones, to the penny, rounded half up)').nullable(),
  max: money('The dearest complete case').nullable(),
  mean: money('The mean complete case (to the penny, rounded half up)').nullable(),
};

export const CostSpreadReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    timeZone: z.literal('Europe/London'),
    byProcedureCode: z.array(z.object({ procedureCode: z.string().nullable(), ...SpreadFields })).describe('Per OPCS-4 procedure code (and currency), by code.'),
    byLeadClinician: z
      .array(z.object({ organisation: z.string(), leadClinician: CaseCostSchema.shape.leadClinician, ...SpreadFields }))
      .describe('Per lead clinician of the case (null: none named), by organisation then name.'),
    products: z
      .array(
        z.object({
          issuingAgency: z.string(),
          di: z.string(),
          gtin: z.string().nullable(),
          brand: z.string().nullable(),
          model: z.string().nullable(),
          currency: z.enum(CURRENCIES),
          distinctPrices: z.int().describe('How many different unit prices were paid for it.'),
          prices: z
            .array(z.object({ unitPrice: z.string(), unitPriceMinor: z.int(), units: z.int(), cases: z.int(), organisations: z.array(z.string()).describe('ODS codes that paid it.') }))
            .describe('Each unit price paid (in force on the cases’ dates), cheapest first, with the units and cases it was paid for.'),
          unpricedUnits: z.int().describe('Units consumed with no price in force.'),
        }),
      )
      .describe('Per product consumed: the distinct unit prices paid, most prices first (the same screw bought at £150 and at £650).'),
  })
  .meta({ id: 'CostSpreadReport' });

export type CostSpreadReport = z.infer<typeof CostSpreadReportSchema>;
export type CostPerCaseReport = z.infer<typeof CostPerCaseReportSchema>;
