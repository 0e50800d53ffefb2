/**
 * Real browser tests: the built console served by the real app (real HTTP on
 * a loopback port, real Postgres) and driven in headless Chromium by
 * playwright-core. Debian's chromium package provides the browser; Playwright
 * never downloads one.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import axe from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { GS } from '../../src/barcode/index.js';
import { buildConsole } from '../../scripts/build-console.js';
import { CHROMIUM, launchChromium } from '../../scripts/chromium.js';
import { buildTestApp, type TestApp, type TestAppOptions } from './app.js';
import type { Accounts, TestProvider } from './oidc-provider.js';

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

/** A free loopback port: an OpenID Provider must know the app's address (its redirect URI) before the app starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface SignInConsoleServer extends ConsoleServer {
  readonly provider: TestProvider;
  /**
   * From a console page's sign-in, at the provider's own pages: its login form (any password: the
   * development login) for this account, then back to the app.
   */
  readonly signInAtProvider: (page: Page, account: string) => Promise<void>;
}

export interface SignInOptions {
  /** The provider's people: their `name`, `roles` (role claim values) and `org` (ODS code). */
  readonly accounts: Accounts;
  /** OIDC_ROLE_MAP: role claim values to this service's roles. */
  readonly roleMap: Readonly<Record<string, string | { readonly role: string; readonly national?: boolean }>>;
}

/**
 * The real app serving the console with staff sign-in configured against a real OpenID Provider
 * (oidc-provider, in process, its own login pages): the app on `localhost` and the provider on
 * `127.0.0.1`, so the two are different sites as in production (the session cookie is SameSite=Strict).
 */
export async function startSignInConsoleServer(t: Teardown, options: SignInOptions): Promise<SignInConsoleServer> {
  // Loaded only by the tests that sign people in.
  const { startProvider } = await import('./oidc-provider.js');
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const provider = await startProvider({ appBaseUrl: baseUrl, customClaims: ['roles', 'org'], accounts: options.accounts });
  t.teardown(() => provider.close());
  const app = await buildTestApp(t, {
    env: {
      CONSOLE_DIR: await consoleDir(),
      PUBLIC_BASE_URL: baseUrl,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_CLIENT_SECRET: provider.clientSecret,
      OIDC_ROLES_CLAIM: 'roles',
      OIDC_ORGANISATION_CLAIM: 'org',
      OIDC_ROLE_MAP: JSON.stringify(options.roleMap),
    },
  });
  await app.app.listen({ port, host: '127.0.0.1' });
  return Object.assign(app, {
    baseUrl,
    provider,
    signInAtProvider: async (page: Page, account: string): Promise<void> => {
      await page.click('a:text("Sign in with your organisation account")');
      await page.waitForURL((url) => url.origin === provider.issuer, { timeout: 15_000 });
      await page.fill('input[name="login"]', account);
      await page.fill('input[name="password"]', 'any');
      await page.click('button[type="submit"]');
      await page.waitForURL((url) => url.origin === baseUrl, { timeout: 15_000 });
    },
  });
}

interface AxeResult {
  violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown[] }> }>;
}

/** axe-core's WCAG 2 A/AA checks on the page as it is now, each violation in a line. */
export async function axeViolations(page: Page): Promise<string[]> {
  // The page's CSP refuses inline scripts (addScriptTag); the DevTools protocol's evaluate is not bound by it.
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.evaluate(axe.source);
  const result = await page.evaluate<AxeResult>("window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })");
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
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
