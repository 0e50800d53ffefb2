/**
 * A medical device as one scan (or a typed entry) identifies it: the UDI's
 * device identifier and its production identifiers, in the AccessGUDID
 * vocabulary. Scans, recalls and registries all speak of devices this way.
 */
export interface Device {
  readonly issuingAgency: string | null;
  readonly di: string | null;
  readonly gtin: string | null;
  readonly hibcLic: string | null;
  readonly hibcPcn: string | null;
  /** The HIBC primary's check character: from the primary, or a secondary's link character. */
  readonly hibcCheck: string | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly manufacturingDate: string | null;
}

export const NO_DEVICE: Device = {
  issuingAgency: null,
  di: null,
  gtin: null,
  hibcLic: null,
  hibcPcn: null,
  hibcCheck: null,
  lotNumber: null,
  serialNumber: null,
  expirationDate: null,
  manufacturingDate: null,
};

