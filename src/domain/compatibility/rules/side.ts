import type { RuleSet } from '../rule.js';

/** Every joint: a left or right component on the wrong side. */
export const SIDE_RULES = {
  name: 'side',
  version: '2026-12-07',
  rules: [
    {
      id: 'side.laterality',
      kind: 'side',
      code: 'SIDE_MISMATCH',
      severity: 'critical',
      message: 'Wrong side: this is a {a} {candidate} and {b}. Do not open it.',
    },
  ],
} as const satisfies RuleSet;
