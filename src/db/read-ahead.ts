import type { CompiledQuery } from 'kysely';
import type pg from 'pg';
import Cursor from 'pg-cursor';

/**
 * Streams a query's rows in chunks through a server-side cursor, asking for
 * the next chunk before handing out the current one: Postgres produces chunk
 * n + 1 while the caller works on chunk n, so on a two-core machine the
 * database and Node run at once instead of taking turns (Kysely's `stream()`
 * fetches only when its buffer is empty). Memory stays at two chunks.
 */
export async function* readAhead<R>(client: pg.PoolClient, query: CompiledQuery<R>, chunkSize: number): AsyncGenerator<R[]> {
  const cursor = client.query(new Cursor<R>(query.sql, query.parameters as unknown[]));
  let next: Promise<R[]> | undefined = cursor.read(chunkSize);
  try {
    for (;;) {
      const rows: R[] = await next;
      if (rows.length === 0) {
        next = undefined;
        return;
      }
      next = cursor.read(chunkSize);
      yield rows;
    }
  } finally {
    // A consumer that stops early leaves one read in flight: let it settle before closing.
    if (next) await next.catch(() => undefined);
    await cursor.close();
  }
}
