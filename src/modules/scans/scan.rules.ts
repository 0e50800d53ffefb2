/**
 * The point-of-use rules, as pure functions: what a scan says about the
 * device, how split labels combine, and which warnings the theatre must see.
 * No I/O here; the service gathers the facts and applies these.
 */
import { COMPATIBILITY_CODES, NOT_CHECKED } from '../../domain/compatibility/rule.js';
import type { CompatibilityFinding } from '../../domain/compatibility/check.js';
import { WARNING_CODES, type MissingSeparatorReading } from '../../barcode/index.js';
import type { ParseResult, ParseWarning, WarningCode } from '../../barcode/types.js';
import type { Awaiting, ItemAction } from '../../domain/vocabulary.js';
import { NO_DEVICE, type Device } from '../../domain/device.js';
import type { MatchKind } from '../recalls/recall.matching.js';

export { NO_DEVICE, type Device };

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

/** The warnings a scan's own checks give (the parser's warnings are passed on beside them). */
export const SCAN_CHECK_CODES = [
  'PRODUCT_EXPIRED',
  'PRODUCT_RECALLED',
  'STOCK_QUARANTINED',
  'SERIAL_ALREADY_IMPLANTED',
  'UNKNOWN_PRODUCT',
  'NOT_IMPLANTABLE',
  'PARTIAL_LABEL',
  'DUPLICATE_SCAN',
  'EXPLANT_NOT_MATCHED',
  'PRODUCTION_IDENTIFIER_MISSING',
  'POSSIBLE_MISSING_SEPARATOR',
  // The compatibility checks before opening (src/domain/compatibility/).
  ...COMPATIBILITY_CODES,
  NOT_CHECKED,
] as const;

/** Every code a scan warning can carry: closed, and listed by the OpenAPI document. */
export const SCAN_WARNING_CODES = [...new Set([...SCAN_CHECK_CODES, ...WARNING_CODES])] as readonly ScanWarningCode[];
export type ScanWarningCode = (typeof SCAN_CHECK_CODES)[number] | WarningCode;

export interface ScanWarning {
  readonly code: ScanWarningCode;
  readonly severity: Severity;
  readonly message: string;
  /** The compatibility rule that raised it (national, or the organisation's own), for the safety report. */
  readonly rule?: string;
}

/** Which production identifiers a product's label carries (the catalogue's, from GUDID); null: not known. */
export interface LabelIdentifiers {
  readonly lotNumber: boolean | null;
  readonly serialNumber: boolean | null;
  readonly expirationDate: boolean | null;
  readonly manufacturingDate: boolean | null;
}

/** A value the parser read as one, which may have swallowed the element strings after it (a dropped GS). */
export interface RunOnSuspicion {
  /** The AI whose value may have swallowed the rest, and that value as read. */
  readonly ai: string;
  readonly value: string;
  /** Every other reading, best first (the parser's order). */
  readonly readings: readonly MissingSeparatorReading[];
}

/** What the service found out about the scanned device, for the warnings. */
export interface ScanFacts {
  readonly device: Device;
  readonly action: ItemAction;
  /** The calendar date of the scan (YYYY-MM-DD), for expiry. */
  readonly scanDate: string;
  readonly product: { readonly implantable: boolean | null; readonly productionIdentifiers?: LabelIdentifiers | null } | null;
  /** Values of this scan that may have run on through a dropped GS. */
  readonly runOns: readonly RunOnSuspicion[];
  readonly serialImplantedElsewhere: boolean;
  /** The stock holds this unit, or units of its lot, in quarantine. */
  readonly quarantinedInStock: boolean;
  readonly serialAlreadyInProcedure: boolean;
  readonly sameScanJustBefore: boolean;
  readonly awaiting: Awaiting | null;
  readonly explantMatched: boolean | null;
  /** Active recalls covering the device, and how (the weaker kinds ask for the label to be checked). */
  readonly recalls: ReadonlyArray<{ readonly reference: string; readonly title: string; readonly match?: MatchKind }>;
  readonly parserWarnings: readonly ParseWarning[];
  /** What the compatibility checks found against the procedure and what is implanted in it (implants only). */
  readonly compatibility?: readonly CompatibilityFinding[];
}

/**
 * Whether an item waits for the theatre's decision: it is being implanted and a
 * warning is critical. Until the decision it is not counted as in the patient
 * (recalls still list it: a pending item may have been implanted).
 */
