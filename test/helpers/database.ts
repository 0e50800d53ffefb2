import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FileMigrationProvider, Migrator } from 'kysely';
import pg from 'pg';
import { createDb } from '../../src/db/create-db.js';
import type { Db } from '../../src/db/database.js';
import { migrateToLatest, MIGRATIONS_DIR } from '../../src/db/migrator.js';
import { databaseUrl, readState } from './postgres-state.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface TestDatabase {
  readonly db: Db;
  readonly url: string;
  readonly name: string;
}

/**
 * A fresh database of its own for one test file (or test), cloned from the
 * migrated template (~0.1 s), dropped again when the test ends. Real Postgres;
 * test files run in parallel without seeing each other's rows.
 */
export async function createTestDatabase(t: Teardown, options: { readonly icuLocale?: string; readonly migratedTo?: string } = {}): Promise<TestDatabase> {
  const { adminUrl, template } = readState();
  const name = `test_${randomBytes(6).toString('hex')}`;
  if (options.icuLocale !== undefined) return createIcuDatabase(t, adminUrl, name, options.icuLocale);
  if (options.migratedTo !== undefined) return createEarlierDatabase(t, adminUrl, name, options.migratedTo);
  await adminQuery(adminUrl, async (client) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`create database ${client.escapeIdentifier(name)} template ${client.escapeIdentifier(template)}`);
        return;
      } catch (error) {
        // 55006: the template is briefly in use by another clone starting; try again.
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });
  const url = databaseUrl(adminUrl, name);
  const db = createDb({ url, poolSize: 10 });
  t.teardown(async () => {
    await db.destroy();
    await adminQuery(adminUrl, (client) => client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`));
  });
  return { db, url, name };
}

/**
 * A database whose default collation is an ICU locale (as a hosted or
 * docker-compose Postgres often has: en-US orders 'a150' between 'A100' and
 * 'A199'), migrated from scratch: the template is in collation C.
 */
async function createIcuDatabase(t: Teardown, adminUrl: string, name: string, icuLocale: string): Promise<TestDatabase> {
  await adminQuery(adminUrl, (client) =>
    client.query(`create database ${client.escapeIdentifier(name)} template template0 encoding 'UTF8' locale_provider icu icu_locale ${client.escapeLiteral(icuLocale)} locale 'C'`),
  );
  const url = databaseUrl(adminUrl, name);
  const db = createDb({ url, poolSize: 10 });
  t.teardown(async () => {
    await db.destroy();
    await adminQuery(adminUrl, (client) => client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`));
  });
  await migrateToLatest(db);
  return { db, url, name };
}

/** The migrations as a migrator sees them, to go up or down one step at a time. */
export const migratorOf = (db: Db) => new Migrator({ db: db as never, provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }) });

/**
 * A database migrated up to (and including) an earlier migration, to test what a later one
 * does to the rows it finds (a backfill). Migrate it on with migrateToLatest or migratorOf.
 */
async function createEarlierDatabase(t: Teardown, adminUrl: string, name: string, migration: string): Promise<TestDatabase> {
  await adminQuery(adminUrl, (client) => client.query(`create database ${client.escapeIdentifier(name)} template template0 encoding 'UTF8' locale 'C'`));
  const url = databaseUrl(adminUrl, name);
  const db = createDb({ url, poolSize: 10 });
  t.teardown(async () => {
    await db.destroy();
    await adminQuery(adminUrl, (client) => client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`));
  });
  const { error } = await migratorOf(db).migrateTo(migration);
  if (error) throw error instanceof Error ? error : new Error(`migrating to ${migration} failed`, { cause: error });
  return { db, url, name };
}

async function adminQuery<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
