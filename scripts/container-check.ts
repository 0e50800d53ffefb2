/**
 * Proves as much of the container image as a machine without a Docker engine
 * can (CI has none):
 *
 * 1. The rules: base images pinned to full versions (Node of the same major
 *    and minor as .node-version), the service runs as a user that is not
 *    root, with a data volume it owns, a health check; in docker-compose.yml
 *    every image pinned, a restart policy and a health check on every service,
 *    and no secret with a default value.
 * 2. The build: every stage of the Dockerfile is replayed in a scratch folder
 *    standing for its file system — COPY from the build context or from an
 *    earlier stage, WORKDIR, ENV, and each RUN command (npm, and the one
 *    file-system set-up it knows); any other instruction or command fails the
 *    check rather than being skipped.
 * 3. The result: the last stage's CMD is started with its ENV (on a free
 *    port, its data directory in the scratch folder, so on the embedded
 *    Postgres the image also supports), `/ready` must answer 200, the
 *    HEALTHCHECK command must pass, the runtime must hold no development
 *    dependency, and SIGTERM must stop it cleanly.
 *
 *   npm run -s container:check          (KEEP=1 keeps the scratch folder)
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from '../src/shared/package-root.js';

const ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));
const say = (m: string) => process.stderr.write(`${m}\n`);
const problems: string[] = [];
const problem = (m: string) => {
  problems.push(m);
  say(`  ✗ ${m}`);
};
const ok = (m: string) => say(`  ✓ ${m}`);

interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly line: number;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (buffer === '' && (line === '' || line.startsWith('#'))) return;
    if (buffer === '') start = i + 1;
    if (line.endsWith('\\')) {
      buffer += `${line.slice(0, -1)} `;
      return;
    }
    buffer += line;
    const match = /^(\w+)\s+(.*)$/s.exec(buffer);
    if (match?.[1] && match[2] !== undefined) out.push({ op: match[1].toUpperCase(), args: match[2].trim(), line: start });
    buffer = '';
  });
  return out;
}

/** `name:1.2.3-variant` or `name@sha256:…`: a full version, not a moving tag. */
function isPinned(image: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(image) || /^[\w./-]+:\d+\.\d+(\.\d+)?(-[\w.-]+)?$/.test(image);
}

interface Stage {
  readonly name: string;
  readonly image: string;
  readonly root: string;
  workdir: string;
  readonly env: Record<string, string>;
  user: string;
  cmd: string[] | undefined;
  healthcheck: string[] | undefined;
  volumes: string[];
  /** Directories the stage creates with an owner: path → owner. */
  readonly owned: Map<string, string>;
}

const jsonArray = (args: string): string[] => {
  const value: unknown = JSON.parse(args);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return value;
};

function envOf(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) out[m[1] ?? ''] = (m[2] ?? '').replace(/^"|"$/g, '');
  return out;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): void {
  say(`    $ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}`);
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address !== null && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

async function checkRules(instructions: Instruction[]): Promise<void> {
  say('rules');
  const nodeVersion = (await readFile(path.join(ROOT, '.node-version'), 'utf8')).trim();
  const [major, minor] = nodeVersion.split('.');
  const froms = instructions.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0] ?? '');
  for (const image of froms) {
    if (!isPinned(image)) problem(`Dockerfile: base image ${image} is not pinned to a full version`);
    else ok(`Dockerfile: ${image} is pinned`);
    const node = /^node:(\d+)\.(\d+)\./.exec(image);
    if (node && (node[1] !== major || node[2] !== minor)) problem(`Dockerfile: ${image} is not Node ${major}.${minor} (.node-version says ${nodeVersion})`);
  }
  const compose = parseYaml(await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services?: Record<string, Record<string, unknown>> };
  for (const [name, service] of Object.entries(compose.services ?? {})) {
    if (typeof service.image === 'string') {
      if (isPinned(service.image)) ok(`compose: ${name} image ${service.image} is pinned`);
      else problem(`compose: ${name} image ${service.image} is not pinned to a full version`);
    }
    if (service.restart === undefined) problem(`compose: ${name} has no restart policy`);
    else ok(`compose: ${name} restarts ${JSON.stringify(service.restart)}`);
    if (service.healthcheck === undefined) problem(`compose: ${name} has no healthcheck`);
    else ok(`compose: ${name} has a healthcheck`);
  }
  const composeText = await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8');
  const defaulted = [...composeText.matchAll(/\$\{(\w*(PASSWORD|KEY|SECRET|TOKEN)\w*):?-[^}]*\}/g)].map((m) => m[1]);
  if (defaulted.length > 0) problem(`compose: secrets with a default value: ${defaulted.join(', ')}`);
  else ok('compose: no secret has a default value (each is required with ${VAR:?…})');
}

