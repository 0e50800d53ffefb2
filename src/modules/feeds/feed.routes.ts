import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestContext } from '../../plugins/auth.js';
import { deviceFieldsOf } from '../../domain/device.js';
import { jsonResponse } from '../../shared/schemas.js';
import { FeedPageSchema, FeedQuerySchema } from './feed.schemas.js';
import { readFeed, type FeedEntry, type FeedItemView } from './feed.service.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

const toItemApi = ({ item, daysSinceImplant, daysToRevision }: FeedItemView) => ({
  id: item.id,
  action: item.action,
  status: item.status,
  ...deviceFieldsOf(item),
  awaiting: item.awaiting,
  decision: item.decision,
  firstScannedAt: item.firstScannedAt.toISOString(),
  product: item.product,
  revision:
    item.revisedBy && daysToRevision !== null
      ? { itemId: item.revisedBy.itemId, procedureId: item.revisedBy.procedureId, revisedAt: item.revisedBy.revisedAt.toISOString(), daysToRevision }
      : null,
  revisionOf:
    item.revisionOf && daysSinceImplant !== null
      ? { itemId: item.revisionOf.itemId, procedureId: item.revisionOf.procedureId, implantedAt: item.revisionOf.implantedAt.toISOString(), daysSinceImplant }
      : null,
});

const toEntryApi = (e: FeedEntry) => ({
  cursor: e.cursor,
  procedureId: e.procedureId,
  disclosure: e.disclosure,
  procedure:
    e.procedure === null
      ? null
      : {
          id: e.procedure.procedure.id,
          organisation: e.procedure.procedure.odsCode,
          status: e.procedure.procedure.status,
          procedureCode: e.procedure.procedure.procedureCode,
          side: e.procedure.procedure.side,
          startedAt: e.procedure.procedure.startedAt.toISOString(),
          completedAt: iso(e.procedure.procedure.completedAt),
          location: e.procedure.procedure.location,
          leadClinician: e.procedure.procedure.leadClinician,
          patient: e.procedure.patient,
          items: e.procedure.items.map(toItemApi),
        },
});

export const feedRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/feeds/procedures',
    {
      // It discloses procedures with their patient, devices and place: a token must read all four.
      config: { access: ['registry'], smart: ['Patient', 'Procedure', 'Device', 'Location'] },
      schema: {
        operationId: 'readProcedureFeed',
        tags: ['registries'],
        summary: 'Change feed of procedures, with their items and revisions, for one registry',
        description:
          'Every change to a procedure (opened, completed, an item scanned, voided or explanted, a revision linked, the ' +
          "patient's consent changed) moves it to a newer position; a page returns each changed procedure once, as it is now. " +
          'Resume with `after=<nextCursor>`: a poller never misses a change, also when writes commit out of order (positions ' +
          'are only handed out once every older transaction has finished). An organisation key reads its own organisation; ' +
          'a national key all. Patient identifiers only with consent granted; otherwise the registry policy applies.',
        querystring: FeedQuerySchema,
        response: { 200: jsonResponse('A page of changed procedures; resume with `after=<nextCursor>`.', FeedPageSchema) },
      },
    },
    async (req) => {
      const page = await readFeed(app.db, requestContext(req), req.query);
      return { registry: page.registry.code, entries: page.entries.map(toEntryApi), nextCursor: page.nextCursor, hasMore: page.hasMore };
    },
  );
};
