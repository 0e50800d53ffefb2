import type { ColumnType, Generated, Kysely } from 'kysely';

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

export const ROLES = ['admin', 'scanner', 'procurement', 'registry'] as const;
export type Role = (typeof ROLES)[number];

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
}

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

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
}

export interface Database {
  organisations: OrganisationsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
}

export type Db = Kysely<Database>;
