import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { RequestError } from '../http/request-error.ts';

/** Where `npm run build:dashboard` writes the single-page app (git-ignored, never committed). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

/**
 * The dashboard's Content Security Policy: every script, style and connection
 * from the panel itself, nothing inline, never framed (clickjacking), no
 * `<base>` rewriting. The build emits no inline script or style; a change
 * that needs one must change this policy on purpose.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** An emitted asset's file name: `index-BFPXE8dw.js`, `index-Czk49UDZ.css`. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Vite names every emitted asset by its content hash, so a cached copy never goes stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface DashboardOptions {
  /** The built app (index.html and assets/); defaults to packages/dashboard/dist. */
  readonly distDir?: string;
}

/** Set on every file sent (never on a 404): the policy, no framing, and how long to cache it. */
function secureHeaders(reply: FastifyReply, path: string): void {
  void reply.header('content-security-policy', DASHBOARD_CSP);
  void reply.header('x-frame-options', 'DENY');
  void reply.header('referrer-policy', 'no-referrer');
  // index.html names the current bundles, so it is fetched afresh every time.
  void reply.header('cache-control', path.endsWith('.html') ? 'no-store' : IMMUTABLE);
}

/**
 * Serves the operator dashboard on the operator listener: `/` and every
 * non-API path answer index.html (the app routes in the browser), `/assets/*`
 * the hashed bundles, while `/v1/*` stays the API with its problem+json 404s.
 * Public routes: the app itself holds no data; every request it makes goes
 * through the API's authentication. Without a build, the app routes answer
 * 503 DASHBOARD_NOT_BUILT instead of a blank page.
 */
export async function registerDashboardRoutes(
  app: FastifyInstance,
  options: DashboardOptions = {},
): Promise<void> {
  const distDir = options.distDir ?? DEFAULT_DASHBOARD_DIR;
  // serve: false: the routes below declare their access level, which the plugin's own routes cannot.
  // preCompressed: the build writes .br and .gz beside each bundle; send picks by Accept-Encoding.
  await app.register(fastifyStatic, {
    root: distDir,
    serve: false,
    suppressWarning: true,
    preCompressed: true,
    dotfiles: 'ignore',
    cacheControl: false,
    setHeaders: secureHeaders,
  });

  const sendIndex = (reply: FastifyReply) => {
    if (!existsSync(join(distDir, 'index.html')))
      throw new RequestError(
        'DASHBOARD_NOT_BUILT',
        'the dashboard is not built on this panel: run `npm run build:dashboard` (npm start does it)',
      );
    return reply.sendFile('index.html', distDir);
  };
  const hidden = { config: { access: 'public' as const }, schema: { hide: true } };

  app.get('/', hidden, async (_request, reply) => sendIndex(reply));

  app.get<{ Params: { '*': string } }>('/assets/*', hidden, async (request, reply) => {
    // Vite writes assets/ flat with plain hashed names: anything else (a `..`, an encoded slash,
    // a dot-file) is not one of them, and is a 404 before the file system is asked.
    const name = request.params['*'];
    if (!ASSET_NAME.test(name)) return reply.callNotFound();
    return reply.sendFile(name, join(distDir, 'assets'));
  });

  app.get<{ Params: { '*': string } }>('/*', hidden, async (request, reply) => {
    const path = `/${request.params['*']}`;
    // The API keeps its own 404s: a mistyped API path must not come back as an HTML page. A
    // top-level name with a dot is a file the build does not have (/favicon.ico), not an app
    // route; deeper paths may hold dots (device IDs such as gw-1.plant).
    const topLevelFile = path.lastIndexOf('/') === 0 && path.includes('.');
    if (path === '/v1' || path.startsWith('/v1/') || topLevelFile) return reply.callNotFound();
    return sendIndex(reply);
  });
}
