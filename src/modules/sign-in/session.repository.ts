import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { PersonRole } from '../../config.js';
import type { Role } from '../../domain/vocabulary.js';
import { insertKey } from '../api-keys/api-key.repository.js';

/** People, their principals, sessions and sign-ins under way: the only place their SQL is written. */

export interface AttemptRow {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
  readonly expiresAt: Date;
}

export async function insertAttempt(db: Kysely<Database>, idHash: Buffer, attempt: AttemptRow, now: Date): Promise<void> {
  // Attempts never finished go when the next one starts.
  await db.deleteFrom('sign_in_attempts').where('expires_at', '<', now).execute();
  await db
    .insertInto('sign_in_attempts')
    .values({ id_hash: idHash, state: attempt.state, nonce: attempt.nonce, code_verifier: attempt.codeVerifier, return_to: attempt.returnTo, expires_at: attempt.expiresAt })
    .execute();
}

/** Takes an attempt, once: a second callback with the same cookie finds nothing. */
export async function takeAttempt(db: Kysely<Database>, idHash: Buffer): Promise<AttemptRow | undefined> {
  const row = await db.deleteFrom('sign_in_attempts').where('id_hash', '=', idHash).returningAll().executeTakeFirst();
  return row && { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to, expiresAt: row.expires_at };
}

/** The person's row, made or brought up to date; it stays locked until the transaction ends (one sign-in of a person at a time). */
export async function upsertPerson(db: Kysely<Database>, issuer: string, subject: string, name: string, now: Date): Promise<string> {
  const row = await db
    .insertInto('people')
    .values({ issuer, subject, name, last_sign_in_at: now })
    .onConflict((oc) => oc.columns(['issuer', 'subject']).doUpdateSet({ name, last_sign_in_at: now }))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface PrincipalRow {
  readonly principalId: string;
  readonly role: PersonRole;
  readonly national: boolean;
  readonly organisationId: string | null;
  readonly odsCode: string | null;
  readonly organisationName: string | null;
  readonly revoked: boolean;
}

function selectPrincipals(db: Kysely<Database>) {
  return db
    .selectFrom('person_principals as pp')
    .innerJoin('api_keys as k', 'k.id', 'pp.principal_id')
    .leftJoin('organisations as o', 'o.id', 'pp.organisation_id')
    .select(['pp.principal_id', 'pp.role', 'pp.national', 'pp.organisation_id', 'o.ods_code', 'o.name as organisation_name', 'k.revoked_at']);
}

const toPrincipal = (r: {
  principal_id: string;
  role: PersonRole;
  national: boolean;
  organisation_id: string | null;
  ods_code: string | null;
  organisation_name: string | null;
  revoked_at: Date | null;
}): PrincipalRow => ({
  principalId: r.principal_id,
  role: r.role,
  national: r.national,
  organisationId: r.organisation_id,
  odsCode: r.ods_code,
  organisationName: r.organisation_name,
  revoked: r.revoked_at !== null,
});

/**
 * The person's principal for a role profile, made on first use: a row of api_keys named after the
 * person whose hash is of 32 random bytes nobody ever sees (no key can match it), and its owner.
 */
export async function ensurePrincipal(
  db: Kysely<Database>,
  personId: string,
  profile: { role: PersonRole; national: boolean; organisationId: string | null },
  name: string,
): Promise<PrincipalRow> {
  const existing = await selectPrincipals(db)
    .where('pp.person_id', '=', personId)
    .where('pp.role', '=', profile.role)
    .where(sql<boolean>`pp.organisation_id is not distinct from ${profile.organisationId}::uuid`)
    .executeTakeFirst();
  if (existing) return toPrincipal(existing);
  const principalId = await insertKey(db, {
    name: [...name].slice(0, 100).join(''),
    role: profile.role,
    national: profile.national,
    organisationId: profile.organisationId,
    registryCode: null,
    keyHash: randomBytes(32),
    keyPrefix: 'person',
    createdBy: null,
  });
  await db
    .insertInto('person_principals')
    .values({ principal_id: principalId, person_id: personId, role: profile.role, organisation_id: profile.organisationId, national: profile.national })
    .execute();
  const made = await selectPrincipals(db).where('pp.principal_id', '=', principalId).executeTakeFirstOrThrow();
  return toPrincipal(made);
}

export async function principalsByIds(db: Kysely<Database>, ids: readonly string[]): Promise<PrincipalRow[]> {
  if (ids.length === 0) return [];
  const rows = await selectPrincipals(db).where('pp.principal_id', 'in', ids).orderBy('o.ods_code').orderBy('pp.role').execute();
  return rows.map(toPrincipal);
}

export async function organisationsByOdsCodes(db: Kysely<Database>, codes: readonly string[]): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const rows = await db.selectFrom('organisations').select(['id', 'ods_code']).where('ods_code', 'in', codes).execute();
  return new Map(rows.map((r) => [r.ods_code, r.id]));
}

export interface NewSession {
  readonly idHash: Buffer;
  readonly personId: string;
  readonly profileIds: readonly string[];
  readonly principalId: string | null;
  readonly csrfSecret: string;
  readonly idToken: string | null;
  /** The provider's session id (the ID token's `sid`), for back-channel logout; null when it sent none. */
  readonly providerSid: string | null;
  readonly now: Date;
  readonly expiresAt: Date;
}

