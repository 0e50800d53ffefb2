import type { EntryType } from './vocabulary.js';

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


/**
 * A device as the API shows it (the `DEVICE_FIELDS` of src/shared/schemas.ts): the HIBC labeller and
 * product code together or not at all, and how it was entered. One mapping for items, checks and feeds.
 */
export function deviceFieldsOf(d: Omit<Device, 'hibcCheck'> & { readonly entryType: EntryType }) {
  return {
    issuingAgency: d.issuingAgency,
    di: d.di,
    gtin: d.gtin,
    hibc: d.hibcLic !== null && d.hibcPcn !== null ? { lic: d.hibcLic, pcn: d.hibcPcn } : null,
    lotNumber: d.lotNumber,
    serialNumber: d.serialNumber,
    expirationDate: d.expirationDate,
    manufacturingDate: d.manufacturingDate,
    entryType: d.entryType,
  };
}
