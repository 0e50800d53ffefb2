import type { Bearing, ComparableAttribute, Component, Joint } from './attributes.js';

export const COMPATIBILITY_CODES = ['SIDE_MISMATCH', 'SIZE_MISMATCH', 'TAPER_MISMATCH', 'BEARING_NOT_RECOMMENDED', 'MIXED_MANUFACTURER', 'DUPLICATE_COMPONENT'] as const;
export type CompatibilityCode = (typeof COMPATIBILITY_CODES)[number];

/** Information, not a finding: a check that could not be made because an attribute is unknown. */
export const NOT_CHECKED = 'COMPATIBILITY_NOT_CHECKED';

export type RuleSeverity = 'critical' | 'warning';

/**
 * A declared rule. Its `id` is stable (findings, overrides and the safety
 * report name it); `code` is the kind of finding it raises; `message` is what
 * the theatre reads, with placeholders filled from the components:
 * `{candidate}` and `{other}` (their names), `{a}` and `{b}` (the values compared).
 */
interface RuleBase {
  readonly id: string;
  readonly code: CompatibilityCode;
  readonly severity: RuleSeverity;
  readonly message: string;
}

/** The side of a side-specific component against the procedure's side and the other side-specific components of its joint. */
export interface SideRule extends RuleBase {
  readonly kind: 'side';
  readonly code: 'SIDE_MISMATCH';
}

/** Two components that fit together must carry equal values: a head's diameter and its liner's inner diameter, a head's bore and its stem's trunnion. */
export interface PairEqualRule extends RuleBase {
  readonly kind: 'pair-equal';
  readonly code: 'SIZE_MISMATCH' | 'TAPER_MISMATCH';
  readonly components: readonly [Component, Component];
  readonly attributes: readonly [ComparableAttribute, ComparableAttribute];
}

/** Bearing pairs national guidance warns about (metal on metal, and the like). */
export interface BearingRule extends RuleBase {
  readonly kind: 'bearing';
  readonly code: 'BEARING_NOT_RECOMMENDED';
  readonly components: readonly [Component, Component];
  readonly pairs: readonly (readonly [Bearing, Bearing])[];
}

/** The components of one joint come from one manufacturer (so a taper of the same name from two manufacturers is flagged too: no guarantee of fit). */
export interface ManufacturerRule extends RuleBase {
  readonly kind: 'same-manufacturer';
  readonly code: 'MIXED_MANUFACTURER';
  readonly joint: Joint;
}

/** At most `max` of these components in one construct (twice as many in a bilateral case). */
export interface AtMostRule extends RuleBase {
  readonly kind: 'at-most';
  readonly code: 'DUPLICATE_COMPONENT';
  readonly components: readonly Component[];
  readonly max: number;
}

export type CompatibilityRule = SideRule | PairEqualRule | BearingRule | ManufacturerRule | AtMostRule;

/** A versioned set of rules, one file per joint under rules/. */
export interface RuleSet {
  readonly name: string;
  readonly version: string;
  readonly rules: readonly CompatibilityRule[];
}
