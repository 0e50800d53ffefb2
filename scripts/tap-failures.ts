/**
 * Prints every failing test of a TAP log with the names of the subtests that
 * enclose it and the assertion's YAML diagnostics, so that a CI log read only
 * from its tail still says what failed. `.ci/run` calls it after `npm test`.
 *
 *   node dist/scripts/tap-failures.js LOG
 */
import { readFileSync } from 'node:fs';

const LIMIT = 400;

/** The failing tests of a TAP document, each with its enclosing subtests and diagnostics, as lines to print. */
export function tapFailures(tap: string, limit = LIMIT): string[] {
  const lines = tap.split('\n');
  const indentOf = (line: string) => line.length - line.trimStart().length;
  const enclosing: Array<{ indent: number; name: string }> = [];
  const out: string[] = [];
  for (let i = 0; i < lines.length && out.length < limit; i++) {
    const line = lines[i] ?? '';
    const subtest = /^\s*# Subtest: (.*)$/.exec(line);
    if (subtest) {
      const indent = indentOf(line);
      while ((enclosing.at(-1)?.indent ?? -1) >= indent) enclosing.pop();
      enclosing.push({ indent, name: subtest[1] ?? '' });
      continue;
    }
    if (!/^\s*not ok /.test(line)) continue;
    const indent = indentOf(line);
    const path = enclosing.filter((s) => s.indent < indent).map((s) => s.name);
    out.push(`not ok: ${[...path, line.trim()].join(' > ')}`);
    // The diagnostics follow as an indented YAML block from `---` to `...`.
    if (lines[i + 1]?.trim() !== '---') continue;
    for (let j = i + 1; j < lines.length && j <= i + 40 && out.length < limit; j++) {
      out.push(`    ${lines[j] ?? ''}`);
      if (lines[j]?.trim() === '...') break;
    }
  }
  return out;
}

const file = process.argv[2];
if (file !== undefined && import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const found = tapFailures(readFileSync(file, 'utf8'));
  process.stdout.write(found.length > 0 ? `${found.join('\n')}\n` : 'no failing test in the log\n');
}
