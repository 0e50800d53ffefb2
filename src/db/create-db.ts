import { Kysely, PostgresDialect, type PostgresPoolClient } from 'kysely';
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
 * What the API can show. Postgres stores times JavaScript and ISO 8601 cannot
 * (year 10000, BC, `infinity`); the service refuses to write them (see
 * shared/time-bounds.ts), but a row written by an older version or by hand must
 * never make a read fail. Such a value reads as the nearest time the API can
 * show: years 0001 to 9999.
 */
const MIN_INSTANT = new Date('0001-01-01T00:00:00.000Z').getTime();
const MAX_INSTANT = new Date('9999-12-31T23:59:59.999Z').getTime();

/** A timestamp as a Date in years 0001-9999, whatever Postgres sent (`infinity` included). */
export function readInstant(parsed: unknown): Date {
  const ms = parsed instanceof Date ? parsed.getTime() : typeof parsed === 'number' ? parsed : Number.NaN;
  if (ms < MIN_INSTANT) return new Date(MIN_INSTANT);
  // Past the end, `infinity`, or nothing JavaScript can read.
  if (!(ms <= MAX_INSTANT)) return new Date(MAX_INSTANT);
  return new Date(ms);
}

/**
 * Calendar dates (SQL `date`) stay YYYY-MM-DD strings: turning them into JS
 * Dates at local midnight would shift expiry dates across time zones. Years
 * past 9999 and `infinity` read as 9999-12-31; BC and `-infinity` as 0001-01-01.
 */
export function readCalendarDate(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value) && !value.startsWith('0000-')) return value;
  return value === '-infinity' || value.endsWith(' BC') || value.startsWith('0000-') ? '0001-01-01' : '9999-12-31';
}

const DATE_OID = 1082;
const TIMESTAMP_OID = 1114;
const TIMESTAMPTZ_OID = 1184;
const parseTimestamp = pg.types.getTypeParser(TIMESTAMP_OID) as (value: string) => unknown;
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID) as (value: string) => unknown;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === DATE_OID) return readCalendarDate;
    if (oid === TIMESTAMPTZ_OID) return (value: string) => readInstant(parseTimestamptz(value));
    if (oid === TIMESTAMP_OID) return (value: string) => readInstant(parseTimestamp(value));
    return pg.types.getTypeParser(oid, format) as unknown;
  }) as typeof pg.types.getTypeParser,
};

/** The pg pool behind each Kysely instance, for the few things Kysely does not do (COPY). */
const POOLS = new WeakMap<Db, pg.Pool>();

export function poolOf(db: Db): pg.Pool {
  const pool = POOLS.get(db);
  if (!pool) throw new Error('This Kysely instance was not made by createDb');
  return pool;
}

/**
 * One Kysely instance over one pg pool. Nothing connects until the first query,
 * so building an app (for example to print its OpenAPI document) needs no server.
 */
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

/**
 * A Kysely instance over one connection the caller holds and closes, and may
 * have put in a transaction: what Kysely runs on it joins that transaction.
 * For maintenance that must be one transaction with its own statements (the
 * restore migrates and loads in one). One query at a time.
 */
export function kyselyOnClient(client: pg.ClientBase): Kysely<unknown> {
  const borrowed = {
    query: (text: string, parameters: readonly unknown[]) => client.query(text, parameters as unknown[]),
    release: () => undefined,
  };
  const pool = { connect: async () => borrowed as unknown as PostgresPoolClient, end: async () => undefined };
  return new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
}
