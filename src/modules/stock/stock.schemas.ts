import { z } from 'zod';
import { STOCK_MOVEMENT_KINDS, STOCK_STATUSES, WRITE_OFF_REASONS } from '../../domain/vocabulary.js';
import { DEVICE_FIELDS, GlnSchema, IsoDateSchema, ReasonSchema, ScanTextSchema } from '../../shared/schemas.js';
import { ManualEntrySchema } from '../scans/scan.schemas.js';

/** A stock location: its GLN, or its wall label scanned; exactly one (`oneOf`). */
export const StockLocationRefSchema = z
  .xor(
    [
      z.strictObject({ gln: GlnSchema, glnExtension: z.string().min(1).max(20).optional() }),
      z.strictObject({ barcode: ScanTextSchema.describe('The scanned shelf or store label (AI 414, optionally 254).') }),
    ],
    { error: 'give exactly one of gln or barcode' },
  )
  .meta({ id: 'StockLocationRef', description: 'A location by GLN or by its label scanned; registered on first use.' });

const QuantitySchema = z.int().min(1).max(100_000).describe('How many units; default the count the label carries (GS1 AI 30 or 37, the HIBC quantity), else 1. A serialised unit is 1.');

/** A product on a stock line: scanned or typed in, with an optional quantity. */
export const StockLineSchema = z
  .xor(
    [
      z.strictObject({ barcode: ScanTextSchema, quantity: QuantitySchema.optional() }),
      z.strictObject({ manual: ManualEntrySchema, quantity: QuantitySchema.optional() }),
    ],
    { error: 'give exactly one of barcode or manual' },
  )
  .meta({ id: 'StockLine', description: 'Exactly one of `barcode` (as scanned) or `manual` (typed in from the label), and how many.' });

const Lines = z.array(StockLineSchema).min(1).max(500);
const Text200 = z.string().trim().min(1).max(200);

export const ReceiptBody = z
  .strictObject({
    location: StockLocationRefSchema,
    scans: Lines.describe('The products received, each scanned (or typed in): 1 to 500.'),
    supplier: Text200.optional(),
    orderRef: Text200.optional().describe('The purchase order or delivery note.'),
    consignment: z.boolean().default(false).describe('Consignment stock: the supplier’s until used.'),
  })
  .meta({ id: 'StockReceiptBody' });

export const MoveBody = z
  .strictObject({
    from: z.union([z.literal('unlocated'), StockLocationRefSchema]).describe('Where the stock is, or "unlocated".'),
    to: StockLocationRefSchema,
    lines: Lines,
  })
  .meta({ id: 'StockMoveBody' });

export const WriteOffBody = z
  .strictObject({
    location: StockLocationRefSchema,
    reason: z.enum(WRITE_OFF_REASONS),
    note: ReasonSchema.optional(),
    lines: Lines,
  })
  .meta({ id: 'StockWriteOffBody' });

export const ReturnBody = z
  .strictObject({
    location: StockLocationRefSchema,
    supplier: Text200.optional(),
    reference: Text200.optional().describe('The supplier’s returns authorisation or the FSN reference.'),
    lines: Lines,
  })
  .meta({ id: 'StockReturnBody' });

export const StatusChangeBody = z.strictObject({ location: StockLocationRefSchema, reason: ReasonSchema, lines: Lines }).meta({ id: 'StockStatusChangeBody' });

const LocationView = z.object({ gln: z.string(), glnExtension: z.string().nullable(), name: z.string() }).nullable().describe('null: the organisation’s unlocated account.');

const ProductView = {
  issuingAgency: z.string(),
  di: z.string(),
  gtin: z.string().nullable(),
  lotNumber: z.string().nullable(),
  serialNumber: z.string().nullable(),
  expirationDate: z.string().nullable(),
};

export const OnHandSchema = z
  .object({
    location: LocationView,
    ...ProductView,
    brand: z.string().nullable(),
    model: z.string().nullable(),
    status: z.enum(STOCK_STATUSES),
    consignment: z.boolean(),
    quantity: z.int(),
  })
  .meta({ id: 'StockOnHand' });

