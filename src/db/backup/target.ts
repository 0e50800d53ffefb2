/**
 * Which database a backup reads or a restore writes: DATABASE_URL when it is
 * set, as for the service; otherwise the embedded Postgres under DATA_DIR.
 */
import type { Config } from '../../config.js';
import { hasEmbeddedCluster, runningEmbeddedPostgres, startEmbeddedPostgres } from '../embedded.js';

export interface MaintenanceDatabase {
  /** Connection URL, password included: never print it. */
  readonly url: string;
  /** Where it is, in words, without credentials. */
  readonly description: string;
  /** Stops the embedded server if it was started for this. */
  close(): Promise<void>;
}

export class MaintenanceTargetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MaintenanceTargetError';
  }
}

export function describeUrl(url: string): string {
  const u = new URL(url);
  return `database "${decodeURIComponent(u.pathname.slice(1)) || '(default)'}" on ${u.hostname}${u.port ? `:${u.port}` : ''}`;
}

const nothingToClose = async () => undefined;

/**
 * The database to back up. Embedded: the server the service is running on
 * DATA_DIR (the backup runs beside it, online); when none runs, the cluster
 * is started for the backup and stopped after.
 */
export async function backupSource(config: Config, log: (message: string) => void): Promise<MaintenanceDatabase> {
  if (config.databaseUrl !== undefined) return { url: config.databaseUrl, description: describeUrl(config.databaseUrl), close: nothingToClose };
  const description = `the embedded database in ${config.dataDir}`;
  if (!hasEmbeddedCluster(config.dataDir)) {
    throw new MaintenanceTargetError(`There is no embedded database in ${config.dataDir} (DATA_DIR) to back up. Set DATA_DIR to where the service keeps it, or DATABASE_URL.`);
  }
  const running = await runningEmbeddedPostgres(config.dataDir);
  if (running) return { url: running.url, description: `${description} (running, port ${running.port})`, close: nothingToClose };
  const server = await startEmbeddedPostgres({ dataDir: config.dataDir, durable: true, log });
  return { url: server.url, description, close: () => server.stop() };
}

/**
 * The database to restore into. Embedded: the cluster in DATA_DIR, created
 * when DATA_DIR holds none, started for the restore and stopped after. The
 * service must not be running on it.
 */
export async function restoreTarget(config: Config, log: (message: string) => void): Promise<MaintenanceDatabase> {
  if (config.databaseUrl !== undefined) return { url: config.databaseUrl, description: describeUrl(config.databaseUrl), close: nothingToClose };
  if (await runningEmbeddedPostgres(config.dataDir)) {
    throw new MaintenanceTargetError(`The embedded database in ${config.dataDir} is running (the service is using it). Stop the service, then restore.`);
  }
  const server = await startEmbeddedPostgres({ dataDir: config.dataDir, durable: true, log });
  return { url: server.url, description: `the embedded database in ${config.dataDir}`, close: () => server.stop() };
}

/**
 * The service's database for a command run beside it (`npm run -s admin`): DATABASE_URL; or the
 * embedded server the service is running on DATA_DIR; or, when none runs, the cluster in DATA_DIR,
 * created when there is none yet (the first thing a new installation may do), started for the
 * command and stopped after.
 */
export async function serviceDatabase(config: Config, log: (message: string) => void): Promise<MaintenanceDatabase> {
  if (config.databaseUrl !== undefined) return { url: config.databaseUrl, description: describeUrl(config.databaseUrl), close: nothingToClose };
  const description = `the embedded database in ${config.dataDir}`;
  const running = await runningEmbeddedPostgres(config.dataDir);
  if (running) return { url: running.url, description: `${description} (running, port ${running.port})`, close: nothingToClose };
  const server = await startEmbeddedPostgres({ dataDir: config.dataDir, durable: true, log });
  return { url: server.url, description, close: () => server.stop() };
}
