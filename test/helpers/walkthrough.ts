/**
 * The README's walkthrough as a test runs it: the commands between the
 * `<!-- walkthrough … -->` and `<!-- /walkthrough -->` markers, each with the
 * answers the README shows under it (`# → …` lines), run by bash as a reader
 * pastes them.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export interface WalkthroughStep {
  /** The command as written, continuation lines joined. */
  readonly command: string;
  /** The answers the README shows under it, one per `# →` line. */
  readonly shown: string[];
}

/** The walkthrough's commands in order, and its text (for the links it gives). */
export function walkthrough(readme: string): { readonly steps: WalkthroughStep[]; readonly text: string } {
  const start = readme.indexOf('<!-- walkthrough');
  const end = readme.indexOf('<!-- /walkthrough -->');
  if (start < 0 || end < start) throw new Error('README.md has no walkthrough markers');
  const text = readme.slice(start, end);
  const steps: WalkthroughStep[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? '').replace(/\\\n\s*/g, ' ').split('\n')) {
      const shown = /^# → (.*)$/.exec(line);
      if (shown) steps.at(-1)?.shown.push(shown[1] as string);
      else if (line.trim() !== '' && !line.startsWith('#')) steps.push({ command: line, shown: [] });
    }
  }
  return { steps, text };
}

/** Whether `output` holds the pieces of `shown` (split at …), in that order. */
export function shows(output: string, shown: string): boolean {
  let from = 0;
  for (const piece of shown.split('…').map((p) => p.trim()).filter((p) => p !== '')) {
    const at = output.indexOf(piece, from);
    if (at < 0) return false;
    from = at + piece.length;
  }
  return true;
}

/** Why the walkthrough cannot run here (no bash or curl), or undefined. */
export function walkthroughUnavailable(): string | undefined {
  const missing = ['bash', 'curl'].filter((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0);
  return missing.length > 0 ? `no ${missing.join(' or ')} here` : undefined;
}

/**
 * Runs the steps in one bash (stopping at the first that fails), with
 * `localhost:3000` pointed at `host` and these variables set (the keys the
 * demo prints), and answers each step's output, stdout and stderr together.
 */
export async function runWalkthrough(steps: readonly WalkthroughStep[], host: string, variables: Record<string, string>): Promise<string[]> {
  const script = ['set -eu', 'exec 2>&1', ...steps.flatMap((s, i) => [`printf '\\n@@ step %d @@\\n' ${i}`, s.command.replaceAll('localhost:3000', host)])].join('\n');
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      // node for `keep`: the one running the tests, first.
      env: { PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, HOME: os.tmpdir(), ...variables },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`the walkthrough stopped (exit ${code}):\n${out.slice(-2000)}`))));
  });
  return output.split(/\n@@ step \d+ @@\n/).slice(1);
}
