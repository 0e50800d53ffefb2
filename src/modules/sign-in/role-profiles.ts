import type { OidcConfig, PersonRole } from '../../config.js';

/**
 * From a person's claims at their provider to the role profiles they may act
 * in here: pure, and documented in the README (Staff sign-in). Nothing is
 * given by default: a claim value that the role map does not name gives no
 * role, and a role in an organisation needs the organisation's ODS code from
 * the claims.
 */
export interface ClaimedProfile {
  readonly role: PersonRole;
  readonly national: boolean;
  /** The organisation's ODS code (upper case); null exactly when national. */
  readonly odsCode: string | null;
}

/** A claim by name, or by a dotted path into nested claims (Keycloak's `realm_access.roles`). */
export function claimAt(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const ODS_CODE = /^[A-Za-z0-9]{3,10}$/;

export function profilesFromClaims(claims: Readonly<Record<string, unknown>>, oidc: OidcConfig): ClaimedProfile[] {
  const raw = claimAt(claims, oidc.rolesClaim);
  const entries: unknown[] = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  const topOrganisation = oidc.organisationClaim === undefined ? undefined : claimAt(claims, oidc.organisationClaim);
  const found = new Map<string, ClaimedProfile>();
  for (const entry of entries.slice(0, 1000)) {
    const object = typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? (entry as Record<string, unknown>) : undefined;
    const value = typeof entry === 'string' ? entry : object && oidc.roleField !== undefined ? object[oidc.roleField] : undefined;
    if (typeof value !== 'string') continue;
    const organisation = object && oidc.organisationField !== undefined ? object[oidc.organisationField] : topOrganisation;
    for (const mapped of mappedRoles(value, oidc)) {
      let profile: ClaimedProfile;
      if (mapped.national) profile = { role: mapped.role, national: true, odsCode: null };
      else if (typeof organisation === 'string' && ODS_CODE.test(organisation)) profile = { role: mapped.role, national: false, odsCode: organisation.toUpperCase() };
      else continue;
      found.set(`${profile.role}|${profile.odsCode ?? '*'}`, profile);
    }
  }
  return [...found.values()];
}

/** The roles one claim value gives: the value whole, or any one of its ':'-separated parts (CIS2's `S8000:G8000:R8001`). */
function mappedRoles(value: string, oidc: OidcConfig) {
  const whole = oidc.roleMap.get(value);
  if (whole) return [whole];
  return value.includes(':') ? value.split(':').flatMap((part) => oidc.roleMap.get(part) ?? []) : [];
}

/** The person's display name: the configured claim, or given and family names, or their username, or their subject. */
export function displayName(claims: Readonly<Record<string, unknown>>, nameClaim: string, subject: string): string {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const given = text(claims['given_name']);
  const family = text(claims['family_name']);
  const name =
    text(claimAt(claims, nameClaim)) ??
    (given !== undefined || family !== undefined ? [given, family].filter(Boolean).join(' ') : undefined) ??
    text(claims['preferred_username']) ??
    subject;
  // Control characters never reach the audit trail or a page.
  return [...name.replace(/[\p{Cc}\p{Cf}]/gu, ' ')].slice(0, 200).join('');
}