export async function insertSession(db: Kysely<Database>, s: NewSession, idleBefore: Date): Promise<void> {
  // Ended sessions go as new ones begin (no timer needed; the index on expires_at keeps it cheap).
  await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', s.now), eb('last_seen_at', '<=', idleBefore)]))
    .execute();
  await db
    .insertInto('sessions')
    .values({
      id_hash: s.idHash,
      person_id: s.personId,
      profile_ids: [...s.profileIds],
      principal_id: s.principalId,
      csrf_secret: s.csrfSecret,
      id_token: s.idToken,
      provider_sid: s.providerSid,
      created_at: s.now,
      last_seen_at: s.now,
      expires_at: s.expiresAt,
    })
    .execute();
}

export interface SessionRow {
  readonly personId: string;
  readonly issuer: string;
  readonly subject: string;
  readonly personName: string;
  readonly profileIds: readonly string[];
  readonly csrfSecret: string;
  readonly idToken: string | null;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
  /** The chosen principal, as an actor's key; null until chosen. */
  readonly principal: {
    readonly id: string;
    readonly name: string;
    readonly role: Role;
    readonly national: boolean;
    readonly organisationId: string | null;
    readonly odsCode: string | null;
    readonly revoked: boolean;
  } | null;
}

export async function findSession(db: Kysely<Database>, idHash: Buffer): Promise<SessionRow | undefined> {
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('people as p', 'p.id', 's.person_id')
    .leftJoin('api_keys as k', 'k.id', 's.principal_id')
    .leftJoin('organisations as o', 'o.id', 'k.organisation_id')
    .select([
      's.person_id',
      'p.issuer',
      'p.subject',
      'p.name as person_name',
      's.profile_ids',
      's.csrf_secret',
      's.id_token',
      's.last_seen_at',
      's.expires_at',
      'k.id as key_id',
      'k.name as key_name',
      'k.role',
      'k.national',
      'k.organisation_id',
      'o.ods_code',
      'k.revoked_at',
    ])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    personId: row.person_id,
    issuer: row.issuer,
    subject: row.subject,
    personName: row.person_name,
    profileIds: row.profile_ids,
    csrfSecret: row.csrf_secret,
    idToken: row.id_token,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    principal:
      row.key_id === null || row.role === null || row.national === null || row.key_name === null
        ? null
        : {
            id: row.key_id,
            name: row.key_name,
            role: row.role,
            national: row.national,
            organisationId: row.organisation_id,
            odsCode: row.ods_code,
            revoked: row.revoked_at !== null,
          },
  };
}

export async function touchSession(db: Kysely<Database>, idHash: Buffer, now: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).where('last_seen_at', '<', now).execute();
}

/** Chooses the session's profile and gives it a new id (a change of privilege never keeps the old cookie working). */
export async function chooseProfile(db: Kysely<Database>, idHash: Buffer, newIdHash: Buffer, principalId: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ id_hash: newIdHash, principal_id: principalId, last_seen_at: now })
    .where('id_hash', '=', idHash)
    .where(sql<boolean>`${principalId}::uuid = any (profile_ids)`)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function deleteSession(db: Kysely<Database>, idHash: Buffer): Promise<SessionRow | undefined> {
  const found = await findSession(db, idHash);
  if (found) await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  return found;
}

/**
 * Records a back-channel logout token's jti for its issuer; false when the issuer's token with that jti was
 * accepted before (a replay). Atomic (the primary key), so two instances cannot both accept it. Tokens too
 * old to be accepted anyway are forgotten as new ones come.
 */
export async function claimLogoutToken(db: Kysely<Database>, issuer: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
  await db.deleteFrom('logout_tokens').where('expires_at', '<=', now).execute();
  const row = await db
    .insertInto('logout_tokens')
    .values({ issuer, jti, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['issuer', 'jti']).doNothing())
    .returning('jti')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Ends the sessions a back-channel logout token names, of people of that issuer: those begun in the
 * provider's session `sid`, or all of the person `subject`'s, or, with both, those of that person in that
 * session. Answers the people whose sessions ended, with how many each.
 */
export async function endProviderSessions(
  db: Kysely<Database>,
  issuer: string,
  by: { readonly subject: string | undefined; readonly sid: string | undefined },
): Promise<Array<{ readonly personId: string; readonly subject: string; readonly name: string; readonly sessions: number }>> {
  if (by.subject === undefined && by.sid === undefined) throw new Error('endProviderSessions needs a subject or a sid');
  let people = db.selectFrom('people').select('id').where('issuer', '=', issuer);
  if (by.subject !== undefined) people = people.where('subject', '=', by.subject);
  let query = db.deleteFrom('sessions').where('person_id', 'in', people);
  if (by.sid !== undefined) query = query.where('provider_sid', '=', by.sid);
  const ended = await query.returning('person_id').execute();
  const counts = new Map<string, number>();
  for (const row of ended) counts.set(row.person_id, (counts.get(row.person_id) ?? 0) + 1);
  if (counts.size === 0) return [];
  const rows = await db.selectFrom('people').select(['id', 'subject', 'name']).where('id', 'in', [...counts.keys()]).execute();
  return rows.map((p) => ({ personId: p.id, subject: p.subject, name: p.name, sessions: counts.get(p.id) ?? 0 }));
}