export function needsDecision(item: { readonly action: ItemAction; readonly status: 'active' | 'voided' }, warnings: readonly ScanWarning[]): boolean {
  return item.action === 'implanted' && item.status === 'active' && warnings.some((w) => w.severity === 'critical');
}

const WEAK_MATCH_CHECK: Partial<Record<MatchKind, string>> = {
  'lot-run-on': 'the recorded lot runs on past a listed lot (a dropped separator?): check the lot printed on the label',
  'lot-similar': 'the recorded lot differs from a listed one only in letter case or look-alike characters: check the lot printed on the label',
  'lot-without-product': 'this lot label was scanned without its product label and its lot is listed: scan the product label, and check which product it is',
};

/**
 * PRODUCT_RECALLED: critical, naming the recall. A weaker match says what to
 * check on the physical label; a lot label still waiting for its product label
 * is a warning until that label says which product it is (the joined item is
 * checked again).
 */
function recallWarning(recall: { readonly reference: string; readonly title: string; readonly match?: MatchKind }, awaiting: Awaiting | null): ScanWarning {
  const check = recall.match === undefined ? undefined : WEAK_MATCH_CHECK[recall.match];
  if (check === undefined) {
    return { code: 'PRODUCT_RECALLED', severity: 'critical', message: `Subject to recall ${recall.reference}: ${recall.title}. Quarantine it; do not implant.` };
  }
  return {
    code: 'PRODUCT_RECALLED',
    severity: recall.match === 'lot-without-product' && awaiting === 'product-label' ? 'warning' : 'critical',
    message: `Possibly subject to recall ${recall.reference}: ${recall.title}. ${check.charAt(0).toUpperCase()}${check.slice(1)}. If it matches, quarantine it; do not implant.`,
  };
}

/** Parser warnings that mean the values read may not be the label's. */
const MAY_BE_MISREAD: ReadonlySet<string> = new Set(['POSSIBLE_MISSING_SEPARATOR', 'POSSIBLE_MISTYPED_GTIN']);

type Identifier = keyof LabelIdentifiers;
const IDENTIFIER_OF_AI: Readonly<Record<string, Identifier>> = { '10': 'lotNumber', '21': 'serialNumber', '17': 'expirationDate', '11': 'manufacturingDate' };
const IDENTIFIER_NAME: Readonly<Record<Identifier, string>> = { lotNumber: 'lot', serialNumber: 'serial number', expirationDate: 'expiry date', manufacturingDate: 'manufacturing date' };
/** Without catalogue knowledge, a lot or serial tail this long (and a head as long) is taken as a likely run-on: see README, "Dropped separators". */
const PLAUSIBLE_LENGTH = 3;

const showReading = (reading: Readonly<Record<string, string>>) =>
  Object.entries(reading)
    .map(([ai, v]) => `(${ai})${v}`)
    .join(' ');
const tailOf = (s: RunOnSuspicion, r: MissingSeparatorReading) => Object.entries(r.reading).filter(([ai]) => ai !== s.ai);

/**
 * Whether a dropped GS separator may have folded one value into another, and
 * how sure that is. The catalogue decides where it can: a reading that would
 * give the label an identifier it carries and the scan lacks (a serial folded
 * into the lot) is critical; a reading that would give it one it does not
 * carry is no concern. Without that knowledge a reading is a warning when its
 * evidence is strong (a date that passes its checks, or a lot or serial tail
 * and head of PLAUSIBLE_LENGTH or more), and information otherwise: lots
 * really do contain "21", "10" and "17", and a theatre that is warned on one
 * scan in seven stops reading warnings. Recalls list such items anyway.
 */
