/**
 * The backup file: one gzip stream of lines and COPY text, readable with
 * `gunzip -c` and nothing else.
 *
 *   IMPLANT-TRACE-BACKUP 1
 *   HEADER {"createdAt": …, "migrations": […], "tables": [{name, columns}], "sequences": […], …}
 *   TABLE organisations
 *   <the table's rows in COPY text format, one line per row>
 *   \.
 *   END-TABLE {"table": "organisations", "rows": 2, "sha256": "…"}
 *   TABLE …                                   (every table, parents before children)
 *   END-OF-BACKUP {"tables": 26, "rows": 1234}
 *
 * A row in COPY text format never contains a raw newline (COPY writes it as
 * `\n`) and a value that begins with a backslash is written with two, so the
 * line `\.` can only be the end of a table's rows: the same convention psql and
 * pg_dump use. Each table's rows carry their count and SHA-256, checked before
 * the restore commits; gzip's own CRC catches damage to the file as a whole,
 * and END-OF-BACKUP a file cut short at a clean boundary.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const MAGIC = 'IMPLANT-TRACE-BACKUP';
export const FORMAT_VERSION = 1;
/** The line after a table's rows (the COPY end-of-data marker). */
export const END_OF_ROWS = Buffer.from('\\.\n');

/** What is wrong with a backup file: it is not one, it was cut short, or it was changed. Nothing was restored. */
export class BackupFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupFileError';
  }
}

const Name = z.string().min(1).max(63);

export const BackupHeaderSchema = z.strictObject({
  /** When the snapshot was taken (the database server's clock). */
  createdAt: z.string(),
  source: z.strictObject({
    serverVersion: z.string(),
    database: z.string(),
    schema: Name,
    encoding: z.string(),
  }),
  /**
   * The first transaction id the snapshot did not see (xid8, as text). Feed
   * positions (`procedures.change_xid`) are transaction ids: a restore makes
   * sure the target server's transactions come after it.
   */
  xidHorizon: z.string().regex(/^[0-9]{1,20}$/),
  /** Kysely's migrations applied to the database, in order: the schema the rows fit. */
  migrations: z.array(Name).min(1),
  /** Every table of the service's schema, in the order their rows follow. */
  tables: z.array(z.strictObject({ name: Name, columns: z.array(z.strictObject({ name: Name, type: z.string() })).min(1) })).min(1),
  sequences: z.array(z.strictObject({ name: Name, lastValue: z.string().regex(/^-?[0-9]{1,19}$/), isCalled: z.boolean() })),
});
export type BackupHeader = z.infer<typeof BackupHeaderSchema>;