export const MovementSchema = z
  .object({
    id: z.string(),
    kind: z.enum(STOCK_MOVEMENT_KINDS),
    location: LocationView,
    toLocation: LocationView,
    ...ProductView,
    entryType: DEVICE_FIELDS.entryType,
    quantity: z.int(),
    consignment: z.boolean(),
    reason: z.string().nullable(),
    note: z.string().nullable(),
    supplier: z.string().nullable(),
    orderRef: z.string().nullable(),
    procedureId: z.uuid().nullable().describe('Point of use (consumed, returned-to-stock, and a decision’s quarantine): the procedure the unit was used or put aside in.'),
    itemId: z.uuid().nullable().describe('Point of use: the item whose unit this is.'),
    recallId: z.uuid().nullable().describe('A recall’s quarantine or return (POST /v1/recalls/{id}/stock/…): the recall it was done for.'),
    recordedAt: z.iso.datetime(),
  })
  .meta({ id: 'StockMovement' });

export const MovementResultSchema = z
  .object({
    movementGroup: z.uuid(),
    movements: z.array(MovementSchema).describe('One per unit, or per lot and quantity taken from one row on hand.'),
    onHand: z.array(OnHandSchema).describe('Stock on hand after the movement of the products it moved, where it moved them.'),
  })
  .meta({ id: 'StockMovementResult' });

export const MovementGroupSchema = z.object({ movementGroup: z.uuid(), movements: z.array(MovementSchema) }).meta({ id: 'StockMovementGroup' });

export const StockQuerySchema = z.object({
  location: z.union([z.literal('unlocated'), GlnSchema]).optional().describe('A location’s GLN, or "unlocated".'),
  gtin: z.string().regex(/^\d{14}$/, 'must be a GTIN-14').optional(),
  lot: z.string().min(1).max(20).optional(),
  status: z.enum(STOCK_STATUSES).optional(),
  expiresBefore: IsoDateSchema.optional(),
  cursor: z.string().min(1).max(100).optional().describe('nextCursor of the previous page.'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  format: z.enum(['json', 'csv']).optional(),
});

export const StockPageSchema = z.object({ items: z.array(OnHandSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last.') }).meta({ id: 'StockPage' });

export const ExpiringQuerySchema = z.object({
  days: z.coerce.number().int().min(1).max(365).default(30),
  format: z.enum(['json', 'csv']).optional(),
});

export const ExpiringSchema = z
  .object({
    today: z.string().describe('The service’s date in Europe/London.'),
    through: z.string().describe('The last expiry date the report covers.'),
    items: z.array(OnHandSchema.extend({ expiry: z.enum(['expired', 'expiring']) })),
  })
  .meta({ id: 'StockExpiring' });

export const MovementGroupParamsSchema = z.object({ group: z.uuid() });

export const MovementQuerySchema = z.object({
  location: z.union([z.literal('unlocated'), GlnSchema]).optional().describe('A location’s GLN (rows from or to it), or "unlocated".'),
  gtin: z.string().regex(/^\d{14}$/, 'must be a GTIN-14').optional(),
  lot: z.string().min(1).max(20).optional(),
  kind: z.enum(STOCK_MOVEMENT_KINDS).optional(),
  cursor: z.string().min(1).max(100).optional().describe('nextCursor of the previous page.'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const MovementPageSchema = z
  .object({ items: z.array(MovementSchema.extend({ movementGroup: z.uuid() })), nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last.') })
  .meta({ id: 'StockMovementPage' });

export const DiscrepancySchema = z
  .object({
    items: z.array(
      OnHandSchema.extend({
        lastConsumption: z
          .object({ procedureId: z.uuid(), itemId: z.uuid(), recordedAt: z.iso.datetime() })
          .nullable()
          .describe('The latest point-of-use consumption of this product, lot and serial here: the case that found the shelf short.'),
      }),
    ).describe('Stock below zero: used at the point of use more often than it was received there. `quantity` is negative.'),
  })
  .meta({ id: 'StockDiscrepancies' });
