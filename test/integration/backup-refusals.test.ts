/**
 * What a restore refuses, and what it leaves behind when it does: a target
 * that is not empty (unless --replace), a file that is truncated, damaged,
 * edited or not a backup at all, a backup from a newer version. The target is
 * left exactly as it was, row for row: the restore is one transaction.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import t from 'tap';
import { backupDatabase } from '../../src/db/backup/backup.js';
import { schemaContents } from '../../src/db/backup/catalog.js';
import { BackupFileError } from '../../src/db/backup/format.js';
import { RestoreRefusedError, restoreDatabase, verifyBackup } from '../../src/db/backup/restore.js';
import { buildTestApp } from '../helpers/app.js';
import { fingerprint, realisticData, rowsOf, runScript, withClient } from '../helpers/backup.js';
import { createTestDatabase } from '../helpers/database.js';
import { databaseUrl, readState } from '../helpers/postgres-state.js';
import { GS, GTIN_B, scan } from '../helpers/theatre.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-backup-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const { adminUrl } = readState();

/** An empty database of its own (not cloned from the migrated template), dropped when the test ends. */
async function emptyDatabase(t: Teardown): Promise<string> {
  const name = `backup_empty_${Math.random().toString(36).slice(2, 10)}`;
  await withClient(adminUrl, (c) => c.query(`create database ${name} template template0`));
  t.teardown(() => withClient(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`)));
  return databaseUrl(adminUrl, name);
}

const contentsOf = (url: string) => withClient(url, (c) => schemaContents(c, 'public'));
const fingerprintOf = (url: string) => withClient(url, fingerprint);

const source = await createTestDatabase(t);
const app = await buildTestApp(t, { db: source.db, bootstrap: true });
const data = await realisticData(app);
const file = path.join(dir, 'refusals.backup.gz');
await backupDatabase({ url: source.url, output: createWriteStream(file) });
const original = await fingerprintOf(source.url);
const bytes = await readFile(file);
const text = gunzipSync(bytes).toString('utf8');

t.test('a database that is not empty is refused, untouched', async (t) => {
  await scan(app, data.a.org.keys.scanner, data.a.openProcedureId, { barcode: `01${GTIN_B}10LATER${GS}21LATER-1` });
  const before = await fingerprintOf(source.url);
  await t.rejects(restoreDatabase({ url: source.url, input: createReadStream(file) }), RestoreRefusedError);
  const cli = await runScript('restore', ['--in', file], { DATABASE_URL: source.url });
  t.equal(cli.code, 1);
  t.match(
    cli.stderr,
    /restore: failed, nothing was restored: The database "test_\w+" is not empty: schema public holds \d+ tables and \d+ other objects\. Restore into an empty database, or pass --replace to drop what it holds/,
  );
  t.notMatch(cli.stderr, new URL(source.url).password, 'the password is never printed');
  t.same(await fingerprintOf(source.url), before, 'not a row changed');
});

const damaged: Array<[string, Buffer, RegExp]> = [
  ['truncated', bytes.subarray(0, Math.floor(bytes.length * 0.6)), /^The backup file is truncated: the compressed data ends before its end\.$/],
  ['cut off before a table, at a clean gzip end', gzipSync(text.slice(0, text.indexOf('TABLE scans'))), /^The backup file is truncated: it ends where table scans should begin\.$/],
  ['cut off inside a table, at a clean gzip end', gzipSync(text.slice(0, text.indexOf('TABLE scans') + 300)), /^The backup file is truncated: it ends inside the rows of table scans\.$/],
  ['a damaged byte', Buffer.concat([bytes.subarray(0, 2000), Buffer.from([(bytes[2000] ?? 0) ^ 0xff]), bytes.subarray(2001)]), /^The backup file (is corrupt|is damaged)/],
  ['a row changed and the file compressed again', gzipSync(text.replace('SER-31001', 'SER-31009')), /^The backup file is damaged: the rows of table \w+ do not match their checksum \(\d+ rows read, \d+ recorded, SHA-256 differs\)\.$/],
  ['a row removed', gzipSync(text.replace(/\n[^\n]*SER-31001[^\n]*\n/, '\n')), /^The backup file is damaged: the rows of table \w+ do not match their checksum \((\d+) rows read, (?!\1)\d+ recorded, SHA-256 differs\)\.$/],
  ['data after its end', gzipSync(`${text}TABLE extra\n`), /^The backup file is damaged: there is data after END-OF-BACKUP\.$/],
  ['not gzip', Buffer.from('id,name\n1,x\n'), /^This is not an implant-trace backup file: it is not gzip-compressed\.$/],
  ['gzip, but not a backup', gzipSync('hello\n'), /^This is not an implant-trace backup file \(it does not begin with IMPLANT-TRACE-BACKUP\)\.$/],
  ['empty', Buffer.alloc(0), /^The backup file is empty\.$/],
];
for (const [what, content, message] of damaged) {
  t.test(`${what}: refused in words; the empty target stays empty`, async (t) => {
    const damagedFile = path.join(dir, `${what.replaceAll(/\W+/g, '-')}.gz`);
    await writeFile(damagedFile, content);
    const target = await emptyDatabase(t);
    const error = await restoreDatabase({ url: target, input: createReadStream(damagedFile) }).catch((e: unknown) => e);
    t.type(error, BackupFileError);
    t.match((error as Error).message, message);
    t.same(await contentsOf(target), { tables: 0, others: 0 }, 'nothing was created');
    await t.rejects(verifyBackup(createReadStream(damagedFile)), message, 'a check of the file alone says the same');
  });
}

t.test('restore --check says what is wrong without a database; exit 1', async (t) => {
  const check = await runScript('restore', ['--in', path.join(dir, 'truncated.gz'), '--check'], {});
  t.equal(check.code, 1);
  t.match(check.stderr, /restore: check failed: The backup file is truncated: the compressed data ends before its end\./);
});

t.test('a damaged file with --replace leaves what was there, every row', async (t) => {
  const before = await fingerprintOf(source.url);
  await writeFile(path.join(dir, 'late-cut.gz'), bytes.subarray(0, Math.floor(bytes.length * 0.95)));
  await t.rejects(restoreDatabase({ url: source.url, input: createReadStream(path.join(dir, 'late-cut.gz')), replace: true }), /truncated/);
  t.same(await fingerprintOf(source.url), before, 'the drop was part of the transaction that rolled back');
});

t.test('--replace restores the backup over what was there', async (t) => {
  t.not(rowsOf(await fingerprintOf(source.url)).scans, rowsOf(original).scans, 'the database has moved on since the backup');
  const cli = await runScript('restore', ['--in', file, '--replace'], { DATABASE_URL: source.url });
  t.equal(cli.code, 0, `exit 0${cli.code === 0 ? '' : `: ${cli.stderr}`}`);
  t.match(cli.stderr, /dropping what schema public of "test_\w+" holds \(--replace\)/);
  t.match(cli.stderr, /restored the database as it was at \S+: \d+ tables, [\d,]+ rows, schema at migration \w+, in [\d.]+ s\. Start the service \(the same version or a newer one\) on it\./);
  t.same(await fingerprintOf(source.url), original, 'exactly the backup, row for row');
});

t.test('a backup from a newer version of the service is refused', async (t) => {
  const newer = path.join(dir, 'newer.gz');
  await writeFile(newer, gzipSync(text.replace('"migrations":["', '"migrations":["2000_01_01_0000_from_the_future","')));
  const target = await emptyDatabase(t);
  await t.rejects(
    restoreDatabase({ url: target, input: createReadStream(newer) }),
    new RestoreRefusedError(
      'The backup was made by a newer version of the service: its schema has migration 2000_01_01_0000_from_the_future, which this version does not know. Restore it with that version or a newer one.',
    ),
  );
  t.same(await contentsOf(target), { tables: 0, others: 0 });
  t.match(await verifyBackup(createReadStream(newer)), { restorable: '2000_01_01_0000_from_the_future' }, 'intact, but not restorable by this version');
});

t.test('a database of another encoding is refused', async (t) => {
  const name = `backup_latin1_${Math.random().toString(36).slice(2, 10)}`;
  await withClient(adminUrl, (c) => c.query(`create database ${name} template template0 encoding 'LATIN1' locale 'C'`));
  t.teardown(() => withClient(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`)));
  await t.rejects(restoreDatabase({ url: databaseUrl(adminUrl, name), input: createReadStream(file) }), /The backup's database was encoded UTF8, the database "backup_latin1_\w+" is LATIN1/);
});

t.test('a backup needs a migrated database, and a file to write', async (t) => {
  const target = await emptyDatabase(t);
  await t.rejects(backupDatabase({ url: target, output: createWriteStream(path.join(dir, 'nothing.gz')) }), /holds no implant-trace schema \(no kysely_migration table in schema public\): nothing to back up/);
  const none = await runScript('backup', [], {});
  t.equal(none.code, 2);
  t.match(none.stderr, /backup: --out is required/);
});
