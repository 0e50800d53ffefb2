/**
 * Parse scans from the command line, one JSON line per scan, so a hospital
 * can check what its scanners send.
 *
 *   npm run -s parse -- ']d2010950600013435217261231'$'\x1d''10ABC123'
 *   my-scanner-capture.txt < npm run -s parse           (one scan per line)
 *   npm run -s parse -- --today=2026-11-21 '(01)09506000134352(17)261231'
 *
 * In arguments, the GS separator (ASCII 29) may also be written as \x1d,
 * <GS> or {GS}. Exit code 0 when every scan is valid, 1 otherwise.
 */
import { createInterface } from 'node:readline';
import { GS, parseBarcode } from '../src/barcode/index.js';

const args = process.argv.slice(2);
const todayArg = args.find((a) => a.startsWith('--today='))?.slice('--today='.length);
const today = todayArg ? new Date(`${todayArg}T00:00:00Z`) : new Date();
if (Number.isNaN(today.getTime())) {
  process.stderr.write('--today must be YYYY-MM-DD\n');
  process.exit(2);
}
const scans = args.filter((a) => !a.startsWith('--'));

const unescape = (s: string) => s.replaceAll('\\x1d', GS).replaceAll('<GS>', GS).replaceAll('{GS}', GS);

let allValid = true;
const emit = (scan: string) => {
  const result = parseBarcode(scan, { today });
  allValid &&= result.valid;
  process.stdout.write(`${JSON.stringify(result)}\n`);
};

if (scans.length > 0) {
  for (const scan of scans) emit(unescape(scan));
} else {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.length > 0) emit(line);
  }
}
process.exitCode = allValid ? 0 : 1;
