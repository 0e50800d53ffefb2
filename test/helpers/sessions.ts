/**
 * A person's session stored as the sign-in stores it (person, principal for one
 * role profile, session row), without a provider: for tests of what a session
 * may do. oidc-signin.test.ts drives the sign-in itself with a real provider.
 */
import { randomBytes } from 'node:crypto';
import Tokens from '@fastify/csrf';
import type { PersonRole } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { ensurePrincipal, insertSession, upsertPerson } from '../../src/modules/sign-in/session.repository.js';
import { hashId } from '../../src/modules/sign-in/sign-in.service.js';

/** Stores a one-hour session for the person in this profile; answers the cookie value. */
export async function storeSession(
  db: Db,
  person: { readonly subject: string; readonly name: string },
  profile: { readonly role: PersonRole; readonly national: boolean; readonly organisationId: string | null },
  now = new Date(),
): Promise<string> {
  const personId = await upsertPerson(db, 'https://idp.example.invalid', person.subject, person.name, now);
  const principal = await ensurePrincipal(db, personId, profile, person.name);
  const id = randomBytes(32).toString('base64url');
  await insertSession(
    db,
    { idHash: hashId(id), personId, profileIds: [principal.principalId], principalId: principal.principalId, csrfSecret: Tokens().secretSync(), idToken: null, providerSid: null, now, expiresAt: new Date(now.getTime() + 3_600_000) },
    new Date(now.getTime() - 3_600_000),
  );
  return id;
}
