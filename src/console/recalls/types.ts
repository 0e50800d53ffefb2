/** The recall API's shapes as the console reads them (see openapi/openapi.json). */

export const MATCH_KINDS = ['udi', 'lot', 'gtin-only', 'manual'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

export const CONTACT_STATUSES = ['identified', 'contacted', 'reviewed', 'explanted', 'deceased', 'moved-away', 'not-contactable'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

export const MATCH_LABELS: Record<MatchKind, string> = { udi: 'UDI (serial)', lot: 'Lot or date', 'gtin-only': 'Product only', manual: 'Typed in' };
export const MATCH_HINTS: Record<MatchKind, string> = {
  udi: 'identified by its serial number',
  lot: 'identified by a captured lot or date',
  'gtin-only': 'the product matches, but what would rule it out was never captured',
  manual: 'typed in, not scanned',
};
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
  readonly byMatch: Record<MatchKind, number>;
  readonly byStatus: Record<ContactStatus, number>;
}

export interface Scope {
  readonly gtin?: string;
  readonly hibc?: { readonly lic: string; readonly pcn: string };
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
  readonly scope: readonly Scope[];
  readonly counts: Counts;
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
