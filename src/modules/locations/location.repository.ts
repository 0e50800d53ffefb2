import type { Kysely, Selectable } from 'kysely';
import type { Database, LocationsTable, StaffTable } from '../../db/database.js';
import type { LocationKind } from '../../domain/vocabulary.js';

export interface Location {
  readonly id: string;
  readonly organisationId: string;
  readonly gln: string;
  readonly glnExtension: string | null;
  readonly name: string;
  readonly kind: LocationKind;
}

export interface StaffMember {
  readonly id: string;
  readonly organisationId: string;
  readonly gsrn: string | null;
  readonly localId: string | null;
  readonly name: string | null;
  readonly role: string | null;
}

const toLocation = (r: Selectable<LocationsTable>): Location => ({
  id: r.id,
  organisationId: r.organisation_id,
  gln: r.gln,
  glnExtension: r.gln_extension === '' ? null : r.gln_extension,
  name: r.name,
  kind: r.kind,
});

const toStaff = (r: Selectable<StaffTable>): StaffMember => ({
  id: r.id,
  organisationId: r.organisation_id,
  gsrn: r.gsrn,
  localId: r.local_id,
  name: r.name,
  role: r.role,
});

export async function findLocation(db: Kysely<Database>, organisationId: string, gln: string, extension: string | null): Promise<Location | undefined> {
  const row = await db
    .selectFrom('locations')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('gln', '=', gln)
    .where('gln_extension', '=', extension ?? '')
    .executeTakeFirst();
  return row && toLocation(row);
}

export async function findLocationById(db: Kysely<Database>, id: string): Promise<Location | undefined> {
  const row = await db.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toLocation(row);
}

/** Inserts the location, or answers the one registered meanwhile (concurrent first scans). */
export async function insertLocation(
  db: Kysely<Database>,
  l: { organisationId: string; gln: string; glnExtension: string | null; name: string; kind: LocationKind },
  onConflict: 'nothing' | 'fail',
): Promise<Location | undefined> {
  let query = db.insertInto('locations').values({ organisation_id: l.organisationId, gln: l.gln, gln_extension: l.glnExtension ?? '', name: l.name, kind: l.kind });
  if (onConflict === 'nothing') query = query.onConflict((oc) => oc.columns(['organisation_id', 'gln', 'gln_extension']).doNothing());
  const row = await query.returningAll().executeTakeFirst();
  return row && toLocation(row);
}

export async function findStaff(db: Kysely<Database>, organisationId: string, by: { gsrn?: string | undefined; localId?: string | undefined }): Promise<StaffMember | undefined> {
  let query = db.selectFrom('staff').selectAll().where('organisation_id', '=', organisationId);
  if (by.gsrn !== undefined) query = query.where('gsrn', '=', by.gsrn);
  else if (by.localId !== undefined) query = query.where('local_id', '=', by.localId);
  else return undefined;
  const row = await query.executeTakeFirst();
  return row && toStaff(row);
}

export async function findStaffById(db: Kysely<Database>, id: string): Promise<StaffMember | undefined> {
  const row = await db.selectFrom('staff').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toStaff(row);
}

/** Inserts a staff member; with onConflict 'nothing', answers undefined when one with that GSRN or local id exists. */
export async function insertStaff(
  db: Kysely<Database>,
  s: { organisationId: string; gsrn: string | null; localId: string | null; name: string | null; role: string | null },
  onConflict: 'nothing' | 'fail',
): Promise<StaffMember | undefined> {
  let query = db.insertInto('staff').values({ organisation_id: s.organisationId, gsrn: s.gsrn, local_id: s.localId, name: s.name, role: s.role });
  if (onConflict === 'nothing') query = query.onConflict((oc) => oc.doNothing());
  const row = await query.returningAll().executeTakeFirst();
  return row && toStaff(row);
}
