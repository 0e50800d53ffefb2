/** The command-line parser a hospital uses to check its scanners: `npm run -s parse`. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const CLI = fileURLToPath(new URL('../../scripts/parse.ts', import.meta.url));

function run(args: string[], stdin?: string): Promise<{ code: number | null; lines: Array<Record<string, unknown>>; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stderr, lines: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) }));
    child.stdin.end(stdin ?? '');
  });
}

t.test('scans as arguments, with <GS> or \\x1d for the separator: one JSON line each', async (t) => {
  const { code, lines } = await run(['--today=2026-11-21', ']d20109506000134352' + '10ABC<GS>17261231', '0109506000134352' + '10A\\x1d21S']);
  t.equal(code, 0, 'exit 0: all valid');
  t.equal(lines.length, 2);
  t.match(lines[0], { valid: true, lotNumber: 'ABC', expirationDate: '2026-12-31' });
  t.match(lines[1], { valid: true, lotNumber: 'A', serialNumber: 'S' });
});

t.test('one scan per line on stdin, raw GS kept; exit 1 when any is invalid', async (t) => {
  const { code, lines } = await run(['--today=2026-11-21'], `0109506000134352\u001d10A\n0109506000134353\n+A123BJC5D6E71G\n`);
  t.equal(code, 1);
  t.equal(lines.length, 3);
  t.match(lines[0], { valid: true, lotNumber: 'A' });
  t.match(lines[1], { valid: false, error: { kind: 'checkDigit', position: 15 } });
  t.match(lines[2], { valid: true, carrier: 'hibc' });
});

t.test('a bad --today is refused', async (t) => {
  const { code, stderr } = await run(['--today=yesterday', 'x']);
  t.equal(code, 2);
  t.match(stderr, /--today must be YYYY-MM-DD/);
});

t.test('the build that `npm run -s parse` runs first writes nothing on stdout, so its output pipes into jq', async (t) => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-console-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  const build = fileURLToPath(new URL('../../scripts/build-console.ts', import.meta.url));
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, build, out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  t.equal(result.code, 0);
  t.equal(result.stdout, '', 'stdout stays empty');
  t.match(result.stderr, /console index\.html/, 'the size report goes to stderr');

  // Built once: a second build with nothing changed does no work and leaves the files as they were.
  const before = (await stat(path.join(out, 'index.html'))).mtimeMs;
  const again = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, build, out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  t.equal(again.code, 0);
  t.equal(again.stderr, '', 'nothing is rebuilt');
  t.equal((await stat(path.join(out, 'index.html'))).mtimeMs, before, 'the built files are untouched');
});
