import { sql, type Kysely } from 'kysely';

/**
 * An organisation's say over the compatibility checks (issue 16): its own
 * rules, declared through the API (a JSON definition of one of the national
 * kinds, validated by the service; id `org.<slug>` in findings), retired but
 * never deleted nor changed, so that a finding names a rule that can still be
 * read; and its waivers of national rules, each with the reason a person gave,
 * kept as a history: a waiver is lifted, never overwritten, and at most one is
 * in force per organisation and rule. Frozen in time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table organisation_compatibility_rules (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      slug text not null check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) between 2 and 60),
      definition jsonb not null
        check (jsonb_typeof(definition) = 'object' and definition ->> 'kind' in ('pair-equal', 'bearing', 'same-manufacturer', 'at-most')),
      created_at timestamptz not null default now(),
      created_by uuid not null references api_keys (id),
      updated_at timestamptz not null default now(),
      retired_at timestamptz,
      retired_by uuid references api_keys (id),
      retire_reason text check (retire_reason is null or length(retire_reason) between 1 and 500),
      check ((retired_at is null) = (retired_by is null) and (retired_at is null) = (retire_reason is null)),
      -- A slug is never reused, even once its rule is retired: a finding's rule id names one definition for ever.
      unique (organisation_id, slug)
    )
  `.execute(db);
  await sql`create index organisation_compatibility_rules_in_force on organisation_compatibility_rules (organisation_id, created_at) where retired_at is null`.execute(db);
  // What a rule says never changes; the one change there is, is its retirement (once).
  await sql`
    create function organisation_compatibility_rules_retire_only() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'UPDATE' or old.retired_at is not null or new.retired_at is null
         or (new.id, new.organisation_id, new.slug, new.definition, new.created_at, new.created_by)
            is distinct from (old.id, old.organisation_id, old.slug, old.definition, old.created_at, old.created_by) then
        raise exception 'an organisation''s compatibility rule is only ever retired, once' using errcode = 'P0001';
      end if;
      return new;
    end $$
  `.execute(db);
  await sql`
    create trigger organisation_compatibility_rules_retire_only before update or delete on organisation_compatibility_rules
    for each row execute function organisation_compatibility_rules_retire_only()
  `.execute(db);
  await sql`create trigger organisation_compatibility_rules_no_truncate before truncate on organisation_compatibility_rules for each statement execute function forbid_change()`.execute(db);

  await sql`
    create table compatibility_rule_waivers (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      rule_id text not null check (length(rule_id) between 1 and 100),
      reason text not null check (length(reason) between 1 and 500),
      waived_at timestamptz not null default now(),
      waived_by uuid not null references api_keys (id),
      lifted_at timestamptz,
      lifted_by uuid references api_keys (id),
      check ((lifted_at is null) = (lifted_by is null)),
      check (lifted_at is null or lifted_at >= waived_at)
    )
  `.execute(db);
  // At most one waiver in force per organisation and rule; also what the scan path reads.
  await sql`create unique index compatibility_rule_waivers_in_force on compatibility_rule_waivers (organisation_id, rule_id) where lifted_at is null`.execute(db);
  await sql`create index compatibility_rule_waivers_history on compatibility_rule_waivers (organisation_id, rule_id, waived_at)`.execute(db);
  // A waiver is lifted once, never changed otherwise nor deleted: the history of who switched a national rule off, and why.
  await sql`
    create function compatibility_rule_waivers_lift_only() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'UPDATE' or old.lifted_at is not null or new.lifted_at is null
         or (new.id, new.organisation_id, new.rule_id, new.reason, new.waived_at, new.waived_by)
            is distinct from (old.id, old.organisation_id, old.rule_id, old.reason, old.waived_at, old.waived_by) then
        raise exception 'a compatibility rule waiver is only ever lifted, once' using errcode = 'P0001';
      end if;
      return new;
    end $$
  `.execute(db);
  await sql`
    create trigger compatibility_rule_waivers_lift_only before update or delete on compatibility_rule_waivers
    for each row execute function compatibility_rule_waivers_lift_only()
  `.execute(db);
  await sql`create trigger compatibility_rule_waivers_no_truncate before truncate on compatibility_rule_waivers for each statement execute function forbid_change()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table compatibility_rule_waivers`.execute(db);
  await sql`drop function compatibility_rule_waivers_lift_only()`.execute(db);
  await sql`drop table organisation_compatibility_rules`.execute(db);
  await sql`drop function organisation_compatibility_rules_retire_only()`.execute(db);
}
