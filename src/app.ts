import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import { ActorCache } from './modules/api-keys/actor-cache.js';
import { apiKeyRoutes } from './modules/api-keys/api-key.routes.js';
import { authenticate } from './modules/api-keys/api-key.service.js';
import { barcodeRoutes } from './modules/barcodes/barcode.routes.js';
import { labelRoutes } from './modules/labels/label.routes.js';
import { locationRoutes } from './modules/locations/location.routes.js';
import { procedureRoutes } from './modules/procedures/procedure.routes.js';
import { stockRoutes } from './modules/stock/stock.routes.js';
import { priceRoutes } from './modules/prices/price.routes.js';
import { costRoutes } from './modules/costs/cost.routes.js';
import { productRoutes } from './modules/products/product.routes.js';
import { compatibilityRoutes } from './modules/compatibility/compatibility.routes.js';
import { recallRoutes } from './modules/recalls/recall.routes.js';
import { replenishmentRoutes } from './modules/stock/replenishment.routes.js';
import { registryRoutes } from './modules/registries/registry.routes.js';
import { consentRoutes } from './modules/consents/consent.routes.js';
import { feedRoutes } from './modules/feeds/feed.routes.js';
import { outcomeRoutes } from './modules/outcomes/outcome.routes.js';
import { BulkExporter } from './modules/fhir/bulk-export.js';
import { fhirRoutes } from './modules/fhir/fhir.routes.js';
import { reportRoutes } from './modules/reports/report.routes.js';
import { smartRoutes } from './modules/smart/smart.routes.js';
import { ACCESS_TOKEN_PREFIX, authenticateToken } from './modules/smart/smart.service.js';
import { scanRoutes } from './modules/scans/scan.routes.js';
import { decisionRoutes } from './modules/decisions/decision.routes.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { organisationRoutes } from './modules/organisations/organisation.routes.js';
import { problemRoutes } from './modules/problems/problem.routes.js';
import { createSignIn, signInRoutes } from './modules/sign-in/sign-in.js';
import { authPlugin } from './plugins/auth.js';
import { CONSOLE_PREFIX, consolePlugin } from './plugins/console.js';
import { clientErrorHandler, errorsPlugin, frameworkErrors } from './plugins/errors.js';
import { refuseUnstorableText } from './plugins/input-text.js';
import { DOCS_PREFIX, swaggerPlugin } from './plugins/swagger.js';
import { systemClock, type Clock } from './shared/clock.js';
import { pathForLog } from './shared/log-redaction.js';
import { ProblemError } from './shared/problem.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    clock: Clock;
    config: Config;
    exporter: BulkExporter;
    /** Keys authenticated moments ago; revoking a key must forget it here. */
    readonly actorCache: ActorCache;
    /** The service's address as its clients reach it: PUBLIC_BASE_URL, or this instance's own. Never the Host header. */
    publicBaseUrl(): string;
  }
}

export interface AppDeps {
  readonly config: Config;
  readonly db: Db;
  readonly clock?: Clock;
  /** Where logs go; stdout when unset. Tests pass a stream to read them. */
  readonly logStream?: { write(line: string): void };
}

/**
 * Paths that pino must never write out, whatever is logged: credentials and
 * patient identifiers. The request serializer below already logs no headers
 * and no bodies; this is the second belt.
 */
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'key',
  '*.key',
  'nhsNumber',
  '*.nhsNumber',
  'body',
  '*.body',
  // Postgres errors quote the values they reject (`Key (nhs_number)=(…) already exists`).
  'err.detail',
  'err.where',
  'err.internalQuery',
];

const trustHops =
  (hops: number) =>
  (_address: string, hop: number): boolean =>
    hop < hops;

