import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { ConsentStatus } from '../../domain/vocabulary.js';

export interface ConsentRecord {
  readonly id: string;
  readonly registryCode: string;
  readonly status: ConsentStatus;
  readonly recordedAt: Date;
  readonly createdAt: Date;
  readonly organisationId: string;
}

export async function insertConsent(
  db: Kysely<Database>,
  input: { nhsNumber: string; registryCode: string; status: ConsentStatus; recordedAt: Date; organisationId: string; actorKeyId: string },
): Promise<ConsentRecord> {
  const row = await db
    .insertInto('consents')
    .values({
      nhs_number: input.nhsNumber,
      registry_code: input.registryCode,
      status: input.status,
      recorded_at: input.recordedAt,
      organisation_id: input.organisationId,
      actor_key_id: input.actorKeyId,
    })
    .returning(['id', 'registry_code', 'status', 'recorded_at', 'created_at', 'organisation_id'])
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

type Row = { id: string; registry_code: string; status: ConsentStatus; recorded_at: Date; created_at: Date; organisation_id: string };
const toRecord = (r: Row): ConsentRecord => ({
  id: r.id,
  registryCode: r.registry_code,
  status: r.status,
  recordedAt: r.recorded_at,
  createdAt: r.created_at,
  organisationId: r.organisation_id,
});

/** Every consent record of a patient, newest first (the first per registry is the one in force). */
export async function consentHistory(db: Kysely<Database>, nhsNumber: string): Promise<ConsentRecord[]> {
  const rows = await db
    .selectFrom('consents')
    .select(['id', 'registry_code', 'status', 'recorded_at', 'created_at', 'organisation_id'])
    .where('nhs_number', '=', nhsNumber)
    .orderBy('registry_code')
    .orderBy('recorded_at', 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toRecord);
}

/**
 * The consent in force with one registry: per patient, the latest record by
 * `recordedAt`. For these patients only, or for every patient with a record
 * (a Bulk Data export holds them all in memory: one row per patient at most).
 */
export function consentsInForceQuery(db: Kysely<Database>, registryCode: string, nhsNumbers?: readonly string[]) {
  let query = db
    .selectFrom('consents')
    .distinctOn('nhs_number')
    .select(['nhs_number', 'status'])
    .where('registry_code', '=', registryCode);
  if (nhsNumbers !== undefined) query = query.where(sql<boolean>`nhs_number = any(${[...new Set(nhsNumbers)]}::text[])`);
  return query.orderBy('nhs_number').orderBy('recorded_at', 'desc').orderBy('created_at', 'desc').orderBy('id', 'desc');
}

/** The consent in force for each of these patients with one registry: granted, withdrawn, or absent (never asked). */
export async function consentsInForce(db: Kysely<Database>, registryCode: string, nhsNumbers: readonly string[]): Promise<Map<string, ConsentStatus>> {
  if (nhsNumbers.length === 0) return new Map();
  const rows = await consentsInForceQuery(db, registryCode, nhsNumbers).execute();
  return new Map(rows.map((r) => [r.nhs_number, r.status]));
}

/** The patient ids one organisation holds for an NHS number (for the audit trail). */
export async function patientIdsFor(db: Kysely<Database>, organisationId: string, nhsNumber: string): Promise<string[]> {
  const rows = await db.selectFrom('patients').select('id').where('organisation_id', '=', organisationId).where('nhs_number', '=', nhsNumber).execute();
  return rows.map((r) => r.id);
}