async function replay(instructions: Instruction[], scratch: string): Promise<Stage> {
  const stages: Stage[] = [];
  const nodeDir = path.dirname(process.execPath);
  for (const ins of instructions) {
    const stage = stages.at(-1);
    const at = `Dockerfile:${ins.line} ${ins.op}`;
    if (ins.op === 'FROM') {
      const [image = '', as, name] = ins.args.split(/\s+/);
      const stageName = as?.toUpperCase() === 'AS' && name ? name : String(stages.length);
      const root = path.join(scratch, `stage-${stageName}`);
      await mkdir(root, { recursive: true });
      stages.push({ name: stageName, image, root, workdir: '/', env: {}, user: 'root', cmd: undefined, healthcheck: undefined, volumes: [], owned: new Map() });
      say(`stage ${stageName} (${image})`);
      continue;
    }
    if (!stage) throw new Error(`${at}: before any FROM`);
    const inRoot = (p: string) => path.join(stage.root, path.posix.resolve(stage.workdir, p));
    switch (ins.op) {
      case 'WORKDIR':
        stage.workdir = path.posix.resolve(stage.workdir, ins.args);
        await mkdir(inRoot('.'), { recursive: true });
        break;
      case 'ENV':
        Object.assign(stage.env, envOf(ins.args));
        break;
      case 'COPY': {
        const words = ins.args.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        const dest = paths.pop();
        if (dest === undefined || paths.length === 0) throw new Error(`${at}: COPY needs a source and a destination`);
        const source = from === undefined ? undefined : stages.find((s) => s.name === from);
        if (from !== undefined && !source) throw new Error(`${at}: no stage ${from}`);
        for (const p of paths) {
          const src = source ? path.join(source.root, path.posix.resolve('/', p)) : path.join(ROOT, p);
          await stat(src).catch(() => {
            throw new Error(`${at}: ${p} does not exist${source ? ` in stage ${source.name}` : ' in the build context'}`);
          });
          const target = dest.endsWith('/') ? path.join(inRoot(dest), path.basename(p)) : inRoot(dest);
          await cp(src, target, { recursive: true });
        }
        say(`    COPY ${ins.args}`);
        break;
      }
      case 'RUN': {
        const env = { ...process.env, ...stage.env, PATH: `${nodeDir}:${process.env.PATH ?? ''}` };
        for (const command of ins.args.split('&&').map((c) => c.trim())) {
          const words = command.split(/\s+/);
          if (words[0] === 'npm') run('npm', words.slice(1), inRoot('.'), env);
          else if (words[0] === 'install' && words[1] === '-d') {
            const owner = words[words.indexOf('-o') + 1] ?? 'root';
            const dir = words.at(-1) ?? '';
            await mkdir(path.join(stage.root, dir), { recursive: true, mode: 0o700 });
            stage.owned.set(dir, owner);
            say(`    install -d ${dir} (owner ${owner}: recorded)`);
          } else throw new Error(`${at}: container:check cannot replay \`${command}\`; keep RUN to npm and install -d, or teach the check`);
        }
        break;
      }
      case 'USER':
        stage.user = ins.args;
        break;
      case 'VOLUME':
        stage.volumes.push(...(ins.args.startsWith('[') ? jsonArray(ins.args) : ins.args.split(/\s+/)));
        break;
      case 'CMD':
        stage.cmd = jsonArray(ins.args);
        break;
      case 'HEALTHCHECK': {
        const cmd = /CMD\s+(\[.*\])\s*$/.exec(ins.args);
        if (!cmd?.[1]) throw new Error(`${at}: HEALTHCHECK needs an exec-form CMD`);
        stage.healthcheck = jsonArray(cmd[1]);
        break;
      }
      case 'EXPOSE':
      case 'STOPSIGNAL':
      case 'LABEL':
        break;
      default:
        throw new Error(`${at}: container:check does not know ${ins.op}`);
    }
  }
  const last = stages.at(-1);
  if (!last) throw new Error('the Dockerfile has no stage');
  return last;
}

