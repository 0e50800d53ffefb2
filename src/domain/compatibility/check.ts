import type { Side } from '../vocabulary.js';
import { ATTRIBUTE_NAMES, COMPONENT_NAMES, jointOf, type ClinicalAttributes, type Component } from './attributes.js';
import { NOT_CHECKED, type AtMostRule, type BearingRule, type CompatibilityCode, type CompatibilityRule, type ManufacturerRule, type PairEqualRule, type SideRule } from './rule.js';

/** An implant as the checks see it: its catalogue's clinical attributes (null: the catalogue has none) and manufacturer. */
export interface CheckedDevice {
  /** The item already recorded in the procedure (absent for the candidate). */
  readonly itemId?: string;
  readonly manufacturer: string | null;
  readonly clinical: ClinicalAttributes | null;
  /** Implanted by an earlier operation on the same side and still in place (a revision's retained part). */
  readonly retained?: boolean;
}

export interface CompatibilityFinding {
  /** The rule that raised it; null for information about the check itself. */
  readonly rule: string | null;
  readonly code: CompatibilityCode | typeof NOT_CHECKED;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly message: string;
  /** The item already implanted that the candidate conflicts with, when there is one. */
  readonly withItemId: string | null;
}

export interface CompatibilityInput {
  readonly side: Side;
  readonly candidate: CheckedDevice;
  /** The items still implanted in the procedure (not explanted, not wasted, not put aside). */
  readonly implanted: readonly CheckedDevice[];
}

type Known = CheckedDevice & { readonly clinical: ClinicalAttributes };
const known = (d: CheckedDevice): d is Known => d.clinical !== null;

const fill = (template: string, values: Record<string, string>) => template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
const nameOf = (c: Component) => COMPONENT_NAMES[c];
const sameMaker = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The findings of every rule for a candidate about to be opened, against the
 * procedure's side and the items already implanted in it. Pure: the same
 * input gives the same findings, in the rules' order. Unknown attributes never
 * pass as compatible: the check says, as information, what it could not check.
 */
export function checkCompatibility(rules: readonly CompatibilityRule[], input: CompatibilityInput): CompatibilityFinding[] {
  const candidate = input.candidate;
  if (!known(candidate)) {
    return [info('Not checked: the catalogue has no clinical details (component, side, sizes) for this product.')];
  }
  const implanted = input.implanted.filter(known);
  const findings: CompatibilityFinding[] = [];
  for (const rule of rules) {
    switch (rule.kind) {
      case 'side':
        findings.push(...sideFindings(rule, input.side, candidate, implanted));
        break;
      case 'pair-equal':
        findings.push(...pairFindings(rule, candidate, implanted));
        break;
      case 'bearing':
        findings.push(...bearingFindings(rule, candidate, implanted));
        break;
      case 'same-manufacturer':
        findings.push(...manufacturerFindings(rule, candidate, implanted));
        break;
      case 'at-most':
        findings.push(...atMostFindings(rule, input.side, candidate, implanted));
        break;
    }
  }
  const unknown = input.implanted.length - implanted.length;
  if (unknown > 0) findings.push(info(`Not checked against ${unknown} implanted item${unknown === 1 ? '' : 's'} the catalogue has no clinical details for.`));
  return findings;
}

function info(message: string): CompatibilityFinding {
  return { rule: null, code: NOT_CHECKED, severity: 'info', message, withItemId: null };
}

/** Said after the rule's sentence when the other part was implanted by an earlier operation. */
export const RETAINED_NOTE = 'The other part is retained from an earlier operation on this side: check the record of that operation.';

function finding(rule: CompatibilityRule, values: Record<string, string>, other: CheckedDevice | null): CompatibilityFinding {
  const message = fill(rule.message, values);
  return { rule: rule.id, code: rule.code, severity: rule.severity, message: other?.retained ? `${message} ${RETAINED_NOTE}` : message, withItemId: other?.itemId ?? null };
}

function sideFindings(rule: SideRule, side: Side, candidate: Known, implanted: readonly Known[]): CompatibilityFinding[] {
  const c = candidate.clinical;
  if (c.laterality === null) {
    return side === 'left' || side === 'right' ? [{ ...info(`Not checked: the side of this ${nameOf(c.component)} is unknown.`), rule: rule.id }] : [];
  }
  if (c.laterality === 'none') return [];
  const values = { candidate: nameOf(c.component), a: c.laterality };
  if ((side === 'left' || side === 'right') && c.laterality !== side) return [finding(rule, { ...values, b: `the procedure is on the ${side}` }, null)];
  const joint = jointOf(c.component);
  const sided = implanted.filter((d) => jointOf(d.clinical.component) === joint && (d.clinical.laterality === 'left' || d.clinical.laterality === 'right'));
  if (side === 'bilateral') {
    // Each side's construct is one of each component: a second left femoral component means one side is wrong.
    const twin = sided.find((d) => d.clinical.component === c.component && d.clinical.laterality === c.laterality);
    if (twin) return [finding(rule, { ...values, b: `a ${c.laterality} ${nameOf(c.component)} is already implanted in this bilateral case` }, twin)];
  } else if (side === 'not-applicable') {
    const other = sided.find((d) => d.clinical.laterality !== c.laterality);
    if (other) return [finding(rule, { ...values, b: `the ${nameOf(other.clinical.component)} already implanted is ${other.clinical.laterality ?? ''}` }, other)];
  }
  return [];
}

