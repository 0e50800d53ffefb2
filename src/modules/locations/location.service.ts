import type { Kysely } from 'kysely';
import { parseBarcode } from '../../barcode/index.js';
import type { Database } from '../../db/database.js';
import type { LocationKind } from '../../domain/vocabulary.js';
import { isUniqueViolation } from '../../db/errors.js';
import { requireOrganisation, type RequestContext } from '../../shared/actor.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit } from '../audit/audit.service.js';
import { findLocation, findStaff, insertLocation, insertStaff, type Location, type StaffMember } from './location.repository.js';

export type LocationRef = { readonly gln: string; readonly glnExtension?: string | undefined } | { readonly barcode: string };
export type StaffRef =
  | { readonly gsrn: string; readonly name?: string | undefined }
  | { readonly barcode: string; readonly name?: string | undefined }
  | { readonly localId: string; readonly name?: string | undefined };

/** A GS1 identifier read from a scanned label, or a 422 that says why the label will not do. */
export function keyFromLabel(barcode: string, ai: string, what: string, today: Date): { value: string; ais: Readonly<Record<string, string>> } {
  const parsed = parseBarcode(barcode, { today });
  if (!parsed.valid) throw new ProblemError('BARCODE_INVALID', `The ${what} label does not read: ${parsed.error?.message ?? 'unknown error'}.`, { parse: parsed });
  const value = parsed.ais?.[ai];
  if (value === undefined) {
    throw new ProblemError('BARCODE_INVALID', `This is not a ${what} label: it carries no (${ai}).`, { parse: parsed });
  }
  return { value, ais: parsed.ais ?? {} };
}

export async function registerLocation(
  db: Kysely<Database>,
  ctx: RequestContext,
  input: { gln: string; glnExtension?: string | undefined; name: string; kind: LocationKind },
): Promise<Location> {
  const organisationId = requireOrganisation(ctx);
  try {
    return await db.transaction().execute(async (trx) => {
      const location = (await insertLocation(trx, { organisationId, gln: input.gln, glnExtension: input.glnExtension ?? null, name: input.name, kind: input.kind }, 'fail')) as Location;
      await recordAudit(trx, ctx, { action: 'location.create', organisationId, detail: { locationId: location.id } });
      return location;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ProblemError('LOCATION_EXISTS', `GLN ${input.gln}${input.glnExtension ? ` / ${input.glnExtension}` : ''} is already registered.`);
    throw error;
  }
}

/** The GLN and extension a wall label or a typed GLN names (a label that does not read: 422). */
export function locationKeyOf(ref: LocationRef, today: Date): { readonly gln: string; readonly extension: string | null } {
  if (!('barcode' in ref)) return { gln: ref.gln, extension: ref.glnExtension ?? null };
  const { value, ais } = keyFromLabel(ref.barcode, '414', 'location (GLN, AI 414)', today);
  return { gln: value, extension: ais['254'] ?? null };
}

/** The location a wall label or GLN names, registered on its first use. */
export async function resolveLocation(db: Kysely<Database>, organisationId: string, ref: LocationRef, today: Date): Promise<Location> {
  const { gln, extension } = locationKeyOf(ref, today);
  const found = await findLocation(db, organisationId, gln, extension);
  if (found) return found;
  const name = `GLN ${gln}${extension ? ` / ${extension}` : ''}`;
  return (
    (await insertLocation(db, { organisationId, gln, glnExtension: extension, name, kind: 'theatre' }, 'nothing')) ??
    ((await findLocation(db, organisationId, gln, extension)) as Location)
  );
}

export async function registerStaff(
  db: Kysely<Database>,
  ctx: RequestContext,
  input: { gsrn?: string | undefined; barcode?: string | undefined; localId?: string | undefined; name?: string | undefined; role?: string | undefined },
  today: Date,
): Promise<StaffMember> {
  const organisationId = requireOrganisation(ctx);
  const gsrn = input.barcode !== undefined ? keyFromLabel(input.barcode, '8017', 'staff badge (GSRN, AI 8017)', today).value : (input.gsrn ?? null);
  try {
    return await db.transaction().execute(async (trx) => {
      const staff = (await insertStaff(trx, { organisationId, gsrn, localId: input.localId ?? null, name: input.name ?? null, role: input.role ?? null }, 'fail')) as StaffMember;
      await recordAudit(trx, ctx, { action: 'staff.create', organisationId, detail: { staffId: staff.id } });
      return staff;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ProblemError('STAFF_EXISTS', 'A staff member with this GSRN or local id is already registered.');
    throw error;
  }
}

/** The staff member a badge, GSRN or local id names, registered on first use. */
export async function resolveStaff(db: Kysely<Database>, organisationId: string, ref: StaffRef, today: Date): Promise<StaffMember> {
  const gsrn = 'barcode' in ref ? keyFromLabel(ref.barcode, '8017', 'staff badge (GSRN, AI 8017)', today).value : 'gsrn' in ref ? ref.gsrn : undefined;
  const localId = 'localId' in ref ? ref.localId : undefined;
  const found = await findStaff(db, organisationId, { gsrn, localId });
  if (found) return found;
  // Inside the caller's transaction: no exception on a concurrent first use, just read it back.
  return (
    (await insertStaff(db, { organisationId, gsrn: gsrn ?? null, localId: localId ?? null, name: ref.name ?? null, role: null }, 'nothing')) ??
    ((await findStaff(db, organisationId, { gsrn, localId })) as StaffMember)
  );
}
