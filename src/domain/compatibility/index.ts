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

export * from './attributes.js';
export * from './rule.js';
export * from './check.js';
export * from './gudid.js';

/** The national rule sets, as released with the service. */
export const NATIONAL_RULE_SETS: readonly RuleSet[] = [SIDE_RULES, HIP_RULES, KNEE_RULES, SHOULDER_RULES];
export const NATIONAL_RULES: readonly CompatibilityRule[] = NATIONAL_RULE_SETS.flatMap((s) => s.rules);
