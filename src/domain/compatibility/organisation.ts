/**
 * An organisation's own compatibility rules, and the rules in force for it:
 * the national rules it has not waived (a waiver always carries a recorded
 * reason; see src/modules/compatibility), plus its own. Pure: the schema of a
 * rule an organisation may declare, the function that merges, and the reader
 * of the JSON the scan-facts query carries for an organisation.
 *
 * An organisation's rule id is `org.<slug>`: no national rule set is named
 * `org`, so an own rule can never take a national rule's id, shadow it or be
 * mistaken for it in a finding, an override or the safety report.
 */
import { z } from 'zod';
import { ATTRIBUTE_NAMES, BEARINGS, COMPARABLE_ATTRIBUTES, COMPONENTS, jointOf, type Component, type Joint } from './attributes.js';
import type { CompatibilityRule } from './rule.js';

export const ORGANISATION_RULE_PREFIX = 'org.';

/** The id an organisation's rule carries in findings: `org.<slug>`. */
export const organisationRuleId = (slug: string): string => `${ORGANISATION_RULE_PREFIX}${slug}`;

/** The placeholders each kind of rule fills in its message (see check.ts). */
export const MESSAGE_PLACEHOLDERS = {
  'pair-equal': ['candidate', 'other', 'a', 'b'],
  bearing: ['candidate', 'other', 'a', 'b'],
  'same-manufacturer': ['candidate', 'other', 'a', 'b'],
  'at-most': ['candidate'],
} as const;

/** The joints a same-manufacturer rule may name (`other` is a catch-all, not a joint). */
export const RULE_JOINTS = ['hip', 'knee', 'shoulder'] as const satisfies readonly Joint[];

export const OrganisationRuleSlugSchema = z
  .string()
  .min(2)
  .max(60)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case letters and digits in words joined by hyphens, e.g. liner-36-only')
  .describe("The rule's name within the organisation: its id is `org.<slug>`. Never reused, even once the rule is retired.");

const severity = z.enum(['critical', 'warning']).describe('`critical`: the item waits for the theatre\'s decision; `warning`: shown, nothing waits.');
const component = z.enum(COMPONENTS);
const attribute = z.enum(COMPARABLE_ATTRIBUTES);
const bearing = z.enum(BEARINGS);

function message(kind: keyof typeof MESSAGE_PLACEHOLDERS) {
  const allowed: readonly string[] = MESSAGE_PLACEHOLDERS[kind];
  return z
    .string()
    .trim()
    .min(10)
    .max(300)
    .superRefine((text, ctx) => {
      for (const [, name] of text.matchAll(/\{(\w+)\}/g)) {
        if (!allowed.includes(name ?? '')) {
          ctx.addIssue({ code: 'custom', message: `unknown placeholder {${name}}: ${kind === 'at-most' ? 'an' : 'a'} ${kind} rule's message may use ${allowed.map((p) => `{${p}}`).join(' ')}` });
        }
      }
    })
    .describe(`What the theatre reads. Placeholders: ${allowed.map((p) => `{${p}}`).join(' ')}.`);
}

/** Two different components of one joint. */
const pairOfComponents = z
  .tuple([component, component])
  .superRefine(([x, y], ctx) => {
    if (x === y) ctx.addIssue({ code: 'custom', message: 'must be two different components', path: [1] });
    else if (jointOf(x) !== jointOf(y) || jointOf(x) === 'other') ctx.addIssue({ code: 'custom', message: `must be two components of one joint (${x} is ${jointOf(x)}, ${y} is ${jointOf(y)})`, path: [1] });
  });

