import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import fp from 'fastify-plugin';

/** Where the web console is served: same origin as the API, so its calls need no CORS and carry the user's own key. */
export const CONSOLE_PREFIX = '/console';

/**
 * The pages hold no data and run only the bundles beside them: no inline
 * script or style, no other origin, never framed. Calls go to this origin's
 * API; the survival plot is shown from a blob: URL.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsolePluginOptions {
  /** The built console (index.html, theatre.html, recalls.html, stock.html, admin.html, assets/). */
  readonly root: string;
}

function securityHeaders(reply: FastifyReply, file: string): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  if (file.endsWith('.html')) {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-frame-options', 'DENY');
  }
  // Revalidated on every load (ETag), so a tablet never runs a page older than its server.
  reply.header('cache-control', 'no-cache');
}

/**
 * The theatre page, the recall console, the stock page and the admin page, as static files built by
 * `npm run build` (scripts/build-console.ts). Missing files are a warning at
 * boot, not a failure: the API works without its console.
 */
export const consolePlugin = fp<ConsolePluginOptions>(
  async (app, { root }) => {
    if (!existsSync(path.join(root, 'index.html'))) {
      app.log.warn({ consoleDir: root }, 'the web console is not built: run `npm run build` (the API works without it)');
    }
    await app.register(fastifyStatic, {
      root,
      prefix: `${CONSOLE_PREFIX}/`,
      index: ['index.html'],
      extensions: ['html'],
      preCompressed: true,
      cacheControl: false,
      dotfiles: 'deny',
      setHeaders: securityHeaders,
    });
    // `/console` and `/console/` are one route (ignoreTrailingSlash). The page's links are relative, so it is
    // served at `/console/` only: `/console` redirects there (its links would resolve from `/` and 404).
    app.get(CONSOLE_PREFIX, { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
      const [pathname = '', query] = req.url.split(/\?(.*)/s, 2);
      if (!pathname.endsWith('/')) return reply.redirect(`${CONSOLE_PREFIX}/${query === undefined ? '' : `?${query}`}`, 301);
      return reply.sendFile('index.html');
    });
    // A person who opens the service's address is brought to the console's start page.
    app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) => reply.redirect(`${CONSOLE_PREFIX}/`, 302));
  },
  { name: 'console', dependencies: ['auth'] },
);
