/** `npm run migrate`: brings the configured database (or the embedded one) to the latest schema. */
import { ConfigError, loadConfig } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrator.js';
import { openDatabase } from '../src/db/open.js';

try {
  const config = loadConfig(process.env);
  const say = (m: string) => process.stderr.write(`${m}\n`);
  const database = await openDatabase(config, { log: say, onPoolError: (e) => say(e.message) });
  try {
    const results = await migrateToLatest(database.db);
    if (results.length === 0) say('database schema is up to date');
    for (const r of results) say(`migration ${r.migrationName}: ${r.status}`);
  } finally {
    await database.close();
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `migration failed: ${error instanceof Error ? error.message : String(error)}`}\n`);
  if (error instanceof Error && error.cause instanceof Error) process.stderr.write(`  cause: ${error.cause.message}\n`);
  process.exitCode = 1;
}
