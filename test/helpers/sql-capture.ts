/**
 * The SQL a repository function sends, as text: a Kysely over the same pool
 * that logs every query it runs. For snapshots of the queries that carry the
 * recall and feed guarantees: a change to them shows in review as a diff.
 */
import { Kysely, PostgresDialect } from 'kysely';
import Cursor from 'pg-cursor';
import { poolOf } from '../../src/db/create-db.js';
import type { Database, Db } from '../../src/db/database.js';

export async function sqlOf(db: Db, run: (logging: Kysely<Database>) => Promise<unknown>): Promise<string> {
  const queries: string[] = [];
  const logging = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: poolOf(db), cursor: Cursor }),
    log: (event) => {
      if (event.level === 'query') queries.push(event.query.sql);
    },
  });
  await run(logging);
  // Whitespace is layout, not meaning: one space, so a re-indented query is not a change.
  return queries.map((q) => `${q.replace(/\s+/g, ' ').trim()};`).join('\n');
}
