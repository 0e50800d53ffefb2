import { sql, type Expression, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { CompatibilityRuleWaiversTable, Database, OrganisationCompatibilityRulesTable } from '../../db/database.js';
import { organisationRuleId, type OrganisationRuleDefinition } from '../../domain/compatibility/organisation.js';

/** An organisation's own rule, in force or retired. */
export interface OwnRule {
  readonly id: string;
  readonly organisationId: string;
  readonly slug: string;
  /** The id findings carry: `org.<slug>`. */
  readonly ruleId: string;
  readonly definition: OrganisationRuleDefinition;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly retiredAt: Date | null;
  readonly retiredBy: string | null;
  readonly retireReason: string | null;
}

/** A waiver of a national rule by an organisation; in force while `liftedAt` is null. */
export interface Waiver {
  readonly id: string;
  readonly organisationId: string;
  readonly ruleId: string;
  readonly reason: string;
  readonly waivedAt: Date;
  readonly waivedBy: string;
  readonly liftedAt: Date | null;
  readonly liftedBy: string | null;
}

const toOwnRule = (r: Selectable<OrganisationCompatibilityRulesTable>): OwnRule => ({
  id: r.id,
  organisationId: r.organisation_id,
  slug: r.slug,
  ruleId: organisationRuleId(r.slug),
  definition: r.definition,
  createdAt: r.created_at,
  createdBy: r.created_by,
  retiredAt: r.retired_at,
  retiredBy: r.retired_by,
  retireReason: r.retire_reason,
});

const toWaiver = (r: Selectable<CompatibilityRuleWaiversTable>): Waiver => ({
  id: r.id,
  organisationId: r.organisation_id,
  ruleId: r.rule_id,
  reason: r.reason,
  waivedAt: r.waived_at,
  waivedBy: r.waived_by,
  liftedAt: r.lifted_at,
  liftedBy: r.lifted_by,
});

/** The organisation's own rules, in force and retired, in the order they were declared. */
export async function listOwnRules(db: Kysely<Database>, organisationId: string): Promise<OwnRule[]> {
  const rows = await db.selectFrom('organisation_compatibility_rules').selectAll().where('organisation_id', '=', organisationId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toOwnRule);
}

export async function findOwnRule(db: Kysely<Database>, organisationId: string, slug: string): Promise<OwnRule | undefined> {
  const row = await db.selectFrom('organisation_compatibility_rules').selectAll().where('organisation_id', '=', organisationId).where('slug', '=', slug).executeTakeFirst();
  return row && toOwnRule(row);
}

/** Inserts a rule; a slug the organisation has used before is a unique violation for the caller to answer. */
export async function insertOwnRule(db: Kysely<Database>, rule: { organisationId: string; slug: string; definition: OrganisationRuleDefinition; by: string }): Promise<OwnRule> {
  const row = await db
    .insertInto('organisation_compatibility_rules')
    .values({ organisation_id: rule.organisationId, slug: rule.slug, definition: JSON.stringify(rule.definition), created_by: rule.by })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toOwnRule(row);
}

/** Retires a rule in force; undefined when there is none in force with this slug (absent, or retired already). */
export async function retireOwnRule(db: Kysely<Database>, organisationId: string, slug: string, by: string, reason: string): Promise<OwnRule | undefined> {
  const row = await db
    .updateTable('organisation_compatibility_rules')
    .set({ retired_at: sql<Date>`now()`, retired_by: by, retire_reason: reason, updated_at: sql<Date>`now()` })
    .where('organisation_id', '=', organisationId)
    .where('slug', '=', slug)
    .where('retired_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row && toOwnRule(row);
}

/** Every waiver the organisation has recorded, newest first: in force and lifted. */
export async function listWaivers(db: Kysely<Database>, organisationId: string, ruleId?: string): Promise<Waiver[]> {
  let query = db.selectFrom('compatibility_rule_waivers').selectAll().where('organisation_id', '=', organisationId);
  if (ruleId !== undefined) query = query.where('rule_id', '=', ruleId);
  const rows = await query.orderBy('waived_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(toWaiver);
}

/** Records a waiver; one already in force for the rule is a unique violation (`compatibility_rule_waivers_in_force`). */
export async function insertWaiver(db: Kysely<Database>, waiver: { organisationId: string; ruleId: string; reason: string; by: string }): Promise<Waiver> {
  const row = await db
    .insertInto('compatibility_rule_waivers')
    .values({ organisation_id: waiver.organisationId, rule_id: waiver.ruleId, reason: waiver.reason, waived_by: waiver.by })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toWaiver(row);
}

/** Lifts the waiver in force; undefined when there is none. */
export async function liftWaiver(db: Kysely<Database>, organisationId: string, ruleId: string, by: string): Promise<Waiver | undefined> {
  const row = await db
    .updateTable('compatibility_rule_waivers')
    .set({ lifted_at: sql<Date>`greatest(now(), waived_at)`, lifted_by: by })
    .where('organisation_id', '=', organisationId)
    .where('rule_id', '=', ruleId)
    .where('lifted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row && toWaiver(row);
}

/**
 * The seam for the scan path: an organisation's compatibility configuration
 * as JSON, in ONE scalar subquery, to add as a column to a set-based query
 * (the scan facts). `organisationId` is an expression of that query, e.g.
 * sql.ref('q.organisation_id'). The value is
 * `{"own":[{"slug":…,"definition":{…}},…],"waived":["hip.bearing",…]}` with the
 * rules in force in the order they were declared and the national rule ids
 * waived, or null when the organisation has neither. Read it with
 * `rulesForOrganisation` (src/domain/compatibility/index.ts). Both lookups are
 * by index (`organisation_compatibility_rules_in_force`,
 * `compatibility_rule_waivers_in_force`).
 */
export function organisationRulesColumn(organisationId: Expression<unknown>): RawBuilder<OrganisationRulesJson | null> {
  return sql<OrganisationRulesJson | null>`(
    select case when c.own is null and c.waived is null then null
                else json_build_object('own', coalesce(c.own, '[]'::json), 'waived', coalesce(c.waived, '[]'::json)) end
    from (select
      (select json_agg(json_build_object('slug', r.slug, 'definition', r.definition) order by r.created_at, r.id)
         from organisation_compatibility_rules r
        where r.organisation_id = ${organisationId} and r.retired_at is null) as own,
      (select json_agg(w.rule_id order by w.rule_id)
         from compatibility_rule_waivers w
        where w.organisation_id = ${organisationId} and w.lifted_at is null) as waived) c
  )`;
}

/** The JSON of `organisationRulesColumn`, as pg hands it back. */
export interface OrganisationRulesJson {
  readonly own: ReadonlyArray<{ readonly slug: string; readonly definition: unknown }>;
  readonly waived: readonly string[];
}

/** One organisation's configuration through the same fragment the scan path uses (null: none). */
export async function organisationRules(db: Kysely<Database>, organisationId: string): Promise<OrganisationRulesJson | null> {
  const { rows } = await sql<{ rules: OrganisationRulesJson | null }>`select ${organisationRulesColumn(sql.val(organisationId))} as rules`.execute(db);
  return rows[0]?.rules ?? null;
}
