import path from 'node:path';
import type { Config } from '../config.js';
import { createDb } from './create-db.js';
import type { Db } from './database.js';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded.js';

export interface OpenDatabase {
  readonly db: Db;
  /** Whether the service runs its own embedded server (no DATABASE_URL given). */
  readonly embedded: boolean;
  /** Closes the pool, then stops the embedded server if there is one. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  readonly log: (message: string) => void;
  readonly onPoolError: (error: Error) => void;
}

/** DATABASE_URL when given; otherwise the embedded Postgres under DATA_DIR, started here. */
export async function openDatabase(config: Config, options: OpenDatabaseOptions): Promise<OpenDatabase> {
  let server: RunningPostgres | undefined;
  let url = config.databaseUrl;
  if (url === undefined) {
    server = await startEmbeddedPostgres({ dataDir: path.join(config.dataDir), durable: true, log: options.log });
    url = server.url;
  }
  const db = createDb({ url, poolSize: config.databasePoolSize, onPoolError: options.onPoolError });
  return {
    db,
    embedded: server !== undefined,
    async close() {
      await db.destroy();
      await server?.stop();
    },
  };
}
