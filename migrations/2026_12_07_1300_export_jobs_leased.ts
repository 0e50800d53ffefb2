import { sql, type Kysely } from 'kysely';

/**
 * FHIR Bulk Data exports run as jobs any instance can take, and their files
 * live in Postgres, so several instances share one database.
 *
 * - A job is taken under a lease (`lease_owner`, `lease_expires_at`, renewed
 *   while it runs); a job whose lease ran out is taken again by another
 *   instance as a new `attempt`. Everything an attempt writes carries its
 *   number, so a late write of an attempt given up on is never read.
 * - The files are `bulk_export_parts`: each file in parts of about a megabyte
 *   of NDJSON, compressed by the service (stored as is, not compressed again).
 * - `bulk_export_subjects` gain the attempt that wrote them.
 *
 * Exports completed before this migration wrote their files to the disk of
 * the instance that ran them; they are marked failed (a registry starts a new
 * one; an export is a copy of records that stay). Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table bulk_exports
      add column attempt int not null default 0,
      add column lease_owner text,
      add column lease_expires_at timestamptz
  `.execute(db);
  await sql`
    update bulk_exports set status = 'failed', error = 'This export was written by an earlier version of the service. Start a new export.'
    where status in ('completed', 'running')
  `.execute(db);
  await sql`create index bulk_exports_claimable on bulk_exports (created_at) where status in ('accepted', 'running')`.execute(db);

  await sql`
    create table bulk_export_parts (
      export_id uuid not null references bulk_exports (id) on delete cascade,
      attempt int not null,
      type text not null,
      part int not null,
      bytes int not null,
      data bytea not null,
      primary key (export_id, attempt, type, part)
    )
  `.execute(db);
  // Already gzip-compressed by the service: storing it compressed again would cost time and save nothing.
  await sql`alter table bulk_export_parts alter column data set storage external`.execute(db);

  await sql`delete from bulk_export_subjects`.execute(db);
  await sql`alter table bulk_export_subjects add column attempt int not null`.execute(db);
  await sql`alter table bulk_export_subjects drop constraint bulk_export_subjects_pkey`.execute(db);
  await sql`alter table bulk_export_subjects add primary key (export_id, attempt, type, chunk)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from bulk_export_subjects`.execute(db);
  await sql`alter table bulk_export_subjects drop constraint bulk_export_subjects_pkey`.execute(db);
  await sql`alter table bulk_export_subjects drop column attempt`.execute(db);
  await sql`alter table bulk_export_subjects add primary key (export_id, type, chunk)`.execute(db);
  await sql`drop table bulk_export_parts`.execute(db);
  await sql`drop index bulk_exports_claimable`.execute(db);
  await sql`update bulk_exports set status = 'failed', error = 'Start a new export.' where status in ('completed', 'running')`.execute(db);
  await sql`alter table bulk_exports drop column lease_expires_at, drop column lease_owner, drop column attempt`.execute(db);
}
