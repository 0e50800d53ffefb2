import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../plugins/auth.js';
import { csvLine } from '../../shared/csv.js';
import { ProblemError } from '../../shared/problem.js';
import { createdResponse, IdParamsSchema, idempotencyKeyHeaders, jsonResponse, problemResponse } from '../../shared/schemas.js';
import { actOnRecallStock, type RecallStockAction } from '../stock/recall-stock.service.js';
import type { ShelfStockRow } from './recall.repository.js';
import { MATCH_REASONS, SHORT_LIST, valuesOf, type Listed } from './recall.matching.js';
import type { AffectedItem, Recall, StoredScope } from './recall.repository.js';
import {
  AdHocQuery,
  AffectedPageSchema,
  ContactBody,
  ContactHistorySchema,
  CountsSchema,
  CreateRecallBody,
  NotUsedPageSchema,
  NotUsedQuery,
  PageQuery,
  MAX_LISTED,
  RECALL_BODY_LIMIT_BYTES,
  RecallItemParams,
  RecallListQuery,
  RecallPageSchema,
  RecallSchema,
  ScopeListPageSchema,
  ScopeListParams,
  ScopeListQuery,
  ShelfStockPageSchema,
  ShelfStockQuery,
  CloseRecallBody,
  RecallQuarantineBody,
  RecallReturnBody,
  RecallStockActionSchema,
} from './recall.schemas.js';
import {
  adHocAffected,
  affectedPatients,
  allShelfStockOfRecall,
  closeRecallFor,
  createRecall,
  exportAffectedCsv,
  getRecall,
  listVisibleRecalls,
  notUsedOfRecall,
  previewRecall,
  scopeList,
  shelfStockOfRecall,
  updateContact,
} from './recall.service.js';

const SHELF_COLUMNS = ['organisation', 'location_gln', 'location_name', 'issuing_agency', 'di', 'lot', 'serial', 'expiry', 'status', 'consignment', 'quantity', 'match'];
const shelfCells = (r: ShelfStockRow) => [r.odsCode, r.location?.gln ?? 'unlocated', r.location?.name, r.issuingAgency, r.di, r.lotNumber, r.serialNumber, r.expirationDate, r.status, String(r.consignment), r.quantity, r.match];

/** The recall's stock actions: quarantine what is on the shelves, then return what is quarantined. */
const RECALL_STOCK_ACTIONS = [
  {
    url: '/v1/recalls/:id/stock/quarantine',
    operationId: 'quarantineRecallStock',
    summary: 'Quarantine every available unit the recall covers, where it is',
    description:
      'Every row of the recall’s stock (GET /v1/recalls/{id}/stock) that is available, at every location of the organisation or at the one given, becomes quarantined in place: a scan of such a unit at the point of use is then STOCK_QUARANTINED, critical. Rows already quarantined are left as they are; none to take answers 201 with nothing moved.',
    body: RecallQuarantineBody,
    toAction: (b: z.output<typeof RecallQuarantineBody>): RecallStockAction => ({ kind: 'quarantined', ...b }),
  },
  {
    url: '/v1/recalls/:id/stock/return',
    operationId: 'returnRecallStock',
    summary: 'Return every quarantined unit the recall covers to the supplier',
    description:
      'Every quarantined row of the recall’s stock, at every location of the organisation or at the one given, leaves the stock (`returned-to-supplier`), counted on the recall as returned. Quarantine first: available units are not returned by this step.',
    body: RecallReturnBody,
    toAction: (b: z.output<typeof RecallReturnBody>): RecallStockAction => ({ kind: 'returned-to-supplier', ...b }),
  },
] as const;

/** A list as the recall shows it: the values when read with the scope (short), else nothing (its count says how many). */
const shown = (list: Listed | undefined, withLists: boolean) => {
  const values = withLists ? valuesOf(list) : undefined;
  return values === undefined ? undefined : [...values];
};

