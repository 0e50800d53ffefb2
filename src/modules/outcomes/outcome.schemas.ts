import { z } from 'zod';
import { GtinSchema } from '../../shared/schemas.js';
import { SURVIVAL_GROUPINGS } from './outcome.repository.js';

export const SurvivalQuerySchema = z.strictObject({
  groupBy: z.enum(SURVIVAL_GROUPINGS).default('product'),
  gtin: z
    .union([GtinSchema, z.array(GtinSchema).min(1).max(100)])
    .optional()
    .describe('Limit to these products (repeat the parameter for several). None: every implanted product.'),
  horizonYears: z.coerce.number().int().min(1).max(30).optional().describe('Yearly points up to this year (default: the longest follow-up, at most 20).'),
});

const Point = z.object({
  year: z.number().int(),
  atRisk: z.number().int().describe('Implants still unrevised and in follow-up at this time.'),
  survival: z.number().describe('Kaplan–Meier probability of no revision by this time.'),
  survivalLower: z.number(),
  survivalUpper: z.number(),
  cumulativeRevisionPercent: z.number().describe('100 × (1 − survival).'),
  cumulativeRevisionLower: z.number().describe('95% confidence interval: Greenwood variance, log(−log) transform.'),
  cumulativeRevisionUpper: z.number(),
  stdErr: z.number().describe('Greenwood standard error of survival.'),
});

export const SurvivalReportSchema = z
  .object({
    asOf: z.iso.datetime().describe('Follow-up is censored here.'),
    groupBy: z.enum(SURVIVAL_GROUPINGS),
    population: z.string().describe('`national`, or the ODS code of the organisation the figures are limited to.'),
    groups: z.array(
      z.object({
        group: z.string().describe('Device identifier, brand or manufacturer.'),
        label: z.string(),
        n: z.number().int().describe('Implants.'),
        revisions: z.number().int(),
        points: z.array(Point).readonly(),
      }),
    ).readonly(),
  })
  .meta({ id: 'SurvivalReport' });
