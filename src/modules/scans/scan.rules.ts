/**
 * The point-of-use rules, as pure functions: what a scan says about the
 * device, how split labels combine, and which warnings the theatre must see.
 * No I/O here; the service gathers the facts and applies these.
 */
import type { ParseResult, ParseWarning } from '../../barcode/types.js';
import type { Awaiting, ItemAction } from '../../db/database.js';

/** What one scan tells about the device. */
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

export function deviceFromParse(r: ParseResult): Device {
  const hibcPrimary = r.hibc?.segments.includes('primary') === true;
  return {
    issuingAgency: r.issuingAgency ?? null,
    di: r.di ?? null,
    gtin: r.gtin ?? null,
    hibcLic: hibcPrimary ? (r.hibc?.lic ?? null) : null,
    hibcPcn: hibcPrimary ? (r.hibc?.pcn ?? null) : null,
    hibcCheck: r.hibc?.check ?? r.hibc?.link ?? null,
    lotNumber: r.lotNumber ?? null,
    serialNumber: r.serialNumber ?? null,
    expirationDate: r.expirationDate ?? null,
    manufacturingDate: r.manufacturingDate ?? null,
  };
}

/** A manually entered device (no barcode could be read). */
export function manualDevice(m: { gtin: string; lotNumber?: string | undefined; serialNumber?: string | undefined; expirationDate?: string | undefined }): Device {
  return {
    ...NO_DEVICE,
    issuingAgency: 'GS1',
    di: m.gtin,
    gtin: m.gtin,
    lotNumber: m.lotNumber ?? null,
    serialNumber: m.serialNumber ?? null,
    expirationDate: m.expirationDate ?? null,
  };
}

/**
 * Which label an item still waits for: a secondary label alone waits for its
 * product label; a product label with neither lot nor serial waits for its
 * secondary label. Manual entries wait for nothing (what was typed is all there is).
 */
export function awaitingFor(d: Device, manual: boolean): Awaiting | null {
  if (manual) return null;
  if (d.di === null) return 'product-label';
  if (d.lotNumber === null && d.serialNumber === null && d.issuingAgency !== 'ICCBBA') return 'secondary-label';
  return null;
}

/** Which pending item a scan may complete: the opposite half, same issuing agency, matching HIBC link. */
export function completes(pending: Device & { readonly awaiting: Awaiting | null }, scan: Device): boolean {
  if (pending.issuingAgency !== scan.issuingAgency) return false;
  if (pending.awaiting === 'secondary-label' && (scan.di !== null || (scan.lotNumber === null && scan.serialNumber === null && scan.expirationDate === null))) return false;
  if (pending.awaiting === 'product-label' && scan.di === null) return false;
  if (pending.issuingAgency === 'HIBCC' && pending.hibcCheck !== null && scan.hibcCheck !== null && pending.hibcCheck !== scan.hibcCheck) return false;
  return pending.awaiting !== null;
}

/** The two halves of a split label as one device: each field from whichever half has it. */
export function mergeDevices(a: Device, b: Device): Device {
  const pick = <K extends keyof Device>(k: K): Device[K] => a[k] ?? b[k];
  return {
    issuingAgency: pick('issuingAgency'),
    di: pick('di'),
    gtin: pick('gtin'),
    hibcLic: pick('hibcLic'),
    hibcPcn: pick('hibcPcn'),
    hibcCheck: pick('hibcCheck'),
    lotNumber: pick('lotNumber'),
    serialNumber: pick('serialNumber'),
    expirationDate: pick('expirationDate'),
    manufacturingDate: pick('manufacturingDate'),
  };
}

export type Severity = 'critical' | 'warning' | 'info';

export interface ScanWarning {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
}

