/**
 * The public contract of the barcode parser. Field names follow the FDA
 * AccessGUDID parse_udi vocabulary where it fits (issuingAgency, di,
 * lotNumber, serialNumber, expirationDate, manufacturingDate).
 */

export type IssuingAgency = 'GS1' | 'HIBCC' | 'ICCBBA';

export type Carrier = 'gs1-element' | 'gs1-bracketed' | 'gs1-digital-link' | 'ean-upc' | 'hibc' | 'isbt128';

/** The kinds of failure, stable and few: clients group on these. */
export type ErrorKind =
  | 'checkDigit'
  | 'date'
  | 'length'
  | 'charset'
  | 'unknownAI'
  | 'missingFNC1'
  | 'associations'
  | 'hibcCheck'
  | 'syntax';

export interface ParseError {
  readonly kind: ErrorKind;
  /** Stable UPPER_SNAKE code, e.g. GS1_CHECK_DIGIT. */
  readonly code: string;
  readonly message: string;
  /** Offset of the offending characters in the raw input, as scanned (0-based, UTF-16 units). */
  readonly position: number;
  readonly length: number;
  /** The GS1 Application Identifier concerned, when there is one. */
  readonly ai?: string;
}

export type WarningCode =
  | 'PARTIAL_LABEL'
  | 'POSSIBLE_MISSING_SEPARATOR'
  | 'POSSIBLE_MISTYPED_GTIN'
  | 'SCANNER_NOISE_REMOVED'
  | 'TRAILING_SEPARATOR'
  | 'UNEXPECTED_SEPARATOR_CHARACTER'
  | 'DIGITAL_LINK_SHORT_GTIN'
  | 'LEGACY_CARRIER';

export interface ParseWarning {
  readonly code: WarningCode;
  readonly message: string;
  /** Raw offset the warning is about; for POSSIBLE_MISSING_SEPARATOR, where the GS separator belongs. */
  readonly position?: number;
  /** For POSSIBLE_MISSING_SEPARATOR, the length of the swallowed tail. */
  readonly length?: number;
  /** For POSSIBLE_MISSING_SEPARATOR, the AI whose value swallowed the tail. */
  readonly ai?: string;
  /**
   * POSSIBLE_MISSING_SEPARATOR only: the other reading of the split element,
   * with the GS put back: `ai` with the value before the split, and the
   * swallowed AIs with their values, e.g. { "10": "LOT1", "21": "SER1" }.
   */
  readonly reading?: Readonly<Record<string, string>>;
}

export interface HibcData {
  /** Labeler Identification Code: 4 characters, first alphabetic. */
  readonly lic: string;
  /** Product or catalogue number. */
  readonly pcn: string;
  /** Unit of measure digit (0-9). */
  readonly uom: string;
  /** The primary's check character, which a separate secondary repeats as its link character. */
  readonly check?: string;
  /** A secondary's link character: the check character of the primary it belongs to. */
  readonly link?: string;
  /** Which HIBC parts were present. */
  readonly segments: ReadonlyArray<'primary' | 'secondary'>;
}

export interface Isbt128Data {
  /** Product code (ICCBBA PPIC or product description code). */
  readonly productCode?: string;
  readonly processorProductId?: string;
  /** Donation identification number (DIN), 13 characters. */
  readonly donationId?: string;
  readonly divisions?: string;
  /** ICCBBA data structure identifiers found, e.g. "=)", "&)". */
  readonly structures: readonly string[];
}

export interface ParseResult {
  /** True when the whole input was read and every rule held. */
  readonly valid: boolean;
  /** A secondary label on its own: valid, but it needs its product (GTIN / HIBC primary) label. */
  readonly partial?: boolean;
  readonly issuingAgency?: IssuingAgency;
  readonly carrier?: Carrier;
  /** AIM symbology identifier as scanned, e.g. "]d2". */
  readonly symbologyId?: string;
  /** The raw input exactly as received. */
  readonly raw: string;
  /** GTIN-14 (GS1 only). */
  readonly gtin?: string;
  /** Device identifier as AccessGUDID reports it (GTIN-14, HIBC LIC+PCN+UoM, ISBT product code). */
  readonly di?: string;
  readonly lotNumber?: string;
  readonly serialNumber?: string;
  /** YYYY-MM-DD; GS1 day 00 is resolved to the month's last day. */
  readonly expirationDate?: string;
  readonly manufacturingDate?: string;
  readonly quantity?: number;
  /** GS1 Application Identifiers and their raw values, in the order read. */
  readonly ais?: Readonly<Record<string, string>>;
  readonly hibc?: HibcData;
  readonly isbt128?: Isbt128Data;
  /** Canonical bracketed human-readable form (GS1). */
  readonly hri?: string;
  /** Canonical GS1 Digital Link URI on https://id.gs1.org (GS1, when a primary key is present). */
  readonly digitalLink?: string;
  readonly warnings: readonly ParseWarning[];
  readonly error?: ParseError;
}

export interface ParseOptions {
  /** "Today" for the GS1 sliding century and expiry checks. Defaults to the current date. */
  readonly today?: Date;
}
