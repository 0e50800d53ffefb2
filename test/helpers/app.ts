import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import type { Role } from '../../src/domain/vocabulary.js';
import { ensureBootstrapKey } from '../../src/modules/api-keys/api-key.service.js';
import type { Clock } from '../../src/shared/clock.js';
import { createTestDatabase } from './database.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly db: Db;
  /** A national admin key, as BOOTSTRAP_ADMIN_KEY would create it. */
  readonly adminKey: string;
  /** Every log line the app wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** The raw log output, to search for things that must never be logged. */
  rawLogs(): string;
  /** Whether the logs hold this number as a whole (not as digits inside another number). */
  logsContainNumber(digits: string): boolean;
  /** inject() with `Authorization: Bearer <key>` when a key is given. */
  request(options: InjectOptions & { key?: string }): Promise<LightMyRequestResponse>;
}

export interface TestAppOptions {
  readonly clock?: Clock;
  readonly env?: Record<string, string>;
  /** Use this database instead of a fresh clone of the template. */
  readonly db?: Db;
  /** Create the national admin key (default: only on a fresh clone; a given database may have one). */
  readonly bootstrap?: boolean;
}

/** The real app on its own real database, with a national admin key. */
export async function buildTestApp(t: Teardown, options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase(t)).db;
  const adminKey = `test-admin-${randomBytes(24).toString('base64url')}`;
  if (options.bootstrap ?? !options.db) await ensureBootstrapKey(db, adminKey);
  const lines: string[] = [];
  const app = await buildApp({
    config: loadConfig({ LOG_LEVEL: 'info', ...options.env }),
    db,
    ...(options.clock ? { clock: options.clock } : {}),
    logStream: { write: (line: string) => void lines.push(line) },
  });
  t.teardown(() => app.close());
  return {
    app,
    db,
    adminKey,
    get logs() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    rawLogs: () => lines.join(''),
    logsContainNumber: (digits: string) => new RegExp(`(?<![0-9])${digits}(?![0-9])`).test(lines.join('')),
    request: ({ key, headers, ...rest }) =>
      app.inject({ ...rest, headers: { ...headers, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) } }),
  };
}

export interface OrganisationKeys {
  readonly id: string;
  readonly odsCode: string;
  readonly keys: Record<Role, string>;
  readonly keyIds: Record<Role, string>;
}

/** Registers an organisation through the API and issues one key per role for it. */
export async function createOrganisationWithKeys(app: TestApp, odsCode: string): Promise<OrganisationKeys> {
  const org = await app.request({
    method: 'POST',
    url: '/v1/organisations',
    key: app.adminKey,
    payload: { odsCode, name: `Organisation ${odsCode}` },
  });
  if (org.statusCode !== 201) throw new Error(`creating organisation ${odsCode}: ${org.statusCode} ${org.body}`);
  const keys = {} as Record<Role, string>;
  const keyIds = {} as Record<Role, string>;
  for (const role of ['admin', 'scanner', 'procurement', 'registry'] as const) {
    const res = await app.request({
      method: 'POST',
      url: '/v1/api-keys',
      key: app.adminKey,
      payload: { name: `${odsCode} ${role}`, role, organisation: odsCode, ...(role === 'registry' ? { registry: 'NJR' } : {}) },
    });
    if (res.statusCode !== 201) throw new Error(`creating ${role} key: ${res.statusCode} ${res.body}`);
    const body = res.json<{ id: string; key: string }>();
    keys[role] = body.key;
    keyIds[role] = body.id;
  }
  return { id: org.json<{ id: string }>().id, odsCode, keys, keyIds };
}

/** A national procurement key (it writes the national catalogue record). */
export async function nationalProcurementKey(app: TestApp): Promise<string> {
  const res = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'national procurement', role: 'procurement', national: true } });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json<{ key: string }>().key;
}
