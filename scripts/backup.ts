/**
 * `npm run -s backup -- --out <file>`: a consistent, compressed backup of the
 * service's database, taken while the service runs: DATABASE_URL when set,
 * otherwise the embedded database under DATA_DIR (the running one, or started
 * for the backup when the service is stopped).
 *
 *   --out <file>          where to write it (`-`: standard output). Written
 *                         beside it as <file>.partial, renamed when complete
 *   --compression <1-9>   gzip level (default 1: fastest; 9 is smallest)
 *   --snapshot <id>       read a snapshot exported by pg_export_snapshot()
 *
 * Exit 0 when the backup is complete; 1 when it failed (no file is left);
 * 2 on a bad argument; 78 on a bad configuration. Messages go to stderr.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config.js';
import { backupDatabase } from '../src/db/backup/backup.js';
import { backupSource } from '../src/db/backup/target.js';

const say = (message: string) => process.stderr.write(`backup: ${message}\n`);
const usage = 'usage: npm run -s backup -- --out <file | -> [--compression 1-9] [--snapshot <id>]';

let args;
try {
  args = parseArgs({ options: { out: { type: 'string' }, compression: { type: 'string' }, snapshot: { type: 'string' } }, strict: true }).values;
} catch (error) {
  say(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  process.exit(2);
}
const level = args.compression === undefined ? 1 : Number(args.compression);
if (args.out === undefined || args.out === '' || !Number.isInteger(level) || level < 1 || level > 9) {
  say(args.out === undefined || args.out === '' ? `--out is required\n${usage}` : '--compression must be a whole number from 1 to 9');
  process.exit(2);
}

const config = loadConfigOrExit(process.env, say);

const toStdout = args.out === '-';
const file = toStdout ? undefined : path.resolve(args.out);
const partial = file === undefined ? undefined : `${file}.partial`;
const started = performance.now();
try {
  const source = await backupSource(config, say);
  try {
    say(`backing up ${source.description}`);
    // The file holds patient data and key hashes: readable by its owner only.
    const output = partial === undefined ? process.stdout : createWriteStream(partial, { mode: 0o600 });
    const summary = await backupDatabase({
      url: source.url,
      output,
      compressionLevel: level,
      ...(args.snapshot === undefined ? {} : { snapshot: args.snapshot }),
      onTable: (table, rows) => say(`  ${table.padEnd(24)} ${rows.toLocaleString('en-GB').padStart(12)} rows`),
    });
    if (file !== undefined && partial !== undefined) await rename(partial, file);
    const size = file === undefined ? '' : `, ${((await stat(file)).size / 1024 / 1024).toFixed(1)} MiB`;
    say(
      `${file ?? 'standard output'}: the database as it was at ${summary.header.createdAt}, ${summary.tables.length} tables, ` +
        `${summary.rows.toLocaleString('en-GB')} rows, schema at migration ${summary.header.migrations.at(-1) ?? ''}${size}, ` +
        `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  } finally {
    await source.close();
  }
} catch (error) {
  if (partial !== undefined) await rm(partial, { force: true });
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.cause instanceof Error) say(`  cause: ${error.cause.message}`);
  process.exitCode = 1;
}
