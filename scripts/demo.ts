/**
 * `npm run demo`: seeds a fictional trust with two years of hip and knee
 * operations and an active recall (scripts/demo/), prints the keys it made,
 * then starts the service on the same database, exactly as `npm start` does.
 *
 *   npm run demo                   seed (once) and serve
 *   npm run demo -- --seed-only    seed (once) and exit
 *   npm run demo -- --new-keys     a new set of keys for the seeded trust, then serve
 *
 * The database is the service's: DATABASE_URL, else the embedded Postgres
 * under DATA_DIR. A database that already holds the demo trust is left as it is.
 */
import { loadConfigOrExit, type Config } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrator.js';
import { openDatabase } from '../src/db/open.js';
import { unsupportedNode } from '../src/shared/node-version.js';
import { issueNewDemoKeys, seedDemo, type DemoKeys } from './demo/seed.js';
import { DEMO_TRUST, PRODUCTS, RECALL, STAFF, THEATRES } from './demo/trust.js';

const USAGE = 'usage: npm run demo [-- --seed-only] [-- --new-keys]';
const out = (line = '') => process.stdout.write(`${line}\n`);
const say = (line: string) => process.stderr.write(`[demo] ${line}\n`);
const n = (x: number) => x.toLocaleString('en-GB');

function baseUrl(config: Config): string {
  if (config.publicBaseUrl !== undefined) return config.publicBaseUrl;
  const host = ['0.0.0.0', '::', '127.0.0.1'].includes(config.host) ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

function printKeys(keys: DemoKeys): void {
  out('API keys of the demo trust, shown this once. Paste these lines into the terminal you will use curl from:');
  out();
  out(`  export ADMIN_KEY=${keys.admin}`);
  out(`  export SCANNER_KEY=${keys.scanner}`);
  out(`  export PROCUREMENT_KEY=${keys.procurement}`);
  out(`  export REGISTRY_KEY=${keys.registry}`);
  out();
}

function printWhatToOpen(config: Config, serving: boolean): void {
  const base = baseUrl(config);
  out(`${serving ? 'Open' : 'Start the service (npm start), then open'} ${base}/console/ : theatre scanning (sign in with the SCANNER_KEY), the recall console (the PROCUREMENT_KEY).`);
  out(`The README's quick start walks a case through with curl; the API is browsable at ${base}/docs.`);
  out();
}

async function main(): Promise<number> {
  const runtime = unsupportedNode(process.version);
  if (runtime !== undefined) {
    process.stderr.write(`${runtime}\n`);
    return 1;
  }
  const args = process.argv.slice(2);
  const serving = !args.includes('--seed-only');
  const unknown = args.filter((a) => a !== '--seed-only' && a !== '--new-keys');
  if (unknown.length > 0) {
    process.stderr.write(`unknown option ${unknown.join(' ')}\n${USAGE}\n`);
    return 64; // EX_USAGE
  }
  const config = loadConfigOrExit(process.env);

  const database = await openDatabase(config, { log: say, onPoolError: (e) => say(`database connection lost: ${e.message}`) });
  try {
    await migrateToLatest(database.db);
    if (args.includes('--new-keys')) {
      const keys = await issueNewDemoKeys({ db: database.db, bootstrapAdminKey: config.bootstrapAdminKey });
      if (keys === undefined) {
        say(`the demo trust (ODS code ${DEMO_TRUST.odsCode}) is not in this database: run npm run demo first`);
        return 1;
      }
      out();
      printKeys(keys);
      printWhatToOpen(config, serving);
      return 0;
    }
    say(`seeding ${database.embedded ? `the embedded database under ${config.dataDir}` : 'the database at DATABASE_URL'}…`);
    const result = await seedDemo({ db: database.db, bootstrapAdminKey: config.bootstrapAdminKey, log: say });
    if (result.status === 'incomplete') {
      say(`the demo trust (ODS code ${DEMO_TRUST.odsCode}) is in this database only in part: an earlier npm run demo stopped before it finished.`);
      say(`It cannot be finished in place. Start from an empty database: stop the service and delete ${database.embedded ? config.dataDir : 'the database (or point DATABASE_URL at a new one)'}, then run npm run demo again.`);
      return 1;
    }
    if (result.status === 'already-seeded') {
      out();
      out(`The demo trust (ODS code ${DEMO_TRUST.odsCode}) is already in this database: nothing was added.`);
      out('Its keys were shown when it was seeded. For a new set: npm run demo -- --new-keys');
      out();
      printWhatToOpen(config, serving);
      return 0;
    }
    const c = result.plan.counts;
    out();
    out(`Seeded in ${result.seconds.toFixed(1)} s (${n(result.requests)} API requests): ${DEMO_TRUST.name}, ODS code ${DEMO_TRUST.odsCode}`);
    out(`  ${THEATRES.length} theatres, ${STAFF.length} staff, ${PRODUCTS.length} hip and knee products from 3 manufacturers`);
    out(`  ${n(c.procedures)} procedures over two years for ${n(c.patients)} patients (NHS test numbers 999 …): ${n(c.implanted)} items implanted,`);
    out(`  ${c.wasted} opened and wasted, ${c.notUsed} put aside after a critical warning, ${c.voided} scans voided, ${c.typed} typed in, ${c.explanted} explanted in ${c.revisions} revisions`);
    out(`  active recall ${RECALL.reference} (lot ${RECALL.lot}): ${result.recall.patients} patients`);
    out();
    printKeys(result.keys);
    printWhatToOpen(config, serving);
    return 0;
  } finally {
    await database.close();
  }
}

let code: number;
try {
  code = await main();
} catch (error) {
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  code = 1;
}
if (code !== 0 || process.argv.includes('--seed-only')) {
  process.exitCode = code;
} else {
  say('starting the service (as npm start does; Ctrl+C stops it)…');
  await import('../src/server.js');
}
