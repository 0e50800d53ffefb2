import { sql, type Kysely } from 'kysely';

/**
 * Indexes for the safety report (GET /v1/reports/safety), which reads an
 * organisation's period of the scan ledger and of its items:
 * - the scans that raised a finding, by organisation and time of scan (a
 *   partial index: most scans raise nothing, so it stays small and scans pay
 *   little for it); the predicate must stay identical to the report's;
 * - an organisation's active items by time of first scan, with how each was
 *   entered, for the scanning share (read from the index alone).
 * The checks before opening already have (organisation_id, checked_at).
 * Indexes only: safe for the version before while it runs. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create index scans_findings on scans (organisation_id, scanned_at)
    where kind = 'product' and warnings <> '[]'::jsonb
  `.execute(db);
  await sql`
    create index items_organisation_scanned on items (organisation_id, first_scanned_at) include (entry_type)
    where status = 'active'
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index items_organisation_scanned`.execute(db);
  await sql`drop index scans_findings`.execute(db);
}
