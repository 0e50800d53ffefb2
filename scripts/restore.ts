/**
 * `npm run -s restore -- --in <file>`: restores a backup made by
 * `npm run backup` into an empty database: DATABASE_URL when set (an empty
 * database: `createdb` it first), otherwise the embedded database under
 * DATA_DIR (an empty or missing DATA_DIR; the service must be stopped).
 *
 *   --in <file>    the backup (`-`: standard input)
 *   --replace      restore over a database that is not empty, dropping what
 *                  its schema holds (in the restore's own transaction)
 *   --check        read the whole file and check it; touch no database
 *
 * One transaction: a restore that fails (a truncated or damaged file, a row
 * the database refuses) leaves the target as it was. Start the same or a
 * newer version of the service on the restored database.
 *
 * Exit 0 when restored (or checked); 1 when refused or failed; 2 on a bad
 * argument; 78 on a bad configuration. Messages go to stderr.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config.js';
import { restoreDatabase, verifyBackup } from '../src/db/backup/restore.js';
import { restoreTarget } from '../src/db/backup/target.js';
import { encodeCursor } from '../src/modules/feeds/feed.cursor.js';

const say = (message: string) => process.stderr.write(`restore: ${message}\n`);
const usage = 'usage: npm run -s restore -- --in <file | -> [--replace] [--check]';

let args;
try {
  args = parseArgs({ options: { in: { type: 'string' }, replace: { type: 'boolean' }, check: { type: 'boolean' } }, strict: true }).values;
} catch (error) {
  say(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  process.exit(2);
}
if (args.in === undefined || args.in === '') {
  say(`--in is required\n${usage}`);
  process.exit(2);
}

const config = loadConfigOrExit(process.env, say);

const file = args.in === '-' ? undefined : path.resolve(args.in);
const started = performance.now();
const seconds = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const onTable = (table: string, rows: number) => say(`  ${table.padEnd(24)} ${rows.toLocaleString('en-GB').padStart(12)} rows`);
let restored = false;
try {
  if (file !== undefined) await access(file);
  const input = () => (file === undefined ? process.stdin : createReadStream(file));
  if (args.check === true) {
    const checked = await verifyBackup(input(), onTable);
    say(
      `${file ?? 'standard input'} is complete and intact: the database "${checked.header.source.database}" (Postgres ${checked.header.source.serverVersion}) as it was at ` +
        `${checked.header.createdAt}, ${checked.tables.length} tables, ${checked.rows.toLocaleString('en-GB')} rows, schema at migration ${checked.header.migrations.at(-1) ?? ''}`,
    );
    if (checked.restorable !== undefined) {
      say(`this version of the service cannot restore it: it does not know migration ${checked.restorable}. Use the version that made it, or a newer one.`);
      process.exitCode = 1;
    }
  } else {
    const target = await restoreTarget(config, say);
    try {
      say(`restoring ${file ?? 'standard input'} into ${target.description}`);
      const summary = await restoreDatabase({ url: target.url, input: input(), replace: args.replace === true, log: say, onTable });
      restored = true;
      say(
        `restored the database as it was at ${summary.header.createdAt}: ${summary.tables.length} tables, ${summary.rows.toLocaleString('en-GB')} rows, ` +
          `schema at migration ${summary.header.migrations.at(-1) ?? ''}, in ${seconds()}. Start the service (the same version or a newer one) on it.`,
      );
      // Changes made after the backup are not in the restored database, but a registry may have read them.
      say(
        `registry feeds: a registry whose last cursor is from before ${summary.header.createdAt} resumes from it as usual; one that read the feed after that ` +
          `resumes from ${encodeCursor({ xid: summary.header.xidHorizon, seq: '0' })} (what it received after the backup is not in the restored database)`,
      );
    } finally {
      await target.close();
    }
  }
} catch (error) {
  say(`${args.check === true ? 'check failed' : restored ? 'restored, then failed' : 'failed, nothing was restored'}: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.cause instanceof Error && !(error.cause.message === error.message)) say(`  cause: ${error.cause.message}`);
  process.exitCode = 1;
}
