import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { packageRoot } from './shared/package-root.js';

/**
 * The service's whole configuration, read once from the environment at boot.
 * A bad value stops the boot with a message naming the variable; secrets are
 * never echoed back in that message.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A whole number from `min` to `max` (of `unit`), read from text; one message for every way it can be wrong. */
function wholeNumber(min: number, max: number, unit?: string) {
  const message = `must be a whole number${unit === undefined ? '' : ` of ${unit}`} from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message);
}

const EnvSchema = z.object({
  PORT: wholeNumber(0, 65535).default(3000),
  HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .trim()
    .refine((v) => /^postgres(ql)?:\/\/\S+$/.test(v) && URL.canParse(v), {
      message: 'must be a postgres:// or postgresql:// URL',
    })
    .optional(),
  DATA_DIR: z.string().trim().min(1, 'must not be empty').default('./data'),
  EXPORT_TTL_HOURS: wholeNumber(1, 720, 'hours').default(24),
  EXPORT_WORKERS: wholeNumber(0, 32).default(2),
  EXPORT_LEASE_SECONDS: wholeNumber(5, 3600, 'seconds').default(30),
  EXPORT_POLL_SECONDS: wholeNumber(1, 3600, 'seconds').default(5),
  BOOTSTRAP_ADMIN_KEY: z
    .string()
    .refine((v) => v.length >= 32 && v.length <= 256 && /^[\x21-\x7e]+$/.test(v), {
      message: 'must be 32 to 256 printable ASCII characters without spaces',
    })
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  DATABASE_POOL_SIZE: wholeNumber(1, 200).default(10),
  BODY_LIMIT_BYTES: wholeNumber(1024, 104_857_600, 'bytes').default(1_048_576),
  AUTH_FAILURE_LIMIT: wholeNumber(1, 100_000).default(20),
  AUTH_FAILURE_WINDOW_SECONDS: wholeNumber(1, 86_400, 'seconds').default(60),
  AUTH_CACHE_SECONDS: wholeNumber(0, 300, 'seconds').default(10),
  CONSOLE_DIR: z.string().trim().min(1, 'must not be empty').optional(),
  TRUST_PROXY: z
    .string()
    .trim()
    .refine((v) => /^(true|false|[0-9]{1,2}|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/.test(v), {
      message: 'must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses or CIDRs',
    })
    .optional(),
  PUBLIC_BASE_URL: z
    .string()
    .trim()
    .refine((v) => isPublicBaseUrl(v), {
      message: 'must be an absolute http:// or https:// URL without credentials, query or fragment (e.g. https://implants.example.nhs.uk)',
    })
    .optional(),
  REQUEST_TIMEOUT_SECONDS: wholeNumber(1, 3600, 'seconds').default(30),
  OIDC_ISSUER: z
    .string()
    .trim()
    .refine((v) => isIssuer(v), { message: 'must be an https:// URL (http:// only for localhost) without query or fragment' })
    .optional(),
  OIDC_CLIENT_ID: z.string().trim().min(1).max(255).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).max(1024).optional(),
  OIDC_CLIENT_PRIVATE_KEY: z
    .string()
    .refine((v) => isPrivateJwk(v), { message: 'must be a private key as a JSON Web Key (JSON with "kty" and "d")' })
    .optional(),
  OIDC_SCOPES: z
    .string()
    .trim()
    .refine((v) => /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(v) && v.split(' ').includes('openid'), {
      message: 'must be space-separated scopes including openid',
    })
    .default('openid profile'),
  OIDC_ROLES_CLAIM: z.string().trim().min(1).max(200).default('roles'),
  OIDC_ROLE_FIELD: z.string().trim().min(1).max(200).optional(),
  OIDC_ORGANISATION_FIELD: z.string().trim().min(1).max(200).optional(),
  OIDC_ORGANISATION_CLAIM: z.string().trim().min(1).max(200).optional(),
  OIDC_ROLE_MAP: z
    .string()
    .transform((v, ctx) => {
      try {
        const parsed = RoleMapSchema.safeParse(JSON.parse(v));
        if (parsed.success) return parsed.data;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object from claim value to a role (admin, scanner, procurement) or {"role": …, "national": true}' });
      return z.NEVER;
    })
    .optional(),
  OIDC_NAME_CLAIM: z.string().trim().min(1).max(200).default('name'),
  SESSION_IDLE_MINUTES: wholeNumber(1, 1440, 'minutes').default(30),
  SESSION_MAX_HOURS: wholeNumber(1, 168, 'hours').default(12),
});

/** The roles a person may be given by the provider's claims: registry access is for machines (keys, tokens). */
export const PERSON_ROLES = ['admin', 'scanner', 'procurement'] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];

const RoleMapSchema = z.record(
  z.string().min(1).max(500),
  z.union([z.enum(PERSON_ROLES), z.strictObject({ role: z.enum(PERSON_ROLES), national: z.boolean().optional() })]),
);

function isIssuer(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  return (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) && url.search === '' && url.hash === '' && url.username === '';
}

function isPrivateJwk(value: string): boolean {
  try {
    const jwk = JSON.parse(value) as unknown;
    return typeof jwk === 'object' && jwk !== null && 'kty' in jwk && 'd' in jwk;
  } catch {
    return false;
  }
}

function isPublicBaseUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.search === '' && url.hash === '' && !value.includes('#') && !value.includes('?');
}

/** `dist/console` beside this package's package.json, whether this file runs from src/ or dist/src/. */
const DEFAULT_CONSOLE_DIR = path.join(packageRoot(path.dirname(fileURLToPath(import.meta.url))), 'dist', 'console');

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Unset: the service runs its own embedded Postgres under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** How long an export's files are kept after it completes. */
  readonly exportTtlHours: number;
  /** FHIR Bulk Data exports this instance runs at once (0: it runs none, and leaves them to other instances). */
  readonly exportWorkers: number;
  /** How long an instance holds an export it runs without renewing its lease; after that another instance takes it over. */
  readonly exportLeaseSeconds: number;
  /** How often an instance looks for exports waiting to run (it starts one it accepted at once). */
  readonly exportPollSeconds: number;
  readonly bootstrapAdminKey: string | undefined;
  readonly logLevel: LogLevel;
  readonly databasePoolSize: number;
  readonly bodyLimitBytes: number;
  /** Failed authentications one client may make within the window before it is refused (429) for a window. */
  readonly authFailureLimit: number;
  readonly authFailureWindowSeconds: number;
  /** How long a successful key lookup is reused (0: never); a key revoked on another instance works this long at most. */
  readonly authCacheSeconds: number;
  /**
   * Behind a reverse proxy: whose X-Forwarded-For to believe (fastify's trustProxy), so that
   * the client address (rate limits, logs) is the caller's, not the proxy's. False: none.
   */
  readonly trustProxy: boolean | number | string;
  /**
   * The service's address as its clients reach it (behind a proxy: the proxy's), without a trailing
   * slash. Absolute URLs the service hands out (FHIR Bulk Data status and file URLs) are built from it,
   * never from the request's Host header. Unset: `http://localhost:<port>`, right for the embedded set-up.
   */
  readonly publicBaseUrl: string | undefined;
  /** The whole request, headers and body, must arrive within this time (slow clients get 408 and are disconnected). */
  readonly requestTimeoutSeconds: number;
  /** The built web console (`npm run build` writes it); default: `dist/console` of this package. */
  readonly consoleDir: string;
  /** Staff sign-in with OpenID Connect; undefined (no OIDC_ISSUER): sign-in is off, keys only. */
  readonly oidc: OidcConfig | undefined;
  /** A session unused this long ends. */
  readonly sessionIdleMinutes: number;
  /** A session ends this long after sign-in, however used. */
  readonly sessionMaxHours: number;
}

