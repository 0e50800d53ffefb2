import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { NATIONAL_RULE_SETS, ORGANISATION_RULE_PREFIX, type CompatibilityRule, type OrganisationRuleDefinition, type RuleSet } from '../../domain/compatibility/index.js';
import { requireOrganisation, type RequestContext } from '../../shared/actor.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit } from '../audit/audit.service.js';
import { findOwnRule, insertOwnRule, insertWaiver, liftWaiver, listOwnRules, listWaivers, retireOwnRule, type OwnRule, type Waiver } from './compatibility.repository.js';

/** A national rule, with the set it belongs to. */
export interface NationalRule {
  readonly set: RuleSet;
  readonly rule: CompatibilityRule;
}

const NATIONAL_BY_ID: ReadonlyMap<string, NationalRule> = new Map(NATIONAL_RULE_SETS.flatMap((set) => set.rules.map((rule) => [rule.id, { set, rule }] as const)));

export const nationalRule = (id: string): NationalRule | undefined => NATIONAL_BY_ID.get(id);

/** What an organisation sees of the compatibility rules: the national sets, and its own rules and waivers (none for a national key). */
export interface RulesOverview {
  readonly organisationId: string | null;
  readonly ruleSets: readonly RuleSet[];
  readonly own: readonly OwnRule[];
  /** Every waiver the organisation recorded, newest first (in force: `liftedAt` null). */
  readonly waivers: readonly Waiver[];
}

/** One rule as an organisation sees it. */
export type RuleDetail =
  | { readonly source: 'national'; readonly national: NationalRule; readonly waivers: readonly Waiver[] }
  | { readonly source: 'organisation'; readonly own: OwnRule };

const unknownRule = (id: string, what = 'no national rule and none of the organisation\'s own') =>
  new ProblemError('COMPATIBILITY_RULE_UNKNOWN', `No compatibility rule ${id}: ${what} has this id.`, { ruleId: id });

const slugOf = (ruleId: string) => (ruleId.startsWith(ORGANISATION_RULE_PREFIX) ? ruleId.slice(ORGANISATION_RULE_PREFIX.length) : undefined);

export async function getRulesOverview(db: Kysely<Database>, ctx: RequestContext): Promise<RulesOverview> {
  const organisationId = ctx.actor.organisationId;
  if (organisationId === null) {
    await recordAudit(db, ctx, { action: 'compatibility-rules.read', detail: { national: true } });
    return { organisationId, ruleSets: NATIONAL_RULE_SETS, own: [], waivers: [] };
  }
  const [own, waivers] = await Promise.all([listOwnRules(db, organisationId), listWaivers(db, organisationId)]);
  await recordAudit(db, ctx, { action: 'compatibility-rules.read', organisationId, detail: { own: own.length, waivers: waivers.length } });
  return { organisationId, ruleSets: NATIONAL_RULE_SETS, own, waivers };
}

export async function getRule(db: Kysely<Database>, ctx: RequestContext, ruleId: string): Promise<RuleDetail> {
  const organisationId = ctx.actor.organisationId;
  const national = nationalRule(ruleId);
  let detail: RuleDetail;
  if (national) {
    detail = { source: 'national', national, waivers: organisationId === null ? [] : await listWaivers(db, organisationId, ruleId) };
  } else {
    const slug = slugOf(ruleId);
    const own = slug === undefined || organisationId === null ? undefined : await findOwnRule(db, organisationId, slug);
    if (!own) throw unknownRule(ruleId);
    detail = { source: 'organisation', own };
  }
  await recordAudit(db, ctx, { action: 'compatibility-rule.read', organisationId, detail: { ruleId } });
  return detail;
}

