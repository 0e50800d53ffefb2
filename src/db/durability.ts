import { sql } from 'kysely';
import type { Db } from './database.js';

/**
 * What in the server's settings would let an acknowledged scan be lost: the
 * service answers 201 after COMMIT returns, and only with fsync and
 * synchronous_commit on does that mean the record survives a crash.
 * Answers one sentence per unsafe setting (none on a safe server).
 */
export async function durabilityWarnings(db: Db): Promise<string[]> {
  const rows = await sql<{ name: string; setting: string }>`
    select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes')`.execute(db);
  const setting = new Map(rows.rows.map((r) => [r.name, r.setting]));
  const warnings: string[] = [];
  if (setting.get('fsync') === 'off') warnings.push('fsync is off: a crash of the database server or its machine can lose acknowledged scans');
  if (setting.get('synchronous_commit') === 'off') warnings.push('synchronous_commit is off: a crash of the database server can lose the last acknowledged scans');
  if (setting.get('full_page_writes') === 'off') warnings.push('full_page_writes is off: a crash can corrupt the database');
  return warnings;
}
