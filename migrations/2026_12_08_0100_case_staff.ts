import { sql, type Kysely } from 'kysely';

/**
 * The case team (issue 18): staff badged into a case at its start and as they
 * hand over, so a scan sent with a device key names the person at the scanner.
 *
 * - `case_staff_events`: append-only, one row per staff member joining
 *   (badge scanned: evidence 'badge'; GSRN or local id typed: 'typed') or
 *   leaving a case, on the service's clock, with the principal that recorded
 *   it. The team is derived from them (src/domain/case-team.ts).
 * Who is at the scanner is not stored: the scan path reads it from the events
 * in the query that locks the procedure (a case has a handful of events, on
 * the index below). A column on procedures would move the registry feed's
 * position of the procedure at every handover.
 *
 * Before this, a case's lead clinician stood for "badged in" however they had
 * been named. They are not copied into the events: whether their badge was
 * scanned was never recorded, and a record must not claim it. Scans of cases
 * opened before it are 'device-only' until someone badges in.
 *
 * Safe for the version before it while it runs: a new table. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table case_staff_events (
      id bigint generated always as identity primary key,
      organisation_id uuid not null references organisations (id),
      procedure_id uuid not null references procedures (id),
      staff_id uuid not null references staff (id),
      event text not null check (event in ('joined', 'left')),
      role text check (role in ('lead-clinician', 'scrub', 'circulating', 'anaesthetist', 'assistant', 'other')),
      evidence text check (evidence in ('badge', 'typed')),
      recorded_at timestamptz not null default now(),
      recorded_by uuid not null references api_keys (id),
      check (case event when 'joined' then role is not null and evidence is not null else role is null and evidence is null end)
    )
  `.execute(db);
  await sql`create index case_staff_events_procedure on case_staff_events (procedure_id, id)`.execute(db);
  await sql`create index case_staff_events_staff on case_staff_events (staff_id)`.execute(db);
  await sql`
    create trigger case_staff_events_append_only before update or delete on case_staff_events
    for each row execute function forbid_change()
  `.execute(db);
  await sql`
    create trigger case_staff_events_no_truncate before truncate on case_staff_events
    for each statement execute function forbid_change()
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table case_staff_events`.execute(db);
}
