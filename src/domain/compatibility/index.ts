/**
 * Compatibility checks before an implant is opened: the declared rules (one
 * versioned file per joint under rules/) and the pure function that applies
 * them to a candidate against the procedure and what is already implanted.
 */
import { HIP_RULES } from './rules/hip.js';
import { KNEE_RULES } from './rules/knee.js';
import { SHOULDER_RULES } from './rules/shoulder.js';
import { SIDE_RULES } from './rules/side.js';
import type { CompatibilityRule, RuleSet } from './rule.js';
import { effectiveRules, parseOrganisationConfiguration } from './organisation.js';

export * from './attributes.js';
export * from './rule.js';
export * from './check.js';
export * from './gudid.js';
export * from './organisation.js';

/** The national rule sets, as released with the service. */
export const NATIONAL_RULE_SETS: readonly RuleSet[] = [SIDE_RULES, HIP_RULES, KNEE_RULES, SHOULDER_RULES];
export const NATIONAL_RULES: readonly CompatibilityRule[] = NATIONAL_RULE_SETS.flatMap((s) => s.rules);

/**
 * The rules in force for an organisation, from the JSON its scan-facts row
 * carries (`organisationRulesColumn`, src/modules/compatibility): the national
 * rules it has not waived, then its own. `unreadable`: own rules whose stored
 * definition no longer reads, to report as not checked.
 */
export function rulesForOrganisation(json: unknown): { rules: CompatibilityRule[]; unreadable: readonly string[] } {
  const configuration = parseOrganisationConfiguration(json);
  return { rules: effectiveRules(NATIONAL_RULES, configuration), unreadable: configuration.unreadable };
}
