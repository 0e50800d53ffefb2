/** The stock API's shapes as the stock page reads them (see openapi/openapi.json: StockOnHand, StockPage, StockExpiring, ShelfStockPage). */

export const STOCK_STATUSES = ['available', 'quarantined'] as const;
export type StockStatus = (typeof STOCK_STATUSES)[number];

export const WRITE_OFF_REASONS = ['expired', 'damaged', 'opened-not-used', 'other'] as const;
export type WriteOffReason = (typeof WRITE_OFF_REASONS)[number];
export const WRITE_OFF_LABELS: Record<WriteOffReason, string> = { expired: 'Expired', damaged: 'Damaged', 'opened-not-used': 'Opened, not used', other: 'Other (say why in the note)' };

export interface StockLocation {
  readonly gln: string;
  readonly glnExtension?: string | null;
  readonly name: string;
}

export interface OnHand {
  /** null: the organisation's unlocated account. */
  readonly location: StockLocation | null;
  readonly issuingAgency: string;
  readonly di: string;
  readonly gtin: string | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly brand: string | null;
  readonly model: string | null;
  readonly status: StockStatus;
  readonly consignment: boolean;
  readonly quantity: number;
}

export interface StockPage {
  readonly items: readonly OnHand[];
  readonly nextCursor: string | null;
}

export interface ExpiringRow extends OnHand {
  readonly expiry: 'expired' | 'expiring';
}

export interface ExpiringReport {
  readonly today: string;
  readonly through: string;
  readonly items: readonly ExpiringRow[];
}

export interface MovementResult {
  readonly movementGroup: string;
  readonly movements: ReadonlyArray<{ readonly kind: string; readonly quantity: number }>;
  readonly onHand: readonly OnHand[];
}

/** POST /v1/barcodes/parse: what the service reads on a label (valid or not). */
export interface ParseResult {
  readonly valid: boolean;
  readonly partial?: boolean;
  readonly issuingAgency?: string;
  readonly gtin?: string;
  readonly di?: string;
  readonly lotNumber?: string;
  readonly serialNumber?: string;
  readonly expirationDate?: string;
  readonly quantity?: number;
  readonly error?: { readonly code: string; readonly message: string };
}

/** GET /v1/recalls/{id}/stock: a row on hand a recall covers. */
export interface ShelfItem {
  readonly onHandId: string;
  readonly organisation: string;
  readonly location: { readonly id: string; readonly gln: string; readonly name: string } | null;
  readonly product: { readonly issuingAgency: string; readonly di: string; readonly lotNumber: string | null; readonly serialNumber: string | null; readonly expirationDate: string | null };
  readonly status: StockStatus;
  readonly consignment: boolean;
  readonly quantity: number;
  readonly match: string;
}

export interface ShelfPage {
  readonly asOf: string;
  readonly items: readonly ShelfItem[];
  readonly nextCursor: string | null;
}
