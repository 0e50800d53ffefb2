import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { WithoutConsentPolicy } from '../../domain/vocabulary.js';

export interface Registry {
  readonly code: string;
  readonly name: string;
  /** What a registry receives about a patient who has not consented: a pseudonymous record, or nothing. */
  readonly withoutConsent: WithoutConsentPolicy;
  /** Keys the registry's pseudonyms. Never leaves the service. */
  readonly pseudonymSecret: Buffer;
}

const columns = ['code', 'name', 'without_consent', 'pseudonym_secret'] as const;
type Row = { code: string; name: string; without_consent: WithoutConsentPolicy; pseudonym_secret: Buffer };
const toRegistry = (r: Row): Registry => ({ code: r.code, name: r.name, withoutConsent: r.without_consent, pseudonymSecret: r.pseudonym_secret });

export async function findRegistry(db: Kysely<Database>, code: string): Promise<Registry | undefined> {
  const row = await db.selectFrom('registries').select(columns).where('code', '=', code).executeTakeFirst();
  return row && toRegistry(row);
}

export async function listRegistries(db: Kysely<Database>): Promise<Registry[]> {
  return (await db.selectFrom('registries').select(columns).orderBy('code').execute()).map(toRegistry);
}

/** Creates or updates a registry; a new one gets a fresh pseudonym secret, an existing one keeps its own. */
export async function upsertRegistry(
  db: Kysely<Database>,
  input: { code: string; name: string; withoutConsent: WithoutConsentPolicy },
  now: Date,
): Promise<{ registry: Registry; created: boolean }> {
  const row = await db
    .insertInto('registries')
    .values({ code: input.code, name: input.name, without_consent: input.withoutConsent, pseudonym_secret: randomBytes(32) })
    .onConflict((oc) => oc.column('code').doUpdateSet({ name: input.name, without_consent: input.withoutConsent, updated_at: now }))
    // xmax is 0 exactly for a row this statement inserted (not one it updated).
    .returning([...columns, sql<boolean>`xmax = 0`.as('inserted')])
    .executeTakeFirstOrThrow();
  return { registry: toRegistry(row), created: row.inserted };
}
