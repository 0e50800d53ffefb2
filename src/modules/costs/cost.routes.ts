import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { IdParamsSchema, jsonResponse } from '../../shared/schemas.js';
import { CostPerCaseReportSchema, CostQuerySchema, CostSpreadReportSchema, COST_MAX_DAYS, ProcedureCostSchema } from './cost.schemas.js';
import { COST_PER_CASE_CSV_COLUMNS, COST_SPREAD_CSV_COLUMNS, costPerCase, costPerCaseCsv, costSpread, costSpreadCsv, procedureCost } from './cost.service.js';

const CSV = { schema: z.string().describe('CSV (RFC 4180 quoting, LF line ends) with a header row; cells a spreadsheet could run as a formula begin with an apostrophe.') };
const wantsCsv = (format: string | undefined, accept: string | undefined) => format === 'csv' || (format === undefined && (accept ?? '').includes('text/csv'));

const CONSUMPTION =
  'A case’s consumption is read from the stock ledger: per product, lot and serial, the units its point-of-use scans consumed (implanted or wasted) less those that went back to stock (not used and returned, a voided scan); explanted and returned units take nothing. Each is priced at the unit price in force on the procedure’s start date in Europe/London (GET /v1/prices). A unit with no price then is counted (`unpricedUnits`) and the case is `complete: false`: its cost is of the priced units only, never to be read as the whole.';

export const costRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/procedures/:id/cost',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'getProcedureCost',
        tags: ['prices'],
        summary: 'The cost of one case, line by line',
        description: `${CONSUMPTION} An organisation’s key its own procedures; a national key any. Audited with the procedure and its patient.`,
        params: IdParamsSchema,
        response: { 200: jsonResponse('The case’s cost and its lines.', ProcedureCostSchema) },
      },
    },
    async (req) => procedureCost(app.db, requestContext(req), req.params.id),
  );

  app.get(
    '/v1/reports/cost-per-case',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'getCostPerCaseReport',
        tags: ['reports'],
        summary: 'Cost per case: every procedure started in a period with the cost of what it consumed, incomplete ones flagged',
        description: `Procedures started from \`from\` to \`to\` (Europe/London dates, both included; at most ${COST_MAX_DAYS} days), oldest first. ${CONSUMPTION} An organisation’s key its own; a national key every organisation’s. CSV with \`Accept: text/csv\` or \`?format=csv\`: one row per case, columns ${COST_PER_CASE_CSV_COLUMNS.join(', ')}. It names procedures (patient data, though no patient is shown): audited with the procedures and their patients.`,
        querystring: CostQuerySchema,
        response: { 200: { description: 'The cases and their costs (JSON), or the same as CSV.', content: { 'application/json': { schema: CostPerCaseReportSchema }, 'text/csv': CSV } } },
      },
    },
    async (req, reply) => {
      const { from, to, format } = req.query;
      const report = await costPerCase(app.db, requestContext(req), from, to);
      if (!wantsCsv(format, req.headers.accept)) return reply.type('application/json; charset=utf-8').send(report);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="cost-per-case-${from}-to-${to}.csv"`).header('cache-control', 'no-store').send(costPerCaseCsv(report));
    },
  );

  app.get(
    '/v1/reports/cost-spread',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'getCostSpreadReport',
        tags: ['reports'],
        summary: 'The spread of case costs by procedure code and by lead clinician, and the distinct unit prices paid per product',
        description: `Over the procedures started from \`from\` to \`to\` (Europe/London dates, both included; at most ${COST_MAX_DAYS} days). Per procedure code and per lead clinician: cases, and min, median, max and mean cost per case over the complete cases (a case with an unpriced unit, or with nothing consumed recorded, is counted apart and left out: never cheap, never free). Per product consumed: each distinct unit price paid, with units, cases and organisations. ${CONSUMPTION} An organisation’s key its own; a national key every organisation’s together (prices paid name the organisations). CSV with \`Accept: text/csv\` or \`?format=csv\`: one table, \`dimension\` procedure-code, lead-clinician or product-price, columns ${COST_SPREAD_CSV_COLUMNS.join(', ')}. Audited as a report read.`,
        querystring: CostQuerySchema,
        response: { 200: { description: 'The spread (JSON), or the same as CSV.', content: { 'application/json': { schema: CostSpreadReportSchema }, 'text/csv': CSV } } },
      },
    },
    async (req, reply) => {
      const { from, to, format } = req.query;
      const report = await costSpread(app.db, requestContext(req), from, to);
      if (!wantsCsv(format, req.headers.accept)) return reply.type('application/json; charset=utf-8').send(report);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="cost-spread-${from}-to-${to}.csv"`).header('cache-control', 'no-store').send(costSpreadCsv(report));
    },
  );
};