/** What one role-map entry gives: a role, in the organisation the claims name, or national. */
export interface MappedRole {
  readonly role: PersonRole;
  readonly national: boolean;
}

export interface OidcConfig {
  readonly issuer: string;
  readonly clientId: string;
  /** Exactly one of the secret (client_secret_basic) and the private key (private_key_jwt). */
  readonly clientSecret: string | undefined;
  readonly clientPrivateKey: Readonly<Record<string, unknown>> | undefined;
  readonly scopes: string;
  /** The claim holding the person's roles: a string, a list of strings, or a list of objects (CIS2's nhsid_nrbac_roles). */
  readonly rolesClaim: string;
  /** For a list of objects: the field of each holding the role value (CIS2: role_code). */
  readonly roleField: string | undefined;
  /** For a list of objects: the field of each naming its organisation's ODS code (CIS2: org_code). */
  readonly organisationField: string | undefined;
  /** Otherwise: a claim holding the person's organisation's ODS code. */
  readonly organisationClaim: string | undefined;
  /** Claim value (or one ':'-separated part of it) → role. A value not in the map gives nothing. */
  readonly roleMap: ReadonlyMap<string, MappedRole>;
  readonly nameClaim: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * For entry points (the service and its commands): the configuration, or the
 * reasons it is invalid written by `say` and the process ended with 78 (EX_CONFIG).
 */
export function loadConfigOrExit(env: Record<string, string | undefined>, say: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    say(error.message);
    process.exit(78);
  }
}

