/**
 * The service warns at boot when its Postgres could lose acknowledged scans.
 * The suite's own throwaway cluster runs with fsync and synchronous_commit off
 * (for speed), so it is an example of what must be reported.
 */
import t from 'tap';
import { sql } from 'kysely';
import { durabilityWarnings } from '../../src/db/durability.js';
import { createTestDatabase } from '../helpers/database.js';

t.test('unsafe settings are named; safe ones are not', async (t) => {
  const { db } = await createTestDatabase(t);
  const settings = new Map((await sql<{ name: string; setting: string }>`select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes')`.execute(db)).rows.map((r) => [r.name, r.setting]));
  const warnings = await durabilityWarnings(db);
  t.equal(warnings.some((w) => w.startsWith('fsync is off')), settings.get('fsync') === 'off');
  t.equal(warnings.some((w) => w.startsWith('synchronous_commit is off')), settings.get('synchronous_commit') === 'off');
  t.equal(warnings.some((w) => w.startsWith('full_page_writes is off')), settings.get('full_page_writes') === 'off');
  // synchronous_commit can be set per session: turned on, its warning goes (a pool of one, so the same session).
  await db.connection().execute(async (c) => {
    await sql`set synchronous_commit = on`.execute(c);
    t.notOk((await durabilityWarnings(c)).some((w) => w.startsWith('synchronous_commit')));
    await sql`set synchronous_commit = off`.execute(c);
    t.ok((await durabilityWarnings(c)).some((w) => w.startsWith('synchronous_commit')));
  });
});
