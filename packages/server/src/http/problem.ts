import { PalisadeError } from '@palisade/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, isHttpErrorCode } from './error-status.ts';
import { RequestError } from './request-error.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, with Palisade's stable `code`. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly instance: string;
  readonly [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

interface AjvIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Turns whatever a handler, a hook or Fastify itself threw into a domain error. */
export function toDomainError(error: unknown): PalisadeError {
  if (error instanceof PalisadeError && isHttpErrorCode(error.code)) return error;
  const fastifyError = error as Partial<FastifyError> & {
    validation?: AjvIssue[];
    validationContext?: string;
  };
  if (Array.isArray(fastifyError.validation)) {
    const context = fastifyError.validationContext ?? 'body';
    const errors = fastifyError.validation.map((issue) => {
      const extra = issue.params?.additionalProperty ?? issue.params?.missingProperty;
      const path = `/${context}${issue.instancePath ?? ''}${typeof extra === 'string' ? `/${extra}` : ''}`;
      const message =
        typeof issue.params?.additionalProperty === 'string'
          ? 'is not an allowed field'
          : (issue.message ?? 'is invalid');
      return { path, message };
    });
    return new RequestError('VALIDATION_FAILED', errors.map((e) => `${e.path} ${e.message}`).join('; '), {
      details: { errors },
    });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RequestError('BODY_TOO_LARGE', 'request body exceeds the size limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RequestError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new RequestError('MALFORMED_JSON', 'body is empty but the content type says JSON');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new RequestError('MALFORMED_JSON', 'body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new RequestError('MALFORMED_JSON', 'body length does not match Content-Length');
    default:
      break;
  }
  // secure-json-parse rejects __proto__ / constructor.prototype keys with a SyntaxError.
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new RequestError(
      'MALFORMED_JSON',
      /prototype/i.test(error.message) ? 'body contains a forbidden prototype key' : 'body is not valid JSON',
    );
  }
  return new RequestError('INTERNAL', 'the panel could not complete the request', { cause: error });
}

export function problemOf(error: PalisadeError, request: FastifyRequest): Problem {
  const status = isHttpErrorCode(error.code) ? ERROR_STATUS[error.code] : 500;
  return {
    type: `urn:palisade:problem:${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    code: error.code,
    detail: error.message,
    instance: `urn:palisade:request:${request.id}`,
    ...(error.details ?? {}),
  };
}

export function sendProblem(reply: FastifyReply, error: PalisadeError): FastifyReply {
  const problem = problemOf(error, reply.request);
  if ((problem.status === 429 || problem.status === 503) && typeof error.details?.retryAfter === 'number') {
    void reply.header('retry-after', String(error.details.retryAfter));
  }
  if (problem.status === 401) void reply.header('www-authenticate', 'Bearer realm="palisade"');
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** Told of every refused request (4xx): the panel records the security-relevant ones as events. */
export type RejectionListener = (request: FastifyRequest, code: string, status: number) => void;

/** Installs the error and not-found handlers: every failure leaves as problem+json. */
export function installProblemHandlers(app: FastifyInstance, onRejected?: RejectionListener): void {
  app.setErrorHandler((error, request, reply) => {
    const domain = toDomainError(error);
    const status = isHttpErrorCode(domain.code) ? ERROR_STATUS[domain.code] : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      // Every rejected request is a security event: it names the code, never the payload.
      request.log.warn({ securityEvent: true, code: domain.code, status }, 'request rejected');
      onRejected?.(request, domain.code, status);
    }
    return sendProblem(reply, domain);
  });
  app.setNotFoundHandler((request, reply) => {
    request.log.warn({ securityEvent: true, code: 'ROUTE_NOT_FOUND', status: 404 }, 'request rejected');
    return sendProblem(
      reply,
      new RequestError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    );
  });
}
