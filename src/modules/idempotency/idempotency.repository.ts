/**
 * Answers given under Idempotency-Keys, one per (organisation, key): the
 * first request with a key claims it in the transaction that does its work,
 * and a retry is answered from it instead of doing the work again. The hash
 * of the request tells a retry from another request that reused the key.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { auditValues, type AuditRow } from '../audit/audit.repository.js';

export interface IdempotencyRecord {
  readonly requestHash: Buffer;
  readonly statusCode: number | null;
  readonly response: unknown;
}

export const idempotencyId = (organisationId: string, key: string) => `${organisationId}\u0000${key}`;

/** The stored answers of these Idempotency-Keys, by idempotencyId(). */
export async function findIdempotencyRecords(
  db: Kysely<Database>,
  keys: ReadonlyArray<{ readonly organisationId: string; readonly key: string }>,
): Promise<Map<string, IdempotencyRecord>> {
  if (keys.length === 0) return new Map();
  const rows = await sql<{ organisation_id: string; key: string; request_hash: Buffer; status_code: number | null; response: unknown }>`
    select k.organisation_id, k.key, k.request_hash, k.status_code, k.response
    from idempotency_keys k
    join unnest(${keys.map((k) => k.organisationId)}::uuid[], ${keys.map((k) => k.key)}::text[]) as q(organisation_id, key)
      on k.organisation_id = q.organisation_id and k.key = q.key`.execute(db);
  return new Map(rows.rows.map((r) => [idempotencyId(r.organisation_id, r.key), { requestHash: r.request_hash, statusCode: r.status_code, response: r.response }]));
}

export interface IdempotentAnswer {
  readonly organisationId: string;
  readonly key: string;
  readonly requestHash: Buffer;
  readonly statusCode: number;
  readonly response: unknown;
}

/**
 * Stores answers under their keys, in the transaction that did the work, with
 * the audit rows of that work in the same statement (one round trip). Answers
 * how many keys this transaction claimed: fewer than given when another
 * transaction holds a key already (this one waited for it to commit), and the
 * caller then rolls back and answers from the stored record.
 */
export async function storeIdempotentAnswers(db: Kysely<Database>, answers: readonly IdempotentAnswer[], audit: readonly AuditRow[] = []): Promise<number> {
  if (answers.length === 0) return 0;
  const values = answers.map((r) => ({ organisation_id: r.organisationId, key: r.key, request_hash: r.requestHash, status_code: r.statusCode, response: JSON.stringify(r.response) }));
  const insert = audit.length === 0 ? db.insertInto('idempotency_keys') : db.with('audit', (qb) => qb.insertInto('audit_events').values(audit.map(auditValues))).insertInto('idempotency_keys');
  const stored = await insert
    .values(values)
    .onConflict((oc) => oc.columns(['organisation_id', 'key']).doNothing())
    .returning('key')
    .execute();
  return stored.length;
}

/** One answer under its key: true when this transaction claimed it. */
export async function storeIdempotentAnswer(db: Kysely<Database>, answer: IdempotentAnswer): Promise<boolean> {
  return (await storeIdempotentAnswers(db, [answer])) === 1;
}
