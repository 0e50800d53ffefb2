import type { ColumnType, Generated, Kysely } from 'kysely';
import type { PersonRole } from '../config.js';
import type { ClinicalAttributes } from '../domain/compatibility/attributes.js';
import type { OrganisationRuleDefinition } from '../domain/compatibility/organisation.js';
import type { AuditOutcome, Awaiting, CaseRole, BulkExportStatus, ConsentStatus, ContactStatus, DecisionOutcome, DecisionStatus, Disposition, EntryType, FhirExportType, ItemAction, LocationKind, Role, ScanAttributionKind, Side, StaffEvidence, StockMovementKind, StockStatus, WithoutConsentPolicy } from '../domain/vocabulary.js';

/**
 * Table types of the database, as Kysely sees them. Columns are snake_case as
 * in SQL; repositories map rows to the camelCase domain types of the API.
 * Migrations are frozen in time and do not import these types.
 */

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface OrganisationsTable {
  id: Generated<string>;
  ods_code: string;
  name: string;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: Generated<string>;
  name: string;
  role: Role;
  /** Null exactly when the key is national. */
  organisation_id: string | null;
  national: boolean;
  /** SHA-256 of the whole key; the key itself is never stored. */
  key_hash: Buffer;
  /** The first characters of the key, so people can tell keys apart. */
  key_prefix: string;
  created_at: CreatedAt;
  created_by: string | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  /** For registry keys: the one registry whose feed the key reads. */
  registry_code: string | null;
  /** 'smart-client': the principal of a SMART client, with no secret anyone holds; never authenticates as a key. */
  kind: ColumnType<ApiKeyKind, ApiKeyKind | undefined, never>;
}

export type ApiKeyKind = 'api-key' | 'smart-client';

/** A SMART Backend Services client: authenticates with JWTs signed by its keys (a JWKS by URL or inline). */
export interface SmartClientsTable {
  id: Generated<string>;
  client_id: string;
  /** Its principal (api_keys, kind 'smart-client'): what its actions and audit rows name. */
  key_id: string;
  jwks_url: string | null;
  jwks: ColumnType<{ keys: unknown[] } | null, string | null, string | null>;
  created_at: CreatedAt;
  created_by: string;
  revoked_at: Date | null;
  revoked_by: string | null;
}

/** The jti of every client assertion accepted, until it expires: a replay fails on the primary key. */
export interface SmartClientAssertionsTable {
  client_id: string;
  jti: string;
  expires_at: Date;
}

/** Access tokens, by the SHA-256 of the opaque token. */
export interface SmartAccessTokensTable {
  token_hash: Buffer;
  client_id: string;
  scopes: string[];
  issued_at: Date;
  expires_at: Date;
}

export interface AuditEventsTable {
  id: Generated<string>;
  occurred_at: CreatedAt;
  request_id: string | null;
  actor_key_id: string | null;
  actor_organisation_id: string | null;
  actor_role: Role | null;
  action: string;
  route: string | null;
  outcome: AuditOutcome;
  /** The organisation whose data was touched (the tenancy of the record). */
  organisation_id: string | null;
  patient_ids: ColumnType<string[], string[] | undefined, never>;
  procedure_ids: ColumnType<string[], string[] | undefined, never>;
  detail: ColumnType<Record<string, unknown>, string | undefined, never>;
  /** The person who acted, signed in with OpenID Connect; null for keys. All three or none. */
  actor_person_issuer: string | null;
  actor_person_subject: string | null;
  actor_person_name: string | null;
}

/** A person who signs in with OpenID Connect, known by their provider and subject there. */
export interface PeopleTable {
  id: Generated<string>;
  issuer: string;
  subject: string;
  /** Their display name at their last sign-in. */
  name: string;
  created_at: CreatedAt;
  last_sign_in_at: Date;
}

/** Whose each person principal (a row of api_keys that is no usable key) is: one per person and role profile. */
export interface PersonPrincipalsTable {
  principal_id: string;
  person_id: string;
  role: PersonRole;
  organisation_id: string | null;
  national: boolean;
  created_at: CreatedAt;
}

