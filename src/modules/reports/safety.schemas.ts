import { z } from 'zod';

/** The longest period one report covers, in months. */
export const SAFETY_MAX_MONTHS = 36;

const MonthSchema = z
  .string()
  .regex(/^(19|20)\d\d-(0[1-9]|1[0-2])$/, 'must be a calendar month, YYYY-MM, from 1900-01 to 2099-12');

/** Months between two YYYY-MM, `to` excluded. */
export function monthsBetween(from: string, to: string): number {
  const index = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
  return index(to) - index(from);
}

export const SafetyReportQuery = z
  .strictObject({
    from: MonthSchema.describe('The first calendar month counted (Europe/London), YYYY-MM.'),
    to: MonthSchema.describe(`The month after the last one counted, YYYY-MM (from=2026-01&to=2026-04: January to March). At most ${SAFETY_MAX_MONTHS} months after from.`),
    format: z.enum(['json', 'csv']).optional().describe('csv: one row per organisation, month and rule (also with Accept: text/csv).'),
  })
  .refine((q) => monthsBetween(q.from, q.to) > 0, { message: 'from must be before to', path: ['to'] })
  .refine((q) => monthsBetween(q.from, q.to) <= SAFETY_MAX_MONTHS, { message: `at most ${SAFETY_MAX_MONTHS} months`, path: ['to'] });

const count = (description: string) => z.number().int().nonnegative().describe(description);

const SeverityCountsSchema = (what: string) =>
  z
    .object({
      critical: count(`${what} with a critical finding.`),
      warning: count(`${what} with a warning.`),
      info: count(`${what} with information.`),
    })
    .describe(`${what}, by the severity of the finding (one with findings of two severities counts in both).`);

const DecisionCountsSchema = z
  .object({
    notUsed: count('Put aside (not used) after a critical finding: an error prevented.'),
    overridden: count('Implanted anyway, with a reason: a reasoned exception (an override).'),
    pending: count('Still waiting for the theatre’s decision.'),
  })
  .describe('Items a critical finding stopped while being implanted, by the decision in force now (corrections applied), counted in the month of the scan that raised it.');

const CriticalChecksSchema = z
  .object({
    notOpened: count('Checks with a critical finding after which the same device (DI, and serial, else lot) was not scanned as implanted in the procedure: prevented before opening.'),
    followedByImplantScan: count('Checks with a critical finding after which the same device was scanned as implanted in the procedure anyway (that scan then asked for a decision, counted under decisions).'),
  })
  .describe('What followed a check before opening that found something critical.');

export const SafetyRuleCountsSchema = z
  .object({
    rule: z.string().describe('The rule that raised the finding (e.g. `hip.head-liner-diameter`, `side.laterality`), or its code when it names no rule (`PRODUCT_EXPIRED`, `PRODUCT_RECALLED`, …).'),
    code: z.string().describe('The finding’s code (a rule may raise its finding, or COMPATIBILITY_NOT_CHECKED when it could not check).'),
    scans: SeverityCountsSchema('Product scans (not voided) that raised it'),
    checks: SeverityCountsSchema('Checks before opening that raised it'),
    decisions: DecisionCountsSchema,
    criticalChecks: CriticalChecksSchema,
  })
  .meta({ id: 'SafetyRuleCounts' });

export const SafetyMonthSchema = z
  .object({
    month: z.string().describe('YYYY-MM, the Europe/London calendar month.'),
    scanning: z
      .object({
        items: count('Items (not voided) first scanned in the month, every action.'),
        barcode: count('… entered by scanning a barcode.'),
        manual: count('… typed in.'),
        barcodeShare: z.number().min(0).max(1).nullable().describe('barcode / items; null when there are none.'),
      })
      .describe('How items were entered.'),
    totals: z
      .object({
        scans: SeverityCountsSchema('Product scans (not voided) with findings'),
        checks: SeverityCountsSchema('Checks before opening').extend({ all: count('Every check before opening made in the month, with findings or none.') }),
        decisions: DecisionCountsSchema,
        criticalChecks: CriticalChecksSchema,
      })
      .describe('All rules together: each scan, check and item counted once, whatever number of rules it raised.'),
    rules: z.array(SafetyRuleCountsSchema).describe('Per rule (or code) that raised something in the month, by rule then code.'),
  })
  .meta({ id: 'SafetyMonth' });

export const SafetyReportSchema = z
  .object({
    from: z.string().describe('The first month counted (YYYY-MM).'),
    to: z.string().describe('The month after the last one counted.'),
    timeZone: z.literal('Europe/London').describe('The calendar months are London’s.'),
    months: z.array(SafetyMonthSchema).describe('Every month of the period, oldest first, for all the organisations counted together (an organisation’s key: its own; a national key: every organisation).'),
    byOrganisation: z
      .array(z.object({ organisation: z.string().describe('ODS code.'), months: z.array(SafetyMonthSchema) }))
      .describe('The same per organisation, by ODS code: one for an organisation’s key, every organisation for a national key. The counts add up to `months`.'),
  })
  .meta({ id: 'SafetyReport' });

export type SafetyReport = z.infer<typeof SafetyReportSchema>;
export type SafetyMonth = z.infer<typeof SafetyMonthSchema>;
