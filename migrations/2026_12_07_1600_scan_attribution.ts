import { sql, type Kysely } from 'kysely';

/**
 * Who scanned it (issue 18): each scan row records the person behind it, by
 * the strongest evidence there was when it was recorded.
 *
 * - `attribution` 'person': the scan came in a signed-in session; the person
 *   as the audit trail names them (`person_issuer`, `person_subject`,
 *   `person_name`, as at sign-in).
 * - 'badge': sent with a device key in a case with a staff member badged in
 *   (the lead clinician named when the case was opened): `staff_id`.
 * - 'device-only': a device key, and nobody named for the case.
 * - null: recorded before attribution existed. Never guessed afterwards (the
 *   ledger is append-only, and an old row's session is not known).
 *
 * Safe for the version before it while it runs: nullable columns without
 * defaults (no table rewrite, no row read or touched); its inserts leave them
 * null, which the check allows. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table scans
      add column attribution text check (attribution in ('person', 'badge', 'device-only')),
      add column person_issuer text check (length(person_issuer) between 1 and 500),
      add column person_subject text check (length(person_subject) between 1 and 255),
      add column person_name text check (length(person_name) between 1 and 200),
      add column staff_id uuid references staff (id)
  `.execute(db);
  // Exactly the evidence its kind names, and nothing else. Not validated against the rows already there: they
  // are all null, which it allows, and validating would read the whole ledger under the exclusive lock.
  await sql`
    alter table scans add constraint scans_attribution check (
      case attribution
        when 'person' then person_issuer is not null and person_subject is not null and person_name is not null and staff_id is null
        when 'badge' then staff_id is not null and person_issuer is null and person_subject is null and person_name is null
        else person_issuer is null and person_subject is null and person_name is null and staff_id is null
      end) not valid
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    alter table scans
      drop constraint scans_attribution,
      drop column attribution,
      drop column person_issuer,
      drop column person_subject,
      drop column person_name,
      drop column staff_id
  `.execute(db);
}