/**
 * The candidate as one side of a pair of components (`asX`: the first), and its
 * partners: the implanted items of the other side. Undefined when the candidate
 * is neither, or has no partner yet.
 */
function partnersOf(components: readonly [Component, Component], candidate: Known, implanted: readonly Known[]): { asX: boolean; partners: Known[] } | undefined {
  const [x, y] = components;
  const asX = candidate.clinical.component === x;
  if (!asX && candidate.clinical.component !== y) return undefined;
  const partners = implanted.filter((d) => d.clinical.component === (asX ? y : x));
  return partners.length === 0 ? undefined : { asX, partners };
}

function pairFindings(rule: PairEqualRule, candidate: Known, implanted: readonly Known[]): CompatibilityFinding[] {
  const [x, y] = rule.components;
  const [ax, ay] = rule.attributes;
  const c = candidate.clinical;
  const pair = partnersOf(rule.components, candidate, implanted);
  if (!pair) return [];
  const { asX, partners } = pair;
  const mine = c[asX ? ax : ay];
  const theirs = (d: Known) => d.clinical[asX ? ay : ax];
  const other = nameOf(asX ? y : x);
  if (mine === null) return [{ ...info(`Not checked: the ${ATTRIBUTE_NAMES[asX ? ax : ay]} of this ${nameOf(c.component)} is unknown.`), rule: rule.id }];
  const comparable = partners.filter((d) => theirs(d) !== null);
  if (comparable.length === 0) return [{ ...info(`Not checked: the ${ATTRIBUTE_NAMES[asX ? ay : ax]} of the ${other} already implanted is unknown.`), rule: rule.id }];
  // In a construct with several partners (a bilateral case), the candidate must fit one of them.
  if (comparable.some((d) => theirs(d) === mine)) return [];
  const first = comparable[0] as Known;
  const partnerValue = theirs(first) as string | number;
  const [a, b] = asX ? [String(mine), String(partnerValue)] : [String(partnerValue), String(mine)];
  return [finding(rule, { candidate: nameOf(c.component), other, a, b }, first)];
}

function bearingFindings(rule: BearingRule, candidate: Known, implanted: readonly Known[]): CompatibilityFinding[] {
  const c = candidate.clinical;
  const pair = partnersOf(rule.components, candidate, implanted);
  if (!pair) return [];
  const { asX, partners } = pair;
  if (c.bearing === null) return [{ ...info(`Not checked: the bearing material of this ${nameOf(c.component)} is unknown.`), rule: rule.id }];
  for (const p of partners) {
    if (p.clinical.bearing === null) continue;
    const [a, b] = asX ? [c.bearing, p.clinical.bearing] : [p.clinical.bearing, c.bearing];
    if (rule.pairs.some(([pa, pb]) => pa === a && pb === b)) return [finding(rule, { candidate: nameOf(c.component), other: nameOf(p.clinical.component), a, b }, p)];
  }
  return [];
}

function manufacturerFindings(rule: ManufacturerRule, candidate: Known, implanted: readonly Known[]): CompatibilityFinding[] {
  const c = candidate.clinical;
  if (jointOf(c.component) !== rule.joint) return [];
  const sameJoint = implanted.filter((d) => jointOf(d.clinical.component) === rule.joint);
  if (sameJoint.length === 0) return [];
  const maker = candidate.manufacturer;
  if (maker === null) return [{ ...info(`Not checked: the manufacturer of this ${nameOf(c.component)} is unknown.`), rule: rule.id }];
  const other = sameJoint.find((d) => d.manufacturer !== null && !sameMaker(d.manufacturer, maker));
  if (!other) return [];
  return [finding(rule, { candidate: nameOf(c.component), other: nameOf(other.clinical.component), a: maker, b: other.manufacturer ?? '' }, other)];
}

function atMostFindings(rule: AtMostRule, side: Side, candidate: Known, implanted: readonly Known[]): CompatibilityFinding[] {
  const c = candidate.clinical;
  if (!rule.components.includes(c.component)) return [];
  const limit = rule.max * (side === 'bilateral' ? 2 : 1);
  const same = implanted.filter((d) => d.clinical.component === c.component);
  if (same.length < limit) return [];
  return [finding(rule, { candidate: nameOf(c.component) }, same[0] ?? null)];
}
