import type { Kysely, Selectable } from 'kysely';
import type { Database, OrganisationsTable } from '../../db/database.js';
import type { TenancyScope } from '../../shared/actor.js';

export interface Organisation {
  readonly id: string;
  readonly odsCode: string;
  readonly name: string;
  readonly createdAt: Date;
}

const toOrganisation = (row: Selectable<OrganisationsTable>): Organisation => ({
  id: row.id,
  odsCode: row.ods_code,
  name: row.name,
  createdAt: row.created_at,
});

export async function insertOrganisation(db: Kysely<Database>, input: { odsCode: string; name: string }): Promise<Organisation> {
  const row = await db
    .insertInto('organisations')
    .values({ ods_code: input.odsCode, name: input.name })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toOrganisation(row);
}

export async function findOrganisationByOdsCode(db: Kysely<Database>, odsCode: string): Promise<Organisation | undefined> {
  const row = await db.selectFrom('organisations').selectAll().where('ods_code', '=', odsCode).executeTakeFirst();
  return row && toOrganisation(row);
}

export async function listOrganisations(db: Kysely<Database>, scope: TenancyScope): Promise<Organisation[]> {
  let query = db.selectFrom('organisations').selectAll().orderBy('ods_code');
  if (scope.kind === 'organisation') query = query.where('id', '=', scope.organisationId);
  return (await query.execute()).map(toOrganisation);
}
