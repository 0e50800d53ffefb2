import type { Kysely, Selectable } from 'kysely';
import type { Database, PatientsTable } from '../../db/database.js';

export interface Patient {
  readonly id: string;
  readonly organisationId: string;
  readonly nhsNumber: string;
  readonly wristbandGsrn: string | null;
  readonly localMrn: string | null;
  readonly dateOfBirth: string | null;
}

const toPatient = (r: Selectable<PatientsTable>): Patient => ({
  id: r.id,
  organisationId: r.organisation_id,
  nhsNumber: r.nhs_number,
  wristbandGsrn: r.wristband_gsrn,
  localMrn: r.local_mrn,
  dateOfBirth: r.date_of_birth,
});

export async function findPatientByNhsNumber(db: Kysely<Database>, organisationId: string, nhsNumber: string): Promise<Patient | undefined> {
  const row = await db.selectFrom('patients').selectAll().where('organisation_id', '=', organisationId).where('nhs_number', '=', nhsNumber).executeTakeFirst();
  return row && toPatient(row);
}

export async function findPatientByWristband(db: Kysely<Database>, organisationId: string, gsrn: string): Promise<Patient | undefined> {
  const row = await db.selectFrom('patients').selectAll().where('organisation_id', '=', organisationId).where('wristband_gsrn', '=', gsrn).executeTakeFirst();
  return row && toPatient(row);
}

export async function findPatientById(db: Kysely<Database>, id: string): Promise<Patient | undefined> {
  const row = await db.selectFrom('patients').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toPatient(row);
}

/** The patient with this NHS number in the organisation, created on first sight. */
export async function upsertPatient(
  db: Kysely<Database>,
  p: { organisationId: string; nhsNumber: string; localMrn?: string | undefined; dateOfBirth?: string | undefined },
): Promise<Patient> {
  await db
    .insertInto('patients')
    .values({ organisation_id: p.organisationId, nhs_number: p.nhsNumber, local_mrn: p.localMrn ?? null, date_of_birth: p.dateOfBirth ?? null })
    .onConflict((oc) => oc.columns(['organisation_id', 'nhs_number']).doNothing())
    .execute();
  return (await findPatientByNhsNumber(db, p.organisationId, p.nhsNumber)) as Patient;
}

export async function setWristband(db: Kysely<Database>, patientId: string, gsrn: string): Promise<void> {
  await db.updateTable('patients').set({ wristband_gsrn: gsrn }).where('id', '=', patientId).execute();
}
