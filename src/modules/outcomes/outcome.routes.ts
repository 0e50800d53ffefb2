import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { jsonResponse } from '../../shared/schemas.js';
import type { Role } from '../../domain/vocabulary.js';
import { implantSurvival, type SurvivalQuery, type SurvivalReport } from './outcome.service.js';
import { SurvivalQuerySchema, SurvivalReportSchema } from './outcome.schemas.js';
import { renderSurvivalSvg } from './survival-svg.js';

const ACCESS: Role[] = ['procurement', 'registry'];
const DESCRIPTION =
  'Kaplan–Meier survival of implants (time to revision) per product, brand or manufacturer: at yearly points the number at risk, ' +
  'survival and cumulative revision % with 95% confidence intervals (Greenwood variance, log(−log) transform). Time zero is the ' +
  'implant operation; an implant is revised when an explant is linked to it, at any organisation; follow-up is censored now. ' +
  'An organisation key sees its own implants, a national key all.';

type Query = z.infer<typeof SurvivalQuerySchema>;
const queryOf = (q: Query): SurvivalQuery => ({
  groupBy: q.groupBy,
  gtins: q.gtin === undefined ? [] : Array.isArray(q.gtin) ? q.gtin : [q.gtin],
  horizonYears: q.horizonYears,
});

const GROUP_NOUN = { product: 'product', brand: 'brand', manufacturer: 'manufacturer' } as const;

function svgOf(report: SurvivalReport): string {
  return renderSurvivalSvg(report.groups, {
    title: `Implant survival by ${GROUP_NOUN[report.groupBy]}: cumulative revision (%)`,
    subtitle: `Kaplan–Meier with 95% confidence bands; ${report.population === 'national' ? 'all organisations' : `organisation ${report.population}`}; censored ${report.asOf.toISOString().slice(0, 10)}`,
    generatedAt: report.asOf.toISOString(),
  });
}

export const outcomeRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/outcomes/survival',
    {
      config: { access: ACCESS },
      schema: {
        operationId: 'getSurvival',
        tags: ['outcomes'],
        summary: 'Implant survival (Kaplan–Meier) with numbers at risk and confidence intervals',
        description: DESCRIPTION,
        querystring: SurvivalQuerySchema,
        response: { 200: jsonResponse('The survival of each group at yearly points.', SurvivalReportSchema) },
      },
    },
    async (req) => {
      const report = await implantSurvival(app.db, requestContext(req), queryOf(req.query), app.clock.now());
      return { ...report, asOf: report.asOf.toISOString() };
    },
  );

  app.get(
    '/v1/outcomes/survival.svg',
    {
      config: { access: ACCESS },
      schema: {
        operationId: 'getSurvivalSvg',
        tags: ['outcomes'],
        summary: 'The survival curves as a printable SVG: cumulative revision with confidence bands and numbers at risk',
        description: DESCRIPTION,
        querystring: SurvivalQuerySchema,
        produces: ['image/svg+xml'],
        response: { 200: { description: 'An SVG document.', content: { 'image/svg+xml': { schema: z.string() } } } },
      },
    },
    async (req, reply) => {
      const report = await implantSurvival(app.db, requestContext(req), queryOf(req.query), app.clock.now());
      // An SVG opened on its own is a document: it may style itself, nothing else.
      return reply
        .type('image/svg+xml; charset=utf-8')
        .header('cache-control', 'private, no-store')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
        .send(svgOf(report));
    },
  );
};
