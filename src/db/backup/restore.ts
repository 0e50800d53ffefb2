/**
 * Restores a backup made by ./backup.ts into an empty database, in one
 * transaction: the schema is built by the service's own migrations up to the
 * one the backup was taken at, every table's rows are loaded with `COPY …
 * FROM STDIN` and checked against the count and SHA-256 the file carries,
 * the sequences are set, and the foreign keys are checked as they are added
 * back. Anything wrong (a truncated or damaged file, a row Postgres refuses)
 * rolls the whole of it back: the target is left as it was.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { kyselyOnClient } from '../create-db.js';
import { knownMigrations, migrateWithinTransaction } from '../migrator.js';
import {
  currentSchema,
  emptySchema,
  foreignKeysOf,
  indexesOf,
  qualified,
  schemaContents,
  sequencesOf,
  setPortableSession,
  tablesOf,
  type ForeignKey,
  type IndexDefinition,
} from './catalog.js';
import {
  BackupEndSchema,
  BackupFileError,
  BackupHeaderSchema,
  BackupReader,
  FORMAT_VERSION,
  MAGIC,
  RowTally,
  TableEndSchema,
  type BackupHeader,
} from './format.js';

/** The restore would not start: the target is not empty, or the backup does not fit it. Nothing was changed. */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

export interface RestoreOptions {
  /** The database to restore into. Never logged: it holds the password. */
  readonly url: string;
  /** The backup file as written (gzip-compressed). */
  readonly input: Readable;
  /** Drop what the target's schema holds first (in the same transaction). Without it, a target that is not empty is refused. */
  readonly replace?: boolean;
  readonly log?: (message: string) => void;
  readonly onTable?: (table: string, rows: number) => void;
}

export interface RestoreSummary {
  readonly header: BackupHeader;
  readonly rows: number;
  readonly tables: ReadonlyArray<{ readonly name: string; readonly rows: number }>;
  /** Transaction ids spent so that the target's come after the backup's (see advanceTransactionIds). */
  readonly transactionIdsAdvanced: bigint;
}

type RowSink = (table: BackupHeader['tables'][number], rows: AsyncIterable<Buffer>) => Promise<number | undefined>;

/** Opens a backup file: its header, and a reader positioned at the first table. */
async function openBackup(input: Readable): Promise<{ header: BackupHeader; reader: BackupReader }> {
  const gunzip = createGunzip();
  let received = 0;
  input.on('data', (chunk: Buffer) => (received += chunk.length));
  input.on('error', (error) => gunzip.destroy(error));
  const reader = new BackupReader(input.pipe(gunzip));
  let version: string;
  try {
    version = await reader.expect(MAGIC, 'at the start');
  } catch (error) {
    if (received === 0 && error instanceof BackupFileError) throw new BackupFileError('The backup file is empty.');
    if (error instanceof BackupFileError && /expected/.test(error.message)) throw new BackupFileError('This is not an implant-trace backup file (it does not begin with IMPLANT-TRACE-BACKUP).');
    throw error;
  }
  if (version !== String(FORMAT_VERSION)) {
    throw new BackupFileError(`The backup file is in format ${version}; this version of the service reads format ${FORMAT_VERSION}. Restore it with the version that made it, or a newer one.`);
  }
  const header = await reader.expectJson('HEADER', 'after the first line', BackupHeaderSchema);
  return { header, reader };
}

/**
 * Reads every table's rows into `sink` and checks each against the count and
 * SHA-256 the file recorded for it, then the end of the file.
 */
