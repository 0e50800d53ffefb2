import { sql, type Kysely } from 'kysely';

/**
 * Whose data each file of a FHIR Bulk Data export holds: per chunk the exporter
 * writes, the patients and procedures it disclosed. A download of the file is
 * audited from these rows, naming every patient and procedure it hands over,
 * in bounded memory whatever the export's size. They go with their export.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table bulk_export_subjects (
      export_id uuid not null references bulk_exports (id) on delete cascade,
      type text not null,
      chunk int not null,
      patient_ids uuid[] not null,
      procedure_ids uuid[] not null,
      primary key (export_id, type, chunk)
    )
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table bulk_export_subjects`.execute(db);
}
