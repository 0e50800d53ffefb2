/**
 * The case team as the theatre page reads it: whether a scan is a staff badge
 * (it badges its holder in, it is never a product scan), how a member is
 * named, and whom scans from this device are named to. Pure: the page and the
 * unit tests share it.
 */
import type { ParseResult } from '../../barcode/index.js';
import type { CaseRole, CaseTeam, CaseTeamMember } from './types.js';

/**
 * A staff badge: a GS1 label read without error with a GSRN for a staff member (AI 8017) and no
 * product identifier (no GTIN, HIBC or other DI). The service refuses it as a product scan
 * (NOT_A_PRODUCT_LABEL); the page badges its holder into the case instead.
 */
export function isStaffBadge(parsed: ParseResult): boolean {
  if (parsed.error || parsed.ais?.['8017'] === undefined) return false;
  return parsed.gtin === undefined && parsed.ais['01'] === undefined && parsed.ais['02'] === undefined && parsed.hibc === undefined && parsed.di === undefined;
}

/** The roles in the order the role list offers them, with their names for people. */
export const CASE_ROLE_NAMES: ReadonlyArray<{ readonly value: CaseRole; readonly label: string }> = [
  { value: 'lead-clinician', label: 'Lead clinician' },
  { value: 'scrub', label: 'Scrub' },
  { value: 'circulating', label: 'Circulating' },
  { value: 'anaesthetist', label: 'Anaesthetist' },
  { value: 'assistant', label: 'Assistant' },
  { value: 'other', label: 'Other' },
];

export const roleName = (role: CaseRole): string => CASE_ROLE_NAMES.find((r) => r.value === role)?.label ?? role;

/** A member as people read them: their name, else their badge's GSRN, else their local id. */
export function staffName(staff: CaseTeamMember['staff']): string {
  return staff.name ?? (staff.gsrn !== null ? `GSRN ${staff.gsrn}` : staff.localId !== null ? `local id ${staff.localId}` : 'unnamed staff member');
}

/** Whom the service names for a scan sent from this device now (its order: a person signed in, else the member at the scanner, else nobody). */
export type NamedTo = { readonly kind: 'person'; readonly name: string } | { readonly kind: 'badge'; readonly name: string; readonly staffId: string } | { readonly kind: 'nobody' };

export function namedTo(team: CaseTeam, person: string | null): NamedTo {
  if (person !== null) return { kind: 'person', name: person };
  const member = team.atScanner === null ? undefined : team.members.find((m) => m.staff.id === team.atScanner && m.leftAt === null);
  return member ? { kind: 'badge', name: staffName(member.staff), staffId: member.staff.id } : { kind: 'nobody' };
}

/** The panel's line: "Scans from this device are named to: Sam Scrub (badge)". */
export function namedToSentence(to: NamedTo): string {
  if (to.kind === 'person') return `Scans from this device are named to: ${to.name} (signed in)`;
  if (to.kind === 'badge') return `Scans from this device are named to: ${to.name} (badge)`;
  return 'Scans from this device are named to nobody: scan your staff badge';
}

/** What happens to scans meanwhile, when a badge could not be scanned in. */
export function meanwhileSentence(to: NamedTo): string {
  if (to.kind === 'person') return `Until then, scans from this device are still named to ${to.name}, signed in on it.`;
  if (to.kind === 'badge') return `Until then, scans from this device are still named to ${to.name}, badged in before.`;
  return 'Until then, scans from this device are recorded as device only: named to nobody.';
}

/** The notice once a badge is scanned in: who, and whom scans are named to now. */
export function badgedInSentence(member: CaseTeamMember | undefined, to: NamedTo): string {
  const who = member ? staffName(member.staff) : 'The badge’s holder';
  if (to.kind === 'person') return `${who} badged in. Scans from this device stay named to ${to.name}, signed in on it.`;
  return `${who} badged in: scans from this device are now named to them.`;
}

/** The member just badged in, in the team the service answered: the one at the scanner, else the latest stint with that GSRN. */
export function badgedMember(team: CaseTeam, gsrn: string | undefined): CaseTeamMember | undefined {
  const inCase = team.members.filter((m) => m.leftAt === null);
  return inCase.find((m) => gsrn !== undefined && m.staff.gsrn === gsrn) ?? inCase.find((m) => m.staff.id === team.atScanner);
}