async function readTables(reader: BackupReader, header: BackupHeader, sink: RowSink, onTable?: (table: string, rows: number) => void) {
  const tables: Array<{ name: string; rows: number }> = [];
  let total = 0;
  for (const table of header.tables) {
    const name = await reader.expect('TABLE', `where table ${table.name} should begin`);
    if (name !== table.name) throw new BackupFileError(`The backup file is damaged: table ${table.name} was expected, ${JSON.stringify(name.slice(0, 64))} found.`);
    const tally = new RowTally();
    const loaded = await sink(table, reader.rows(table.name, tally));
    const end = await reader.expectJson('END-TABLE', `after the rows of table ${table.name}`, TableEndSchema);
    const sha256 = tally.digest();
    if (end.table !== table.name || end.rows !== tally.rows || end.sha256 !== sha256) {
      throw new BackupFileError(
        `The backup file is damaged: the rows of table ${table.name} do not match their checksum (${tally.rows} rows read, ${end.rows} recorded${end.sha256 === sha256 ? '' : ', SHA-256 differs'}).`,
      );
    }
    if (loaded !== undefined && loaded !== tally.rows) throw new BackupFileError(`Table ${table.name}: Postgres loaded ${loaded} rows of the ${tally.rows} in the file.`);
    tables.push({ name: table.name, rows: tally.rows });
    total += tally.rows;
    onTable?.(table.name, tally.rows);
  }
  const end = await reader.expectJson('END-OF-BACKUP', 'after the last table', BackupEndSchema);
  if (end.tables !== tables.length || end.rows !== total) throw new BackupFileError('The backup file is damaged: its totals do not match its tables.');
  await reader.expectEnd();
  return { tables, rows: total };
}

/** Reads a whole backup file and checks it, touching no database. */
export async function verifyBackup(input: Readable, onTable?: (table: string, rows: number) => void): Promise<{ header: BackupHeader; rows: number; tables: Array<{ name: string; rows: number }>; restorable: string | undefined }> {
  try {
    const { header, reader } = await openBackup(input);
    const { tables, rows } = await readTables(
      reader,
      header,
      async (_table, data) => {
        for await (const chunk of data) void chunk;
        return undefined;
      },
      onTable,
    );
    return { header, rows, tables, restorable: await unknownMigration(header) };
  } finally {
    input.destroy();
  }
}

/** The first migration of the backup this version does not know (it was made by a newer version), if any. */
async function unknownMigration(header: BackupHeader): Promise<string | undefined> {
  const known = await knownMigrations();
  return header.migrations.find((name, i) => known[i] !== name);
}

export async function restoreDatabase(options: RestoreOptions): Promise<RestoreSummary> {
  try {
    return await restore(options);
  } finally {
    options.input.destroy();
  }
}

