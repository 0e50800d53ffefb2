/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/integration/sql-snapshots.test.ts > TAP > SQL snapshots > feed: a page of procedures and their items > items 1`] = `
select "i"."id", "i"."procedure_id", "i"."action", "i"."status", "i"."issuing_agency", "i"."di", "i"."gtin", "i"."hibc_lic", "i"."hibc_pcn", "i"."lot_number", "i"."serial_number", "i"."expiration_date", "i"."manufacturing_date", "i"."entry_type", "i"."awaiting", "i"."decision_status", "i"."first_scanned_at", "i"."procedure_started_at", pr.di is not null or po.di is not null as "product_known", coalesce("po"."brand", "pr"."brand") as "brand", coalesce("po"."model", "pr"."model") as "model", coalesce("po"."manufacturer", "pr"."manufacturer") as "manufacturer", "implant"."id" as "implant_id", "implant"."procedure_id" as "implant_procedure_id", "implant"."procedure_started_at" as "implant_started_at", "explant"."id" as "explant_id", "explant"."procedure_id" as "explant_procedure_id", "explant"."procedure_started_at" as "explant_started_at" from "items" as "i" left join "products" as "pr" on "pr"."di" = "i"."di" left join "product_overrides" as "po" on "po"."organisation_id" = "i"."organisation_id" and "po"."di" = "i"."di" left join "items" as "implant" on "implant"."id" = "i"."explant_of_item_id" left join "items" as "explant" on "explant"."id" = "i"."explanted_by_item_id" where i.procedure_id = any($1::uuid[]) order by "i"."procedure_id", "i"."first_scanned_at", "i"."id";
`

exports[`test/integration/sql-snapshots.test.ts > TAP > SQL snapshots > feed: a page of procedures and their items > procedures 1`] = `
select "p"."id", "p"."organisation_id", "o"."ods_code", "p"."patient_id", "pt"."nhs_number", "pt"."date_of_birth", "p"."status", "p"."procedure_code", "p"."side", "p"."started_at", "p"."completed_at", "l"."id" as "location_id", "l"."gln", "l"."gln_extension", "l"."name" as "location_name", "s"."id" as "staff_id", "s"."gsrn" as "staff_gsrn", "s"."local_id" as "staff_local_id", "s"."name" as "staff_name" from "procedures" as "p" inner join "organisations" as "o" on "o"."id" = "p"."organisation_id" inner join "patients" as "pt" on "pt"."id" = "p"."patient_id" left join "locations" as "l" on "l"."id" = "p"."location_id" left join "staff" as "s" on "s"."id" = "p"."lead_clinician_id" where p.id = any($1::uuid[]);
`

exports[`test/integration/sql-snapshots.test.ts > TAP > SQL snapshots > feed: the next changed procedures, national and for one organisation > national, from the start 1`] = `
select id, change_xid::text as xid_text, change_seq::text as seq_text from procedures where (change_xid, change_seq) > ($1::xid8, $2::bigint) and change_xid < pg_snapshot_xmin(pg_current_snapshot()) order by change_xid, change_seq limit $3;
`

exports[`test/integration/sql-snapshots.test.ts > TAP > SQL snapshots > feed: the next changed procedures, national and for one organisation > one organisation, after a position 1`] = `
select id, change_xid::text as xid_text, change_seq::text as seq_text from procedures where (change_xid, change_seq) > ($1::xid8, $2::bigint) and change_xid < pg_snapshot_xmin(pg_current_snapshot()) and organisation_id = $3 order by change_xid, change_seq limit $4;
`
