/// <reference lib="dom" />
/**
 * The web console as a theatre tablet sees it, in headless Chromium against
 * the real service on a durable Postgres:
 *   - cold load of the theatre page (new profile, empty cache) until the
 *     sign-in field can be typed into;
 *   - a wedge scan, from its Enter to its line on screen (read on the device),
 *     and to its line recorded by the service (answer rendered);
 * plus the built files' sizes. Timings are taken in the page
 * (performance.now and a MutationObserver), so Playwright's own round trips
 * are not counted.
 *
 *   npm run bench:console          (BENCH_LOADS=20, BENCH_SCANS=200)
 */
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { ensureBootstrapKey } from '../../src/modules/api-keys/api-key.service.js';
import { launchChromium } from '../chromium.js';
import { GS, MIX_GTINS, nhsNumber } from '../data/scan-mix.js';
import { setUpTrust } from './scanners.js';
import { openBenchDatabase } from './seed.js';

const LOADS = Number(process.env.BENCH_LOADS ?? 20);
const SCANS = Number(process.env.BENCH_SCANS ?? 200);
const ADMIN_KEY = `bench-admin-${'x'.repeat(40)}`;
const say = (m: string) => process.stderr.write(`${m}\n`);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
const ms = (x: number) => `${x.toFixed(1)} ms`;

const bench = await openBenchDatabase({}, say, { durable: true, poolSize: 10 });
const config = loadConfig({ LOG_LEVEL: 'warn', DATA_DIR: os.tmpdir() });
const browser = await launchChromium();
try {
  await migrateToLatest(bench.db);
  await ensureBootstrapKey(bench.db, ADMIN_KEY);
  const app = await buildApp({ config, db: bench.db, logStream: { write: () => undefined } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const scannerKey = await setUpTrust(url, ADMIN_KEY);

  // Cold loads: a new profile each time, so nothing is cached.
  const loads: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const page = await context.newPage();
    await page.goto(`${url}/console/theatre`);
    await page.locator('#api-key').waitFor();
    loads.push(await page.evaluate(() => performance.now()));
    await context.close();
  }

  // Scans: one case, SCANS wedge scans with distinct lots.
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => say(`page error: ${e.message}`));
  await page.goto(`${url}/console/theatre`);
  await page.locator('#api-key').fill(scannerKey);
  await page.keyboard.press('Enter');
  await page.locator('#patient').waitFor();
  await page.keyboard.type(nhsNumber(424242));
  await page.keyboard.press('Enter');
  await page.keyboard.type('9506000134369');
  await page.keyboard.press('Enter');
  await page.locator('#scan').waitFor();
  await page.evaluate(() => {
    const w = window as unknown as { marks: { enter: number; shown: number[]; recorded: number[] } };
    w.marks = { enter: 0, shown: [], recorded: [] };
    document.addEventListener('keydown', (e) => e.key === 'Enter' && (w.marks.enter = performance.now()), true);
    new MutationObserver(() => {
      const now = performance.now();
      const lines = document.querySelectorAll('[data-testid=line]').length;
      const recorded = document.querySelectorAll('[data-state=recorded]').length;
      // One line per scan: the n-th scan is on screen when there are n lines, recorded when n are recorded.
      while (w.marks.shown.length < lines) w.marks.shown.push(now - w.marks.enter);
      while (w.marks.recorded.length < recorded) w.marks.recorded.push(now - w.marks.enter);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  for (let i = 0; i < SCANS; i++) {
    await page.keyboard.insertText(`]d201${MIX_GTINS[i % MIX_GTINS.length] ?? ''}10B${String(i).padStart(5, '0')}${GS}17301231`);
    await page.keyboard.press('Enter');
    await page.locator('[data-state=recorded]').nth(i).waitFor();
  }
  const marks = await page.evaluate(() => (window as unknown as { marks: { shown: number[]; recorded: number[] } }).marks);
  await context.close();
  await app.close();

  const dist = path.join(config.consoleDir, 'assets');
  const sizes = await Promise.all(
    ['theatre.js', 'recalls.js', 'admin.js', 'console.css'].map(async (f) => {
      const bytes = await readFile(path.join(dist, f));
      const br = await stat(path.join(dist, `${f}.br`));
      return `${f} ${(bytes.length / 1024).toFixed(0)} kB (gzip ${(gzipSync(bytes).length / 1024).toFixed(0)} kB, brotli ${(br.size / 1024).toFixed(0)} kB)`;
    }),
  );
  const table = [
    `| measure (${os.cpus().length} cores, headless Chromium ${browser.version()}, loopback, fsync on) | median | p95 |`,
    '|---|---|---|',
    `| cold load of the theatre page to a usable sign-in field (${LOADS} loads, empty cache) | ${ms(quantile(loads, 0.5))} | ${ms(quantile(loads, 0.95))} |`,
    `| wedge scan: Enter → its line on screen, read on the device (${marks.shown.length} scans) | ${ms(quantile(marks.shown, 0.5))} | ${ms(quantile(marks.shown, 0.95))} |`,
    `| wedge scan: Enter → its line recorded by the service, warnings shown (${marks.recorded.length} scans) | ${ms(quantile(marks.recorded, 0.5))} | ${ms(quantile(marks.recorded, 0.95))} |`,
    '',
    `Built files: ${sizes.join('; ')}.`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
} finally {
  await browser.close();
  await bench.close();
}
