/**
 * A logical backup of the service's database: every table of its schema
 * (the migrations table included) read with `COPY … TO STDOUT` inside one
 * REPEATABLE READ, READ ONLY transaction, so the file is the database as it
 * was at one instant while the service goes on writing. gzip-compressed as it
 * is written; see ./format.ts for what the file holds.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { currentSchema, dependencyOrder, foreignKeysOf, qualified, sequencesOf, setPortableSession, tablesOf } from './catalog.js';
import { END_OF_ROWS, FORMAT_VERSION, line, MAGIC, RowTally, type BackupHeader } from './format.js';

export interface BackupOptions {
  /** The database to back up. Never logged: it holds the password. */
  readonly url: string;
  /** Where the compressed file goes; ended when the backup is complete. */
  readonly output: Writable;
  /**
   * Read this exported snapshot (`pg_export_snapshot()`, as pg_dump's
   * --snapshot) instead of taking one: to back up exactly what another
   * transaction sees.
   */
  readonly snapshot?: string;
  /**
   * gzip level, 1 (fastest) to 9 (smallest). Default 1: at a million scans, level 6 made the
   * file 7 % smaller and the backup a third slower (docs/BENCHMARKS.md), and the backup's
   * snapshot is held for as long as it runs.
   */
  readonly compressionLevel?: number;
  /** Called after each table. */
  readonly onTable?: (table: string, rows: number) => void;
  /** How long to wait for the tables' ACCESS SHARE locks (a migration holds them). Default 60 s. */
  readonly lockTimeoutMs?: number;
}

export interface BackupSummary {
  readonly header: BackupHeader;
  readonly rows: number;
  readonly tables: ReadonlyArray<{ readonly name: string; readonly rows: number }>;
}

export class BackupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
  }
}

const BUFFERED = 8 * 1024 * 1024;

export async function backupDatabase(options: BackupOptions): Promise<BackupSummary> {
  const client = new pg.Client({ connectionString: options.url, application_name: 'implant-trace-backup' });
  await client.connect();
  const gzip = createGzip({ level: options.compressionLevel ?? 1 });
  gzip.pipe(options.output);
  const written = finished(options.output);
  // Until the backup is complete, a failure of the output is reported here, not as an uncaught error.
  written.catch(() => undefined);
  // Up to BUFFERED bytes wait for gzip, so that Postgres goes on sending while gzip works on what came before.
  const write = async (data: string | Buffer) => {
    gzip.write(data);
    if (gzip.writableLength > BUFFERED) await Promise.race([once(gzip, 'drain'), written.then(() => Promise.reject(new BackupError('The output closed before the backup was complete.')))]);
  };
  try {
    await setPortableSession(client);
    await client.query('begin isolation level repeatable read, read only');
    if (options.snapshot !== undefined) await client.query(`set transaction snapshot ${client.escapeLiteral(options.snapshot)}`);
    const header = await readHeader(client);
    // Hold off schema changes (a migration) until the backup is done; reads and writes go on.
    await client.query(`set local lock_timeout = ${Math.max(1, Math.round(options.lockTimeoutMs ?? 60_000))}`);
    for (const table of header.tables) await client.query(`lock table ${qualified(client, header.source.schema, table.name)} in access share mode`);

    await write(line(MAGIC, String(FORMAT_VERSION)));
    await write(line('HEADER', header));
    const tables: Array<{ name: string; rows: number }> = [];
    let total = 0;
    for (const table of header.tables) {
      await write(line('TABLE', table.name));
      const tally = new RowTally();
      const columns = table.columns.map((c) => client.escapeIdentifier(c.name)).join(', ');
      const copy = client.query(copyTo(`copy ${qualified(client, header.source.schema, table.name)} (${columns}) to stdout`));
      for await (const chunk of copy as AsyncIterable<Buffer>) {
        tally.add(chunk);
        await write(chunk);
      }
      await write(END_OF_ROWS);
      await write(line('END-TABLE', { table: table.name, rows: tally.rows, sha256: tally.digest() }));
      tables.push({ name: table.name, rows: tally.rows });
      total += tally.rows;
      options.onTable?.(table.name, tally.rows);
    }
    await write(line('END-OF-BACKUP', { tables: tables.length, rows: total }));
    await client.query('commit');
    gzip.end();
    await written;
    return { header, rows: total, tables };
  } catch (error) {
    gzip.destroy();
    options.output.destroy();
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The header, read in the backup's snapshot: where it comes from, the schema's migrations, tables and sequences. */
async function readHeader(client: pg.Client): Promise<BackupHeader> {
  const schema = await currentSchema(client);
  const about = await client.query<{ created_at: Date; xmax: string; database: string; version: string; encoding: string }>(
    `select now() as created_at, pg_snapshot_xmax(pg_current_snapshot())::text as xmax, current_database() as database,
            current_setting('server_version') as version, current_setting('server_encoding') as encoding`,
  );
  const info = about.rows[0];
  if (!info) throw new BackupError('The database did not say what it is.');
  const tables = await tablesOf(client, schema);
  if (!tables.some((t) => t.name === 'kysely_migration')) {
    throw new BackupError(`The database "${info.database}" holds no implant-trace schema (no kysely_migration table in schema ${schema}): nothing to back up.`);
  }
  const migrations = await client.query<{ name: string }>(`select name from ${qualified(client, schema, 'kysely_migration')} order by name`);
  if (migrations.rows.length === 0) throw new BackupError(`The database "${info.database}" has not been migrated: nothing to back up.`);
  return {
    createdAt: info.created_at.toISOString(),
    source: { serverVersion: info.version, database: info.database, schema, encoding: info.encoding },
    xidHorizon: info.xmax,
    migrations: migrations.rows.map((r) => r.name),
    tables: dependencyOrder(tables, await foreignKeysOf(client, schema)).map((t) => ({ name: t.name, columns: [...t.columns] })),
    sequences: await sequencesOf(client, schema),
  };
}