/** Parses the environment (or any record like it) into a frozen Config, or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable is treated as unset, as shells and compose files often produce them.
  const present = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    exportTtlHours: e.EXPORT_TTL_HOURS,
    exportWorkers: e.EXPORT_WORKERS,
    exportLeaseSeconds: e.EXPORT_LEASE_SECONDS,
    exportPollSeconds: e.EXPORT_POLL_SECONDS,
    bootstrapAdminKey: e.BOOTSTRAP_ADMIN_KEY,
    logLevel: e.LOG_LEVEL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    authFailureLimit: e.AUTH_FAILURE_LIMIT,
    authFailureWindowSeconds: e.AUTH_FAILURE_WINDOW_SECONDS,
    authCacheSeconds: e.AUTH_CACHE_SECONDS,
    trustProxy: trustProxyOf(e.TRUST_PROXY),
    publicBaseUrl: e.PUBLIC_BASE_URL === undefined ? undefined : e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    requestTimeoutSeconds: e.REQUEST_TIMEOUT_SECONDS,
    consoleDir: e.CONSOLE_DIR === undefined ? DEFAULT_CONSOLE_DIR : path.resolve(e.CONSOLE_DIR),
    oidc: oidcOf(e),
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    sessionMaxHours: e.SESSION_MAX_HOURS,
  });
}

function oidcOf(e: z.infer<typeof EnvSchema>): OidcConfig | undefined {
  const problems: string[] = [];
  if (e.OIDC_ISSUER === undefined) {
    for (const name of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_CLIENT_PRIVATE_KEY', 'OIDC_ROLE_MAP'] as const) {
      if (e[name] !== undefined) problems.push(`${name} is set but OIDC_ISSUER is not: set OIDC_ISSUER to turn sign-in on, or unset ${name}`);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return undefined;
  }
  if (e.OIDC_CLIENT_ID === undefined) problems.push('OIDC_CLIENT_ID is required with OIDC_ISSUER');
  if ((e.OIDC_CLIENT_SECRET === undefined) === (e.OIDC_CLIENT_PRIVATE_KEY === undefined)) {
    problems.push('exactly one of OIDC_CLIENT_SECRET and OIDC_CLIENT_PRIVATE_KEY is required with OIDC_ISSUER');
  }
  if (e.OIDC_ROLE_MAP === undefined || Object.keys(e.OIDC_ROLE_MAP).length === 0) {
    problems.push('OIDC_ROLE_MAP is required with OIDC_ISSUER: nobody is given a role by default');
  }
  if (problems.length > 0 || e.OIDC_CLIENT_ID === undefined || e.OIDC_ROLE_MAP === undefined) throw new ConfigError(problems);
  const roleMap = new Map<string, MappedRole>(
    Object.entries(e.OIDC_ROLE_MAP).map(([value, to]) => [value, typeof to === 'string' ? { role: to, national: false } : { role: to.role, national: to.national === true }]),
  );
  return Object.freeze({
    issuer: e.OIDC_ISSUER,
    clientId: e.OIDC_CLIENT_ID,
    clientSecret: e.OIDC_CLIENT_SECRET,
    clientPrivateKey: e.OIDC_CLIENT_PRIVATE_KEY === undefined ? undefined : (JSON.parse(e.OIDC_CLIENT_PRIVATE_KEY) as Record<string, unknown>),
    scopes: e.OIDC_SCOPES,
    rolesClaim: e.OIDC_ROLES_CLAIM,
    roleField: e.OIDC_ROLE_FIELD,
    organisationField: e.OIDC_ORGANISATION_FIELD,
    organisationClaim: e.OIDC_ORGANISATION_CLAIM,
    roleMap,
    nameClaim: e.OIDC_NAME_CLAIM,
  });
}

function trustProxyOf(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^[0-9]+$/.test(value)) return Number(value);
  return value;
}
