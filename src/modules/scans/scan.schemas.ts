import { z } from 'zod';
import { checkManualEntry } from '../../barcode/manual.js';
import { DECISION_OUTCOMES, DISPOSITIONS, ITEM_ACTIONS, SCAN_ATTRIBUTIONS } from '../../domain/vocabulary.js';
import { DEVICE_FIELDS, GtinSchema, InstantSchema, IsoDateSchema, ReasonSchema, ScanTextSchema } from '../../shared/schemas.js';
import { SCAN_WARNING_CODES, type ScanWarningCode } from './scan.rules.js';

/** A product typed in from its label when no barcode can be read. */
export const ManualEntrySchema = z
  .strictObject({
    gtin: GtinSchema,
    lotNumber: z.string().min(1).max(20).optional().describe('As AI (10) on a label: 1 to 20 characters of GS1 character set 82.'),
    serialNumber: z.string().min(1).max(20).optional().describe('As AI (21) on a label: 1 to 20 characters of GS1 character set 82.'),
    expirationDate: IsoDateSchema.optional(),
  })
  .superRefine((m, ctx) => {
    // The lot and serial a label would carry in AIs (10) and (21): held to the same GS1 rules as when scanned.
    for (const issue of checkManualEntry(m)) {
      if (issue.field === 'lotNumber' || issue.field === 'serialNumber') ctx.addIssue({ code: 'custom', path: [issue.field], message: issue.message });
    }
  })
  .describe('Typed in when no barcode can be read. Recorded as manual entry.');

/** What every scan may say besides the product. */
const SCAN_FIELDS = {
  action: z.enum(ITEM_ACTIONS).default('implanted'),
  scannedAt: InstantSchema.optional().describe('When it was scanned (clients queueing offline send it); defaults to now.'),
  scannerId: z.string().trim().min(1).max(100).optional().describe('Which scanner: split labels combine per scanner.'),
  lateEntry: z.strictObject({ reason: ReasonSchema }).optional().describe('Required after the procedure is completed.'),
};

export const BarcodeScanBody = z.strictObject({ barcode: ScanTextSchema, ...SCAN_FIELDS }).meta({ id: 'BarcodeScanBody', description: 'A product scanned from its label.' });
export const ManualScanBody = z.strictObject({ manual: ManualEntrySchema, ...SCAN_FIELDS }).meta({ id: 'ManualScanBody', description: 'A product typed in from its label.' });

/**
 * A scan: the barcode as read, or the label typed in, exactly one (an exclusive union: `oneOf` in the
 * OpenAPI document). A body that is neither or both is refused with the union's message; one that
 * chose, with its own mistakes (plugins/validation-issues.ts).
 */
export const RecordScanBody = z
  .xor([BarcodeScanBody, ManualScanBody], { error: 'give exactly one of barcode or manual' })
  .meta({ id: 'RecordScanBody', description: 'Exactly one of `barcode` (as scanned) or `manual` (typed in from the label).' });

export const ScanAttributionSchema = z
  .object({
    kind: z
      .enum(SCAN_ATTRIBUTIONS)
      .describe(
        'The strongest evidence of who scanned it when it was recorded. person: sent in a signed-in session, or with a device key from a device where that person is signed in (`person`). badge: sent with a device key while a staff member whose badge (AI 8017) was scanned into the case is in it: the one badged most recently (`staffId`; the procedure’s `team`). A GSRN or local id typed in never counts as a badge. device-only: a device key and nobody badged in; the data-quality report counts these.',
      ),
    person: z
      .object({
        provider: z.string().describe('The OpenID Provider (issuer) the person signed in with.'),
        subject: z.string().describe('Who they are at that provider.'),
        name: z.string().describe('Their display name, as at sign-in.'),
      })
      .nullable()
      .describe('For person: who was signed in.'),
    staffId: z.uuid().nullable().describe('For badge: the staff member at the scanner.'),
  })
  .meta({ id: 'ScanAttribution' });

export const ScanSchema = z
  .object({
    id: z.uuid(),
    procedureId: z.uuid(),
    itemId: z.uuid().nullable(),
    kind: z.enum(['product', 'void']),
    action: z.enum(ITEM_ACTIONS).nullable(),
    entryType: z.enum(['barcode', 'manual']).nullable(),
    raw: z.string().nullable().describe('The barcode exactly as scanned.'),
    issuingAgency: z.string().nullable(),
    di: z.string().nullable(),
    lotNumber: z.string().nullable(),
    serialNumber: z.string().nullable(),
    expirationDate: z.string().nullable(),
    manufacturingDate: z.string().nullable(),
    voidsScanId: z.uuid().nullable(),
    reason: z.string().nullable(),
    lateEntry: z.boolean(),
    scannerId: z.string().nullable(),
    scannedAt: z.iso.datetime(),
    recordedAt: z.iso.datetime(),
    attribution: ScanAttributionSchema.nullable().describe('Who scanned it (a void: who voided it); null for a scan recorded before attribution existed.'),
  })
  .meta({ id: 'Scan' });

