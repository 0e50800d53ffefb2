// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Packages the barcode parser never imports: no framework, no database, no I/O. */
const IMPURE = ['fastify*', 'kysely', 'pg', 'pg-*', 'node:fs*', 'node:net', 'node:http*', 'node:child_process', 'node:worker_threads', 'fs', 'net', 'http*', 'child_process'];

/**
 * The barcode parser is pure: no framework, no database, no I/O, and nothing
 * from outside src/barcode/ (which is where those live). A relative import that
 * climbs out of src/barcode/ is refused at every depth.
 */
export const barcodePurity = [
  { files: ['src/barcode/*.ts'], climbOut: '^\\.\\./' },
  { files: ['src/barcode/*/*.ts'], climbOut: '^\\.\\./\\.\\./' },
  { files: ['src/barcode/*/*/*.ts'], climbOut: '^\\.\\./\\.\\./\\.\\./' },
].map(({ files, climbOut }) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: IMPURE, message: 'The barcode parser is pure: no framework, database or I/O.' },
          { regex: climbOut, message: 'The barcode parser imports nothing from outside src/barcode/.' },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', '.tap/', 'data/', 'openapi/', 'tap-snapshots/', '.ci/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Fastify plugins, hooks and handlers are async by contract, awaiting or not.
      '@typescript-eslint/require-await': 'off',
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    // Migrations are frozen in time and typed against Kysely<any> on purpose.
    files: ['migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...barcodePurity,
  {
    // Dependencies point down: plugins, the domain vocabulary, the database layer and shared code know no module; the
    // composition root (src/app.ts) wires modules into them.
    files: ['src/plugins/**/*.ts', 'src/db/**/*.ts', 'src/shared/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)modules/', message: 'Plugins, domain, db and shared code import no module: let src/app.ts pass it in.' }] }],
    },
  },
  {
    // The build (and the container image's, which has no test/ folder) compiles src, migrations and scripts: tools
    // under scripts/ import nothing from the tests (the tests may import tools).
    files: ['src/**/*.ts', 'migrations/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['src/barcode/**', 'src/plugins/**', 'src/db/**', 'src/shared/**', 'src/domain/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)test/', message: 'The build compiles src, migrations and scripts only: import nothing from test/.' }] }],
    },
  },
  {
    // Tests may poke at loosely typed JSON responses.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // tap awaits its own subtests.
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
);