/** A signed-in session, found by the SHA-256 of the random id its cookie holds. */
export interface SessionsTable {
  id_hash: Buffer;
  person_id: string;
  profile_ids: string[];
  /** The chosen role profile; null until the person chooses among several. */
  principal_id: string | null;
  csrf_secret: string;
  id_token: string | null;
  /** The provider's session id (the ID token's `sid`), for back-channel logout; null when it sent none. */
  provider_sid: ColumnType<string | null, string | null | undefined, never>;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

/** The jti of each accepted back-channel logout token, until it is too old to be accepted anyway. */
export interface LogoutTokensTable {
  issuer: string;
  jti: string;
  expires_at: Date;
}

/** A sign-in under way: what the callback needs to finish it, once. */
export interface SignInAttemptsTable {
  id_hash: Buffer;
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string;
  expires_at: Date;
}

export interface PatientsTable {
  id: Generated<string>;
  organisation_id: string;
  nhs_number: string;
  wristband_gsrn: string | null;
  local_mrn: string | null;
  date_of_birth: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export interface LocationsTable {
  id: Generated<string>;
  organisation_id: string;
  gln: string;
  gln_extension: Generated<string>;
  name: string;
  kind: LocationKind;
  created_at: CreatedAt;
}

export interface StaffTable {
  id: Generated<string>;
  organisation_id: string;
  gsrn: string | null;
  local_id: string | null;
  name: string | null;
  role: string | null;
  created_at: CreatedAt;
}

export interface ProceduresTable {
  id: Generated<string>;
  organisation_id: string;
  patient_id: string;
  location_id: string | null;
  lead_clinician_id: string | null;
  procedure_code: string | null;
  side: Side | null;
  status: Generated<'open' | 'completed'>;
  started_at: Date;
  completed_at: Date | null;
  created_at: CreatedAt;
  created_by: string | null;
  /** Feed position: set by trigger to the last transaction that changed the procedure (see migration 2026_11_21_1200). */
  change_xid: ColumnType<string, never, never>;
  change_seq: ColumnType<string, never, number>;
  /** When the transaction that last changed it began (set by the same trigger; for FHIR `_since`). */
  changed_at: ColumnType<Date, never, never>;
}

/** A product's facts: the national record's columns, and an organisation's own values for them. */
interface ProductFactColumns {
  di: string;
  issuing_agency: 'GS1' | 'HIBCC' | 'ICCBBA';
  brand: string | null;
  model: string | null;
  manufacturer: string | null;
  description: string | null;
  implantable: boolean | null;
  /** Which production identifiers the label carries (GUDID flags); null: not known. */
  label_lot: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  label_serial: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  label_expiry: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  label_manufacturing: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  /** The clinical attributes the compatibility checks read (a JSON object); null: not known. */
  clinical: ColumnType<ClinicalAttributes | null, string | null | undefined, string | null>;
  source: 'api' | 'gudid-import';
}

/** The national record of a product. */
export interface ProductsTable extends ProductFactColumns {
  id: Generated<string>;
  updated_at: Generated<Date>;
  updated_by: string | null;
}

/** An organisation's own values for a product: each null field takes the national record's value. */
export interface ProductOverridesTable extends ProductFactColumns {
  organisation_id: string;
  updated_at: Date;
  updated_by: string;
}

/** Every change of the catalogue, national or an organisation's, with its values before and after (append-only). */
export interface ProductChangesTable {
  id: Generated<string>;
  di: string;
  organisation_id: string | null;
  how: 'put' | 'patch' | 'import';
  before: ColumnType<Record<string, unknown> | null, string | null, never>;
  after: ColumnType<Record<string, unknown>, string, never>;
  actor_key_id: string;
  request_id: string;
  changed_at: Generated<Date>;
}

/** A calendar date column: read as YYYY-MM-DD text (see createDb's type parser). */
type DateColumn = ColumnType<string | null, string | null | undefined, string | null>;

export interface ItemsTable {
  id: Generated<string>;
  organisation_id: string;
  procedure_id: string;
  patient_id: string;
  action: ItemAction;
  status: Generated<'active' | 'voided'>;
  issuing_agency: string | null;
  di: string | null;
  gtin: string | null;
  hibc_lic: string | null;
  hibc_pcn: string | null;
  hibc_check: string | null;
  lot_number: string | null;
  serial_number: string | null;
  expiration_date: DateColumn;
  manufacturing_date: DateColumn;
  entry_type: EntryType;
  scanner_id: string | null;
  awaiting: Awaiting | null;
  explant_of_item_id: string | null;
  explanted_by_item_id: string | null;
  first_scanned_at: Date;
  updated_at: Generated<Date>;
  /** Copied from the procedure (fixed once it is opened), for the recall read path. */
  procedure_started_at: Date;
  location_id: string | null;
  lead_clinician_id: string | null;
  side: Side | null;
  /** The patient's NHS number, copied for the recall register (see migration 2026_11_21_1000). */
  nhs_number: string;
  /** The decision a critical warning asked for: pending until made; null when none was needed (see migration 2026_12_07_0600). */
  decision_status: DecisionStatus | null;
  /** The decision in force (the ledger row), and its content copied for reads. */
  decision_id: string | null;
  decision_reason: string | null;
  decision_disposition: Disposition | null;
  decided_at: Date | null;
  decided_by: string | null;
}

/** What became of an item put aside after a critical warning. */

export interface ItemDecisionsTable {
  id: Generated<string>;
  organisation_id: string;
  procedure_id: string;
  item_id: string;
  outcome: DecisionOutcome;
  reason: string | null;
  disposition: Disposition | null;
  corrects_decision_id: string | null;
  /** The database's time: never the client's. */
  decided_at: CreatedAt;
  actor_key_id: string;
}

export interface ScansTable {
  id: Generated<string>;
  organisation_id: string;
  procedure_id: string;
  item_id: string | null;
  kind: 'product' | 'void';
  action: ItemAction | null;
  entry_type: EntryType | null;
  raw: string | null;
  parsed: ColumnType<unknown, string | null, never> | null;
  issuing_agency: string | null;
  di: string | null;
  lot_number: string | null;
  serial_number: string | null;
  expiration_date: DateColumn;
  manufacturing_date: DateColumn;
  voids_scan_id: string | null;
  reason: string | null;
  late_entry: Generated<boolean>;
  warnings: ColumnType<unknown, string | undefined, never>;
  scanner_id: string | null;
  scanned_at: Date;
  recorded_at: CreatedAt;
  actor_key_id: string;
  /** Who scanned it (migration 2026_12_07_1600): null for rows recorded before attribution. */
  attribution: ScanAttributionKind | null;
  person_issuer: string | null;
  person_subject: string | null;
  person_name: string | null;
  staff_id: string | null;
}

/** A check before opening (no item recorded): what was checked and found, never changed. */
export interface PreUseChecksTable {
  id: Generated<string>;
  organisation_id: string;
  procedure_id: string;
  entry_type: EntryType;
  raw: string | null;
  issuing_agency: string | null;
  di: string | null;
  lot_number: string | null;
  serial_number: string | null;
  expiration_date: DateColumn;
  findings: ColumnType<unknown, string, never>;
  outcome: 'critical' | 'warning' | 'info' | 'none';
  /** The database's time: never the client's. */
  checked_at: CreatedAt;
  actor_key_id: string;
}

/** One movement of stock, never changed (migration 2026_12_08_0300): a unit, or a lot and quantity. */
export interface StockMovementsTable {
  id: ColumnType<string, never, never>;
  organisation_id: string;
  movement_group: string;
  kind: StockMovementKind;
  /** Null: the organisation's unlocated account. */
  location_id: string | null;
  to_location_id: string | null;
  entry_type: EntryType;
  raw: string | null;
  issuing_agency: string;
  di: string;
  lot_number: string | null;
  serial_number: string | null;
  expiration_date: DateColumn;
  quantity: number;
  consignment: Generated<boolean>;
  reason: string | null;
  note: string | null;
  supplier: string | null;
  order_ref: string | null;
  /** The database's time: never the client's. */
  recorded_at: CreatedAt;
  actor_key_id: string;
  procedure_id: string | null;
  recall_id: string | null;
  /** The item a point-of-use movement (consumed, returned-to-stock, and what follows a decision) is of. */
  item_id: string | null;
  /** Point of use: the status a consumed unit was taken from, and a returned one goes back into. */
  unit_status: StockStatus | null;
}

/** Stock on hand: the projection of the stock ledger, kept in the ledger's transactions. */
export interface StockOnHandTable {
  id: ColumnType<string, never, never>;
  organisation_id: string;
  location_id: string | null;
  issuing_agency: string;
  di: string;
  lot_number: string | null;
  serial_number: string | null;
  expiration_date: DateColumn;
  status: StockStatus;
  consignment: boolean;
  quantity: number;
  updated_at: Generated<Date>;
}

/** One unit price of a product from a date, never changed (migration 2026_12_08_0800): the price list's history. */
export interface ProductPricesTable {
  id: ColumnType<string, never, never>;
  organisation_id: string;
  /** The request that recorded it. */
  batch_id: string;
  source: 'json' | 'csv';
  issuing_agency: 'GS1' | 'HIBCC';
  di: string;
  /** Minor units (pence) of `currency`: bigint, read as a string. */
  unit_price_minor: ColumnType<string, number, never>;
  currency: string;
  effective_from: ColumnType<string, string, never>;
  supplier: string | null;
  contract_ref: string | null;
  /** The database's time: never the client's. */
  recorded_at: CreatedAt;
  actor_key_id: string;
}

/** A par level set, never changed (migration 2026_12_08_0600): the latest row of a location and product is in force; a par of 0 ends it. */
export interface ParLevelsTable {
  id: ColumnType<string, never, never>;
  organisation_id: string;
  set_group: string;
  location_id: string;
  issuing_agency: string;
  di: string;
  par: number;
  reorder_at: number | null;
  /** The database's time: never the client's. */
  recorded_at: CreatedAt;
  actor_key_id: string;
}

/** A staff member joining or leaving a case (the case team), never changed: see src/domain/case-team.ts. */
export interface CaseStaffEventsTable {
  id: ColumnType<string, never, never>;
  organisation_id: string;
  procedure_id: string;
  staff_id: string;
  event: 'joined' | 'left';
  role: CaseRole | null;
  evidence: StaffEvidence | null;
  /** The database's time: never the client's. */
  recorded_at: CreatedAt;
  recorded_by: string;
}

export interface IdempotencyKeysTable {
  organisation_id: string;
  key: string;
  request_hash: Buffer;
  status_code: number | null;
  response: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export interface RecallsTable {
  id: Generated<string>;
  organisation_id: string | null;
  reference: string;
  title: string;
  manufacturer: string | null;
  issued_at: DateColumn;
  status: Generated<'active' | 'closed'>;
  created_at: CreatedAt;
  created_by: string;
  closed_at: Date | null;
  /** Why it was closed with patients unreviewed or stock remaining (RECALL_OPEN_ITEMS overridden). */
  close_reason: string | null;
}

export interface RecallScopesTable {
  id: Generated<string>;
  recall_id: string;
  ordinal: number;
  gtin: string | null;
  hibc_lic: string | null;
  hibc_pcn: string | null;
  serial_from: string | null;
  serial_to: string | null;
  expiry_from: DateColumn;
  expiry_to: DateColumn;
  manufactured_from: DateColumn;
  manufactured_to: DateColumn;
  all_lots: boolean;
  /** How many distinct values each list holds (its rows are in recall_scope_members). */
  lot_count: Generated<number>;
  serial_count: Generated<number>;
}

/** One listed lot or serial of a recall scope (migration 2026_12_07_1000). */
export interface RecallScopeMembersTable {
  scope_id: string;
  kind: 'lot' | 'serial';
  value: string;
}

export interface RecallContactsTable {
  id: Generated<string>;
  recall_id: string;
  item_id: string;
  status: ContactStatus;
  note: string | null;
  recorded_at: CreatedAt;
  actor_key_id: string;
}

export interface RegistriesTable {
  code: string;
  name: string;
  without_consent: WithoutConsentPolicy;
  pseudonym_secret: Buffer;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

export interface ConsentsTable {
  id: Generated<string>;
  nhs_number: string;
  registry_code: string;
  status: ConsentStatus;
  recorded_at: Date;
  created_at: CreatedAt;
  organisation_id: string;
  actor_key_id: string;
}

export interface BulkExportsTable {
  id: Generated<string>;
  registry_code: string;
  organisation_id: string | null;
  actor_key_id: string;
  request_url: string;
  types: FhirExportType[];
  since: Date | null;
  status: Generated<BulkExportStatus>;
  progress: string | null;
  transaction_time: Date | null;
  output: ColumnType<{ type: FhirExportType; file: string; count: number; bytes: number }[], string | undefined, string>;
  error: string | null;
  created_at: CreatedAt;
  completed_at: Date | null;
  expires_at: Date;
  /** How many times the job was taken; what its attempts wrote carries the number. */
  attempt: Generated<number>;
  /** The instance running the job, and until when it holds it unless it renews the lease. */
  lease_owner: string | null;
  lease_expires_at: Date | null;
}

/** An export file, in parts of about a megabyte of NDJSON, each gzip-compressed; `bytes` is its length uncompressed. */
export interface BulkExportPartsTable {
  export_id: string;
  attempt: number;
  type: FhirExportType;
  part: number;
  bytes: number;
  data: Buffer;
}

/** The patients and procedures one chunk of an export file disclosed: what a download of the file is audited by. */
export interface BulkExportSubjectsTable {
  export_id: string;
  attempt: number;
  type: FhirExportType;
  chunk: number;
  patient_ids: string[];
  procedure_ids: string[];
}

/** An organisation's own compatibility rule (migration 2026_12_07_1510): retired, never changed or deleted. */
export interface OrganisationCompatibilityRulesTable {
  id: Generated<string>;
  organisation_id: string;
  /** The rule's id in findings is `org.<slug>`; a slug is never reused within its organisation. */
  slug: string;
  /** The definition as validated by OrganisationRuleDefinitionSchema (src/domain/compatibility/organisation.ts). */
  definition: ColumnType<OrganisationRuleDefinition, string, never>;
  created_at: CreatedAt;
  created_by: string;
  updated_at: Generated<Date>;
  retired_at: Date | null;
  retired_by: string | null;
  retire_reason: string | null;
}

/** A national rule switched off for one organisation, with its reason; lifted, never overwritten (history). */
export interface CompatibilityRuleWaiversTable {
  id: Generated<string>;
  organisation_id: string;
  /** A national rule's id (the service accepts only those of NATIONAL_RULES). */
  rule_id: string;
  reason: string;
  waived_at: CreatedAt;
  waived_by: string;
  lifted_at: Date | null;
  lifted_by: string | null;
}

export interface Database {
  organisations: OrganisationsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  people: PeopleTable;
  person_principals: PersonPrincipalsTable;
  sessions: SessionsTable;
  sign_in_attempts: SignInAttemptsTable;
  patients: PatientsTable;
  locations: LocationsTable;
  staff: StaffTable;
  procedures: ProceduresTable;
  products: ProductsTable;
  product_overrides: ProductOverridesTable;
  product_changes: ProductChangesTable;
  items: ItemsTable;
  item_decisions: ItemDecisionsTable;
  scans: ScansTable;
  pre_use_checks: PreUseChecksTable;
  case_staff_events: CaseStaffEventsTable;
  logout_tokens: LogoutTokensTable;
  idempotency_keys: IdempotencyKeysTable;
  recalls: RecallsTable;
  recall_scopes: RecallScopesTable;
  recall_scope_members: RecallScopeMembersTable;
  recall_contacts: RecallContactsTable;
  registries: RegistriesTable;
  consents: ConsentsTable;
  bulk_exports: BulkExportsTable;
  bulk_export_parts: BulkExportPartsTable;
  bulk_export_subjects: BulkExportSubjectsTable;
  organisation_compatibility_rules: OrganisationCompatibilityRulesTable;
  compatibility_rule_waivers: CompatibilityRuleWaiversTable;
  smart_clients: SmartClientsTable;
  smart_client_assertions: SmartClientAssertionsTable;
  smart_access_tokens: SmartAccessTokensTable;
  stock_movements: StockMovementsTable;
  stock_on_hand: StockOnHandTable;
  product_prices: ProductPricesTable;
  par_levels: ParLevelsTable;
}

export type Db = Kysely<Database>;