export function runOnWarnings(device: Device, runOns: readonly RunOnSuspicion[], carried: LabelIdentifiers | null): ScanWarning[] {
  const w: ScanWarning[] = [];
  for (const s of runOns) {
    const head = (r: MissingSeparatorReading) => r.reading[s.ai] ?? '';
    const missingCarried = (r: MissingSeparatorReading) =>
      tailOf(s, r)
        .map(([ai]) => IDENTIFIER_OF_AI[ai])
        .find((id): id is Identifier => id !== undefined && carried?.[id] === true && device[id] === null);
    const explaining = s.readings.find((r) => missingCarried(r) !== undefined);
    if (explaining) {
      const id = missingCarried(explaining) as Identifier;
      w.push({
        code: 'POSSIBLE_MISSING_SEPARATOR',
        severity: 'critical',
        message: `The label probably reads ${showReading(explaining.reading)}: the scanner dropped the GS separator after (${s.ai}) "${head(explaining)}". This product's label carries a ${IDENTIFIER_NAME[id]} and none was read. Check the label; fix the scanner (it must send GS), or type the item in.`,
      });
      continue;
    }
    // Readings the catalogue rules out: they would give the label an identifier it does not carry.
    const open = s.readings.filter((r) => !tailOf(s, r).some(([ai]) => { const id = IDENTIFIER_OF_AI[ai]; return id !== undefined && carried?.[id] === false; }));
    const best = open[0];
    if (best === undefined) continue;
    const strong = open.find((r) => r.fixedTail || (head(r).length >= PLAUSIBLE_LENGTH && tailOf(s, r).some(([ai, v]) => (ai === '10' || ai === '21') && v.length >= PLAUSIBLE_LENGTH)));
    const shown = strong ?? best;
    w.push({
      code: 'POSSIBLE_MISSING_SEPARATOR',
      severity: strong ? 'warning' : 'info',
      message: `(${s.ai}) "${s.value}" may be ${showReading(shown.reading)} run together (a GS separator dropped after "${head(shown)}")${open.length > 1 ? `, or ${open.length - 1} other reading${open.length > 2 ? 's' : ''}` : ''}. Check the label against what was recorded.`,
    });
  }
  return w;
}

/**
 * An identifier the catalogue says the label carries that the (complete) item
 * does not have, which no run-on explains: a label scanned in part, or a
 * catalogue entry to check.
 */
export function missingIdentifierWarnings(device: Device, awaiting: Awaiting | null, carried: LabelIdentifiers | null, explained: boolean): ScanWarning[] {
  if (carried === null || awaiting !== null || explained) return [];
  const missing = (['serialNumber', 'lotNumber'] as const).filter((id) => carried[id] === true && device[id] === null);
  if (missing.length === 0) return [];
  return [
    {
      code: 'PRODUCTION_IDENTIFIER_MISSING',
      severity: 'warning',
      message: `This product's label carries a ${missing.map((id) => IDENTIFIER_NAME[id]).join(' and a ')}, and none was read. Scan the label that carries it, or check the product.`,
    },
  ];
}

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
  for (const recall of f.recalls) w.push(recallWarning(recall, f.awaiting));
  if (f.quarantinedInStock) {
    w.push({
      code: 'STOCK_QUARANTINED',
      severity: implanting ? 'critical' : 'warning',
      message:
        d.serialNumber !== null
          ? `Serial ${d.serialNumber} is quarantined in stock: it was held back (a recall, damage) and must not be used. Put it aside; ask procurement.`
          : `Units of lot ${d.lotNumber ?? ''} are quarantined in stock: check this unit is not one of them before using it. Put it aside; ask procurement.`,
    });
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
  if (implanting) for (const c of f.compatibility ?? []) w.push({ code: c.code, severity: c.severity, message: c.message, ...(c.rule === null ? {} : { rule: c.rule }) });
  if (f.explantMatched === false) {
    w.push({ code: 'EXPLANT_NOT_MATCHED', severity: 'info', message: 'No implant of this device is recorded for this patient; the explant is recorded on its own.' });
  }
  const carried = f.product?.productionIdentifiers ?? null;
  const runOns = runOnWarnings(d, f.runOns, carried);
  w.push(...runOns);
  w.push(...missingIdentifierWarnings(d, f.awaiting, carried, runOns.some((r) => r.severity === 'critical')));
  for (const p of f.parserWarnings) {
    // Run-ons are weighed above, with what the catalogue knows.
    if (p.code === 'PARTIAL_LABEL' || p.code === 'SCANNER_NOISE_REMOVED' || (p.code === 'POSSIBLE_MISSING_SEPARATOR' && p.ai !== undefined)) continue;
    // A reading that may be wrong (a lot that swallowed an expiry, a GTIN mistyped into other data) must be
    // checked against the label before the record is trusted: a warning, not information.
    w.push({ code: p.code, severity: MAY_BE_MISREAD.has(p.code) ? 'warning' : 'info', message: p.message });
  }
  return w;
}
