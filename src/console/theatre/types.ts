/** The API's answers the theatre page reads (the fields it uses; see openapi/openapi.json). */
import type { ScanAction } from './queue.js';

export interface Warning {
  readonly code: string;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly message: string;
}

/** Who a scan is attributed to: a person signed in, the member badged in at the scanner, or nobody (device only); null before attribution existed. */
export interface ScanAttribution {
  readonly kind: 'person' | 'badge' | 'device-only';
  readonly person: { readonly provider: string; readonly subject: string; readonly name: string } | null;
  readonly staffId: string | null;
}

export interface Scan {
  readonly id: string;
  readonly itemId: string | null;
  readonly kind: 'product' | 'void';
  readonly action: ScanAction | null;
  readonly raw: string | null;
  readonly voidsScanId: string | null;
  readonly scannedAt: string;
  readonly attribution: ScanAttribution | null;
}

export type Disposition = 'returned-to-stock' | 'wasted' | 'quarantined';

/** The decision a critical warning on an implant asks for: pending until put aside (not-used) or implanted anyway (with a reason). */
export interface ItemDecision {
  readonly status: 'pending' | 'not-used' | 'implanted';
  readonly reason: string | null;
  readonly disposition: Disposition | null;
  readonly decidedAt: string | null;
  readonly decidedBy: string | null;
}

export interface Item {
  readonly id: string;
  readonly procedureId: string;
  readonly action: ScanAction;
  readonly status: 'active' | 'voided';
  readonly di: string | null;
  readonly gtin: string | null;
  readonly hibc: { readonly lic: string; readonly pcn: string } | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly entryType: 'barcode' | 'manual';
  readonly awaiting: 'product-label' | 'secondary-label' | null;
  readonly firstScannedAt: string;
  /** null when no decision was needed. */
  readonly decision: ItemDecision | null;
}

export interface ScanResult {
  readonly scan: Scan;
  readonly item: Item;
  readonly warnings: readonly Warning[];
}

export interface ProcedureItem extends Item {
  readonly product: { readonly brand: string | null; readonly model: string | null; readonly manufacturer: string | null } | null;
  readonly history: readonly Scan[];
}

/** A role in the case team (the service's CASE_ROLES). */
export type CaseRole = 'lead-clinician' | 'scrub' | 'circulating' | 'anaesthetist' | 'assistant' | 'other';

/** One stint of a staff member in the case: from joining until they left (null while in it). */
export interface CaseTeamMember {
  readonly staff: { readonly id: string; readonly gsrn: string | null; readonly localId: string | null; readonly name: string | null };
  readonly role: CaseRole;
  /** badge: their badge (AI 8017) was scanned in this stint; typed: named by a GSRN or local id only. */
  readonly evidence: 'badge' | 'typed';
  readonly joinedAt: string;
  readonly leftAt: string | null;
  readonly atScanner: boolean;
}

/** The case team (POST/DELETE /v1/procedures/{id}/staff answer it; the procedure carries it): every stint, and who is at the scanner. */
export interface CaseTeam {
  readonly members: readonly CaseTeamMember[];
  /** The staff id scans sent with a device key are attributed to: the member in the case badged most recently; null: nobody. */
  readonly atScanner: string | null;
}

export interface Procedure {
  readonly id: string;
  readonly status: 'open' | 'completed';
  readonly startedAt: string;
  readonly completedAt: string | null;
  readonly side: string | null;
  readonly patient: { readonly nhsNumber: string; readonly dateOfBirth: string | null };
  readonly location: { readonly gln: string; readonly name: string } | null;
  readonly team: CaseTeam;
  readonly items: readonly ProcedureItem[];
}

/** A finding of a check before opening: a warning as a scan would give it, with the compatibility rule that raised it. */
export interface Finding extends Warning {
  readonly rule?: string;
}

/** A check before opening as the service keeps it (GET /v1/procedures/{id}/checks): nothing was recorded about the patient. */
export interface PreUseCheck {
  readonly id: string;
  readonly procedureId: string;
  readonly entryType: 'barcode' | 'manual';
  readonly raw: string | null;
  /** GS1 (di is the GTIN), HIBC, ICCBBA; null for a label without a product identifier. */
  readonly issuingAgency: string | null;
  readonly di: string | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  /** The most severe finding; none when nothing was found. */
  readonly outcome: 'critical' | 'warning' | 'info' | 'none';
  readonly findings: readonly Finding[];
  readonly checkedAt: string;
}

/** The answer to POST /v1/procedures/{id}/check: what a scan of the box as implanted would say now. */
export interface CheckResult {
  readonly check: PreUseCheck;
  readonly device: {
    readonly di: string | null;
    readonly gtin: string | null;
    readonly hibc: { readonly lic: string; readonly pcn: string } | null;
    readonly lotNumber: string | null;
    readonly serialNumber: string | null;
    readonly expirationDate: string | null;
    readonly entryType: 'barcode' | 'manual';
  };
  readonly warnings: readonly Finding[];
  readonly wouldNeedDecision: boolean;
}
