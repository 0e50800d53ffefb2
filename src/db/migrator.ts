import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMigrationProvider, Migrator, type Kysely, type MigrationResult } from 'kysely';
import type { Db } from './database.js';

/**
 * The migrations folder, next to src/ both in the source tree (ts, run by the
 * test runner) and in dist/ (compiled js, run by `npm start`).
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** Runs every pending migration, in one go, under Kysely's migration lock. */
export async function migrateToLatest(db: Db): Promise<readonly MigrationResult[]> {
  const migrator = new Migrator({
    // Migrations are frozen in time: they use Kysely<any>, never the current Database type.
    db: db as never,
    provider: provider(),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationError(`Migration ${failed?.migrationName ?? '(unknown)'} failed`, { cause: error });
  }
  return results ?? [];
}

const provider = () => new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR });

/** The names of the migrations this version of the service knows, in the order they run. */
export async function knownMigrations(): Promise<string[]> {
  return Object.keys(await provider().getMigrations()).sort();
}

/**
 * Migrates up to (and including) `name`, inside whatever transaction `db`'s
 * connection is in: the restore builds the schema and loads the rows in one
 * transaction, so that a restore that fails leaves nothing behind.
 */
export async function migrateWithinTransaction(db: Kysely<unknown>, name: string): Promise<readonly MigrationResult[]> {
  const migrator = new Migrator({ db: db as never, provider: provider(), disableTransactions: true });
  const { error, results } = await migrator.migrateTo(name);
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationError(`Migration ${failed?.migrationName ?? name} failed`, { cause: error });
  }
  return results ?? [];
}
