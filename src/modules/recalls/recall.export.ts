import type { Readable } from 'node:stream';
import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { poolOf } from '../../db/create-db.js';
import type { Database } from '../../db/database.js';
import { listSize, MATCH_REASONS, recallPredicates } from './recall.matching.js';
import { affectedBase, affectedDecision, contactStatus, voidedAt, voidedBy, type AffectedQuery } from './recall.repository.js';

/**
 * The affected list as CSV (RFC 4180 with a header row), written by Postgres
 * itself: `COPY (…) TO STDOUT (FORMAT csv)` streamed straight to the client, so
 * memory stays flat and no row is turned into a JavaScript object.
 *
 * A cell that a spreadsheet could run as a formula gets a leading apostrophe,
 * which spreadsheets do not display (OWASP, CSV injection): every cell that
 * starts with = + - @, a tab or a carriage return. HIBC codes and some lots
 * begin with + or -; they are guarded too, and the JSON keeps every value as
 * it was scanned.
 */
const guard = (value: RawBuilder<unknown>) => sql<string | null>`case when ${value} ~ '^[-=+@\\t\\r]' then '''' || ${value} else ${value} end`;
const iso = (value: RawBuilder<unknown>) => sql<string | null>`to_char(${value} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

function exportQuery(db: Kysely<Database>, q: Omit<AffectedQuery, 'limit' | 'after'>): CompiledQuery {
  const { matchKind, products } = recallPredicates(q.scopes);
  return affectedBase(db, q)
    .where(products)
    .select([
      'i.nhs_number',
      iso(sql.ref('i.procedure_started_at')).as('procedure_date'),
      'o.ods_code as organisation',
      'l.gln as location_gln',
      guard(sql.ref('l.name')).as('location_name'),
      guard(sql`coalesce(st.name, st.local_id, st.gsrn)`).as('clinician'),
      'i.side',
      'i.gtin',
      guard(sql.ref('i.di')).as('device_identifier'),
      guard(sql.ref('i.lot_number')).as('lot_number'),
      guard(sql.ref('i.serial_number')).as('serial_number'),
      'i.expiration_date',
      'i.entry_type',
      matchKind.as('match'),
      sql<string>`case ${matchKind} ${sql.join(
        Object.entries(MATCH_REASONS).map(([kind, reason]) => sql`when ${kind} then ${reason}`),
        sql` `,
      )} end`.as('match_reason'),
      affectedDecision.as('decision'),
      iso(sql.ref('ex.first_scanned_at')).as('explanted_at'),
      contactStatus(q.recallId).as('contact_status'),
      iso(sql`case when i.status = 'voided' then ${voidedAt} end`).as('voided_at'),
      guard(sql`case when i.status = 'voided' then ${voidedBy} end`).as('voided_by'),
      'i.id as item_id',
      'i.procedure_id',
    ])
    .compile();
}

/** COPY takes no bind parameters: each one is written as a literal, escaped by the driver. */
function inline(query: CompiledQuery, client: pg.PoolClient): string {
  const literal = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (Array.isArray(v)) return v.length === 0 ? `'{}'` : `array[${v.map(literal).join(',')}]`;
    if (v instanceof Date) return client.escapeLiteral(v.toISOString());
    if (typeof v === 'string') return client.escapeLiteral(v);
    throw new Error(`cannot write a ${typeof v} parameter into COPY`);
  };
  return query.sql.replace(/\$(\d+)/g, (_, n: string) => literal(query.parameters[Number(n) - 1]));
}

export const CSV_COLUMNS = [
  'nhs_number',
  'procedure_date',
  'organisation',
  'location_gln',
  'location_name',
  'clinician',
  'side',
  'gtin',
  'device_identifier',
  'lot_number',
  'serial_number',
  'expiration_date',
  'entry_type',
  'match',
  'match_reason',
  'decision',
  'explanted_at',
  'contact_status',
  'voided_at',
  'voided_by',
  'item_id',
  'procedure_id',
] as const;

/**
 * Starts the export and answers the stream of CSV bytes. The connection goes
 * back to the pool when the stream ends; if it is abandoned half way (the
 * client went away), the connection is closed instead, as it is mid-COPY.
 */
export async function copyAffectedCsv(db: Kysely<Database>, q: Omit<AffectedQuery, 'limit' | 'after'>): Promise<Readable> {
  const client = await poolOf(db).connect();
  let stream: Readable;
  try {
    // A long list (all lots of products) reads the recall register index alone when bitmap scans are off:
    // an index-only scan in index order, instead of one heap page per implant.
    // SET LOCAL keeps the setting to this transaction, never to the pooled connection.
    await client.query('begin read only');
    // Not when lots are listed: their weaker matches (a lot label without its product, a typed lot)
    // live in other, small indexes, which only a bitmap can join to the recall register's.
    if (!q.scopes.some((s) => s.allLots !== true && listSize(s.lots) > 0)) await client.query('set local enable_bitmapscan = off');
    stream = client.query(copyTo(`copy (${inline(exportQuery(db, q), client)}) to stdout with (format csv, header true)`));
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  let done = false;
  const finish = (error?: Error) => {
    if (done) return;
    done = true;
    if (error) {
      client.release(error); // mid-COPY: the connection is closed, not reused
      return;
    }
    client.query('commit').then(
      () => client.release(),
      (e: unknown) => client.release(e instanceof Error ? e : true),
    );
  };
  stream.on('end', () => finish());
  stream.on('error', (error: Error) => finish(error));
  stream.on('close', () => finish(new Error('CSV export abandoned before its end')));
  return stream;
}