export async function declareRule(db: Kysely<Database>, ctx: RequestContext, input: { slug: string; definition: OrganisationRuleDefinition }): Promise<OwnRule> {
  const organisationId = requireOrganisation(ctx);
  try {
    return await db.transaction().execute(async (trx) => {
      const rule = await insertOwnRule(trx, { organisationId, slug: input.slug, definition: input.definition, by: ctx.actor.keyId });
      await recordAudit(trx, ctx, { action: 'compatibility-rule.create', organisationId, detail: { ruleId: rule.ruleId, kind: input.definition.kind, severity: input.definition.severity } });
      return rule;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ProblemError('COMPATIBILITY_RULE_EXISTS', `The organisation has declared a rule ${ORGANISATION_RULE_PREFIX}${input.slug} already (slugs are never reused, retired or not).`, { ruleId: `${ORGANISATION_RULE_PREFIX}${input.slug}` });
    }
    throw error;
  }
}

export async function retireRule(db: Kysely<Database>, ctx: RequestContext, ruleId: string, reason: string): Promise<OwnRule> {
  const organisationId = requireOrganisation(ctx);
  const slug = slugOf(ruleId);
  if (slug === undefined) {
    throw unknownRule(ruleId, nationalRule(ruleId) ? "a national rule is waived (POST …/waiver), not retired: none of the organisation's own rules" : "none of the organisation's own rules");
  }
  return db.transaction().execute(async (trx) => {
    const retired = await retireOwnRule(trx, organisationId, slug, ctx.actor.keyId, reason);
    if (!retired) {
      const existing = await findOwnRule(trx, organisationId, slug);
      if (!existing) throw unknownRule(ruleId, "none of the organisation's own rules");
      throw new ProblemError('COMPATIBILITY_RULE_RETIRED', `Rule ${ruleId} was retired on ${existing.retiredAt?.toISOString() ?? '?'}.`, { ruleId });
    }
    await recordAudit(trx, ctx, { action: 'compatibility-rule.retire', organisationId, detail: { ruleId } });
    return retired;
  });
}

/** Switches a national rule off for the caller's organisation, with the reason a person gave. */
export async function waiveRule(db: Kysely<Database>, ctx: RequestContext, ruleId: string, reason: string): Promise<NationalRule & { waivers: Waiver[] }> {
  const organisationId = requireOrganisation(ctx);
  const national = nationalRule(ruleId);
  if (!national) {
    throw unknownRule(ruleId, slugOf(ruleId) === undefined ? 'no national rule' : "no national rule (an organisation's own rule is retired, not waived)");
  }
  try {
    return await db.transaction().execute(async (trx) => {
      const waiver = await insertWaiver(trx, { organisationId, ruleId, reason, by: ctx.actor.keyId });
      await recordAudit(trx, ctx, { action: 'compatibility-rule.waive', organisationId, detail: { ruleId, waiverId: waiver.id, severity: national.rule.severity } });
      return { ...national, waivers: await listWaivers(trx, organisationId, ruleId) };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'compatibility_rule_waivers_in_force')) {
      throw new ProblemError('COMPATIBILITY_RULE_WAIVED', `National rule ${ruleId} is waived for the organisation already: lift that waiver first.`, { ruleId });
    }
    throw error;
  }
}

/** Switches a waived national rule back on for the caller's organisation; the waiver stays in the history. */
export async function liftRuleWaiver(db: Kysely<Database>, ctx: RequestContext, ruleId: string): Promise<NationalRule & { waivers: Waiver[] }> {
  const organisationId = requireOrganisation(ctx);
  const national = nationalRule(ruleId);
  if (!national) throw unknownRule(ruleId, 'no national rule');
  return db.transaction().execute(async (trx) => {
    const lifted = await liftWaiver(trx, organisationId, ruleId, ctx.actor.keyId);
    if (!lifted) throw new ProblemError('COMPATIBILITY_RULE_NOT_WAIVED', `National rule ${ruleId} is not waived for the organisation: it is checked.`, { ruleId });
    await recordAudit(trx, ctx, { action: 'compatibility-rule.lift-waiver', organisationId, detail: { ruleId, waiverId: lifted.id } });
    return { ...national, waivers: await listWaivers(trx, organisationId, ruleId) };
  });
}