/** The root Fastify plugin tree. Tests build it and call inject(); server.ts listens. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        // The path only, and no NHS number in it: a URL may carry what must never be logged (an identifier put there by mistake).
        req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: pathForLog(req.url), id: req.id }),
      },
      ...(deps.logStream ? { stream: deps.logStream } : {}),
    },
    genReqId: () => randomUUID(),
    bodyLimit: config.bodyLimitBytes,
    // A hop count is given as proxy-addr's trust function (the first n hops are proxies).
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // Closing is answered by our own hook below, as problem+json.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true },
    // URLs Fastify refuses before routing (bad percent-encoding, an overlong parameter) leave as problem+json too.
    frameworkErrors,
    // A whole request, headers and body, must arrive in time; a client sending a byte now and then is
    // answered 408 and disconnected (Fastify's default, 0, would wait for ever). Node checks every second.
    requestTimeout: config.requestTimeoutSeconds * 1000,
    http: { headersTimeout: Math.min(config.requestTimeoutSeconds * 1000, 60_000), connectionsCheckingInterval: 1000 },
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('db', deps.db);
  app.decorate('clock', deps.clock ?? systemClock);
  app.decorate('config', config);
  app.decorate(
    'exporter',
    new BulkExporter(deps.db, {
      ttlHours: config.exportTtlHours,
      clock: deps.clock ?? systemClock,
      log: app.log,
      workers: config.exportWorkers,
      leaseSeconds: config.exportLeaseSeconds,
      pollSeconds: config.exportPollSeconds,
    }),
  );
  // Exports are jobs in the database that any instance may run: this one looks for them from when it is ready.
  app.addHook('onReady', async () => app.exporter.startPolling());
  app.addHook('onClose', async () => app.exporter.close());
  app.decorate('publicBaseUrl', function publicBaseUrl(this: FastifyInstance): string {
    if (config.publicBaseUrl !== undefined) return config.publicBaseUrl;
    const address = this.server.address();
    const port = address !== null && typeof address === 'object' ? address.port : config.port;
    return `http://localhost:${port}`;
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    // No response is sniffed into another type; no API answer (patient data) is kept by a cache. A route
    // that may be cached says so itself.
    reply.header('x-content-type-options', 'nosniff');
    if (req.url.startsWith('/v1/') || req.url.startsWith('/fhir/')) reply.header('cache-control', 'no-store');
    if (closing) {
      reply.header('connection', 'close');
      throw new ProblemError('SERVICE_SHUTTING_DOWN');
    }
  });

  // A request answered before its body arrived (refused by authentication, too large) ends its connection:
  // otherwise Node keeps reading, and discarding, whatever a slow client still sends. While the service
  // closes, every answer ends its connection too, so that the close waits for no idle keep-alive client.
  app.addHook('onSend', async (req, reply) => {
    if (closing || !req.raw.complete) reply.header('connection', 'close');
  });

  await app.register(errorsPlugin);
  // Text the database cannot hold (NUL, unpaired surrogates) is the caller's mistake: 422, never a 500 or a silent change.
  app.addHook('preValidation', refuseUnstorableText);
  // Keys authenticated moments ago; revoking a key forgets it here (api-key routes).
  const actors = new ActorCache(config.authCacheSeconds * 1000, deps.clock ?? systemClock);
  app.decorate('actorCache', actors);
  // Staff signed in with OpenID Connect: sessions (a cookie) beside keys; off without OIDC_ISSUER.
  const signIn = createSignIn(config, deps.db, deps.clock ?? systemClock, () => app.publicBaseUrl());
  await app.register(cookie);
  await app.register(authPlugin, {
    sessions: signIn.sessions,
    publicPrefixes: [DOCS_PREFIX, CONSOLE_PREFIX],
    // A bearer value is a SMART access token by its prefix (looked up every time: it expires within minutes,
    // and revoking its client must stop it at once on every instance), otherwise an API key.
    authenticate: (bearer) =>
      bearer.startsWith(ACCESS_TOKEN_PREFIX) ? authenticateToken(deps.db, bearer, deps.clock ?? systemClock) : authenticate(deps.db, bearer, actors),
    failureLimit: config.authFailureLimit,
    failureWindowSeconds: config.authFailureWindowSeconds,
    clock: deps.clock ?? systemClock,
  });
  await app.register(swaggerPlugin, { publicBaseUrl: config.publicBaseUrl });
  await app.register(consolePlugin, { root: config.consoleDir });

  await app.register(healthRoutes);
  await app.register(problemRoutes);
  await app.register(organisationRoutes);
  await app.register(apiKeyRoutes);
  await app.register(barcodeRoutes);
  await app.register(labelRoutes);
  await app.register(locationRoutes);
  await app.register(procedureRoutes);
  await app.register(stockRoutes);
  await app.register(priceRoutes);
  await app.register(costRoutes);
  await app.register(scanRoutes);
  await app.register(decisionRoutes);
  await app.register(productRoutes);
  await app.register(compatibilityRoutes);
  await app.register(reportRoutes);
  await app.register(recallRoutes);
  await app.register(replenishmentRoutes);
  await app.register(registryRoutes);
  await app.register(consentRoutes);
  await app.register(feedRoutes);
  await app.register(outcomeRoutes);
  await app.register(fhirRoutes);
  await app.register(signInRoutes, { signIn: signIn.service, cookies: signIn.cookies });
  await app.register(smartRoutes);

  return app;
}
