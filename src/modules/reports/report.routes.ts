import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { InstantSchema, jsonResponse } from '../../shared/schemas.js';
import { tenancyOf } from '../../shared/actor.js';
import { recordAudit } from '../audit/audit.service.js';
import { dataQuality, type DataQualityRow } from './report.repository.js';
import { SafetyReportQuery, SafetyReportSchema } from './safety.schemas.js';
import { SAFETY_CSV_COLUMNS, safetyCsv, safetyReport } from './safety.service.js';

const DataQualityQuery = z
  .strictObject({
    from: InstantSchema.describe('Procedures started at or after this instant.'),
    to: InstantSchema.describe('… and before this one.'),
  })
  .refine((q) => new Date(q.from) < new Date(q.to), { message: 'from must be before to', path: ['to'] });

const Counts = {
  items: z.number().int(),
  scanned: z.number().int().describe('Items entered by barcode.'),
  manual: z.number().int().describe('Items typed in.'),
  scannedShare: z.number().describe('scanned / items (0..1); null when there are no items.').nullable(),
  missingLot: z.number().int(),
  missingSerial: z.number().int(),
  missingLotAndSerial: z.number().int().describe('Neither lot nor serial: a recall could only match them by product.'),
  unknownProduct: z.number().int().describe('Device identifiers not in the catalogue.'),
  incompleteSplitLabels: z.number().int().describe('Items still waiting for the other half of a split label.'),
  pendingDecisions: z.number().int().describe('Items that raised a critical warning while being implanted and still wait for the decision.'),
  overrides: z.number().int().describe('Items implanted despite a critical warning, with a reason.'),
  notUsedAfterWarning: z.number().int().describe('Items a critical warning stopped: put aside, not implanted.'),
  criticalWithoutDecision: z
    .number()
    .int()
    .describe('Implants recorded before decisions existed whose scan raised a critical warning: nobody recorded whether the item was put aside. Review them.'),
  deviceOnlyScans: z
    .number()
    .int()
    .describe(
      'Product scans (not voided) of these items recorded as device-only: sent with a device key, nobody signed in, and no staff member badged into the case (its lead clinician). Who scanned them is known only by the device. Scans recorded before attribution existed are not counted.',
    ),
};

const DataQualitySchema = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    total: z.object(Counts),
    byLocation: z.array(z.object({ organisation: z.string(), location: z.object({ gln: z.string(), name: z.string() }).nullable(), ...Counts })),
  })
  .meta({ id: 'DataQualityReport' });

function withShare(c: Omit<DataQualityRow, 'odsCode' | 'locationGln' | 'locationName'>) {
  return { ...c, scannedShare: c.items === 0 ? null : c.scanned / c.items };
}

export const reportRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/reports/data-quality',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'getDataQualityReport',
        tags: ['reports'],
        summary:
          'Scanning data quality per location: scanned vs typed, missing lot/serial, unknown products, incomplete split labels, critical warnings and what was decided, scans by a device with nobody named',
        querystring: DataQualityQuery,
        response: { 200: jsonResponse('The counts over the period, in all and per location.', DataQualitySchema) },
      },
    },
    async (req) => {
      const ctx = requestContext(req);
      const from = new Date(req.query.from);
      const to = new Date(req.query.to);
      const rows = await dataQuality(app.db, tenancyOf(ctx.actor), from, to);
      // Counts only, no patient data: audited as a report read.
      await recordAudit(app.db, ctx, { action: 'report.data-quality', organisationId: ctx.actor.organisationId, detail: { rows: rows.length } });
      const sum = (k: keyof typeof Counts & keyof DataQualityRow) => rows.reduce((n, r) => n + r[k], 0);
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        total: withShare({
          items: sum('items'),
          scanned: sum('scanned'),
          manual: sum('manual'),
          missingLot: sum('missingLot'),
          missingSerial: sum('missingSerial'),
          missingLotAndSerial: sum('missingLotAndSerial'),
          unknownProduct: sum('unknownProduct'),
          incompleteSplitLabels: sum('incompleteSplitLabels'),
          pendingDecisions: sum('pendingDecisions'),
          overrides: sum('overrides'),
          notUsedAfterWarning: sum('notUsedAfterWarning'),
          criticalWithoutDecision: sum('criticalWithoutDecision'),
          deviceOnlyScans: sum('deviceOnlyScans'),
        }),
        byLocation: rows.map(({ odsCode, locationGln, locationName, ...counts }) => ({
          organisation: odsCode,
          location: locationGln === null ? null : { gln: locationGln, name: locationName ?? '' },
          ...withShare(counts),
        })),
      };
    },
  );

  app.get(
    '/v1/reports/safety',
    {
      config: { access: ['procurement'] },
      schema: {
        operationId: 'getSafetyReport',
        tags: ['reports'],
        summary: 'Patient-safety evidence per month and rule: findings raised at scan time and before opening, errors prevented, overrides, and the scanning share',
        description: [
          'Per Europe/London calendar month (from `from` up to, not including, `to`; at most 36 months) and per rule (a compatibility rule such as `hip.head-liner-diameter`, or the code of a finding that names none, such as `PRODUCT_EXPIRED`):',
          'product scans that raised a finding, by severity (voided scans are not counted; a scan counts in the month of its `scannedAt`);',
          'checks before opening that raised one (`checkedAt`), and whether a critical check was followed by an implant scan of the same device in the procedure or not (prevented before opening);',
          'the items a critical finding stopped, by the decision in force now: not used (an error prevented), implanted with a reason (an override), still pending;',
          'and the items first scanned in the month, by barcode or typed.',
          'An organisation’s key sees its organisation; a national key every organisation, each apart (`byOrganisation`) and together (`months`).',
          `CSV with \`Accept: text/csv\` or \`?format=csv\`: one row per organisation, month and rule (the month’s row of all rules first, rule \`all\`), columns ${SAFETY_CSV_COLUMNS.join(', ')}. Counts only; audited as a report read.`,
        ].join(' '),
        querystring: SafetyReportQuery,
        response: {
          200: {
            description: 'The counts (JSON), or the same as CSV.',
            content: {
              'application/json': { schema: SafetyReportSchema },
              'text/csv': { schema: z.string().describe('CSV (RFC 4180 quoting, LF line ends) with a header row; cells a spreadsheet could run as a formula begin with an apostrophe.') },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      const { from, to, format } = req.query;
      const wantsCsv = format === 'csv' || (format === undefined && (req.headers.accept ?? '').includes('text/csv'));
      const report = await safetyReport(app.db, ctx, from, to, wantsCsv ? 'csv' : 'json');
      if (wantsCsv) {
        const scope = ctx.actor.odsCode ?? 'national';
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="safety-report-${scope}-${from}-to-${to}.csv"`)
          .header('cache-control', 'no-store')
          .send(safetyCsv(report));
      }
      return reply.type('application/json; charset=utf-8').send(report);
    },
  );
};
