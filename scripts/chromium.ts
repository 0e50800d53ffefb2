/**
 * Debian's Chromium driven by playwright-core, for the browser tests and the
 * console benchmark. Playwright never downloads a browser here: the machine's
 * own (`apt-get install chromium`) is launched with the flags its closed
 * network needs (no background connections, no first-run work).
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Headless, with a new empty profile (Playwright makes one per launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}
