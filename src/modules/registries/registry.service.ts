import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { RequestContext } from '../../shared/actor.js';
import { ProblemError } from '../../shared/problem.js';
import { findRegistry, type Registry } from './registry.repository.js';

/** The registry a key may read: the one it was issued for, and only that one. */
export async function registryForKey(db: Kysely<Database>, ctx: RequestContext, code: string): Promise<Registry> {
  if (ctx.actor.registryCode !== code) {
    throw new ProblemError(
      'REGISTRY_NOT_PERMITTED',
      ctx.actor.registryCode === null
        ? 'This registry key is not bound to a registry, so it reads outcomes only. Ask an admin for a key issued for the registry.'
        : `This key reads the ${ctx.actor.registryCode} feed only, not ${code}.`,
    );
  }
  const registry = await findRegistry(db, code);
  if (!registry) throw new ProblemError('REGISTRY_UNKNOWN', `No registry with code ${code} is configured.`);
  return registry;
}
