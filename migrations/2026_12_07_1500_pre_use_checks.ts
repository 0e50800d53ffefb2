import { sql, type Kysely } from 'kysely';

/**
 * Checks before opening: the theatre scans a box before it is opened and is
 * told what a scan would say (expired, recalled, the wrong side or size). A
 * check records no item; it is kept as a finding event of its own, never
 * changed: what was checked, what was found, by whom and when (the service's
 * clock). The safety report counts them. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table pre_use_checks (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      procedure_id uuid not null references procedures (id),
      entry_type text not null check (entry_type in ('barcode', 'manual')),
      raw text,
      issuing_agency text,
      di text,
      lot_number text,
      serial_number text,
      expiration_date date,
      findings jsonb not null check (jsonb_typeof(findings) = 'array'),
      -- The most severe finding: critical (stop), warning, info or none.
      outcome text not null check (outcome in ('critical', 'warning', 'info', 'none')),
      checked_at timestamptz not null default now(),
      actor_key_id uuid not null references api_keys (id)
    )
  `.execute(db);
  await sql`create index pre_use_checks_procedure on pre_use_checks (procedure_id, checked_at)`.execute(db);
  await sql`create index pre_use_checks_organisation on pre_use_checks (organisation_id, checked_at)`.execute(db);
  await sql`
    create trigger pre_use_checks_append_only before update or delete on pre_use_checks
    for each row execute function forbid_change()
  `.execute(db);
  await sql`
    create trigger pre_use_checks_no_truncate before truncate on pre_use_checks
    for each statement execute function forbid_change()
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table pre_use_checks`.execute(db);
}
