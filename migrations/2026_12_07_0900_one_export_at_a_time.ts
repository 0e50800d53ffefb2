import { sql, type Kysely } from 'kysely';

/**
 * One bulk export at a time per registry and tenancy (an organisation, or
 * national: null), kept by the database: two simultaneous kick-offs cannot
 * both pass a check and both insert. Exports that already break the rule (all
 * but the newest active one) are marked failed first. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    update bulk_exports set status = 'failed', error = 'Another export for this registry was running at the same time. Start a new export.'
    where status in ('accepted', 'running')
      and id not in (
        select distinct on (registry_code, organisation_id) id from bulk_exports
        where status in ('accepted', 'running')
        order by registry_code, organisation_id, created_at desc, id desc)
  `.execute(db);
  await sql`
    create unique index bulk_exports_one_active on bulk_exports (registry_code, coalesce(organisation_id, '00000000-0000-0000-0000-000000000000'::uuid))
    where status in ('accepted', 'running')
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index bulk_exports_one_active`.execute(db);
}
