import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { InstantSchema, jsonResponse } from '../../shared/schemas.js';
import { tenancyOf } from '../../shared/actor.js';
import { recordAudit } from '../audit/audit.service.js';
import { dataQuality, type DataQualityRow } from './report.repository.js';

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
        summary: 'Scanning data quality per location: scanned vs typed, missing lot/serial, unknown products, incomplete split labels, critical warnings and what was decided',
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
        }),
        byLocation: rows.map(({ odsCode, locationGln, locationName, ...counts }) => ({
          organisation: odsCode,
          location: locationGln === null ? null : { gln: locationGln, name: locationName ?? '' },
          ...withShare(counts),
        })),
      };
    },
  );
};
