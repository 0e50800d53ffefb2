import path from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';

t.test('defaults need no configuration at all', async (t) => {
  const config = loadConfig({});
  t.same(config, {
    port: 3000,
    host: '127.0.0.1',
    databaseUrl: undefined,
    dataDir: path.resolve('./data'),
    exportTtlHours: 24,
    exportWorkers: 2,
    exportLeaseSeconds: 30,
    exportPollSeconds: 5,
    bootstrapAdminKey: undefined,
    logLevel: 'info',
    databasePoolSize: 10,
    bodyLimitBytes: 1_048_576,
    authFailureLimit: 20,
    authFailureWindowSeconds: 60,
    authCacheSeconds: 10,
    trustProxy: false,
    publicBaseUrl: undefined,
    requestTimeoutSeconds: 30,
    // The built console beside this package's package.json, wherever the code runs from.
    consoleDir: path.resolve(import.meta.dirname, '../../dist/console'),
    oidc: undefined,
    sessionIdleMinutes: 30,
    sessionMaxHours: 12,
  });
  t.ok(Object.isFrozen(config), 'the config is frozen');
});

t.test('every variable is read', async (t) => {
  const config = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    DATABASE_URL: 'postgres://user:pw@db:5432/implants',
    DATA_DIR: '/var/lib/implant-trace',
    EXPORT_TTL_HOURS: '48',
    EXPORT_WORKERS: '0',
    EXPORT_LEASE_SECONDS: '120',
    EXPORT_POLL_SECONDS: '2',
    BOOTSTRAP_ADMIN_KEY: 'k'.repeat(40),
    LOG_LEVEL: 'warn',
    DATABASE_POOL_SIZE: '25',
    BODY_LIMIT_BYTES: '2048',
    AUTH_FAILURE_LIMIT: '50',
    AUTH_FAILURE_WINDOW_SECONDS: '300',
    TRUST_PROXY: '1',
    CONSOLE_DIR: 'web/console',
    AUTH_CACHE_SECONDS: '0',
    PUBLIC_BASE_URL: 'https://implants.example.nhs.uk/trace/',
    REQUEST_TIMEOUT_SECONDS: '60',
  });
  t.same(config, {
    port: 8080,
    host: '0.0.0.0',
    databaseUrl: 'postgres://user:pw@db:5432/implants',
    dataDir: '/var/lib/implant-trace',
    exportTtlHours: 48,
    exportWorkers: 0,
    exportLeaseSeconds: 120,
    exportPollSeconds: 2,
    bootstrapAdminKey: 'k'.repeat(40),
    logLevel: 'warn',
    databasePoolSize: 25,
    bodyLimitBytes: 2048,
    authFailureLimit: 50,
    authFailureWindowSeconds: 300,
    authCacheSeconds: 0,
    trustProxy: 1,
    publicBaseUrl: 'https://implants.example.nhs.uk/trace',
    requestTimeoutSeconds: 60,
    consoleDir: path.resolve('web/console'),
    oidc: undefined,
    sessionIdleMinutes: 30,
    sessionMaxHours: 12,
  });
});

t.test('TRUST_PROXY: none by default; true, a hop count, or the proxies\' addresses', async (t) => {
  t.equal(loadConfig({}).trustProxy, false);
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  t.equal(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy, '10.0.0.0/8,127.0.0.1');
});

t.test('an empty variable counts as unset', async (t) => {
  t.equal(loadConfig({ PORT: '', DATABASE_URL: '' }).port, 3000);
  t.equal(loadConfig({ DATABASE_URL: '' }).databaseUrl, undefined);
});

const bad: Array<[string, Record<string, string>, RegExp]> = [
  ['PORT', { PORT: 'abc' }, /PORT must be a whole number from 0 to 65535/],
  ['PORT', { PORT: '70000' }, /PORT must be a whole number/],
  ['PORT', { PORT: '3000.5' }, /PORT must be a whole number/],
  ['DATABASE_URL', { DATABASE_URL: 'mysql://x@y/z' }, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
  ['DATABASE_URL', { DATABASE_URL: 'not a url' }, /DATABASE_URL must be/],
  ['BOOTSTRAP_ADMIN_KEY', { BOOTSTRAP_ADMIN_KEY: 'short' }, /BOOTSTRAP_ADMIN_KEY must be 32 to 256 printable ASCII/],
  ['BOOTSTRAP_ADMIN_KEY', { BOOTSTRAP_ADMIN_KEY: `${'a'.repeat(20)} ${'b'.repeat(20)}` }, /BOOTSTRAP_ADMIN_KEY must be/],
  ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
  ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '0' }, /DATABASE_POOL_SIZE must be a whole number from 1 to 200/],
  ['BODY_LIMIT_BYTES', { BODY_LIMIT_BYTES: '10' }, /BODY_LIMIT_BYTES must be a whole number of bytes/],
  ['AUTH_FAILURE_LIMIT', { AUTH_FAILURE_LIMIT: '0' }, /AUTH_FAILURE_LIMIT must be a whole number from 1 to 100000/],
  ['AUTH_FAILURE_WINDOW_SECONDS', { AUTH_FAILURE_WINDOW_SECONDS: '1.5' }, /AUTH_FAILURE_WINDOW_SECONDS must be a whole number of seconds/],
  ['HOST', { HOST: '   ' }, /HOST must not be empty/],
  ['AUTH_CACHE_SECONDS', { AUTH_CACHE_SECONDS: '301' }, /AUTH_CACHE_SECONDS must be a whole number of seconds from 0 to 300/],
  ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'implants.example.nhs.uk' }, /PUBLIC_BASE_URL must be an absolute http:\/\/ or https:\/\/ URL/],
  ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://implants.example.nhs.uk' }, /PUBLIC_BASE_URL must be an absolute/],
  ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'https://user:pw@implants.example.nhs.uk' }, /PUBLIC_BASE_URL must be an absolute/],
  ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'https://implants.example.nhs.uk/?x=1' }, /PUBLIC_BASE_URL must be an absolute/],
  ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'https://implants.example.nhs.uk/#top' }, /PUBLIC_BASE_URL must be an absolute/],
  ['REQUEST_TIMEOUT_SECONDS', { REQUEST_TIMEOUT_SECONDS: '0' }, /REQUEST_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 3600/],
  ['TRUST_PROXY', { TRUST_PROXY: 'yes please' }, /TRUST_PROXY must be true, false, a number of proxy hops/],
];
for (const [name, env, message] of bad) {
  t.test(`a bad ${name} stops the boot with a message naming it (${JSON.stringify(env)})`, async (t) => {
    t.throws(() => loadConfig(env), message);
    t.throws(() => loadConfig(env), ConfigError);
  });
}

t.test('all problems are reported at once, and secrets are never echoed', async (t) => {
  const secret = 'tooshort-secret';
  try {
    loadConfig({ PORT: 'x', LOG_LEVEL: 'y', BOOTSTRAP_ADMIN_KEY: secret, DATABASE_URL: 'http://user:hunter2@host/db' });
    t.fail('should have thrown');
  } catch (error) {
    t.ok(error instanceof ConfigError);
    const e = error as ConfigError;
    t.equal(e.problems.length, 4);
    t.notMatch(e.message, secret);
    t.notMatch(e.message, 'hunter2');
  }
});