export const ItemDecisionSchema = z
  .object({
    status: z.enum(['pending', ...DECISION_OUTCOMES]).describe('pending: not yet decided, not counted as in the patient (recalls list it). not-used: put aside. implanted: implanted despite the warning (an override).'),
    reason: z.string().nullable().describe('Why (required for an override and for a correction).'),
    disposition: z.enum(DISPOSITIONS).nullable().describe('For not-used: what became of the item.'),
    decidedAt: z.iso.datetime().nullable().describe("When the service recorded the decision (its clock, not the client's)."),
    decidedBy: z.uuid().nullable().describe('The API key that recorded it.'),
  })
  .meta({ id: 'ItemDecision' });

export const ItemSchema = z
  .object({
    id: z.uuid(),
    procedureId: z.uuid(),
    action: z.enum(ITEM_ACTIONS),
    status: z.enum(['active', 'voided']),
    ...DEVICE_FIELDS,
    awaiting: z.enum(['product-label', 'secondary-label']).nullable().describe('Which half of a split label is still missing.'),
    explantOfItemId: z.uuid().nullable().describe('For an explant: the implant it removed.'),
    explantedByItemId: z.uuid().nullable().describe('For an implant: the explant that removed it.'),
    firstScannedAt: z.iso.datetime(),
    decision: ItemDecisionSchema.nullable().describe('The decision a critical warning asked for; null when none was needed (and for items recorded before decisions existed).'),
  })
  .meta({ id: 'Item' });

export const ScanWarningSchema = z
  .object({
    code: z.enum(SCAN_WARNING_CODES as [ScanWarningCode, ...ScanWarningCode[]]).describe('What the scan’s checks found (PRODUCT_EXPIRED, PRODUCT_RECALLED, SERIAL_ALREADY_IMPLANTED, …), or a parser warning passed on.'),
    severity: z.enum(['critical', 'warning', 'info']),
    message: z.string(),
    rule: z.string().optional().describe('For a compatibility finding: the rule that raised it (e.g. hip.head-liner-diameter), as GET /v1/compatibility/rules lists it.'),
  })
  .meta({ id: 'ScanWarning' });

export const ScanResultSchema = z.object({ scan: ScanSchema, item: ItemSchema, warnings: z.array(ScanWarningSchema).readonly() }).meta({ id: 'ScanResult' });

export const VoidScanBody = z.strictObject({ reason: ReasonSchema }).meta({ id: 'VoidScanBody' });
export const VoidResultSchema = z.object({ scan: ScanSchema, item: ItemSchema.nullable() }).meta({ id: 'VoidResult' });

/** A box checked before it is opened: the barcode as read, or the label typed in (as for a scan). */
export const CheckBody = z
  .xor(
    [
      z.strictObject({ barcode: ScanTextSchema }).meta({ id: 'BarcodeCheckBody', description: 'A box checked by scanning its label.' }),
      z.strictObject({ manual: ManualEntrySchema }).meta({ id: 'ManualCheckBody', description: 'A box checked by typing in its label.' }),
    ],
    { error: 'give exactly one of barcode or manual' },
  )
  .meta({ id: 'CheckBody', description: 'Exactly one of `barcode` (as scanned) or `manual` (typed in from the label).' });

export const PreUseCheckSchema = z
  .object({
    id: z.uuid(),
    procedureId: z.uuid(),
    entryType: z.enum(['barcode', 'manual']),
    raw: z.string().nullable().describe('The barcode exactly as scanned.'),
    issuingAgency: z.string().nullable(),
    di: z.string().nullable(),
    lotNumber: z.string().nullable(),
    serialNumber: z.string().nullable(),
    expirationDate: z.string().nullable(),
    outcome: z.enum(['critical', 'warning', 'info', 'none']).describe('The most severe finding: critical means do not open it.'),
    findings: z.array(ScanWarningSchema).readonly(),
    checkedAt: z.iso.datetime().describe("The service's clock, never the client's."),
    checkedBy: z.uuid().describe('The API key that made the check.'),
  })
  .meta({ id: 'PreUseCheck', description: 'A check before opening, as kept: what was checked, what was found, by whom and when. No item was recorded.' });

export const CheckResultSchema = z
  .object({
    check: PreUseCheckSchema,
    device: z.object(DEVICE_FIELDS).describe('The item as a scan would record it.'),
    warnings: z.array(ScanWarningSchema).readonly().describe('What a scan of it as implanted would say now (the same as check.findings).'),
    wouldNeedDecision: z.boolean().describe('A scan of it as implanted would wait for the theatre’s decision (a critical finding): do not open it.'),
  })
  .meta({ id: 'CheckResult' });

export const ChecksListSchema = z.object({ checks: z.array(PreUseCheckSchema) }).meta({ id: 'PreUseCheckList' });
