import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAttestationOperatorRoutes } from '../attestation/index.ts';
import { registerAuditRoutes } from '../audit/index.ts';
import { registerChannelOperatorRoutes } from '../channel/index.ts';
import { registerComplianceRoutes } from '../compliance/index.ts';
import { registerDashboardRoutes } from '../dashboard/index.ts';
import { registerDetectionRoutes } from '../detection/index.ts';
import { registerDeviceRoutes } from '../devices/index.ts';
import { registerEventRoutes } from '../events/index.ts';
import { registerExporterRoutes } from '../siem/index.ts';
import '../http/fastify-augment.ts';
import { installProblemHandlers } from '../http/problem.ts';
import { RequestError } from '../http/request-error.ts';
import {
  installOperatorAuthentication,
  registerAuthRoutes,
  registerOperatorRoutes,
  registerTokenRoutes,
} from '../operators/index.ts';
import { registerPolicyRoutes } from '../policies/index.ts';
import { createFastify } from './http-options.ts';
import type { PanelServices } from './services.ts';

export interface OperatorAppOptions {
  readonly services: PanelServices;
  readonly logger: Logger;
  readonly bodyLimit: number;
  readonly sessionTtlSeconds: number;
  readonly tls?: { readonly key: string; readonly cert: string };
  /** False while starting or draining: /readyz answers 503. */
  readonly isReady: () => boolean;
  /** The built dashboard (index.html, assets/); defaults to packages/dashboard/dist. */
  readonly dashboardDir?: string;
}

/** The operator listener: HTTPS, operator sessions or API tokens, the REST API. */
export async function buildOperatorApp(options: OperatorAppOptions): Promise<FastifyInstance> {
  const { services } = options;
  const app = createFastify({
    bodyLimit: options.bodyLimit,
    logger: options.logger.child({ listener: 'operator' }),
    tls: options.tls ? { key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' } : undefined,
  });
  // Only JSON bodies: a text/plain body is a 415, not something to coerce.
  app.removeContentTypeParser('text/plain');
  installProblemHandlers(app, (request, code, status) =>
    services.panelEvents.rejected({
      code,
      status,
      listener: 'operator',
      remoteAddress: request.ip,
      method: request.method,
      path: request.url.split('?')[0] ?? '',
    }),
  );
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // API answers are never cached; the dashboard's hashed assets set their own (immutable).
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    void reply.header('x-content-type-options', 'nosniff');
  });
  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Palisade operator API', version: '1' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API token or session token' },
          session: { type: 'apiKey', in: 'cookie', name: '__Host-palisade_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  installOperatorAuthentication(app, services.credentials, services.audit);

  app.get(
    '/healthz',
    { config: { access: 'public' }, schema: { tags: ['health'], summary: 'Process is alive' } },
    async () => ({
      status: 'ok',
    }),
  );
  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: { tags: ['health'], summary: 'Ready to serve: database reachable, not draining' },
    },
    async () => {
      if (!options.isReady()) throw new RequestError('NOT_READY', 'the panel is starting or shutting down');
      await services.db.query('SELECT 1');
      return { status: 'ready' };
    },
  );
  app.get('/v1/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  registerAuthRoutes(app, services.credentials, options.sessionTtlSeconds);
  registerOperatorRoutes(app, services.operators);
  registerTokenRoutes(app, services.credentials);
  registerAuditRoutes(app, services.audit);
  registerDeviceRoutes(app, services);
  registerChannelOperatorRoutes(app, services);
  registerExporterRoutes(app, services);
  registerEventRoutes(app, services);
  registerDetectionRoutes(app, services);
  registerPolicyRoutes(app, services);
  registerAttestationOperatorRoutes(app, services);
  registerComplianceRoutes(app, services);
  await registerDashboardRoutes(
    app,
    options.dashboardDir === undefined ? {} : { distDir: options.dashboardDir },
  );
  await app.ready();
  return app;
}
