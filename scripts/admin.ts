/**
 * `npm run -s admin -- <command>`: administration from the command line, for
 * whoever runs the service (access to its database is the credential). The
 * way in for a new installation, without BOOTSTRAP_ADMIN_KEY.
 *
 *   create-key --role <admin|scanner|procurement|registry>
 *              (--national | --organisation <ODS code>) [--name <text>] [--registry <code>]
 *       Makes an API key and prints it on standard output, once: it is
 *       never shown again. Audited, naming the operating-system user.
 *
 * Works on DATABASE_URL, or on the embedded database in DATA_DIR (the one the
 * service is running, or started for the command; created and migrated when
 * the service has never run). Exit 0 on success; 1 when it failed; 2 on a bad
 * argument; 78 on a bad configuration. Messages go to standard error.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config.js';
import { serviceDatabase } from '../src/db/backup/target.js';
import { createDb } from '../src/db/create-db.js';
import { migrateToLatest } from '../src/db/migrator.js';
import { ROLES, type Role } from '../src/domain/vocabulary.js';
import { createKeyFromCommandLine } from '../src/modules/api-keys/api-key.service.js';
import { ProblemError } from '../src/shared/problem.js';

const say = (message: string) => process.stderr.write(`admin: ${message}\n`);
const usage = [
  'usage: npm run -s admin -- create-key --role <admin|scanner|procurement|registry> (--national | --organisation <ODS code>)',
  '                                      [--name <text>] [--registry <code>]',
].join('\n');

function refuse(message: string): never {
  say(`${message}\n${usage}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    strict: true,
    options: { role: { type: 'string' }, national: { type: 'boolean' }, organisation: { type: 'string' }, name: { type: 'string' }, registry: { type: 'string' } },
  });
} catch (error) {
  refuse(error instanceof Error ? error.message : String(error));
}
const [command, ...extra] = parsed.positionals;
if (command !== 'create-key') refuse(command === undefined ? 'a command is required' : `unknown command ${command}`);
if (extra.length > 0) refuse(`unexpected ${extra.join(' ')}`);
const { role, national, organisation, name, registry } = parsed.values;
if (role === undefined || !(ROLES as readonly string[]).includes(role)) refuse(`--role must be one of ${ROLES.join(', ')}`);
if ((national === true) === (organisation !== undefined)) refuse('give exactly one of --national or --organisation <ODS code>');
const keyName = name ?? `${role} key made on the command line`;
if (keyName.length < 1 || keyName.length > 100) refuse('--name must be 1 to 100 characters');

const config = loadConfigOrExit(process.env, say);
const operator = (() => {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
})();

try {
  const target = await serviceDatabase(config, say);
  try {
    const db = createDb({ url: target.url, poolSize: 2 });
    try {
      for (const m of await migrateToLatest(db)) say(`migration ${m.migrationName}: ${m.status}`);
      const created = await createKeyFromCommandLine(
        db,
        { name: keyName, role: role as Role, national: national === true, organisation: organisation?.toUpperCase(), registry },
        operator,
      );
      const where = created.record.national ? 'national' : `organisation ${organisation?.toUpperCase() ?? ''}`;
      say(`created ${created.record.role} key ${created.record.id} (${where}) in ${target.description}. It is shown once, below; keep it secret.`);
      process.stdout.write(`${created.key}\n`);
    } finally {
      await db.destroy();
    }
  } finally {
    await target.close();
  }
} catch (error) {
  say(error instanceof ProblemError ? error.message : `failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
