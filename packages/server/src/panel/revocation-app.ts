import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installProblemHandlers } from '../http/problem.ts';
import { registerRevocationRoutes } from '../revocation/index.ts';
import { createFastify } from './http-options.ts';
import type { PanelServices } from './services.ts';

/**
 * The plain-HTTP listener (default :8080) for CRL, OCSP and CA certificates.
 * Relying parties fetch revocation data over HTTP (RFC 5280 §4.2.1.13,
 * RFC 6960 Appendix A): the data is signed, so TLS would add nothing but a
 * chicken-and-egg problem. It serves nothing else.
 */
export async function buildRevocationApp(options: {
  services: PanelServices;
  logger: Logger;
}): Promise<FastifyInstance> {
  const app = createFastify({ bodyLimit: 64 * 1024, logger: options.logger.child({ listener: 'http' }) });
  app.removeAllContentTypeParsers();
  installProblemHandlers(app);
  registerRevocationRoutes(app, options.services.revocation);
  await app.ready();
  return app;
}
