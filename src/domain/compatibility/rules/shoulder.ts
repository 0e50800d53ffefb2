import type { RuleSet } from '../rule.js';

/** Shoulder constructs: anatomic (stem, head, glenoid) and reverse (stem, insert, baseplate, glenosphere). */
export const SHOULDER_RULES = {
  name: 'shoulder',
  version: '2026-12-07',
  rules: [
    {
      id: 'shoulder.glenosphere-insert-diameter',
      kind: 'pair-equal',
      code: 'SIZE_MISMATCH',
      severity: 'critical',
      components: ['glenosphere', 'humeral-insert'],
      attributes: ['outerDiameterMm', 'innerDiameterMm'],
      message: 'Size mismatch: the glenosphere is {a} mm and the humeral insert takes a {b} mm glenosphere. Do not open it.',
    },
    {
      id: 'shoulder.head-stem-taper',
      kind: 'pair-equal',
      code: 'TAPER_MISMATCH',
      severity: 'critical',
      components: ['humeral-head', 'humeral-stem'],
      attributes: ['taper', 'taper'],
      message: 'Taper mismatch: the humeral head has a {a} taper and the stem a {b} taper. Do not open it.',
    },
    {
      id: 'shoulder.one-manufacturer',
      kind: 'same-manufacturer',
      code: 'MIXED_MANUFACTURER',
      severity: 'warning',
      joint: 'shoulder',
      message: "Mixed manufacturers: this {candidate} is made by {a}, the {other} by {b}. Check the manufacturers' compatibility statements before opening.",
    },
    {
      id: 'shoulder.one-of-each',
      kind: 'at-most',
      code: 'DUPLICATE_COMPONENT',
      severity: 'warning',
      components: ['humeral-stem', 'humeral-head', 'humeral-insert', 'glenoid-component', 'glenoid-baseplate', 'glenosphere'],
      max: 1,
      message: 'Second {candidate}: one is already implanted. Check before opening.',
    },
  ],
} as const satisfies RuleSet;