export const TableEndSchema = z.strictObject({ table: Name, rows: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type TableEnd = z.infer<typeof TableEndSchema>;

export const BackupEndSchema = z.strictObject({ tables: z.number().int().min(0), rows: z.number().int().min(0) });

export const line = (keyword: string, value?: string | object): string =>
  value === undefined ? `${keyword}\n` : `${keyword} ${typeof value === 'string' ? value : JSON.stringify(value)}\n`;

/** Counts rows (newlines) and hashes the bytes of one table's COPY text as it passes. */
export class RowTally {
  readonly #hash = createHash('sha256');
  rows = 0;

  add(chunk: Buffer): void {
    this.#hash.update(chunk);
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) this.rows++;
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}

/** The longest line of the file outside table rows (the header), and the longest row. */
const MAX_HEADER_LINE = 16 * 1024 * 1024;
const MAX_ROW = 1024 * 1024 * 1024;

/**
 * Reads a backup file's decompressed bytes: its lines, and each table's rows
 * as chunks of COPY text ending before the `\.` line. Any way the file can end
 * early or hold something else is a BackupFileError that says so.
 */
export class BackupReader {
  readonly #source: AsyncIterator<Buffer>;
  #buffer: Buffer = Buffer.alloc(0);
  #ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** One line (without its newline) that must start with `keyword`; answers the rest of the line. */
  async expect(keyword: string, where: string): Promise<string> {
    const text = await this.#line(where);
    if (text === keyword) return '';
    if (!text.startsWith(`${keyword} `)) {
      throw new BackupFileError(`The backup file is damaged: expected ${keyword} ${where}, found ${JSON.stringify(text.slice(0, 40))}.`);
    }
    return text.slice(keyword.length + 1);
  }

  /** A JSON value on a `keyword` line, validated. */
  async expectJson<T>(keyword: string, where: string, schema: z.ZodType<T>): Promise<T> {
    const text = await this.expect(keyword, where);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new BackupFileError(`The backup file is damaged: ${keyword} ${where} is not JSON.`, { cause: error });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new BackupFileError(`The backup file is damaged: ${keyword} ${where} is not as this version writes it (${parsed.error.issues[0]?.message ?? 'invalid'}).`);
    return parsed.data;
  }

  /**
   * The rows of the table whose TABLE line was just read, chunk by chunk, up to
   * (not including) the `\.` line, which is consumed. `tally` counts and hashes them.
   */
  async *rows(table: string, tally: RowTally): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const end = this.#endOfRows();
      if (end !== -1) {
        const last = this.#buffer.subarray(0, end);
        this.#buffer = this.#buffer.subarray(end + END_OF_ROWS.length);
        if (last.length > 0) {
          tally.add(last);
          yield last;
        }
        return;
      }
      // Hand on every complete line; keep a partial one (it may be the start of `\.`).
      const lastNewline = this.#buffer.lastIndexOf(0x0a);
      if (lastNewline !== -1) {
        const complete = this.#buffer.subarray(0, lastNewline + 1);
        this.#buffer = this.#buffer.subarray(lastNewline + 1);
        tally.add(complete);
        yield complete;
      }
      if (this.#buffer.length > MAX_ROW) throw new BackupFileError(`The backup file is damaged: a row of table ${table} is longer than any Postgres row can be.`);
      if (!(await this.#more())) throw new BackupFileError(`The backup file is truncated: it ends inside the rows of table ${table}.`);
    }
  }

  /** After END-OF-BACKUP: the file must end here (this also lets gzip check its CRC and length). */
  async expectEnd(): Promise<void> {
    if (this.#buffer.length === 0 && !(await this.#more())) return;
    throw new BackupFileError('The backup file is damaged: there is data after END-OF-BACKUP.');
  }

  /** Where the `\.` line starts in the buffer (always at a line start), or -1. */
  #endOfRows(): number {
    for (let from = 0; ; ) {
      const at = this.#buffer.indexOf(END_OF_ROWS, from);
      if (at === -1) return -1;
      if (at === 0 || this.#buffer[at - 1] === 0x0a) return at;
      from = at + 1;
    }
  }

  async #line(where: string): Promise<string> {
    for (;;) {
      const newline = this.#buffer.indexOf(0x0a);
      if (newline !== -1) {
        const text = this.#buffer.subarray(0, newline).toString('utf8');
        this.#buffer = this.#buffer.subarray(newline + 1);
        return text;
      }
      if (this.#buffer.length > MAX_HEADER_LINE) throw new BackupFileError(`The backup file is damaged: no line break where ${where} should be.`);
      if (!(await this.#more())) {
        throw new BackupFileError(this.#buffer.length === 0 && where === 'at the start' ? 'The backup file is empty.' : `The backup file is truncated: it ends ${where}.`);
      }
    }
  }

  async #more(): Promise<boolean> {
    if (this.#ended) return false;
    let next: IteratorResult<Buffer>;
    try {
      next = await this.#source.next();
    } catch (error) {
      throw fileError(error);
    }
    if (next.done === true) {
      this.#ended = true;
      return false;
    }
    this.#buffer = this.#buffer.length === 0 ? next.value : Buffer.concat([this.#buffer, next.value]);
    return true;
  }
}

/** gzip's complaints, in words: not gzip at all, cut short, or damaged. */
export function fileError(error: unknown): Error {
  if (error instanceof BackupFileError) return error;
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    return new BackupFileError('The backup file is truncated: the compressed data ends before its end.', { cause: error });
  }
  if (code === 'Z_DATA_ERROR' && /header/i.test(message)) {
    return new BackupFileError('This is not an implant-trace backup file: it is not gzip-compressed.', { cause: error });
  }
  if (code === 'Z_DATA_ERROR') return new BackupFileError(`The backup file is corrupt: the compressed data is damaged (${message}).`, { cause: error });
  return error instanceof Error ? error : new Error(message);
}
