/**
 * `npm run -s admin -- create-key`: the way in for a new installation without
 * BOOTSTRAP_ADMIN_KEY. The real script in its own process, against a database
 * a real service process is running on.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createTestDatabase } from '../helpers/database.js';
import { startServer } from '../helpers/server-process.js';

const ADMIN = fileURLToPath(new URL('../../scripts/admin.ts', import.meta.url));

function admin(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'BOOTSTRAP_ADMIN_KEY']) delete clean[name];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ADMIN, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('a first admin from the command line, while the service runs', async (t) => {
  const database = await createTestDatabase(t);
  const server = await startServer({ DATABASE_URL: database.url });
  t.teardown(() => void server.child.kill('SIGKILL'));
  t.match(server.output(), /No admin key exists yet\. Make one with: npm run -s admin -- create-key --role admin --national/, 'the first start says how to get in');

  const created = await admin(['create-key', '--role', 'admin', '--national', '--name', 'first admin'], { DATABASE_URL: database.url });
  t.equal(created.code, 0, created.stderr);
  const key = created.stdout.trim();
  t.match(key, /^itk_[A-Za-z0-9_-]{40}$/, 'the key alone on standard output');
  t.match(created.stderr, /created admin key [0-9a-f-]{36} \(national\).*shown once/);
  t.notMatch(created.stderr, key, 'the key is not repeated in the messages');

  const call = (method: string, url: string, body?: unknown, as = key) =>
    fetch(`${server.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${as}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  t.equal((await call('POST', '/v1/organisations', { odsCode: 'RAD', name: 'Admin CLI Trust' })).status, 201, 'the running service takes the new key at once');

  const scanner = await admin(['create-key', '--role', 'scanner', '--organisation', 'rad'], { DATABASE_URL: database.url });
  t.equal(scanner.code, 0, scanner.stderr);
  const me = await call('GET', '/v1/me', undefined, scanner.stdout.trim());
  t.match(await me.json(), { role: 'scanner', national: false }, "an organisation's key, named by its ODS code in any case");

  const audit = await database.db.selectFrom('audit_events').select(['actor_key_id', 'route', 'detail']).where('action', '=', 'api-key.create').orderBy('occurred_at').execute();
  t.equal(audit.length, 2);
  t.match(audit[0], { actor_key_id: null, route: 'command line: admin create-key', detail: { role: 'admin', national: true, operator: /\S/ } }, 'audited, naming the operating-system user');

  const unknown = await admin(['create-key', '--role', 'scanner', '--organisation', 'NOPE'], { DATABASE_URL: database.url });
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /No organisation with ODS code NOPE/);
  t.equal(unknown.stdout, '', 'no key when it failed');
});

t.test('bad arguments are refused before anything is touched', async (t) => {
  const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
  for (const [args, message] of [
    [[], /a command is required/],
    [['make-key'], /unknown command make-key/],
    [['create-key', '--role', 'root', '--national'], /--role must be one of admin, scanner, procurement, registry/],
    [['create-key', '--role', 'admin'], /exactly one of --national or --organisation/],
    [['create-key', '--role', 'admin', '--national', '--organisation', 'RAD'], /exactly one of --national or --organisation/],
    [['create-key', '--role', 'admin', '--national', '--colour', 'red'], /Unknown option '--colour'/],
  ] as const) {
    const run = await admin(args, env);
    t.equal(run.code, 2, `${args.join(' ')}: exit 2`);
    t.match(run.stderr, message);
    t.match(run.stderr, /usage: npm run -s admin -- create-key/);
  }
});
