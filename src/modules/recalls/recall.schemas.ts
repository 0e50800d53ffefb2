import { z } from 'zod';
import { CONTACT_STATUSES, DISPOSITIONS } from '../../db/database.js';
import { GtinSchema, IsoDateSchema } from '../../shared/schemas.js';
import { MATCH_KINDS, MATCH_REASONS } from './recall.matching.js';

const Text = (max: number) => z.string().trim().min(1).max(max);
const numeric = (s: string) => /^\d{1,30}$/.test(s);

export const RecallScopeSchema = z
  .strictObject({
    gtin: GtinSchema.optional(),
    hibc: z.strictObject({ lic: z.string().regex(/^[A-Z][A-Z0-9]{3}$/, 'an HIBC LIC: 4 characters, the first a letter'), pcn: z.string().regex(/^[A-Z0-9]{1,18}$/) }).optional(),
    lots: z.array(Text(20)).min(1).max(10_000).optional(),
    serials: z.array(Text(20)).min(1).max(100_000).optional(),
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

/** A scope as answered (already normalised: GTIN-14), without the input transforms. */
export const RecallScopeOutSchema = z
  .object({
    gtin: z.string().optional(),
    hibc: z.object({ lic: z.string(), pcn: z.string() }).optional(),
    lots: z.array(z.string()).optional(),
    serials: z.array(z.string()).optional(),
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
    scope: z.array(RecallScopeSchema).min(1).max(100).describe('Alternatives: an item is affected when any scope covers it.'),
  })
  .meta({ id: 'CreateRecallBody' });

export const CountsSchema = z
  .object({
    items: z.number().int(),
    patients: z.number().int(),
    explanted: z.number().int().describe('Affected items since explanted.'),
    notUsed: z.number().int().describe('Items of the recall put aside after a critical warning at scan (not patients; see GET /v1/recalls/{id}/not-used).'),
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
    scope: z.array(RecallScopeOutSchema),
    counts: CountsSchema,
  })
  .meta({ id: 'Recall' });

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
