/**
 * `npm run openapi` writes openapi/openapi.json from the route schemas;
 * `--check` fails (exit 1) when the committed file differs, which CI runs.
 * Builds the app without connecting to any database.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/create-db.js';

const target = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));

export async function renderOpenApi(): Promise<string> {
  const db = createDb({ url: 'postgres://unused@127.0.0.1:1/unused' });
  const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), db });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await db.destroy();
  }
}

const document = await renderOpenApi();
if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== document) {
    process.stderr.write('openapi/openapi.json is out of date with the route schemas: run `npm run openapi` and commit it.\n');
    process.exitCode = 1;
  } else {
    process.stdout.write('openapi/openapi.json is up to date\n');
  }
} else {
  await writeFile(target, document);
  process.stdout.write(`wrote ${target}\n`);
}
