import { sql, type Kysely } from 'kysely';

/**
 * The lots and serials a recall scope lists become rows, one per value, instead
 * of arrays on the scope: a Field Safety Notice for cardiac devices lists tens
 * of thousands of serials, and the check at every scan must stay an index
 * lookup whatever the size of the recalls in force. Frozen in time.
 *
 * - The primary key (scope, kind, value) pages a scope's list in byte order and
 *   lets recall lists join (or hash) the rows instead of carrying the list in the query.
 * - (kind, value): which scopes list this serial, or this lot (also for a lot
 *   label scanned without its product label): one probe at scan time, however
 *   many scopes of the product the recalls in force have.
 * - A typed lot as people confuse it (upper case; O I L S B Z as 0 1 1 5 8 2,
 *   as the items index of migration 2026_12_07_0800): the expression must stay
 *   identical to `confusableLot` applied to `value collate "default"`.
 * Values compare byte for byte (collation "C"), as lots already do in recall matching.
 * Each scope keeps how many distinct values each of its lists holds, so that a recall
 * can be summarised without counting its rows; and the recall list is paged newest first.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table recall_scope_members (
      scope_id uuid not null references recall_scopes (id),
      kind text not null check (kind in ('lot', 'serial')),
      value text collate "C" not null check (value <> ''),
      primary key (scope_id, kind, value)
    )
  `.execute(db);
  await sql`alter table recall_scopes add column lot_count integer not null default 0 check (lot_count >= 0),
                                      add column serial_count integer not null default 0 check (serial_count >= 0)`.execute(db);

  // Backfill from the arrays (a value listed twice is one row).
  await sql`
    insert into recall_scope_members (scope_id, kind, value)
    select distinct s.id, 'lot', l.value from recall_scopes s cross join lateral unnest(s.lots) as l(value) where l.value <> ''
    union
    select distinct s.id, 'serial', v.value from recall_scopes s cross join lateral unnest(s.serials) as v(value) where v.value <> ''
  `.execute(db);
  await sql`
    update recall_scopes s set
      lot_count = (select count(*) from recall_scope_members m where m.scope_id = s.id and m.kind = 'lot'),
      serial_count = (select count(*) from recall_scope_members m where m.scope_id = s.id and m.kind = 'serial')
  `.execute(db);
  await sql`alter table recall_scopes drop column lots, drop column serials`.execute(db);

  await sql`create index recall_scope_members_value on recall_scope_members (kind, value)`.execute(db);
  await sql`
    create index recall_scope_members_lot_confusable on recall_scope_members ((translate(upper(value collate "default"), 'OILSBZ', '011582')))
    where kind = 'lot'
  `.execute(db);
  await sql`create index recalls_newest on recalls (created_at desc, id desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index recalls_newest`.execute(db);
  await sql`alter table recall_scopes add column lots text[], add column serials text[]`.execute(db);
  await sql`
    update recall_scopes s set
      lots = (select array_agg(m.value collate "default" order by m.value) from recall_scope_members m where m.scope_id = s.id and m.kind = 'lot'),
      serials = (select array_agg(m.value collate "default" order by m.value) from recall_scope_members m where m.scope_id = s.id and m.kind = 'serial')
  `.execute(db);
  await sql`alter table recall_scopes drop column lot_count, drop column serial_count`.execute(db);
  await sql`drop table recall_scope_members`.execute(db);
}
