/**
 * The lint rule that keeps the barcode parser pure, run by ESLint itself on
 * imports a parser file might make, at each depth of src/barcode/. Before this,
 * `../../db/…` from src/barcode/gs1/ passed unnoticed.
 */
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import t from 'tap';

// The project's own lint configuration (plain JavaScript, loaded as it is by ESLint).
const configFile: string = '../../../eslint.config.js';
const { barcodePurity } = (await import(configFile)) as { barcodePurity: Linter.Config[] };

const eslint = new ESLint({
  cwd: new URL('../../..', import.meta.url).pathname,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...barcodePurity],
});

async function refused(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: Array<[string, string, boolean]> = [
  ['src/barcode/gs1/elements.ts', "import { createDb } from '../../db/create-db.js';", true],
  ['src/barcode/gs1/elements.ts', "import { ProblemError } from '../../shared/problem.js';", true],
  ['src/barcode/gs1/elements.ts', "import type { Db } from '../../db/database.js';", true],
  ['src/barcode/gs1/elements.ts', "import { parse } from '../types.js';", false],
  ['src/barcode/gs1/elements.ts', "import { gs1CheckDigit } from './check-digit.js';", false],
  ['src/barcode/hibc.ts', "import { recordAudit } from '../modules/audit/audit.service.js';", true],
  ['src/barcode/hibc.ts', "import { parse } from './types.js';", false],
  ['src/barcode/gs1/deeper/x.ts', "import { config } from '../../../config.js';", true],
  ['src/barcode/gs1/deeper/x.ts', "import { check } from '../../dates.js';", false],
  ['src/barcode/index.ts', "import Fastify from 'fastify';", true],
  ['src/barcode/gs1/read.ts', "import { readFile } from 'node:fs/promises';", true],
  ['src/barcode/gs1/read.ts', "import pg from 'pg';", true],
  ['src/barcode/gs1/read.ts', "import { sql } from 'kysely';", true],
  ['src/modules/scans/scan.rules.ts', "import { createDb } from '../../db/create-db.js';", false],
];

for (const [file, source, expected] of cases) {
  t.test(`${file}: ${source}`, async (t) => {
    const messages = await refused(file, source);
    if (expected) t.ok(messages.length > 0, 'refused');
    else t.same(messages, [], 'allowed');
  });
}
