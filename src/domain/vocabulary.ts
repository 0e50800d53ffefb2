/**
 * The service's closed vocabularies: roles, actions, statuses and kinds that
 * the API, the database's check constraints and every module share. Each is a
 * list (for schemas and the OpenAPI document) and the union type it gives.
 */

export const ROLES = ['admin', 'scanner', 'procurement', 'registry'] as const;
export type Role = (typeof ROLES)[number];

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const LOCATION_KINDS = ['theatre', 'anaesthetic-room', 'recovery', 'ward', 'store', 'other'] as const;
export type LocationKind = (typeof LOCATION_KINDS)[number];

export const SIDES = ['left', 'right', 'bilateral', 'not-applicable'] as const;
export type Side = (typeof SIDES)[number];

export const ITEM_ACTIONS = ['implanted', 'explanted', 'wasted', 'returned'] as const;
export type ItemAction = (typeof ITEM_ACTIONS)[number];
export type EntryType = 'barcode' | 'manual';
export type Awaiting = 'product-label' | 'secondary-label';

export const DECISION_OUTCOMES = ['not-used', 'implanted'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];
export type DecisionStatus = 'pending' | DecisionOutcome;

/**
 * Who a scan is attributed to, by the strongest evidence when it was recorded: the signed-in person of the
 * session that sent it, the staff member badged for the case, or only the device (its key).
 */
export const SCAN_ATTRIBUTIONS = ['person', 'badge', 'device-only'] as const;
export type ScanAttributionKind = (typeof SCAN_ATTRIBUTIONS)[number];

/** What a staff member does in a case (the case team): recorded when they badge in. */
export const CASE_ROLES = ['lead-clinician', 'scrub', 'circulating', 'anaesthetist', 'assistant', 'other'] as const;
export type CaseRole = (typeof CASE_ROLES)[number];

/** How a staff member was named for a case: their badge (AI 8017) scanned, or a GSRN or local id typed in. */
export const STAFF_EVIDENCE = ['badge', 'typed'] as const;
export type StaffEvidence = (typeof STAFF_EVIDENCE)[number];

export const DISPOSITIONS = ['returned-to-stock', 'wasted', 'quarantined'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export const CONTACT_STATUSES = ['identified', 'contacted', 'reviewed', 'explanted', 'deceased', 'moved-away', 'not-contactable'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

export const WITHOUT_CONSENT_POLICIES = ['pseudonymous', 'omit'] as const;
export type WithoutConsentPolicy = (typeof WITHOUT_CONSENT_POLICIES)[number];

export const CONSENT_STATUSES = ['granted', 'withdrawn'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

export const FHIR_EXPORT_TYPES = ['Patient', 'Procedure', 'Device', 'Location'] as const;
export type FhirExportType = (typeof FHIR_EXPORT_TYPES)[number];
export const BULK_EXPORT_STATUSES = ['accepted', 'running', 'completed', 'failed', 'cancelled'] as const;
export type BulkExportStatus = (typeof BULK_EXPORT_STATUSES)[number];

/** What a row of the stock ledger records (consumed and returned-to-stock: the point-of-use part, not yet written). */
export const STOCK_MOVEMENT_KINDS = ['received', 'moved', 'written-off', 'returned-to-supplier', 'quarantined', 'released', 'consumed', 'returned-to-stock'] as const;
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];
export const STOCK_STATUSES = ['available', 'quarantined'] as const;
export type StockStatus = (typeof STOCK_STATUSES)[number];
export const WRITE_OFF_REASONS = ['expired', 'damaged', 'opened-not-used', 'other'] as const;
export type WriteOffReason = (typeof WRITE_OFF_REASONS)[number];
