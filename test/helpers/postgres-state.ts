import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Hand-over between tap's `before` script (which provisions Postgres and a
 * migrated template database) and the test files (which clone it). One file
 * per checkout, so two clones can run their suites side by side.
 */
export interface TestPostgresState {
  /** Maintenance connection (database `postgres`) with the right to create databases. */
  readonly adminUrl: string;
  /** The migrated template every test database is cloned from. */
  readonly template: string;
  /** Set when the run started its own embedded server in this folder. */
  readonly embeddedDataDir: string | null;
}

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * One file per checkout and per tap run: the `before` script, every test file
 * and the `after` script are all children of the same tap process, so its pid
 * (our parent's) tells concurrent runs in one checkout apart.
 */
export const STATE_FILE = path.join(
  os.tmpdir(),
  `implant-trace-test-${createHash('sha256').update(projectRoot).digest('hex').slice(0, 12)}-${process.ppid}.json`,
);

export function readState(): TestPostgresState {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as TestPostgresState;
  } catch (error) {
    throw new Error(`No test Postgres was provisioned (${STATE_FILE}). Run the suite with \`npm test\`.`, { cause: error });
  }
}

/** The URL of another database on the same server. */
export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
