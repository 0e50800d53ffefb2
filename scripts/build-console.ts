/**
 * Builds the web console (theatre page, recall console, stock page, admin page) into dist/console:
 * esbuild bundles each page's TypeScript/JSX and the stylesheet, the HTML
 * pages are copied beside them, and every file gets gzip and brotli twins
 * that @fastify/static serves to browsers that accept them.
 *
 * Run by `npm run build` (so by `npm ci`'s prepare and `npm start`'s
 * prestart); the browser tests call buildConsole() into a folder of their own.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { build } from 'esbuild';
import { packageRoot } from '../src/shared/package-root.js';

const ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));
const SOURCE = path.join(ROOT, 'src', 'console');
export const DEFAULT_OUT_DIR = path.join(ROOT, 'dist', 'console');

export interface ConsoleFile {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Builds the console into `outDir` (emptied first) and answers each file with its sizes. */
export async function buildConsole(outDir: string = DEFAULT_OUT_DIR): Promise<ConsoleFile[]> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(path.join(outDir, 'assets'), { recursive: true });
  await build({
    entryPoints: {
      'assets/theatre': path.join(SOURCE, 'theatre', 'main.tsx'),
      'assets/recalls': path.join(SOURCE, 'recalls', 'main.tsx'),
      'assets/admin': path.join(SOURCE, 'admin', 'main.tsx'),
      'assets/stock': path.join(SOURCE, 'stock', 'main.tsx'),
      'assets/console': path.join(SOURCE, 'console.css'),
    },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: 'esm',
    // Evergreen browsers of the last few years: theatre tablets and trust desktops.
    target: ['chrome109', 'edge109', 'firefox115', 'safari15'],
    sourcemap: 'linked',
    tsconfig: path.join(SOURCE, 'tsconfig.json'),
    logLevel: 'warning',
    legalComments: 'none',
  });
  for (const page of await readdir(path.join(SOURCE, 'pages'))) {
    await copyFile(path.join(SOURCE, 'pages', page), path.join(outDir, page));
  }
  const files: ConsoleFile[] = [];
  for (const file of await listFiles(outDir)) {
    if (file.endsWith('.map')) continue;
    const body = await readFile(path.join(outDir, file));
    const gz = await gzipAsync(body, { level: 9 });
    await writeFile(path.join(outDir, `${file}.gz`), gz);
    await writeFile(path.join(outDir, `${file}.br`), await brotliAsync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
    files.push({ file, bytes: body.length, gzipBytes: gz.length });
  }
  return files;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const name = path.posix.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(dir, name)));
    else out.push(name);
  }
  return out.sort();
}

/** A digest of everything the console is built from: its sources, this script, and the esbuild that bundles them. */
async function sourceDigest(): Promise<string> {
  const hash = createHash('sha256');
  const inputs = [...(await listFiles(SOURCE)).map((f) => path.join(SOURCE, f)), fileURLToPath(import.meta.url), path.join(ROOT, 'node_modules', 'esbuild', 'package.json')];
  for (const file of inputs) {
    hash.update(path.relative(ROOT, file)).update('\0');
    hash.update(await readFile(file).catch(() => Buffer.alloc(0))).update('\0');
  }
  return hash.digest('hex');
}

const STAMP = '.source-digest';

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? DEFAULT_OUT_DIR;
  // Built once: when nothing the console is built from has changed since the last build, it is not built again.
  const digest = await sourceDigest();
  if ((await readFile(path.join(outDir, STAMP), 'utf8').catch(() => '')) === digest) process.exit(0);
  const files = await buildConsole(outDir);
  await writeFile(path.join(outDir, STAMP), digest);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
  // A report, on stderr: commands that build first (`npm run -s parse`) keep stdout for their own output.
  for (const f of files) process.stderr.write(`console ${f.file.padEnd(22)} ${kb(f.bytes).padStart(9)}  (${kb(f.gzipBytes)} gzip)\n`);
}
