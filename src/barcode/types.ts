/**
 * The public contract of the barcode parser. Field names follow the FDA
 * AccessGUDID parse_udi vocabulary where it fits (issuingAgency, di,
 * lotNumber, serialNumber, expirationDate, manufacturingDate).
 */

export type IssuingAgency = 'GS1' | 'HIBCC' | 'ICCBBA';

export type Carrier = 'gs1-element' | 'gs1-bracketed' | 'gs1-digital-link' | 'ean-upc' | 'hibc' | 'isbt128';

/** The kinds of failure, stable and few: clients group on these. */
export const ERROR_KINDS = ['checkDigit', 'date', 'length', 'charset', 'unknownAI', 'missingFNC1', 'associations', 'hibcCheck', 'syntax'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * Every error code the parser gives outside GS1 coupons: stable, closed (the
 * OpenAPI document lists them, with the coupon codes of gs1/linters.ts).
 */
export const ERROR_CODES = [
  'EMPTY_INPUT',
  'UNRECOGNISED_CARRIER',
  'PARSER_FAILURE',
  'GTIN_LENGTH',
  'GS1_BRACKET_SYNTAX',
  'GS1_CHECK_DIGIT',
  'GS1_CHECK_DIGIT_MISSING',
  'GS1_CHECK_PAIR',
  'GS1_CHECK_PAIR_MISSING',
  'GS1_CHECK_PAIR_TOO_LONG',
  'GS1_COUPON_EXCESS_DATA',
  'GS1_COUPON_EXPIRATION_BEFORE_START',
  'GS1_DATE_NOT_NUMERIC',
  'GS1_DATE_LENGTH',
  'GS1_DATE_MONTH',
  'GS1_DATE_DAY',
  'GS1_DATE_DAY_OF_YEAR',
  'GS1_DATE_HOUR',
  'GS1_DATE_MINUTE',
  'GS1_DATE_SECOND',
  'GS1_DUPLICATE_AI',
  'GS1_EMPTY',
  'GS1_EXPECTED_AI',
  'GS1_GCP_NOT_NUMERIC',
  'GS1_GCP_TOO_SHORT',
  'GS1_IBAN_CHECK_DIGITS',
  'GS1_IBAN_TOO_LONG',
  'GS1_IBAN_TOO_SHORT',
  'GS1_IMPORTER_INDEX_LENGTH',
  'GS1_INVALID_AI_PAIR',
  'GS1_INVALID_BIOLOGICAL_SEX',
  'GS1_INVALID_CHARACTER',
  'GS1_INVALID_COUNTRY_CODE',
  'GS1_INVALID_CSET82_CHARACTER',
  'GS1_INVALID_CURRENCY_CODE',
  'GS1_INVALID_IBAN_CHARACTER',
  'GS1_INVALID_IBAN_COUNTRY_CODE',
  'GS1_INVALID_IMPORTER_INDEX',
  'GS1_INVALID_MEDIA_TYPE',
  'GS1_INVALID_PACKAGE_TYPE',
  'GS1_INVALID_PERCENT_SEQUENCE',
  'GS1_INVALID_WINDING_DIRECTION',
  'GS1_INVALID_YES_NO',
  'GS1_LATITUDE_LENGTH',
  'GS1_LONGITUDE_LENGTH',
  'GS1_INVALID_LATITUDE',
  'GS1_INVALID_LONGITUDE',
  'GS1_MISSING_FNC1',
  'GS1_NON_DIGIT_CHARACTER',
  'GS1_NON_DIGIT_REQUIRED',
  'GS1_NOT_HYPHEN',
  'GS1_NOT_ZERO',
  'GS1_PIECE_EXCEEDS_TOTAL',
  'GS1_PIECE_OF_TOTAL_LENGTH',
  'GS1_POSITION_EXCEEDS_END',
  'GS1_POSITION_IN_SEQUENCE_MALFORMED',
  'GS1_REQUIRED_AI_MISSING',
  'GS1_UNKNOWN_AI',
  'GS1_VALUE_EMPTY',
  'GS1_VALUE_TOO_LONG',
  'GS1_VALUE_TOO_SHORT',
  'GS1_ZERO_PIECE_NUMBER',
  'GS1_ZERO_PREFIX',
  'GS1_ZERO_TOTAL_PIECES',
  'GS1_ZERO_VALUE',
  'DL_BAD_PERCENT_ENCODING',
  'DL_NOT_AN_ATTRIBUTE',
  'DL_NO_PRIMARY_KEY',
  'DL_URI_SYNTAX',
  'HIBC_CHARSET',
  'HIBC_CHECK_CHARACTER',
  'HIBC_DATE_DAY',
  'HIBC_DATE_DAY_OF_YEAR',
  'HIBC_DATE_HOUR',
  'HIBC_DATE_LENGTH',
  'HIBC_DATE_MONTH',
  'HIBC_DATE_NOT_NUMERIC',
  'HIBC_LIC_CHARSET',
  'HIBC_LIC_LENGTH',
  'HIBC_LINK_CHARACTER',
  'HIBC_LOT',
  'HIBC_LOT_CHARSET',
  'HIBC_LOT_LENGTH',
  'HIBC_PCN_CHARSET',
  'HIBC_PCN_LENGTH',
  'HIBC_QUANTITY_CHARSET',
  'HIBC_QUANTITY_LENGTH',
  'HIBC_SERIAL',
  'HIBC_SERIAL_CHARSET',
  'HIBC_SERIAL_LENGTH',
  'HIBC_SUPPLEMENTAL_CHARSET',
  'HIBC_SYNTAX_DATE_FLAG',
  'HIBC_SYNTAX_DUPLICATE_FIELD',
  'HIBC_SYNTAX_EMPTY_FIELD',
  'HIBC_SYNTAX_FLAG',
  'HIBC_SYNTAX_LIC',
  'HIBC_SYNTAX_PROVIDER_DATA',
  'HIBC_SYNTAX_QUANTITY_NOT_LAST',
  'HIBC_SYNTAX_SECONDARY',
  'HIBC_SYNTAX_SUPPLEMENTAL_IDENTIFIER',
  'HIBC_SYNTAX_TOO_SHORT',
  'HIBC_SYNTAX_UOM',
  'HIBC_SYNTAX_UOM_MISSING',
  'ISBT_CHARSET',
  'ISBT_COMPOUND_COUNT',
  'ISBT_CONFLICT',
  'ISBT_DATE_DAY_OF_YEAR',
  'ISBT_DATE_HOUR',
  'ISBT_DATE_MINUTE',
  'ISBT_DIN_CHECK',
  'ISBT_LENGTH',
  'ISBT_SYNTAX',
  'ISBT_UNKNOWN_STRUCTURE',
] as const;

/**
 * A coupon code's field by field failures (AIs 8110, 8112):
 * GS1_COUPON_<MISSING|INVALID|TRUNCATED|TOO_SHORT_FOR>_<field>; the exact list
 * is COUPON_ERROR_CODES, derived from the coupon layouts themselves.
 */
export type CouponErrorCode = `GS1_COUPON_${'MISSING' | 'INVALID' | 'TRUNCATED' | 'TOO_SHORT_FOR'}_${string}`;

/** A parser error code: stable UPPER_SNAKE, e.g. GS1_CHECK_DIGIT. */
export type ErrorCode = (typeof ERROR_CODES)[number] | CouponErrorCode;

export interface ParseError {
  readonly kind: ErrorKind;
  /** Stable UPPER_SNAKE code, e.g. GS1_CHECK_DIGIT; one of ERROR_CODES or COUPON_ERROR_CODES. */
  readonly code: ErrorCode;
  readonly message: string;
  /** Offset of the offending characters in the raw input, as scanned (0-based, UTF-16 units). */
  readonly position: number;
  readonly length: number;
  /** The GS1 Application Identifier concerned, when there is one. */
  readonly ai?: string;
}

/** Every warning the parser gives: the data was read, with something to check. */
export const WARNING_CODES = [
  'PARTIAL_LABEL',
  'POSSIBLE_MISSING_SEPARATOR',
  'POSSIBLE_MISTYPED_GTIN',
  'SCANNER_NOISE_REMOVED',
  'TRAILING_SEPARATOR',
  'UNEXPECTED_SEPARATOR_CHARACTER',
  'DIGITAL_LINK_SHORT_GTIN',
  'LEGACY_CARRIER',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

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
