import { z } from 'zod';
import {
  AtMostDefinitionSchema,
  BEARINGS,
  BearingDefinitionSchema,
  COMPARABLE_ATTRIBUTES,
  COMPATIBILITY_CODES,
  COMPONENTS,
  JOINT_COMPONENTS,
  ManufacturerDefinitionSchema,
  OrganisationRuleSlugSchema,
  PairEqualDefinitionSchema,
} from '../../domain/compatibility/index.js';
import { ReasonSchema } from '../../shared/schemas.js';

const slug = { slug: OrganisationRuleSlugSchema };

/** An organisation's own rule as it declares it: a slug, and a definition of one of the national kinds that take parameters. */
export const DeclareRuleBody = z
  .discriminatedUnion('kind', [
    PairEqualDefinitionSchema.safeExtend(slug).meta({ id: 'DeclarePairEqualRule' }),
    BearingDefinitionSchema.safeExtend(slug).meta({ id: 'DeclareBearingRule' }),
    ManufacturerDefinitionSchema.safeExtend(slug).meta({ id: 'DeclareManufacturerRule' }),
    AtMostDefinitionSchema.safeExtend(slug).meta({ id: 'DeclareAtMostRule' }),
  ])
  .meta({ id: 'DeclareCompatibilityRuleBody' });

export const RuleIdParams = z.object({
  ruleId: z
    .string()
    .max(100)
    .regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/, 'must be a rule id, e.g. hip.bearing or org.liner-36-only')
    .describe("A national rule's id (`hip.head-liner-diameter`), or an organisation's own (`org.<slug>`)."),
});

export const RetireRuleBody = z.strictObject({ reason: ReasonSchema }).meta({ id: 'RetireCompatibilityRuleBody' });
export const WaiveRuleBody = z
  .strictObject({ reason: ReasonSchema.describe('Why the organisation switches this national rule off, in words: kept with the waiver for ever.') })
  .meta({ id: 'WaiveCompatibilityRuleBody' });

export const WaiverSchema = z
  .object({
    id: z.uuid(),
    ruleId: z.string(),
    reason: z.string(),
    waivedAt: z.iso.datetime(),
    waivedBy: z.uuid().describe('The API key that waived it.'),
    liftedAt: z.iso.datetime().nullable().describe('When the rule was switched back on; null while the waiver is in force.'),
    liftedBy: z.uuid().nullable(),
  })
  .meta({ id: 'CompatibilityRuleWaiver' });

export const CompatibilityRuleSchema = z
  .object({
    id: z.string().describe('Stable: findings, overrides and the safety report name it. `org.<slug>` for an organisation\'s own.'),
    source: z.enum(['national', 'organisation']),
    ruleSet: z.object({ name: z.string(), version: z.string() }).nullable().describe('The national rule set and its version; null for an organisation\'s own.'),
    kind: z.enum(['side', 'pair-equal', 'bearing', 'same-manufacturer', 'at-most']),
    code: z.enum(COMPATIBILITY_CODES).describe('The finding it raises.'),
    severity: z.enum(['critical', 'warning']),
    message: z.string().describe('What the theatre reads, before its placeholders are filled.'),
    components: z.array(z.enum(COMPONENTS)).optional().describe('pair-equal, bearing: the two components that meet; at-most: the components counted.'),
    attributes: z.array(z.enum(COMPARABLE_ATTRIBUTES)).optional().describe('pair-equal: the attribute of each component that must be equal.'),
    pairs: z.array(z.array(z.enum(BEARINGS))).optional().describe('bearing: the material pairs not recommended.'),
    joint: z.enum(Object.keys(JOINT_COMPONENTS) as [keyof typeof JOINT_COMPONENTS]).optional().describe('same-manufacturer: the joint whose components come from one maker.'),
    max: z.number().int().optional().describe('at-most: how many of each component one construct takes.'),
    state: z.enum(['active', 'waived', 'retired']).describe('For the caller\'s organisation: checked (`active`), a national rule switched off (`waived`), an own rule `retired`.'),
    waiver: WaiverSchema.nullable().describe('The waiver in force, for a waived national rule.'),
    created: z.object({ at: z.iso.datetime(), by: z.uuid() }).nullable().describe('An own rule: when and by which key it was declared.'),
    retired: z.object({ at: z.iso.datetime(), by: z.uuid(), reason: z.string() }).nullable().describe('An own rule: when, by which key and why it was retired.'),
  })
  .meta({ id: 'CompatibilityRule' });

export const CompatibilityRuleDetailSchema = CompatibilityRuleSchema.extend({
  waivers: z.array(WaiverSchema).describe("A national rule: every waiver of it the caller's organisation recorded, newest first (in force and lifted)."),
}).meta({ id: 'CompatibilityRuleDetail' });

export const CompatibilityRulesSchema = z
  .object({
    ruleSets: z.array(z.object({ name: z.string(), version: z.string(), rules: z.array(CompatibilityRuleSchema) })).describe('The national rule sets, each rule with its state for the caller\'s organisation.'),
    own: z.array(CompatibilityRuleSchema).describe("The organisation's own rules, in force and retired, in the order declared (checked after the national ones)."),
    waivers: z.array(WaiverSchema).describe('Every waiver the organisation recorded, newest first: the history of national rules switched off and on.'),
  })
  .meta({ id: 'CompatibilityRules' });