export const PairEqualDefinitionSchema = z
  .strictObject({
    kind: z.literal('pair-equal'),
    severity,
    components: pairOfComponents.describe('The two components that fit together.'),
    attributes: z
      .tuple([attribute, attribute])
      .describe("The attribute of each that must be equal: the first component's, the second's. A taper against a taper (TAPER_MISMATCH) or a diameter against a diameter (SIZE_MISMATCH)."),
    message: message('pair-equal'),
  })
  .superRefine((d, ctx) => {
    const [a, b] = d.attributes;
    if ((a === 'taper') !== (b === 'taper')) ctx.addIssue({ code: 'custom', message: `a ${ATTRIBUTE_NAMES[a]} is never equal to a ${ATTRIBUTE_NAMES[b]}: compare a taper with a taper, a diameter with a diameter`, path: ['attributes', 1] });
  })
  .describe('Two components that fit together must carry equal values (SIZE_MISMATCH, or TAPER_MISMATCH for tapers).');

export const BearingDefinitionSchema = z
  .strictObject({
    kind: z.literal('bearing'),
    severity,
    components: pairOfComponents.describe('The two components whose bearing surfaces meet (e.g. femoral-head, acetabular-liner).'),
    pairs: z
      .array(z.tuple([bearing, bearing]))
      .min(1)
      .max(25)
      .describe("The bearing pairs not recommended: the first component's material, the second's."),
    message: message('bearing'),
  })
  .describe('Bearing pairs the organisation warns about (BEARING_NOT_RECOMMENDED).');

export const ManufacturerDefinitionSchema = z
  .strictObject({
    kind: z.literal('same-manufacturer'),
    severity,
    joint: z.enum(RULE_JOINTS),
    message: message('same-manufacturer'),
  })
  .describe('The components of one joint come from one manufacturer (MIXED_MANUFACTURER).');

export const AtMostDefinitionSchema = z
  .strictObject({
    kind: z.literal('at-most'),
    severity,
    components: z
      .array(component)
      .min(1)
      .max(20)
      .superRefine((list, ctx) => {
        const seen = new Set<Component>();
        list.forEach((c, i) => {
          if (seen.has(c)) ctx.addIssue({ code: 'custom', message: `${c} is listed twice`, path: [i] });
          seen.add(c);
        });
        const joint = list[0] === undefined ? undefined : jointOf(list[0]);
        list.forEach((c, i) => {
          if (jointOf(c) !== joint) ctx.addIssue({ code: 'custom', message: `must be components of one joint (${c} is ${jointOf(c)}, not ${joint ?? ''})`, path: [i] });
        });
      })
      .describe('Each of these components at most `max` times in one construct (twice as many in a bilateral case).'),
    max: z.int().min(1).max(10),
    message: message('at-most'),
  })
  .describe('At most `max` of each of these components in one construct (DUPLICATE_COMPONENT).');

/**
 * A rule an organisation may declare: the national kinds that take
 * parameters. The side rule takes none, so an own one could only repeat the
 * national `side.laterality`; it is not offered.
 */
export const OrganisationRuleDefinitionSchema = z.discriminatedUnion('kind', [PairEqualDefinitionSchema, BearingDefinitionSchema, ManufacturerDefinitionSchema, AtMostDefinitionSchema]);
export type OrganisationRuleDefinition = z.infer<typeof OrganisationRuleDefinitionSchema>;
export const ORGANISATION_RULE_KINDS = ['pair-equal', 'bearing', 'same-manufacturer', 'at-most'] as const satisfies readonly OrganisationRuleDefinition['kind'][];

/** An organisation's rule as stored: its slug and definition; `enabled: false` (retired) leaves it out. */
export interface OrganisationRule {
  readonly slug: string;
  readonly definition: OrganisationRuleDefinition;
  readonly enabled?: boolean;
}

/** What an organisation has configured: its own rules, and the national rule ids it has waived (each with a reason, kept elsewhere). */
export interface OrganisationConfiguration {
  readonly own: readonly OrganisationRule[];
  readonly waived: ReadonlySet<string>;
}

