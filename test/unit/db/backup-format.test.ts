/** The backup file's reader: tables' rows end at the `\.` line wherever the chunks break, and a short file says so. */
import t from 'tap';
import { BackupFileError, BackupReader, RowTally } from '../../../src/db/backup/format.js';

async function* chunks(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(rows: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of rows) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

// Rows as COPY writes them: a value `\.` is written `\\.`, a newline inside a value `\n`.
const first = 'a\t\\\\.\n\\\\.\tb\nx\\ny\t\\N\n';
const file = `TABLE one\n${first}\\.\nEND-TABLE {}\nTABLE empty\n\\.\nTABLE last\nz ✓\n\\.\nEND\n`;

t.test('rows end at the `\\.` line, whatever the chunk size', async (t) => {
  for (const size of [1, 2, 3, 5, 7, 64, 4096]) {
    const reader = new BackupReader(chunks(file, size));
    t.equal(await reader.expect('TABLE', 'x'), 'one');
    const tally = new RowTally();
    t.equal(await collect(reader.rows('one', tally)), first, `chunks of ${size}`);
    t.equal(tally.rows, 3);
    t.equal(await reader.expect('END-TABLE', 'x'), '{}');
    t.equal(await reader.expect('TABLE', 'x'), 'empty');
    const none = new RowTally();
    t.equal(await collect(reader.rows('empty', none)), '', 'an empty table');
    t.equal(none.rows, 0);
    t.equal(await reader.expect('TABLE', 'x'), 'last');
    t.equal(await collect(reader.rows('last', new RowTally())), 'z ✓\n');
    t.equal(await reader.expect('END', 'x'), '');
    await reader.expectEnd();
  }
});

t.test('the same rows hash the same, however they arrived', async (t) => {
  const digests = new Set<string>();
  for (const size of [1, 3, 4096]) {
    const reader = new BackupReader(chunks(file, size));
    await reader.expect('TABLE', 'x');
    const tally = new RowTally();
    await collect(reader.rows('one', tally));
    digests.add(tally.digest());
  }
  t.equal(digests.size, 1);
});

t.test('a file that ends early or holds something else is refused in words', async (t) => {
  const cut = new BackupReader(chunks('TABLE one\na\tb\nc\t', 4));
  await cut.expect('TABLE', 'x');
  await t.rejects(collect(cut.rows('one', new RowTally())), new BackupFileError('The backup file is truncated: it ends inside the rows of table one.'));

  const wrong = new BackupReader(chunks('HEADER {}\n', 3));
  await t.rejects(wrong.expect('TABLE', 'where table one should begin'), /expected TABLE where table one should begin, found "HEADER \{\}"/);

  const noJson = new BackupReader(chunks('END-TABLE {oops\n', 3));
  await t.rejects(noJson.expectJson('END-TABLE', 'after the rows', (await import('zod')).z.object({})), /END-TABLE after the rows is not JSON/);

  const empty = new BackupReader(chunks('', 3));
  await t.rejects(empty.expect('IMPLANT-TRACE-BACKUP', 'at the start'), /The backup file is empty/);

  const trailing = new BackupReader(chunks('END\nmore', 3));
  await trailing.expect('END', 'x');
  await t.rejects(trailing.expectEnd(), /data after END-OF-BACKUP/);
});