async function checkRuntime(stage: Stage): Promise<void> {
  say('the image');
  if (stage.user === 'root' || stage.user === '0' || stage.user.startsWith('0:')) problem('the service runs as root');
  else ok(`runs as ${stage.user}`);
  for (const volume of stage.volumes) {
    if (stage.owned.get(volume) === stage.user) ok(`volume ${volume} is created owned by ${stage.user}`);
    else problem(`volume ${volume} is not created owned by ${stage.user} (the service could not write to it)`);
  }
  if (stage.env.DATA_DIR === undefined || !stage.volumes.includes(stage.env.DATA_DIR)) problem('DATA_DIR is not a volume');
  if (!stage.healthcheck) problem('no HEALTHCHECK');
  if (!stage.cmd) throw new Error('no CMD');
  const app = path.join(stage.root, stage.workdir);
  for (const dev of ['typescript', 'tap', 'esbuild', 'eslint']) {
    const present = await stat(path.join(app, 'node_modules', dev)).then(
      () => true,
      () => false,
    );
    if (present) problem(`the runtime holds the development dependency ${dev}`);
  }
  ok('the runtime holds no development dependency');

  // The image runs the service as its USER, not root. Run as root here (as CI is), the check does the same: it applies
  // the recorded owners and starts the service as that user if this machine has one, else as nobody.
  const runAs = await unprivileged(stage);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: os.tmpdir(), ...stage.env, PORT: String(port), HOST: '127.0.0.1' };
  if (stage.env.DATA_DIR !== undefined) env.DATA_DIR = path.join(stage.root, stage.env.DATA_DIR);
  if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
  const [command = 'node', ...args] = stage.cmd;
  say(`    $ ${stage.cmd.join(' ')}  (PORT=${port}, DATA_DIR=${env.DATA_DIR ?? ''}${env.DATABASE_URL ? ', DATABASE_URL' : ', embedded Postgres'})`);
  const child = spawn(command === 'node' ? process.execPath : command, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], ...runAs });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  try {
    let ready = false;
    for (let i = 0; i < 240 && !ready && child.exitCode === null; i++) {
      ready = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!ready) await new Promise((r) => setTimeout(r, 250));
    }
    if (!ready) throw new Error(`the service did not become ready:\n${output}`);
    ok('the built service starts and /ready answers 200');
    if (stage.healthcheck) {
      // The HEALTHCHECK names the image's port; here the service listens on a free one.
      const [hc = 'node', ...hcArgs] = stage.healthcheck.map((a) => a.replaceAll(':3000', `:${port}`));
      const result = spawnSync(hc === 'node' ? process.execPath : hc, hcArgs, { cwd: app, env, stdio: 'inherit', ...runAs });
      if (result.status === 0) ok('the HEALTHCHECK command passes');
      else problem(`the HEALTHCHECK command failed (${result.status ?? result.signal})`);
    }
  } finally {
    child.kill('SIGTERM');
    const code = await exited;
    if (code === 0) ok('SIGTERM stops it cleanly');
    else problem(`SIGTERM: exit ${code}\n${output}`);
  }
}

/** Run as root: the uid and gid to run the service as (the image's USER if this machine has it, else nobody), with the scratch folder opened to it and the recorded owners applied. */
async function unprivileged(stage: Stage): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const entry = (name: string) => passwd.split('\n').find((l) => l.startsWith(`${name}:`))?.split(':');
  const user = entry(stage.user) ?? entry('nobody');
  const uid = Number(user?.[2] ?? 65534);
  const gid = Number(user?.[3] ?? 65534);
  for (let dir = stage.root; dir.startsWith(scratch); dir = path.dirname(dir)) await chmod(dir, 0o755);
  for (const [dir, owner] of stage.owned) if (owner === stage.user) await chown(path.join(stage.root, dir), uid, gid);
  say(`    (as root here: the service runs as uid ${uid}, standing for ${stage.user})`);
  return { uid, gid };
}

const scratch = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-container-'));
try {
  const instructions = parseDockerfile(await readFile(path.join(ROOT, 'Dockerfile'), 'utf8'));
  await checkRules(instructions);
  const last = await replay(instructions, scratch);
  await checkRuntime(last);
} catch (error) {
  problem(error instanceof Error ? error.message : String(error));
} finally {
  if (process.env.KEEP === '1') say(`scratch kept: ${scratch}`);
  else await rm(scratch, { recursive: true, force: true });
}
if (problems.length > 0) {
  say(`\ncontainer check failed: ${problems.length} problem(s)`);
  process.exit(1);
}
say('\ncontainer check passed');
