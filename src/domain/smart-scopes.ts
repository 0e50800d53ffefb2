import { FHIR_EXPORT_TYPES, type FhirExportType } from './vocabulary.js';

/**
 * SMART system scopes, as a registry's client may ask for them, and what they
 * let it read. A registry reads; it never writes. So this service grants
 * exactly two forms, for each resource type it exports or for all of them:
 *
 *   system/<Type>.rs    SMART v2 (read and search)
 *   system/<Type>.read  SMART v1
 *
 * with <Type> one of Patient, Procedure, Device, Location, or `*` (all four).
 * Anything else (another permission such as `.cruds`, `.r` alone or `.write`,
 * another resource type, `patient/` or `user/` scopes, `launch`, `openid`) is
 * refused as a whole with `invalid_scope`: a token is never granted less than
 * it asked for without the client knowing.
 */

const SCOPE = /^system\/(\*|[A-Z][A-Za-z]{0,63})\.(rs|read)$/;
const MAX_SCOPES = 50;

export type ScopeGrant =
  | { readonly ok: true; readonly scopes: readonly string[]; readonly readable: readonly FhirExportType[] }
  | { readonly ok: false; readonly description: string };

const isExportType = (t: string): t is FhirExportType => (FHIR_EXPORT_TYPES as readonly string[]).includes(t);

/** The resource types a set of granted scopes lets a token read, in the export's order. */
export function readableTypes(scopes: readonly string[]): FhirExportType[] {
  const types = new Set<FhirExportType>();
  for (const scope of scopes) {
    const match = SCOPE.exec(scope);
    const type = match?.[1];
    if (type === '*') FHIR_EXPORT_TYPES.forEach((t) => types.add(t));
    else if (type !== undefined && isExportType(type)) types.add(type);
  }
  return FHIR_EXPORT_TYPES.filter((t) => types.has(t));
}

/** The scopes a token request asks for (`scope`, space-separated), checked: all granted, or none. */
export function grantScopes(requested: string | undefined): ScopeGrant {
  const scopes = [...new Set((requested ?? '').split(' ').filter((s) => s !== ''))];
  if (scopes.length === 0) return { ok: false, description: 'Ask for at least one scope, e.g. `system/*.rs`.' };
  if (scopes.length > MAX_SCOPES) return { ok: false, description: `At most ${MAX_SCOPES} scopes.` };
  for (const scope of scopes) {
    const match = SCOPE.exec(scope);
    const type = match?.[1];
    if (type === undefined || (type !== '*' && !isExportType(type))) {
      return {
        ok: false,
        description:
          `Scope ${JSON.stringify(scope.slice(0, 100))} is not granted: a registry client may read, as system/<type>.rs (SMART v2) ` +
          `or system/<type>.read (v1), the types ${FHIR_EXPORT_TYPES.join(', ')}, or * for all of them.`,
      };
    }
  }
  return { ok: true, scopes, readable: readableTypes(scopes) };
}

/** The scopes the service advertises in its smart-configuration. */
export const SCOPES_SUPPORTED: readonly string[] = ['system/*.rs', 'system/*.read', ...FHIR_EXPORT_TYPES.flatMap((t) => [`system/${t}.rs`, `system/${t}.read`])];
