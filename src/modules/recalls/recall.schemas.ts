import { z } from 'zod';
import { CONTACT_STATUSES, DISPOSITIONS, STOCK_STATUSES } from '../../domain/vocabulary.js';
import { GlnSchema, GtinSchema, IsoDateSchema, ReasonSchema, ScanTextSchema } from '../../shared/schemas.js';
import { MATCH_KINDS, MATCH_REASONS, SHORT_LIST } from './recall.matching.js';

const Text = (max: number) => z.string().trim().min(1).max(max);
const numeric = (s: string) => /^\d{1,30}$/.test(s);

/**
 * The most lots and serials one recall lists, all scopes together. Field Safety Notices
 * for cardiac devices list tens of thousands of serials (one national notice, every unit of
 * several models); 200,000 is above any we know of, and each value is one row, probed by
 * its key at scan time, so the size of a recall does not slow a scan. Past it, a notice is
 * split into several recalls or given as serial ranges.
 */
export const MAX_LISTED = 200_000;
/**
 * The request body of a recall (and of its preview): MAX_LISTED values of 20 characters,
 * quoted, pretty-printed one a line (~30 bytes each), with room for the rest. Only these
 * two routes take more than BODY_LIMIT_BYTES.
 */
export const RECALL_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export const RecallScopeSchema = z
  .strictObject({
    gtin: GtinSchema.optional(),
    hibc: z.strictObject({ lic: z.string().regex(/^[A-Z][A-Z0-9]{3}$/, 'an HIBC LIC: 4 characters, the first a letter'), pcn: z.string().regex(/^[A-Z0-9]{1,18}$/) }).optional(),
    lots: z.array(Text(20)).min(1).max(MAX_LISTED).optional(),
    serials: z.array(Text(20)).min(1).max(MAX_LISTED).optional(),
    serialRange: z.strictObject({ from: Text(20), to: Text(20) }).optional(),
    expiryFrom: IsoDateSchema.optional(),
    expiryTo: IsoDateSchema.optional(),
    manufacturedFrom: IsoDateSchema.optional(),
    manufacturedTo: IsoDateSchema.optional(),
    allLots: z.literal(true).optional().describe('Every lot and serial of the product.'),
  })
  .superRefine((s, ctx) => {
    if ((s.gtin === undefined) === (s.hibc === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of gtin or hibc {lic, pcn}', path: ['gtin'] });
    const selectors = s.lots !== undefined || s.serials !== undefined || s.serialRange !== undefined;
    const windows = [s.expiryFrom, s.expiryTo, s.manufacturedFrom, s.manufacturedTo].some((d) => d !== undefined);
    if (!selectors && !windows && s.allLots !== true) {
      ctx.addIssue({ code: 'custom', message: 'an empty scope: give lots, serials, a serial range, an expiry or manufacture window, or allLots: true', path: [] });
    }
    if (s.allLots === true && selectors) ctx.addIssue({ code: 'custom', message: 'allLots cannot be combined with lots or serials', path: ['allLots'] });
    const r = s.serialRange;
    if (r && (numeric(r.from) && numeric(r.to) ? BigInt(r.from) > BigInt(r.to) : r.from > r.to)) {
      ctx.addIssue({ code: 'custom', message: 'the serial range is the wrong way round', path: ['serialRange'] });
    }
    if (s.expiryFrom && s.expiryTo && s.expiryFrom > s.expiryTo) ctx.addIssue({ code: 'custom', message: 'expiryFrom is after expiryTo', path: ['expiryFrom'] });
    if (s.manufacturedFrom && s.manufacturedTo && s.manufacturedFrom > s.manufacturedTo) {
      ctx.addIssue({ code: 'custom', message: 'manufacturedFrom is after manufacturedTo', path: ['manufacturedFrom'] });
    }
  })
  .meta({ id: 'RecallScope' });

const listed = (what: string) =>
  `The ${what} themselves, each once, in byte order: in GET /v1/recalls/{id} (and the answers to create and close) when the scope lists at most ${SHORT_LIST} values; never in GET /v1/recalls. Longer lists are read page by page from GET /v1/recalls/{id}/scopes/{ordinal}/${what}.`;

/** A scope as answered (already normalised: GTIN-14), without the input transforms. */
export const RecallScopeOutSchema = z
  .object({
    ordinal: z.number().int().describe('Its position in `scope` (from 0), as in the request that created the recall.'),
    gtin: z.string().optional(),
    hibc: z.object({ lic: z.string(), pcn: z.string() }).optional(),
    lotCount: z.number().int().describe('How many distinct lots the scope lists (0: no lot list).'),
    serialCount: z.number().int().describe('How many distinct serials the scope lists (0: no serial list).'),
    lots: z.array(z.string()).optional().describe(listed('lots')),
    serials: z.array(z.string()).optional().describe(listed('serials')),
    serialRange: z.object({ from: z.string(), to: z.string() }).optional(),
    expiryFrom: z.string().optional(),
    expiryTo: z.string().optional(),
    manufacturedFrom: z.string().optional(),
    manufacturedTo: z.string().optional(),
    allLots: z.literal(true).optional(),
  })
  .meta({ id: 'RecallScopeOut' });

export const CreateRecallBody = z
  .strictObject({
    reference: Text(100).describe('The Field Safety Notice reference, e.g. FSN-2026-0114.'),
    title: Text(500),
    manufacturer: Text(200).optional(),
    issuedAt: IsoDateSchema.optional(),
    scope: z
      .array(RecallScopeSchema)
      .min(1)
      .max(100)
      .describe(`Alternatives: an item is affected when any scope covers it. At most ${MAX_LISTED.toLocaleString('en-GB')} lots and serials in all.`),
  })
  .superRefine((body, ctx) => {
    // The cap on the whole recall, reported at the list that crosses it.
    let total = 0;
    for (const [k, s] of body.scope.entries()) {
      for (const list of ['lots', 'serials'] as const) {
        const before = total;
        total += new Set(s[list] ?? []).size;
        if (before <= MAX_LISTED && total > MAX_LISTED) {
          ctx.addIssue({
            code: 'custom',
            message: `a recall lists at most ${MAX_LISTED.toLocaleString('en-GB')} lots and serials in all; this list brings it to ${total.toLocaleString('en-GB')}: split the notice into several recalls, or give serial ranges`,
            path: ['scope', k, list],
          });
        }
      }
    }
  })
  .meta({ id: 'CreateRecallBody' });

export const CountsSchema = z
  .object({
    items: z.number().int(),
    patients: z.number().int(),
    explanted: z.number().int().describe('Affected items since explanted.'),
    notUsed: z.number().int().describe('Items of the recall put aside after a critical warning at scan (not patients; see GET /v1/recalls/{id}/not-used).'),
    stock: z
      .object({
        available: z.number().int().describe('Units on the shelves the recall covers, not yet quarantined.'),
        quarantined: z.number().int().describe('Units the recall covers held in quarantine, to be returned.'),
        returned: z.number().int().describe('Units returned to the supplier under this recall (POST /v1/recalls/{id}/stock/return).'),
      })
      .describe("The recall's stock (GET /v1/recalls/{id}/stock): the caller's organisation's; every organisation's for a national key."),
    byMatch: z.object(Object.fromEntries(MATCH_KINDS.map((k) => [k, z.number().int()])) as Record<(typeof MATCH_KINDS)[number], z.ZodNumber>),
    byStatus: z.object(Object.fromEntries(CONTACT_STATUSES.map((k) => [k, z.number().int()])) as Record<(typeof CONTACT_STATUSES)[number], z.ZodNumber>),
  })
  .meta({ id: 'RecallCounts' });

export const RecallSchema = z
  .object({
    id: z.uuid(),
    reference: z.string(),
    title: z.string(),
    manufacturer: z.string().nullable(),
    issuedAt: z.string().nullable(),
    status: z.enum(['active', 'closed']),
    national: z.boolean(),
    createdAt: z.iso.datetime(),
    closedAt: z.iso.datetime().nullable(),
    closeReason: z.string().nullable().describe('Why it was closed although patients were unreviewed or stock remained (RECALL_OPEN_ITEMS overridden); null otherwise.'),
    scope: z.array(RecallScopeOutSchema),
    counts: CountsSchema,
  })
  .meta({ id: 'Recall' });

export const RecallListQuery = z.strictObject({
  cursor: z.uuid().optional().describe('nextCursor of the previous page.'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const RecallPageSchema = z
  .object({
    items: z.array(RecallSchema).describe('Newest first. Each scope is summarised (lotCount, serialCount); its lists are read from GET /v1/recalls/{id}/scopes/{ordinal}/lots|serials.'),
    nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last.'),
  })
  .meta({ id: 'RecallPage' });

export const ScopeListParams = z.object({
  id: z.uuid(),
  ordinal: z.coerce.number().int().min(0).max(99).describe('The scope, by its position in `scope` (from 0).'),
  list: z.enum(['lots', 'serials']),
});

export const ScopeListQuery = z.strictObject({
  cursor: z.string().min(1).max(100).optional().describe('nextCursor of the previous page (the last value read).'),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export const ScopeListPageSchema = z
  .object({
    items: z.array(z.string()).describe('Listed values, each once, in byte order.'),
    nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last.'),
  })
  .meta({ id: 'RecallScopeListPage' });

export const AffectedItemSchema = z
  .object({
    itemId: z.uuid(),
    patient: z.object({ nhsNumber: z.string() }),
    procedure: z.object({
      id: z.uuid(),
      date: z.iso.datetime(),
      organisation: z.string(),
      location: z.object({ gln: z.string(), name: z.string() }).nullable(),
      clinician: z.string().nullable(),
      side: z.string().nullable(),
    }),
    item: z.object({
      gtin: z.string().nullable(),
      di: z.string().nullable(),
      lotNumber: z.string().nullable(),
      serialNumber: z.string().nullable(),
      expirationDate: z.string().nullable(),
      entryType: z.enum(['barcode', 'manual']),
      explantedAt: z.iso.datetime().nullable(),
    }),
    match: z
      .enum(MATCH_KINDS)
      .describe(
        `How the item matched, strongest first. ${Object.entries(MATCH_REASONS)
          .map(([k, r]) => `${k}: ${r}`)
          .join(' ')}`,
      ),
    matchReason: z.string().describe('The match kind in plain words, for the person who reviews the row.'),
    contactStatus: z.enum(CONTACT_STATUSES),
    decision: z
      .enum(['pending', 'override'])
      .nullable()
      .describe('pending: the item raised a critical warning at scan and nobody has yet recorded whether it was implanted; override: implanted despite a critical warning, with a reason (see the item). Items put aside (not-used) are not patients: see GET /v1/recalls/{id}/not-used.'),
    voided: z
      .object({ at: z.iso.datetime(), by: z.string().nullable().describe('The name of the API key that voided it.') })
      .nullable()
      .describe('The item was voided after the recall was entered: it stays listed, marked, so that a void cannot take a patient off the recall unnoticed. Review it.'),
  })
  .meta({ id: 'AffectedItem' });

export const NotUsedItemSchema = z
  .object({
    itemId: z.uuid(),
    procedure: z.object({ id: z.uuid(), date: z.iso.datetime(), organisation: z.string() }),
    item: z.object({ gtin: z.string().nullable(), di: z.string().nullable(), lotNumber: z.string().nullable(), serialNumber: z.string().nullable(), expirationDate: z.string().nullable() }),
    disposition: z.enum(DISPOSITIONS).nullable().describe('What became of it: returned-to-stock and quarantined units are to be found and returned to the manufacturer.'),
    reason: z.string().nullable(),
    decidedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'NotUsedItem' });

export const NotUsedPageSchema = z.object({ asOf: z.iso.datetime(), items: z.array(NotUsedItemSchema), nextCursor: z.string().nullable() }).meta({ id: 'NotUsedPage' });

export const ShelfStockItemSchema = z
  .object({
    onHandId: z.string().describe('The row of stock on hand (the position `cursor` continues after).'),
    organisation: z.string().describe('ODS code of the organisation whose shelf it is.'),
    location: z.object({ id: z.uuid(), gln: z.string(), name: z.string() }).nullable().describe('Null: the organisation\'s "unlocated" account.'),
    product: z.object({ issuingAgency: z.string(), di: z.string(), lotNumber: z.string().nullable(), serialNumber: z.string().nullable(), expirationDate: z.string().nullable() }),
    status: z.enum(STOCK_STATUSES).describe('quarantined: already held (POST /v1/stock/quarantine); available: still usable, to quarantine.'),
    consignment: z.boolean(),
    quantity: z.number().int().describe('Units on hand in this row.'),
    match: z.enum(MATCH_KINDS).describe('How the recall covers it, as in the patients\' list: udi, lot, gtin-only (its lot or serial was never captured), or a weaker kind to check against the label.'),
  })
  .meta({ id: 'ShelfStockItem' });

export const ShelfStockPageSchema = z
  .object({ asOf: z.iso.datetime(), items: z.array(ShelfStockItemSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ShelfStockPage' });

export const ShelfStockQuery = z.strictObject({
  cursor: z.string().regex(/^[0-9]{1,19}$/, 'must be the nextCursor of the previous page').optional().describe('nextCursor of the previous page.'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  format: z.enum(['json', 'csv']).optional().describe('csv: the whole list (streamed; `cursor` and `limit` ignored). Also chosen by `Accept: text/csv`.'),
});

export const AffectedPageSchema = z
  .object({ asOf: z.iso.datetime(), items: z.array(AffectedItemSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AffectedPage' });

/** One of `values`, or the parameter repeated (`?status=a&status=b`): any of them. A refusal names what is allowed. */
const oneOrMany = <const V extends readonly [string, ...string[]]>(values: V) =>
  z.union([z.enum(values), z.array(z.enum(values)).min(1)], { error: `expected ${values.join(', ')} (repeat the parameter for several)` });

export const PageQuery = z.strictObject({
  cursor: z.uuid().optional().describe('nextCursor of the previous page.'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  format: z.enum(['json', 'csv']).optional().describe('csv: the whole list as CSV (also with Accept: text/csv).'),
  status: oneOrMany(CONTACT_STATUSES)
    .optional()
    .describe('Only the items whose contact status (the latest step recorded; none: identified) is this. Repeat for several; none: all. Filters the pages and the CSV, never the counts.'),
  match: oneOrMany(MATCH_KINDS)
    .optional()
    .describe('Only the items matched so (udi, lot, gtin-only, manual). Repeat for several; none: all. Combined with status, an item must pass both.'),
});

export const NotUsedQuery = z.strictObject({
  cursor: z.uuid().optional().describe('nextCursor of the previous page.'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const AdHocQuery = z.strictObject({
  gtin: GtinSchema,
  lot: z.union([Text(20), z.array(Text(20)).min(1).max(1000)]).optional().describe('Repeat for several lots; none: all lots.'),
  cursor: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const ContactBody = z.strictObject({ status: z.enum(CONTACT_STATUSES), note: z.string().trim().min(1).max(2000).optional() }).meta({ id: 'ContactUpdate' });

export const ContactHistorySchema = z
  .object({
    itemId: z.uuid(),
    status: z.enum(CONTACT_STATUSES),
    history: z.array(z.object({ status: z.enum(CONTACT_STATUSES), note: z.string().nullable(), recordedAt: z.iso.datetime(), actorKeyId: z.uuid() })),
  })
  .meta({ id: 'ContactHistory' });

export const RecallItemParams = z.object({ id: z.uuid(), itemId: z.uuid() });

/** Where a recall's stock action applies: one location of the caller's organisation, or all of them. */
const RecallStockLocation = z
  .xor(
    [
      z.strictObject({ gln: GlnSchema, glnExtension: z.string().min(1).max(20).optional() }),
      z.strictObject({ barcode: ScanTextSchema.describe('The scanned shelf or store label (AI 414, optionally 254).') }),
    ],
    { error: 'give exactly one of gln or barcode' },
  )
  .describe('Only the units at this location; none: at every location of the organisation.');

export const RecallQuarantineBody = z
  .strictObject({ location: RecallStockLocation.optional(), note: z.string().trim().min(1).max(500).optional() })
  .meta({ id: 'RecallStockQuarantine' });

export const RecallReturnBody = z
  .strictObject({
    location: RecallStockLocation.optional(),
    supplier: z.string().trim().min(1).max(200).optional().describe('Who the units go back to.'),
    reference: z.string().trim().min(1).max(500).optional().describe('The return authorisation or consignment note.'),
  })
  .meta({ id: 'RecallStockReturn' });

export const RecallStockActionSchema = z
  .object({
    movementGroup: z.uuid().describe('The ledger rows written (GET /v1/stock/movements/{group}).'),
    rows: z.int().describe('Rows of stock on hand moved (each whole).'),
    units: z.int().describe('Units moved.'),
    stock: CountsSchema.shape.stock,
  })
  .meta({ id: 'RecallStockAction' });

export const CloseRecallBody = z
  .strictObject({
    reason: ReasonSchema.optional().describe('Close although patients are unreviewed or stock remains (RECALL_OPEN_ITEMS otherwise): why. Recorded and audited.'),
  })
  .nullish()
  .describe('Optional: a close with no body closes a recall with nothing left open.');
