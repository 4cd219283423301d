import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import type * as https from 'node:https';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyHttpsOptions,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Options both listeners share: strict JSON (prototype keys refused, unknown
 * fields reported rather than silently dropped), bounded bodies and timeouts
 * against slow clients, and request IDs that a caller may supply for tracing.
 */
function commonOptions<S extends http.Server>(
  bodyLimit: number,
  logger: FastifyBaseLogger,
): FastifyServerOptions<S> {
  return {
    loggerInstance: logger,
    bodyLimit,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestTimeout: 30_000,
    connectionTimeout: 120_000,
    keepAliveTimeout: 10_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    genReqId: (req: http.IncomingMessage) => {
      const supplied = req.headers['x-request-id'];
      return typeof supplied === 'string' && REQUEST_ID.test(supplied) ? supplied : randomUUID();
    },
    ajv: {
      customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true },
    },
  };
}

/**
 * A Fastify instance over HTTPS (or plain HTTP when `tls` is absent, for
 * in-process `inject()` tests). Routes only use the request API common to
 * HTTP and HTTPS, so the instance is typed as the default one.
 */
export function createFastify(options: {
  bodyLimit: number;
  logger: FastifyBaseLogger;
  tls?: https.ServerOptions | undefined;
}): FastifyInstance {
  if (!options.tls) return Fastify(commonOptions<http.Server>(options.bodyLimit, options.logger));
  const httpsOptions: FastifyHttpsOptions<https.Server> = {
    ...commonOptions<https.Server>(options.bodyLimit, options.logger),
    https: options.tls,
  };
  return Fastify(httpsOptions) as unknown as FastifyInstance;
}
