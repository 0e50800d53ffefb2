import { sql, type Kysely } from 'kysely';

/**
 * Theatre capture: patients, locations, staff, procedures, the product
 * catalogue, the append-only scan ledger, the items it projects, and
 * idempotency keys for exactly-once scans. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table patients (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      nhs_number text not null check (nhs_number ~ '^[0-9]{10}$'),
      wristband_gsrn text check (wristband_gsrn ~ '^[0-9]{18}$'),
      local_mrn text check (length(local_mrn) between 1 and 40),
      date_of_birth date,
      created_at timestamptz not null default now(),
      unique (organisation_id, nhs_number)
    )
  `.execute(db);
  await sql`create unique index patients_wristband on patients (organisation_id, wristband_gsrn) where wristband_gsrn is not null`.execute(db);

  await sql`
    create table locations (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      gln text not null check (gln ~ '^[0-9]{13}$'),
      gln_extension text not null default '' check (length(gln_extension) <= 20),
      name text not null check (length(name) between 1 and 200),
      kind text not null default 'theatre' check (kind in ('theatre', 'anaesthetic-room', 'recovery', 'ward', 'store', 'other')),
      created_at timestamptz not null default now(),
      unique (organisation_id, gln, gln_extension)
    )
  `.execute(db);

  await sql`
    create table staff (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      gsrn text check (gsrn ~ '^[0-9]{18}$'),
      local_id text check (length(local_id) between 1 and 40),
      name text check (length(name) between 1 and 200),
      role text check (length(role) between 1 and 60),
      created_at timestamptz not null default now(),
      check (gsrn is not null or local_id is not null)
    )
  `.execute(db);
  await sql`create unique index staff_gsrn on staff (organisation_id, gsrn) where gsrn is not null`.execute(db);
  await sql`create unique index staff_local_id on staff (organisation_id, local_id) where local_id is not null`.execute(db);

  await sql`
    create table procedures (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      patient_id uuid not null references patients (id),
      location_id uuid references locations (id),
      lead_clinician_id uuid references staff (id),
      procedure_code text check (length(procedure_code) between 1 and 20),
      side text check (side in ('left', 'right', 'bilateral', 'not-applicable')),
      status text not null default 'open' check (status in ('open', 'completed')),
      started_at timestamptz not null,
      completed_at timestamptz,
      created_at timestamptz not null default now(),
      created_by uuid references api_keys (id),
      check ((status = 'completed') = (completed_at is not null))
    )
  `.execute(db);
  await sql`create index procedures_patient on procedures (organisation_id, patient_id, started_at)`.execute(db);
  await sql`create index procedures_started on procedures (organisation_id, started_at)`.execute(db);

  // The catalogue is reference data about products, shared by all organisations (like GUDID).
  await sql`
    create table products (
      id uuid primary key default gen_random_uuid(),
      di text not null unique check (length(di) between 1 and 40),
      issuing_agency text not null check (issuing_agency in ('GS1', 'HIBCC', 'ICCBBA')),
      brand text check (length(brand) <= 200),
      model text check (length(model) <= 200),
      manufacturer text check (length(manufacturer) <= 200),
      description text check (length(description) <= 2000),
      implantable boolean,
      source text not null check (source in ('api', 'gudid-import')),
      updated_at timestamptz not null default now(),
      updated_by uuid references api_keys (id)
    )
  `.execute(db);

  // One row per physical device used in a procedure: the current state, projected from its scans.
  await sql`
    create table items (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      procedure_id uuid not null references procedures (id),
      patient_id uuid not null references patients (id),
      action text not null check (action in ('implanted', 'explanted', 'wasted', 'returned')),
      status text not null default 'active' check (status in ('active', 'voided')),
      issuing_agency text,
      di text,
      gtin text,
      hibc_lic text,
      hibc_pcn text,
      hibc_check text,
      lot_number text,
      serial_number text,
      expiration_date date,
      manufacturing_date date,
      entry_type text not null check (entry_type in ('barcode', 'manual')),
      scanner_id text,
      awaiting text check (awaiting in ('product-label', 'secondary-label')),
      explant_of_item_id uuid references items (id),
      explanted_by_item_id uuid references items (id),
      first_scanned_at timestamptz not null,
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index items_procedure on items (procedure_id, first_scanned_at)`.execute(db);
  // Recall look-ups by product and batch or serial; the patient for explant matching.
  await sql`create index items_gtin_lot on items (gtin, lot_number) include (organisation_id, status, action) where gtin is not null`.execute(db);
  await sql`create index items_di_serial on items (di, serial_number) where serial_number is not null`.execute(db);
  await sql`create index items_patient on items (organisation_id, patient_id, di)`.execute(db);

  // The ledger: every scan, void and correction, never changed.
  await sql`
    create table scans (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      procedure_id uuid not null references procedures (id),
      item_id uuid references items (id),
      kind text not null check (kind in ('product', 'void')),
      action text check (action in ('implanted', 'explanted', 'wasted', 'returned')),
      entry_type text check (entry_type in ('barcode', 'manual')),
      raw text,
      parsed jsonb,
      issuing_agency text,
      di text,
      lot_number text,
      serial_number text,
      expiration_date date,
      manufacturing_date date,
      voids_scan_id uuid references scans (id),
      reason text check (length(reason) between 1 and 500),
      late_entry boolean not null default false,
      warnings jsonb not null default '[]',
      scanner_id text check (length(scanner_id) <= 100),
      scanned_at timestamptz not null,
      recorded_at timestamptz not null default now(),
      actor_key_id uuid not null references api_keys (id),
      check ((kind = 'void') = (voids_scan_id is not null)),
      check (kind = 'void' or (action is not null and entry_type is not null))
    )
  `.execute(db);
  await sql`create index scans_procedure on scans (procedure_id, recorded_at)`.execute(db);
  await sql`create index scans_item on scans (item_id)`.execute(db);
  await sql`create unique index scans_one_void on scans (voids_scan_id) where voids_scan_id is not null`.execute(db);
  await sql`
    create trigger scans_append_only before update or delete on scans
    for each row execute function forbid_change()
  `.execute(db);
  await sql`
    create trigger scans_no_truncate before truncate on scans
    for each statement execute function forbid_change()
  `.execute(db);

  // Exactly-once scans: the first request with a key claims it; retries get its response.
  await sql`
    create table idempotency_keys (
      organisation_id uuid not null references organisations (id),
      key text not null check (length(key) between 1 and 200),
      request_hash bytea not null,
      status_code int,
      response jsonb,
      created_at timestamptz not null default now(),
      primary key (organisation_id, key)
    )
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['idempotency_keys', 'scans', 'items', 'products', 'procedures', 'staff', 'locations', 'patients']) {
    await sql`drop table ${sql.table(table)}`.execute(db);
  }
}
