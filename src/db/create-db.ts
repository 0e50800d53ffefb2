import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Database, Db } from './database.js';

export interface CreateDbOptions {
  readonly url: string;
  readonly poolSize?: number;
  /** Called when an idle pooled connection fails (e.g. the server restarted). */
  readonly onPoolError?: (error: Error) => void;
}

/**
 * One Kysely instance over one pg pool. Nothing connects until the first query,
 * so building an app (for example to print its OpenAPI document) needs no server.
 */
/**
 * Calendar dates (SQL `date`) stay YYYY-MM-DD strings: turning them into JS
 * Dates at local midnight would shift expiry dates across time zones.
 */
const DATE_OID = 1082;
const keepAsText = (value: string) => value;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID ? keepAsText : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

/** The pg pool behind each Kysely instance, for the few things Kysely does not do (COPY). */
const POOLS = new WeakMap<Db, pg.Pool>();

export function poolOf(db: Db): pg.Pool {
  const pool = POOLS.get(db);
  if (!pool) throw new Error('This Kysely instance was not made by createDb');
  return pool;
}

export function createDb(options: CreateDbOptions): Db {
  const pool = new pg.Pool({
    types,
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Fail fast when the server is away, so requests get a 503 rather than hang.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'implant-trace',
  });
  // An idle client's error (server restart, connection killed) must not crash the process;
  // the pool drops that client and the next query connects anew.
  pool.on('error', (error) => options.onPoolError?.(error));
  // A connection that fails while checked out (killed mid-transaction, a server crash) emits 'error' on
  // its client, where pg-pool listens only while the client is idle: with no listener, that event would
  // crash the process. The failure reaches the request through its next query (a 503, or a batch
  // redone), and the pool discards the broken client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  // The cursor lets long lists (recall exports, feeds) stream with constant memory.
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
  POOLS.set(db, pool);
  return db;
}