/** The rule an organisation's definition declares, under its namespaced id. */
export function organisationRule(rule: OrganisationRule): CompatibilityRule {
  const id = organisationRuleId(rule.slug);
  const d = rule.definition;
  switch (d.kind) {
    case 'pair-equal':
      return { id, kind: d.kind, code: d.attributes[0] === 'taper' ? 'TAPER_MISMATCH' : 'SIZE_MISMATCH', severity: d.severity, components: d.components, attributes: d.attributes, message: d.message };
    case 'bearing':
      return { id, kind: d.kind, code: 'BEARING_NOT_RECOMMENDED', severity: d.severity, components: d.components, pairs: d.pairs, message: d.message };
    case 'same-manufacturer':
      return { id, kind: d.kind, code: 'MIXED_MANUFACTURER', severity: d.severity, joint: d.joint, message: d.message };
    case 'at-most':
      return { id, kind: d.kind, code: 'DUPLICATE_COMPONENT', severity: d.severity, components: d.components, max: d.max, message: d.message };
  }
}

/**
 * The rules in force for an organisation: the national rules it has not
 * waived, in their order, then its own enabled rules, in the order given.
 * Nothing configured: the national rules, unchanged. An own rule never
 * replaces a national one (its id is `org.<slug>`); a waived id that is not a
 * national rule's changes nothing.
 */
export function effectiveRules(national: readonly CompatibilityRule[], configuration: OrganisationConfiguration): CompatibilityRule[] {
  const nationalIds = new Set(national.map((r) => r.id));
  const rules = national.filter((r) => !configuration.waived.has(r.id));
  const seen = new Set<string>();
  for (const own of configuration.own) {
    if (own.enabled === false) continue;
    const rule = organisationRule(own);
    // Defence in depth: the prefix makes both impossible (no national set is named `org`, slugs are unique per organisation).
    if (nationalIds.has(rule.id) || seen.has(rule.id)) continue;
    seen.add(rule.id);
    rules.push(rule);
  }
  return rules;
}

/** An organisation's configuration as the scan path reads it, and the own rules whose stored definition no longer reads. */
export interface ParsedOrganisationConfiguration extends OrganisationConfiguration {
  /** Ids (`org.<slug>`) of own rules that could not be read: the scan should say they were not checked, never pass silently. */
  readonly unreadable: readonly string[];
}

const NONE: ParsedOrganisationConfiguration = { own: [], waived: new Set(), unreadable: [] };

/**
 * Reads the JSON of `organisationRulesColumn` (src/modules/compatibility):
 * `{"own":[{"slug":…,"definition":{…}}],"waived":["hip.bearing"]}`, or null
 * when the organisation has configured nothing. Never throws: a definition
 * that no longer validates is listed in `unreadable`, not dropped silently.
 */
export function parseOrganisationConfiguration(json: unknown): ParsedOrganisationConfiguration {
  let value = json;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return NONE;
    }
  }
  if (value === null || typeof value !== 'object') return NONE;
  const { own, waived } = value as { own?: unknown; waived?: unknown };
  const rules: OrganisationRule[] = [];
  const unreadable: string[] = [];
  for (const entry of Array.isArray(own) ? (own as unknown[]) : []) {
    const { slug, definition } = (entry ?? {}) as { slug?: unknown; definition?: unknown };
    const parsedSlug = OrganisationRuleSlugSchema.safeParse(slug);
    if (!parsedSlug.success) {
      unreadable.push(organisationRuleId(typeof slug === 'string' ? slug : '?'));
      continue;
    }
    const parsed = OrganisationRuleDefinitionSchema.safeParse(definition);
    if (parsed.success) rules.push({ slug: parsedSlug.data, definition: parsed.data });
    else unreadable.push(organisationRuleId(parsedSlug.data));
  }
  const waivedIds = Array.isArray(waived) ? (waived as unknown[]).filter((id): id is string => typeof id === 'string') : [];
  return { own: rules, waived: new Set(waivedIds), unreadable };
}