const toScopeApi = (s: StoredScope, withLists: boolean) => ({
  ordinal: s.ordinal,
  gtin: s.gtin,
  hibc: s.hibc ? { lic: s.hibc.lic, pcn: s.hibc.pcn } : undefined,
  lotCount: s.lotCount,
  serialCount: s.serialCount,
  lots: shown(s.lots, withLists),
  serials: shown(s.serials, withLists),
  serialRange: s.serialRange ? { from: s.serialRange.from, to: s.serialRange.to } : undefined,
  expiryFrom: s.expiryFrom,
  expiryTo: s.expiryTo,
  manufacturedFrom: s.manufacturedFrom,
  manufacturedTo: s.manufacturedTo,
  allLots: s.allLots === true ? (true as const) : undefined,
});

/** A recall; its short lists too, except in the list of recalls (withLists false). */
const toRecallApi = ({ recall, counts }: { recall: Recall; counts: z.infer<typeof CountsSchema> }, withLists = true) => ({
  id: recall.id,
  reference: recall.reference,
  title: recall.title,
  manufacturer: recall.manufacturer,
  issuedAt: recall.issuedAt,
  status: recall.status,
  national: recall.organisationId === null,
  createdAt: recall.createdAt.toISOString(),
  closedAt: recall.closedAt?.toISOString() ?? null,
  closeReason: recall.closeReason,
  scope: recall.scopes.map((s) => toScopeApi(s, withLists)),
  counts,
});

export const toAffectedApi = (i: AffectedItem) => ({
  itemId: i.itemId,
  patient: { nhsNumber: i.nhsNumber },
  procedure: {
    id: i.procedureId,
    date: i.procedureStartedAt.toISOString(),
    organisation: i.odsCode,
    location: i.locationGln === null ? null : { gln: i.locationGln, name: i.locationName ?? '' },
    clinician: i.clinician,
    side: i.side,
  },
  item: {
    gtin: i.gtin,
    di: i.di,
    lotNumber: i.lotNumber,
    serialNumber: i.serialNumber,
    expirationDate: i.expirationDate,
    entryType: i.entryType,
    explantedAt: i.explantedAt?.toISOString() ?? null,
  },
  match: i.match,
  contactStatus: i.contactStatus,
  matchReason: MATCH_REASONS[i.match],
  decision: i.decision,
  voided: i.voided && { at: i.voided.at.toISOString(), by: i.voided.by },
});

const ROLES = ['procurement'] as const;

/** A query parameter that may be repeated, as a list (absent: undefined). */
const many = <T>(value: T | T[] | undefined): readonly T[] | undefined => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);