/** The restore, phase by phase: the file's header, the target, the transaction ids, then one transaction. */
async function restore(options: RestoreOptions): Promise<RestoreSummary> {
  const log = options.log ?? (() => undefined);
  const { header, reader } = await openBackup(options.input);
  const unknown = await unknownMigration(header);
  if (unknown !== undefined) {
    throw new RestoreRefusedError(
      `The backup was made by a newer version of the service: its schema has migration ${unknown}, which this version does not know. Restore it with that version or a newer one.`,
    );
  }

  const client = new pg.Client({ connectionString: options.url, application_name: 'implant-trace-restore' });
  await client.connect();
  let inTransaction = false;
  try {
    await setPortableSession(client);
    const target = await checkTarget(client, header, options.replace === true);
    const advanced = await advanceTransactionIds(client, BigInt(header.xidHorizon), log);

    await client.query('begin');
    inTransaction = true;
    await client.query(`set local maintenance_work_mem = '256MB'`);
    await buildSchema(client, target, header, log);
    const deferred = await prepareLoad(client, target.schema, header);
    const loaded = await readTables(reader, header, (table, rows) => copyRows(client, target.schema, table, rows), options.onTable);
    await finishLoad(client, target.schema, header, deferred, log);
    await client.query('commit');
    inTransaction = false;
    return { header, rows: loaded.rows, tables: loaded.tables, transactionIdsAdvanced: advanced };
  } catch (error) {
    if (inTransaction) await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Target {
  readonly database: string;
  readonly schema: string;
  /** Whether its schema holds anything (to be dropped: --replace). */
  readonly occupied: boolean;
}

/** The target must hold text as the backup's database did, and nothing yet (unless it is to be replaced). */
async function checkTarget(client: pg.Client, header: BackupHeader, replace: boolean): Promise<Target> {
  const schema = await currentSchema(client);
  const about = (await client.query<{ database: string; encoding: string }>(`select current_database() as database, current_setting('server_encoding') as encoding`)).rows[0];
  const database = about?.database ?? '';
  if (about?.encoding !== header.source.encoding) {
    throw new RestoreRefusedError(`The backup's database was encoded ${header.source.encoding}, the database "${database}" is ${about?.encoding}: create it with ENCODING '${header.source.encoding}'.`);
  }
  const contents = await schemaContents(client, schema);
  const occupied = contents.tables > 0 || contents.others > 0;
  if (occupied && !replace) {
    throw new RestoreRefusedError(
      `The database "${database}" is not empty: schema ${schema} holds ${contents.tables} tables and ${contents.others} other objects. ` +
        'Restore into an empty database, or pass --replace to drop what it holds (in the same transaction as the restore).',
    );
  }
  return { database, schema, occupied };
}

/** The schema as it was when the backup was taken: the service's migrations up to the backup's last. */
async function buildSchema(client: pg.Client, target: Target, header: BackupHeader, log: (message: string) => void): Promise<void> {
  if (target.occupied) {
    log(`dropping what schema ${target.schema} of "${target.database}" holds (--replace)`);
    await emptySchema(client, target.schema);
  }
  const last = header.migrations[header.migrations.length - 1] as string;
  log(`building the schema: migrations up to ${last}`);
  await migrateWithinTransaction(kyselyOnClient(client), last);
  await checkSchema(client, target.schema, header);
}

interface Deferred {
  readonly foreignKeys: readonly ForeignKey[];
  readonly indexes: readonly IndexDefinition[];
}

/**
 * Load as pg_dump does: foreign keys after the rows (items and item_decisions
 * name each other), indexes built once after the rows rather than row by row
 * (a GIN index on every audit row), triggers off (the feed's would move every
 * procedure to this transaction's position; the append-only guards refuse
 * the TRUNCATE that clears what the migrations seeded).
 */
async function prepareLoad(client: pg.Client, schema: string, header: BackupHeader): Promise<Deferred> {
  const foreignKeys = await foreignKeysOf(client, schema);
  for (const fk of foreignKeys) await client.query(`alter table ${qualified(client, schema, fk.table)} drop constraint ${client.escapeIdentifier(fk.name)}`);
  const indexes = await indexesOf(client, schema);
  for (const index of indexes) await client.query(index.drop);
  for (const table of header.tables) await client.query(`alter table ${qualified(client, schema, table.name)} disable trigger user`);
  await client.query(`truncate table ${header.tables.map((t) => qualified(client, schema, t.name)).join(', ')}`);
  return { foreignKeys, indexes };
}

/** One table's rows from the file into Postgres; answers how many Postgres took. */
async function copyRows(client: pg.Client, schema: string, table: BackupHeader['tables'][number], rows: AsyncIterable<Buffer>): Promise<number> {
  const columns = table.columns.map((c) => client.escapeIdentifier(c.name)).join(', ');
  // FREEZE: the table was emptied in this transaction, so its rows can be written frozen (no vacuum pass to freeze them later).
  const copy = client.query(copyFrom(`copy ${qualified(client, schema, table.name)} (${columns}) from stdin with (freeze)`));
  await pipeline(rows, copy);
  return copy.rowCount;
}

/** After the rows: the sequences, the indexes, the foreign keys (checked as they are added), the triggers, statistics. */
async function finishLoad(client: pg.Client, schema: string, header: BackupHeader, deferred: Deferred, log: (message: string) => void): Promise<void> {
  for (const s of header.sequences) {
    await client.query('select setval($1::regclass, $2::bigint, $3)', [qualified(client, schema, s.name), s.lastValue, s.isCalled]);
  }
  log(`building ${deferred.indexes.length} indexes and checking ${deferred.foreignKeys.length} foreign keys`);
  for (const index of deferred.indexes) await client.query(index.create);
  await addForeignKeys(client, schema, deferred.foreignKeys);
  for (const table of header.tables) await client.query(`alter table ${qualified(client, schema, table.name)} enable trigger user`);
  // Statistics for the planner from the first query on.
  for (const table of header.tables) await client.query(`analyze ${qualified(client, schema, table.name)}`);
}

/** The schema the migrations built must be the one the rows were taken from: the same tables, columns and sequences. */
async function checkSchema(client: pg.Client, schema: string, header: BackupHeader): Promise<void> {
  const built = new Map((await tablesOf(client, schema)).map((t) => [t.name, t]));
  const problems: string[] = [];
  for (const table of header.tables) {
    const target = built.get(table.name);
    if (!target) {
      problems.push(`table ${table.name} is missing`);
      continue;
    }
    built.delete(table.name);
    const columns = new Map(target.columns.map((c) => [c.name, c.type]));
    for (const column of table.columns) {
      const type = columns.get(column.name);
      if (type !== column.type) problems.push(`${table.name}.${column.name} is ${type ?? 'missing'}, the backup has ${column.type}`);
      columns.delete(column.name);
    }
    for (const extra of columns.keys()) problems.push(`${table.name}.${extra} is not in the backup`);
  }
  for (const extra of built.keys()) problems.push(`table ${extra} is not in the backup`);
  const sequences = new Set((await sequencesOf(client, schema)).map((s) => s.name));
  for (const s of header.sequences) if (!sequences.has(s.name)) problems.push(`sequence ${s.name} is missing`);
  if (problems.length > 0) {
    throw new RestoreRefusedError(`The schema built by the migrations differs from the backup's (${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}). Was the backup edited, or a migration changed after it was released?`);
  }
}

async function addForeignKeys(client: pg.Client, schema: string, foreignKeys: readonly ForeignKey[]): Promise<void> {
  for (const fk of foreignKeys) {
    try {
      await client.query(`alter table ${qualified(client, schema, fk.table)} add constraint ${client.escapeIdentifier(fk.name)} ${fk.definition}`);
    } catch (error) {
      throw new BackupFileError(`The backup's rows break foreign key ${fk.name} (${fk.table} → ${fk.references}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}

/** Transaction ids spent per statement while advancing; each statement commits them. */
const XID_BATCH = 1_000_000n;

/**
 * Feed positions are transaction ids (xid8): a registry's cursor says "after
 * transaction X". On a server whose transaction counter is behind the backup's
 * (a new cluster, another server), the restored rows would hide behind the
 * counter and new changes would get positions before cursors registries
 * already hold, so they would be missed. The counter is moved past the
 * backup's horizon first, by committing empty transactions (~250,000 a second).
 * Restoring on the server the backup came from spends none.
 */
async function advanceTransactionIds(client: pg.Client, horizon: bigint, log: (message: string) => void): Promise<bigint> {
  const next = async () => BigInt((await client.query<{ x: string }>('select pg_snapshot_xmax(pg_current_snapshot())::text as x')).rows[0]?.x ?? '0');
  const start = await next();
  if (start >= horizon) return 0n;
  log(`advancing this server's transaction ids from ${start} past the backup's ${horizon} (feed positions are transaction ids)`);
  await client.query('set synchronous_commit = off');
  try {
    for (let current = start; current < horizon; current = await next()) {
      const batch = horizon - current < XID_BATCH ? horizon - current : XID_BATCH;
      await client.query(`do $$ begin for i in 1..${batch} loop perform pg_current_xact_id(); commit; end loop; end $$`);
    }
  } finally {
    await client.query('reset synchronous_commit');
  }
  return (await next()) - start;
}
