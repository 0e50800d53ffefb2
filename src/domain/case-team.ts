import type { CaseRole, StaffEvidence } from './vocabulary.js';

/**
 * The case team: who is in a case and who is at the scanner, from the case's staff events in the order
 * they were recorded. Pure; the events are the record (append-only), the team is derived.
 *
 * - A staff member `joined` (badged in, or named by a typed GSRN or local id) and stays in the case until
 *   they `left`; they may join again later (a new stint).
 * - Joining again while in the case keeps the stint (its start), takes the new role, and keeps the
 *   strongest evidence seen in it: a badge scanned once is not weakened by a later typed entry.
 * - At the scanner: of those in the case, the one whose badge was scanned most recently. A typed GSRN or
 *   local id never puts anyone there: it names a person, it does not show they are at the device. When
 *   the one at the scanner leaves, the one badged before them (and still in) is at the scanner again.
 */
export interface CaseStaffEvent {
  readonly staffId: string;
  readonly event: 'joined' | 'left';
  /** For `joined`: the role in this case; null for `left`. */
  readonly role: CaseRole | null;
  /** For `joined`: how they were named; null for `left`. */
  readonly evidence: StaffEvidence | null;
  readonly at: Date;
}

export interface CaseTeamMember {
  readonly staffId: string;
  readonly role: CaseRole;
  /** The strongest evidence of the stint: 'badge' once their badge was scanned in it. */
  readonly evidence: StaffEvidence;
  readonly joinedAt: Date;
  /** Null while they are in the case. */
  readonly leftAt: Date | null;
}

export interface CaseTeam {
  /** Every stint, in the order they began; those with `leftAt` null are in the case now. */
  readonly members: readonly CaseTeamMember[];
  /** The staff member scans are attributed to when a device key sends them ('badge'); null: nobody. */
  readonly atScanner: string | null;
}

interface Stint {
  staffId: string;
  role: CaseRole;
  evidence: StaffEvidence;
  joinedAt: Date;
  leftAt: Date | null;
  /** Position of the stint's latest badge scan in the event order; -1 when never badged. */
  lastBadge: number;
}

export function caseTeam(events: readonly CaseStaffEvent[]): CaseTeam {
  const stints: Stint[] = [];
  const current = new Map<string, Stint>();
  events.forEach((e, position) => {
    const open = current.get(e.staffId);
    if (e.event === 'left') {
      if (open === undefined) return; // Leaving a case one is not in changes nothing (the service refuses it first).
      open.leftAt = e.at;
      current.delete(e.staffId);
      return;
    }
    const role = e.role ?? 'other';
    const badged = e.evidence === 'badge';
    if (open === undefined) {
      const stint: Stint = { staffId: e.staffId, role, evidence: badged ? 'badge' : 'typed', joinedAt: e.at, leftAt: null, lastBadge: badged ? position : -1 };
      stints.push(stint);
      current.set(e.staffId, stint);
      return;
    }
    open.role = role;
    if (badged) {
      open.evidence = 'badge';
      open.lastBadge = position;
    }
  });
  let atScanner: Stint | undefined;
  for (const stint of current.values()) {
    if (stint.lastBadge >= 0 && (atScanner === undefined || stint.lastBadge > atScanner.lastBadge)) atScanner = stint;
  }
  return {
    members: stints.map(({ staffId, role, evidence, joinedAt, leftAt }) => ({ staffId, role, evidence, joinedAt, leftAt })),
    atScanner: atScanner?.staffId ?? null,
  };
}