export const recallRoutes: FastifyPluginAsyncZod = async (app) => {
  // A national notice may list 200,000 serials (MAX_LISTED): these two routes take bodies up to
  // RECALL_BODY_LIMIT_BYTES, every other route BODY_LIMIT_BYTES (whichever is larger here).
  const recallBodyLimit = Math.max(app.config.bodyLimitBytes, RECALL_BODY_LIMIT_BYTES);

  app.post(
    '/v1/recalls',
    {
      config: { access: ROLES },
      bodyLimit: recallBodyLimit,
      schema: {
        operationId: 'createRecall',
        tags: ['recalls'],
        summary: 'Create a recall from a Field Safety Notice (structured scope)',
        description: `At most ${MAX_LISTED.toLocaleString('en-GB')} lots and serials in all (422 VALIDATION_FAILED, pointing at the list that crosses it), and a body of at most ${RECALL_BODY_LIMIT_BYTES / 1024 / 1024} MiB, or BODY_LIMIT_BYTES if larger (413). The answer shows a scope's lots and serials when it lists at most ${SHORT_LIST}; longer lists are counted, and read from GET /v1/recalls/{id}/scopes/{ordinal}/lots|serials.`,
        body: CreateRecallBody,
        response: { 201: createdResponse('The recall, created, with its counts.', RecallSchema) },
      },
    },
    async (req, reply) => {
      const created = await createRecall(app.db, requestContext(req), req.body);
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/recalls/${created.recall.id}`).send(toRecallApi(created));
    },
  );

  app.post(
    '/v1/recalls/preview',
    {
      config: { access: ROLES },
      bodyLimit: recallBodyLimit,
      schema: {
        operationId: 'previewRecall',
        tags: ['recalls'],
        summary: 'Dry run: the counts a recall would have, nothing saved',
        body: CreateRecallBody,
        response: { 200: jsonResponse('The counts the recall would have now.', CountsSchema) },
      },
    },
    async (req) => previewRecall(app.db, requestContext(req), req.body),
  );

  app.get(
    '/v1/recalls',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'listRecalls',
        tags: ['recalls'],
        summary: "The recalls the caller sees (its organisation's and national ones), newest first, a page at a time",
        description: 'Keyset-paginated by `cursor`. Each recall with its counts; its scopes summarised (how many lots and serials each lists), never the lists themselves.',
        querystring: RecallListQuery,
        response: { 200: jsonResponse('A page of recalls, newest first; `nextCursor` continues.', RecallPageSchema) },
      },
    },
    async (req) => {
      const page = await listVisibleRecalls(app.db, requestContext(req), { after: req.query.cursor, limit: req.query.limit });
      return { items: page.items.map((r) => toRecallApi(r, false)), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/recalls/affected-patients',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'findAffectedPatients',
        tags: ['recalls'],
        summary: 'Ad hoc: the patients with a product (and lots), without creating a recall',
        querystring: AdHocQuery,
        response: { 200: jsonResponse('A page of the affected items and their patients; `nextCursor` continues.', AffectedPageSchema) },
      },
    },
    async (req) => {
      const { gtin, lot, cursor, limit } = req.query;
      const lots = many(lot);
      const page = await adHocAffected(app.db, requestContext(req), gtin, lots, { after: cursor, limit }, app.clock);
      return { asOf: page.asOf.toISOString(), items: page.items.map(toAffectedApi), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/recalls/:id',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'getRecall',
        tags: ['recalls'],
        summary: 'A recall with its counts by match kind and contact status',
        params: IdParamsSchema,
        response: { 200: jsonResponse('The recall.', RecallSchema) },
      },
    },
    async (req) => toRecallApi(await getRecall(app.db, requestContext(req), req.params.id)),
  );

  app.post(
    '/v1/recalls/:id/close',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'closeRecall',
        tags: ['recalls'],
        summary: 'Close a recall: scans are no longer warned about it',
        description:
          'Refused (409 RECALL_OPEN_ITEMS, with the counts) while affected patients are not yet reviewed (latest contact step identified or contacted) or units the recall covers are still on the shelves, quarantined or not, as the caller sees them (a national key: every organisation’s). A `reason` overrides; it is kept on the recall (`closeReason`) and audited. Closing a closed recall changes nothing.',
        params: IdParamsSchema,
        body: CloseRecallBody,
        response: {
          200: jsonResponse('The recall, closed.', RecallSchema),
          409: problemResponse('Patients unreviewed or stock on the shelves (RECALL_OPEN_ITEMS): `unreviewedItems`, `stockOnShelves` and `stock` say how many.'),
        },
      },
    },
    async (req) => toRecallApi(await closeRecallFor(app.db, requestContext(req), req.params.id, app.clock, req.body?.reason)),
  );

  app.get(
    '/v1/recalls/:id/scopes/:ordinal/:list',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'listRecallScopeValues',
        tags: ['recalls'],
        summary: "A scope's listed lots or serials, a page at a time, in byte order",
        description: 'The lists a recall is not sent with (those longer than the recall shows, and every list in GET /v1/recalls). Keyset-paginated by `cursor`, the last value read.',
        params: ScopeListParams,
        querystring: ScopeListQuery,
        response: { 200: jsonResponse('A page of the list; `nextCursor` continues.', ScopeListPageSchema) },
      },
    },
    async (req) =>
      scopeList(app.db, requestContext(req), req.params.id, req.params.ordinal, req.params.list === 'lots' ? 'lot' : 'serial', { after: req.query.cursor, limit: req.query.limit }),
  );

  app.get(
    '/v1/recalls/:id/stock',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'listRecallShelfStock',
        tags: ['recalls'],
        summary: "The recall's stock still on the shelves: every unit or lot on hand it covers, by location, to quarantine and return",
        description:
          "Matched by the very predicates of the patients' list (the same match kinds), over stock on hand (`/v1/stock`): the caller's organisation's, or every organisation's for a national key. Quarantine them all with `POST /v1/recalls/{id}/stock/quarantine` (or a row with `POST /v1/stock/quarantine`), send them back with `POST /v1/recalls/{id}/stock/return`; a unit quarantined stays listed (status quarantined) until it leaves the shelf. CSV with `Accept: text/csv` or `?format=csv`.",
        params: IdParamsSchema,
        querystring: ShelfStockQuery,
        response: {
          200: {
            description: 'A page of the rows on hand the recall covers (JSON; `nextCursor` continues), or the whole list (CSV).',
            content: {
              'application/json': { schema: ShelfStockPageSchema },
              'text/csv': { schema: z.custom<Readable>((v) => v instanceof Readable).meta({ type: 'string', description: 'CSV (RFC 4180 quoting, LF line ends) with a header row; cells a spreadsheet could run as a formula begin with an apostrophe.' }) },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      if (req.query.format === 'csv' || (req.query.format === undefined && (req.headers.accept ?? '').includes('text/csv'))) {
        const { recall, asOf, pages } = await allShelfStockOfRecall(app.db, ctx, req.params.id, app.clock);
        const csv = Readable.from(
          (async function* lines() {
            yield csvLine(SHELF_COLUMNS);
            for await (const page of pages) yield page.map((r) => csvLine(shelfCells(r))).join('');
          })(),
        );
        const file = `recall-${recall.reference.replace(/[^A-Za-z0-9._-]/g, '_')}-stock-${asOf.toISOString().replace(/[:.]/g, '')}.csv`;
        return reply.type('text/csv; charset=utf-8').header('x-as-of', asOf.toISOString()).header('content-disposition', `attachment; filename="${file}"`).header('cache-control', 'no-store').send(csv);
      }
      const page = await shelfStockOfRecall(app.db, ctx, req.params.id, { after: req.query.cursor, limit: req.query.limit }, app.clock);
      return reply.type('application/json; charset=utf-8').send({
        asOf: page.asOf.toISOString(),
        items: page.items.map((i) => ({
          onHandId: i.onHandId,
          organisation: i.odsCode,
          location: i.location,
          product: { issuingAgency: i.issuingAgency, di: i.di, lotNumber: i.lotNumber, serialNumber: i.serialNumber, expirationDate: i.expirationDate },
          status: i.status,
          consignment: i.consignment,
          quantity: i.quantity,
          match: i.match,
        })),
        nextCursor: page.nextCursor,
      });
    },
  );

  for (const action of RECALL_STOCK_ACTIONS) {
    app.post(
      action.url,
      {
        config: { access: ['procurement'] },
        schema: {
          operationId: action.operationId,
          tags: ['recalls'],
          summary: action.summary,
          description: `${action.description} Only the caller's organisation's stock: on a national recall each organisation handles its own (a national key reads, 403 here). Every ledger row names the recall (\`recallId\`). Exactly once per Idempotency-Key, like every stock write.`,
          params: IdParamsSchema,
          headers: idempotencyKeyHeaders('One key per action (e.g. a UUID); retries reuse it. Without it: 400 IDEMPOTENCY_KEY_MISSING.'),
          body: action.body,
          response: {
            201: createdResponse('What was moved, and the recall\'s stock after it.', RecallStockActionSchema),
            400: problemResponse('No Idempotency-Key header (IDEMPOTENCY_KEY_MISSING).'),
            404: problemResponse('No such recall visible to the caller (NOT_FOUND).'),
            422: problemResponse('The body is invalid (VALIDATION_FAILED), or the Idempotency-Key was used for another request (IDEMPOTENCY_KEY_REUSED).'),
          },
        },
      },
      async (req, reply) => {
        const key = req.headers['idempotency-key'];
        if (key === undefined) throw new ProblemError('IDEMPOTENCY_KEY_MISSING', 'Send an Idempotency-Key header (a new UUID per action; the same one on retries).');
        const { body, replayed } = await actOnRecallStock(app.db, requestContext(req), req.params.id, action.toAction(req.body), app.clock, key);
        if (replayed) reply.header('idempotency-replayed', 'true');
        return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/stock/movements/${body.movementGroup}`).send(body);
      },
    );
  }

  app.get(
    '/v1/recalls/:id/not-used',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'listRecallNotUsed',
        tags: ['recalls'],
        summary: "The recall's units put aside after a critical warning at the point of use (not patients): what became of each, to find and quarantine",
        params: IdParamsSchema,
        querystring: NotUsedQuery,
        response: { 200: jsonResponse('A page of the units put aside; `nextCursor` continues.', NotUsedPageSchema) },
      },
    },
    async (req) => {
      const page = await notUsedOfRecall(app.db, requestContext(req), req.params.id, { after: req.query.cursor, limit: req.query.limit }, app.clock);
      return {
        asOf: page.asOf.toISOString(),
        items: page.items.map((i) => ({
          itemId: i.itemId,
          procedure: { id: i.procedureId, date: i.procedureStartedAt.toISOString(), organisation: i.odsCode },
          item: { gtin: i.gtin, di: i.di, lotNumber: i.lotNumber, serialNumber: i.serialNumber, expirationDate: i.expirationDate },
          disposition: i.disposition,
          reason: i.reason,
          decidedAt: i.decidedAt?.toISOString() ?? null,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/v1/recalls/:id/patients',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'listRecallPatients',
        tags: ['recalls'],
        summary: 'The affected items and patients: JSON pages, or the whole list as CSV',
        description:
          'Keyset-paginated by `cursor` (stable while new scans arrive; a matching item scanned after the recall appears). CSV with `Accept: text/csv` or `?format=csv`: streamed, constant memory, `X-As-Of` header. `status` and `match` filter the pages and the CSV alike (the cursor walks the filtered list); the counts of the recall stay those of the whole list.',
        params: IdParamsSchema,
        querystring: PageQuery,
        response: { 200: { description: 'A page (JSON) or the whole list (CSV).', content: {
              'application/json': { schema: AffectedPageSchema },
              'text/csv': { schema: z.custom<Readable>((v) => v instanceof Readable).meta({ type: 'string', description: 'CSV (RFC 4180 quoting, LF line ends) with a header row.' }) },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const ctx = requestContext(req);
      const filter = { statuses: many(req.query.status), matches: many(req.query.match) };
      const wantsCsv = req.query.format === 'csv' || (req.query.format === undefined && (req.headers.accept ?? '').includes('text/csv'));
      if (wantsCsv) {
        const { recall, asOf, stream } = await exportAffectedCsv(app.db, ctx, req.params.id, app.clock, filter);
        const file = `recall-${recall.reference.replace(/[^A-Za-z0-9._-]/g, '_')}-${asOf.toISOString().replace(/[:.]/g, '')}.csv`;
        return reply.type('text/csv; charset=utf-8').header('x-as-of', asOf.toISOString()).header('content-disposition', `attachment; filename="${file}"`).header('cache-control', 'no-store').send(stream);
      }
      const page = await affectedPatients(app.db, ctx, req.params.id, { after: req.query.cursor, limit: req.query.limit }, app.clock, filter);
      return reply.type('application/json; charset=utf-8').send({ asOf: page.asOf.toISOString(), items: page.items.map(toAffectedApi), nextCursor: page.nextCursor });
    },
  );

  app.patch(
    '/v1/recalls/:id/items/:itemId',
    {
      config: { access: ROLES },
      schema: {
        operationId: 'recordRecallContact',
        tags: ['recalls'],
        summary: 'Record a contact step for an affected item; the history is kept',
        params: RecallItemParams,
        body: ContactBody,
        response: { 200: jsonResponse('The contact status in force and its history.', ContactHistorySchema) },
      },
    },
    async (req) => updateContact(app.db, requestContext(req), req.params.id, req.params.itemId, req.body.status, req.body.note),
  );
};
