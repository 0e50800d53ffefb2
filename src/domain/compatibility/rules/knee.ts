import type { RuleSet } from '../rule.js';

/**
 * Knee constructs: femoral component, tibial tray and insert, patella. Size
 * compatibility between a knee's parts is by the manufacturer's size tables,
 * which differ by system: it is not checked here; one manufacturer is.
 */
export const KNEE_RULES = {
  name: 'knee',
  version: '2026-12-07',
  rules: [
    {
      id: 'knee.one-manufacturer',
      kind: 'same-manufacturer',
      code: 'MIXED_MANUFACTURER',
      severity: 'warning',
      joint: 'knee',
      message: "Mixed manufacturers: this {candidate} is made by {a}, the {other} by {b}. Check the manufacturers' compatibility statements before opening.",
    },
    {
      id: 'knee.one-of-each',
      kind: 'at-most',
      code: 'DUPLICATE_COMPONENT',
      severity: 'warning',
      components: ['femoral-component', 'tibial-tray', 'tibial-insert', 'patella'],
      max: 1,
      message: 'Second {candidate}: one is already implanted. Check before opening.',
    },
  ],
} as const satisfies RuleSet;
