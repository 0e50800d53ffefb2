/**
 * Process entry: read the configuration, open the database (embedded by
 * default), migrate, listen; on SIGTERM/SIGINT drain in-flight requests and
 * stop the embedded database. Nothing else lives here.
 */
import { buildApp } from './app.js';
import { loadConfigOrExit } from './config.js';
import { durabilityWarnings } from './db/durability.js';
import { migrateToLatest } from './db/migrator.js';
import { openDatabase, type OpenDatabase } from './db/open.js';
import { ensureBootstrapKey, hasActiveAdminKey } from './modules/api-keys/api-key.service.js';
import { unsupportedNode } from './shared/node-version.js';

const SHUTDOWN_GRACE_MS = 15_000;

async function main(): Promise<void> {
  const runtime = unsupportedNode(process.version);
  if (runtime !== undefined) {
    process.stderr.write(`${runtime}\n`);
    process.exit(1);
  }
  const config = loadConfigOrExit(process.env);

  const say = (message: string) => process.stderr.write(`[implant-trace] ${message}\n`);
  let database: OpenDatabase | undefined;
  const stopDatabase = async () => {
    const d = database;
    database = undefined;
    await d?.close();
  };

  try {
    database = await openDatabase(config, { log: say, onPoolError: (e) => say(`database connection lost: ${e.message}`) });
    const migrated = await migrateToLatest(database.db);
    for (const m of migrated) say(`migration ${m.migrationName}: ${m.status}`);
    for (const warning of await durabilityWarnings(database.db)) say(`WARNING: ${warning}. Turn it on for patient records.`);
    if (process.env.EXPORT_DIR) say('EXPORT_DIR is no longer used: FHIR export files are kept in the database, where every instance reads them. Unset it.');
    if (config.bootstrapAdminKey !== undefined) {
      const outcome = await ensureBootstrapKey(database.db, config.bootstrapAdminKey);
      if (outcome === 'revoked') say('BOOTSTRAP_ADMIN_KEY names a key that was revoked; it stays revoked. Unset the variable.');
      else say(`bootstrap admin key ${outcome === 'created' ? 'created' : 'present'}`);
    }
    if (!(await hasActiveAdminKey(database.db))) say('No admin key exists yet. Make one with: npm run -s admin -- create-key --role admin --national');
  } catch (error) {
    say(`startup failed: ${error instanceof Error ? error.message : String(error)}`);
    await stopDatabase().catch(() => undefined);
    process.exit(1);
  }

  const app = await buildApp({ config, db: database.db });

  let shuttingDown = false;
  const shutdown = (signal: string, exitCode = 0) => {
    if (shuttingDown) return;
    shuttingDown = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    const force = setTimeout(() => {
      app.log.error('shutdown grace period over; exiting');
      void stopDatabase().finally(() => process.exit(1));
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // The database stops after the app has closed: closing hands running exports back, which needs the database.
    app
      .close()
      .then(stopDatabase)
      .then(
        () => process.exit(exitCode),
        (error: unknown) => {
          app.log.error({ err: error }, 'error while closing');
          void stopDatabase().finally(() => process.exit(1));
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('uncaughtException', (error) => {
    app.log.fatal({ err: error }, 'uncaught exception');
    shutdown('uncaughtException', 1);
  });
  process.on('unhandledRejection', (reason) => {
    app.log.fatal({ err: reason }, 'unhandled rejection');
    shutdown('unhandledRejection', 1);
  });

  try {
    // Exports are jobs with leases: one that was running when an instance stopped is taken again by another (or this one).
    await app.exporter.sweep();
    await app.listen({ port: config.port, host: config.host });
    if (config.publicBaseUrl === undefined && !['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
      app.log.warn(`PUBLIC_BASE_URL is not set: FHIR export URLs will name ${app.publicBaseUrl()}; set it to the address clients use`);
    }
  } catch (error) {
    app.log.fatal({ err: error }, 'could not listen');
    await stopDatabase().catch(() => undefined);
    process.exit(1);
  }
}

await main();