/** What the service found out about the scanned device, for the warnings. */
export interface ScanFacts {
  readonly device: Device;
  readonly action: ItemAction;
  /** The calendar date of the scan (YYYY-MM-DD), for expiry. */
  readonly scanDate: string;
  readonly product: { readonly implantable: boolean | null } | null;
  readonly serialImplantedElsewhere: boolean;
  readonly serialAlreadyInProcedure: boolean;
  readonly sameScanJustBefore: boolean;
  readonly awaiting: Awaiting | null;
  readonly explantMatched: boolean | null;
  readonly recalls: ReadonlyArray<{ readonly reference: string; readonly title: string }>;
  readonly parserWarnings: readonly ParseWarning[];
}

/** Parser warnings that mean the values read may not be the label's. */
const MAY_BE_MISREAD: ReadonlySet<string> = new Set(['POSSIBLE_MISSING_SEPARATOR', 'POSSIBLE_MISTYPED_GTIN']);

/**
 * The warnings of a scan. The scan is always recorded: these tell the theatre
 * to stop and check. Critical ones are patient-safety events.
 */
export function scanWarnings(f: ScanFacts): ScanWarning[] {
  const w: ScanWarning[] = [];
  const d = f.device;
  const implanting = f.action === 'implanted';
  if (d.expirationDate !== null && d.expirationDate < f.scanDate) {
    w.push({ code: 'PRODUCT_EXPIRED', severity: implanting ? 'critical' : 'warning', message: `Expired on ${d.expirationDate}. Do not implant; check the product.` });
  }
  for (const recall of f.recalls) {
    w.push({ code: 'PRODUCT_RECALLED', severity: 'critical', message: `Subject to recall ${recall.reference}: ${recall.title}. Quarantine it; do not implant.` });
  }
  if (implanting && f.serialImplantedElsewhere) {
    w.push({
      code: 'SERIAL_ALREADY_IMPLANTED',
      severity: 'critical',
      message: `Serial ${d.serialNumber ?? ''} of this product is recorded as implanted in another patient. Check the device and the record.`,
    });
  }
  if (d.di !== null && f.product === null) {
    w.push({ code: 'UNKNOWN_PRODUCT', severity: 'warning', message: `${d.di} is not in the product catalogue. Check the product; tell procurement.` });
  }
  if (implanting && f.product !== null && f.product.implantable === false) {
    w.push({ code: 'NOT_IMPLANTABLE', severity: 'warning', message: 'The catalogue lists this product as not implantable. Check the product and the action.' });
  }
  if (f.awaiting === 'product-label') {
    w.push({ code: 'PARTIAL_LABEL', severity: 'warning', message: 'A lot/expiry/serial label without its product label: scan the product (GTIN or HIBC primary) label too.' });
  } else if (f.awaiting === 'secondary-label') {
    w.push({ code: 'PARTIAL_LABEL', severity: 'info', message: 'No lot or serial on this label: scan the lot/serial label if the product has one.' });
  }
  if (f.serialAlreadyInProcedure) {
    w.push({ code: 'DUPLICATE_SCAN', severity: 'warning', message: `Serial ${d.serialNumber ?? ''} was already scanned in this procedure. Void one if it was scanned twice.` });
  } else if (f.sameScanJustBefore) {
    w.push({ code: 'DUPLICATE_SCAN', severity: 'warning', message: 'The same label was scanned moments ago. If this is one item scanned twice, void one scan.' });
  }
  if (f.explantMatched === false) {
    w.push({ code: 'EXPLANT_NOT_MATCHED', severity: 'info', message: 'No implant of this device is recorded for this patient; the explant is recorded on its own.' });
  }
  for (const p of f.parserWarnings) {
    if (p.code === 'PARTIAL_LABEL' || p.code === 'SCANNER_NOISE_REMOVED') continue;
    // A reading that may be wrong (a lot that swallowed an expiry, a GTIN mistyped into other data) must be
    // checked against the label before the record is trusted: a warning, not information.
    w.push({ code: p.code, severity: MAY_BE_MISREAD.has(p.code) ? 'warning' : 'info', message: p.message });
  }
  return w;
}
