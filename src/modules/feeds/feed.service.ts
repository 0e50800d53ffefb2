import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { tenancyOf, type RequestContext } from '../../shared/actor.js';
import { recordListAudit } from '../audit/audit.service.js';
import { consentsInForce } from '../consents/consent.repository.js';
import { disclosureFor, pseudonymFor, type ConsentState, type Disclosure } from '../registries/disclosure.js';
import type { Registry } from '../registries/registry.repository.js';
import { registryForKey } from '../registries/registry.service.js';
import { decodeCursor, encodeCursor } from './feed.cursor.js';
import { loadItems, loadProcedures, nextChangedProcedures, type FeedItem, type FeedProcedure } from './feed.repository.js';

const DAY_MS = 86_400_000;

export interface FeedEntry {
  /** The position of this entry: resuming from it returns what changed after it. */
  readonly cursor: string;
  readonly procedureId: string;
  readonly disclosure: Disclosure;
  /** The procedure as it is now; null when the registry may not receive it (withheld). */
  readonly procedure: FeedProcedureView | null;
}

export interface FeedProcedureView {
  readonly procedure: FeedProcedure;
  readonly patient: { pseudonym: string; nhsNumber: string | null; dateOfBirth: string | null; consent: ConsentState };
  readonly items: readonly FeedItemView[];
}

export interface FeedItemView {
  readonly item: FeedItem;
  readonly daysSinceImplant: number | null;
  readonly daysToRevision: number | null;
}

export interface FeedPage {
  readonly registry: Registry;
  readonly entries: readonly FeedEntry[];
  readonly nextCursor: string | null;
  readonly hasMore: boolean;
}

const wholeDays = (from: Date, to: Date) => Math.floor((to.getTime() - from.getTime()) / DAY_MS);

/**
 * One page of the change feed: the procedures changed after the cursor, each
 * once, as they are now, with their items and revision links, and what the
 * registry may see of the patient. Rows and the commit horizon are read in one
 * REPEATABLE READ snapshot. Every page is audited (patients whose data left).
 */
export async function readFeed(
  db: Kysely<Database>,
  ctx: RequestContext,
  input: { registry: string; after?: string | undefined; limit: number },
): Promise<FeedPage> {
  const registry = await registryForKey(db, ctx, input.registry);
  const after = input.after === undefined ? null : decodeCursor(input.after);
  const scope = tenancyOf(ctx.actor);

  const { changed, procedures, items, consents } = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const changed = await nextChangedProcedures(trx, scope, after, input.limit);
      const ids = changed.map((c) => c.id);
      const procedures = await loadProcedures(trx, ids);
      const items = await loadItems(trx, ids);
      const consents = await consentsInForce(trx, registry.code, procedures.map((p) => p.nhsNumber));
      return { changed, procedures, items, consents };
    });

  const byId = new Map(procedures.map((p) => [p.id, p]));
  const itemsOf = new Map<string, FeedItem[]>();
  for (const item of items) {
    const list = itemsOf.get(item.procedureId);
    if (list) list.push(item);
    else itemsOf.set(item.procedureId, [item]);
  }
  const entries: FeedEntry[] = [];
  for (const change of changed) {
    const procedure = byId.get(change.id);
    if (!procedure) throw new Error(`feed: procedure ${change.id} vanished inside one snapshot`);
    const consent = consents.get(procedure.nhsNumber);
    const disclosure = disclosureFor(registry, consent);
    entries.push({
      cursor: encodeCursor(change.position),
      procedureId: procedure.id,
      disclosure,
      procedure:
        disclosure === 'withheld'
          ? null
          : {
              procedure,
              patient: {
                pseudonym: pseudonymFor(registry, procedure.nhsNumber),
                nhsNumber: disclosure === 'identified' ? procedure.nhsNumber : null,
                dateOfBirth: disclosure === 'identified' ? procedure.dateOfBirth : null,
                consent: consent ?? 'not-recorded',
              },
              items: (itemsOf.get(procedure.id) ?? []).map((item) => ({
                item,
                daysSinceImplant: item.revisionOf ? wholeDays(item.revisionOf.implantedAt, item.procedureStartedAt) : null,
                daysToRevision: item.revisedBy ? wholeDays(item.procedureStartedAt, item.revisedBy.revisedAt) : null,
              })),
            },
    });
  }

  const disclosed = entries.flatMap((e) => (e.procedure ? [e.procedure.procedure] : []));
  await recordListAudit(
    db,
    ctx,
    'feed.read',
    disclosed.map((p) => ({ organisationId: p.organisationId, patientId: p.patientId, procedureId: p.id })),
    { registry: registry.code, identified: entries.filter((e) => e.disclosure === 'identified').length },
  );

  const last = entries.at(-1);
  return {
    registry,
    entries,
    nextCursor: last ? last.cursor : (input.after ?? null),
    hasMore: entries.length === input.limit,
  };
}
