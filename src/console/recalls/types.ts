/** The recall API's shapes as the console reads them (see openapi/openapi.json). */

/**
 * How an item was matched to a recall. The kinds this page knows, strongest
 * first, each with its label and a plain explanation; the service may add
 * kinds before the page knows them, so a kind is any string and an unknown one
 * is shown by a label made from its name (matchLabel).
 */
export const MATCH_KINDS = ['udi', 'lot', 'gtin-only', 'manual', 'lot-run-on', 'lot-similar', 'lot-without-product'] as const;
export type KnownMatchKind = (typeof MATCH_KINDS)[number];
export type MatchKind = string;
/** The kinds always named in a count, even at 0; the weaker ones are named when they occur. */
export const CORE_MATCH_KINDS: readonly KnownMatchKind[] = ['udi', 'lot', 'gtin-only', 'manual'];

export const CONTACT_STATUSES = ['identified', 'contacted', 'reviewed', 'explanted', 'deceased', 'moved-away', 'not-contactable'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

export const MATCH_LABELS: Record<KnownMatchKind, string> = {
  udi: 'UDI (serial)',
  lot: 'Lot or date',
  'gtin-only': 'Product only',
  manual: 'Typed in',
  'lot-run-on': 'Lot run on',
  'lot-similar': 'Look-alike lot',
  'lot-without-product': 'Lot label only',
};
export const MATCH_HINTS: Record<KnownMatchKind, string> = {
  udi: 'identified by its serial number',
  lot: 'identified by a captured lot or date',
  'gtin-only': 'the product matches, but what would rule it out was never captured',
  manual: 'typed in, not scanned',
  'lot-run-on': 'the recorded lot starts with a listed lot and runs on (a scanner probably dropped a separator): check the lot on the label',
  'lot-similar': 'the recorded lot differs from a listed one only in letter case or look-alike characters (O/0, I/1, S/5…): check the lot on the label',
  'lot-without-product': 'a lot label scanned without its product label, and the lot is listed: check which product was used',
};

const isKnown = (kind: string): kind is KnownMatchKind => (MATCH_KINDS as readonly string[]).includes(kind);

/** A kind's label; one this page does not know yet is named plainly from the service's word ("lot-run-on" → "Lot run on"). */
export function matchLabel(kind: MatchKind): string {
  if (isKnown(kind)) return MATCH_LABELS[kind];
  const words = kind.replace(/[-_]+/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : 'Other match';
}

export function matchHint(kind: MatchKind): string {
  return isKnown(kind) ? MATCH_HINTS[kind] : 'a kind of match this page does not describe yet: check the item against the notice';
}

/** The kinds a count names: the known ones it holds, strongest first, then any the page does not know, as the service sent them. */
export function matchKindsOf(byMatch: Readonly<Record<string, number>>): MatchKind[] {
  const keys = Object.keys(byMatch);
  return [...MATCH_KINDS.filter((k) => keys.includes(k)), ...keys.filter((k) => !isKnown(k))];
}
export const STATUS_LABELS: Record<ContactStatus, string> = {
  identified: 'Identified',
  contacted: 'Contacted',
  reviewed: 'Reviewed',
  explanted: 'Explanted',
  deceased: 'Deceased',
  'moved-away': 'Moved away',
  'not-contactable': 'Not contactable',
};

export interface Counts {
  readonly items: number;
  readonly patients: number;
  readonly explanted: number;
  /** Units put aside after a critical warning at scan (not patients): GET /v1/recalls/{id}/not-used. */
  readonly notUsed?: number;
  readonly byMatch: Readonly<Record<MatchKind, number>>;
  readonly byStatus: Record<ContactStatus, number>;
  /** The recall's stock: units on the shelves it covers (available, quarantined) and returned to the supplier. */
  readonly stock?: { readonly available: number; readonly quarantined: number; readonly returned: number };
}

export interface Scope {
  readonly gtin?: string;
  readonly hibc?: { readonly lic: string; readonly pcn: string };
  /** How many lots and serials the scope lists (as the service answers; absent in what the form sends). */
  readonly lotCount?: number;
  readonly serialCount?: number;
  /** The lists themselves: sent with a recall when short (at most 200), never with the list of recalls. */
  readonly lots?: readonly string[];
  readonly serials?: readonly string[];
  readonly serialRange?: { readonly from: string; readonly to: string };
  readonly expiryFrom?: string;
  readonly expiryTo?: string;
  readonly manufacturedFrom?: string;
  readonly manufacturedTo?: string;
  readonly allLots?: true;
}

export interface Recall {
  readonly id: string;
  readonly reference: string;
  readonly title: string;
  readonly manufacturer: string | null;
  readonly issuedAt: string | null;
  readonly status: 'active' | 'closed';
  readonly national: boolean;
  readonly createdAt: string;
  readonly closedAt: string | null;
  /** Why it was closed with patients unreviewed or stock on the shelves. */
  readonly closeReason?: string | null;
  readonly scope: readonly Scope[];
  readonly counts: Counts;
}

/** A page of the recall list (GET /v1/recalls), newest first. */
export interface RecallPage {
  readonly items: readonly Recall[];
  readonly nextCursor: string | null;
}

export interface AffectedItem {
  readonly itemId: string;
  readonly patient: { readonly nhsNumber: string };
  readonly procedure: {
    readonly id: string;
    readonly date: string;
    readonly organisation: string;
    readonly location: { readonly gln: string; readonly name: string } | null;
    readonly clinician: string | null;
    readonly side: string | null;
  };
  readonly item: {
    readonly gtin: string | null;
    readonly di: string | null;
    readonly lotNumber: string | null;
    readonly serialNumber: string | null;
    readonly expirationDate: string | null;
    readonly entryType: 'barcode' | 'manual';
    readonly explantedAt: string | null;
  };
  readonly match: MatchKind;
  readonly contactStatus: ContactStatus;
  /** pending: a critical warning at scan, not yet decided; override: implanted despite it, with a reason. */
  readonly decision?: 'pending' | 'override' | null;
  /** Voided after the recall was entered: listed still, marked, for review. */
  readonly voided?: { readonly at: string; readonly by: string | null } | null;
}

export type Disposition = 'returned-to-stock' | 'wasted' | 'quarantined';

export const DISPOSITION_LABELS: Record<Disposition, string> = { 'returned-to-stock': 'Returned to stock', wasted: 'Wasted', quarantined: 'Quarantined' };

/** A unit of the recall put aside after a critical warning at the point of use. */
export interface NotUsedItem {
  readonly itemId: string;
  readonly procedure: { readonly id: string; readonly date: string; readonly organisation: string };
  readonly item: { readonly gtin: string | null; readonly di: string | null; readonly lotNumber: string | null; readonly serialNumber: string | null; readonly expirationDate: string | null };
  readonly disposition: Disposition | null;
  readonly reason: string | null;
  readonly decidedAt: string | null;
}

export interface NotUsedPage {
  readonly asOf: string;
  readonly items: readonly NotUsedItem[];
  readonly nextCursor: string | null;
}

export interface AffectedPage {
  readonly asOf: string;
  readonly items: readonly AffectedItem[];
  readonly nextCursor: string | null;
}

export interface SurvivalPoint {
  readonly year: number;
  readonly atRisk: number;
  readonly survival: number;
  readonly cumulativeRevisionPercent: number;
  readonly cumulativeRevisionLower: number;
  readonly cumulativeRevisionUpper: number;
}

export interface SurvivalReport {
  readonly asOf: string;
  readonly population: string;
  readonly groups: ReadonlyArray<{ readonly group: string; readonly label: string; readonly n: number; readonly revisions: number; readonly points: readonly SurvivalPoint[] }>;
}

/** The safety report (GET /v1/reports/safety), as the console reads it. */
export interface SeverityCounts {
  readonly critical: number;
  readonly warning: number;
  readonly info: number;
}
export interface SafetyCounts {
  readonly scans: SeverityCounts;
  readonly checks: SeverityCounts;
  readonly decisions: { readonly notUsed: number; readonly overridden: number; readonly pending: number };
  readonly criticalChecks: { readonly notOpened: number; readonly followedByImplantScan: number };
}
export interface SafetyRule extends SafetyCounts {
  readonly rule: string;
  readonly code: string;
}
export interface SafetyMonth {
  readonly month: string;
  readonly scanning: { readonly items: number; readonly barcode: number; readonly manual: number; readonly barcodeShare: number | null };
  readonly totals: SafetyCounts & { readonly checks: SeverityCounts & { readonly all: number } };
  readonly rules: readonly SafetyRule[];
}
export interface SafetyReport {
  readonly from: string;
  readonly to: string;
  readonly months: readonly SafetyMonth[];
  readonly byOrganisation: ReadonlyArray<{ readonly organisation: string; readonly months: readonly SafetyMonth[] }>;
}
