/**
 * Real browser tests: the built console served by the real app (real HTTP on
 * a loopback port, real Postgres) and driven in headless Chromium by
 * playwright-core. Debian's chromium package provides the browser; Playwright
 * never downloads one.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { GS } from '../../src/barcode/index.js';
import { buildConsole } from '../../scripts/build-console.js';
import { CHROMIUM, launchChromium } from '../../scripts/chromium.js';
import { buildTestApp, type TestApp, type TestAppOptions } from './app.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export { CHROMIUM };

/**
 * Why the browser tests cannot run here, or null when they can. Without a
 * browser they are skipped, except where one is required (CI, which installs
 * it): there its absence is a failure, not a skip.
 */
export function browserUnavailable(): string | null {
  if (existsSync(CHROMIUM)) return null;
  return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

export const browserRequired = () => process.env.CI === 'true' || process.env.REQUIRE_BROWSER === '1';

let built: Promise<string> | undefined;

/** The console built once per test process into a folder of its own, from the sources as they are now. */
function consoleDir(): Promise<string> {
  built ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-console-'));
    process.once('exit', () => void rm(dir, { recursive: true, force: true }));
    await buildConsole(dir);
    return dir;
  })();
  return built;
}

export interface ConsoleServer extends TestApp {
  readonly baseUrl: string;
}

/** The real app on its own database, listening on a loopback port, serving a freshly built console. */
export async function startConsoleServer(t: Teardown, options: TestAppOptions = {}): Promise<ConsoleServer> {
  const dir = await consoleDir();
  const app = await buildTestApp(t, { ...options, env: { CONSOLE_DIR: dir, ...options.env } });
  const address = await app.app.listen({ port: 0, host: '127.0.0.1' });
  return Object.assign(app, { baseUrl: address });
}

export async function launchBrowser(t: Teardown): Promise<Browser> {
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  return browser;
}

/** A fresh profile (its own storage) at a tablet's size, with every page error collected. */
export async function newTablet(browser: Browser, t: Teardown): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true, locale: 'en-GB', timezoneId: 'Europe/London' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|ERR_INTERNET_DISCONNECTED|ERR_FAILED/.test(m.text())) errors.push(m.text());
  });
  return { context, page, errors };
}

/** Types into whatever has focus, key by key, as a keyboard wedge does, and ends with Enter. */
export async function wedgeType(page: Page, text: string, options: { gsAs?: 'control-character' | 'ctrl-bracket' } = {}): Promise<void> {
  for (const ch of text) {
    if (ch === GS) {
      if (options.gsAs === 'ctrl-bracket') await page.keyboard.press('Control+BracketRight');
      else await page.keyboard.insertText(ch);
    } else {
      await page.keyboard.type(ch);
    }
  }
  await page.keyboard.press('Enter');
}
