import { randomBytes, randomInt } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../http/request-error.ts';
import { channelBindingOf, type DevicePeers } from './device-peer.ts';
import { EnrollmentError } from './enrollment-error.ts';
import { decodeEstBase64, encodeEstBase64 } from './est-base64.ts';
import type { EnrollmentCredential, EnrollmentOutcome, EstService } from './est-service.ts';

export const EST_PREFIX = '/.well-known/est';
/** RFC 7030 §3.2.2 leaves the size open; a CSR is a few KiB, 64 KiB is generous. */
export const EST_BODY_LIMIT = 64 * 1024;
const PKCS7_CERTS_ONLY = 'application/pkcs7-mime; smime-type=certs-only';

type Operation = 'cacerts' | 'csrattrs' | 'simpleenroll' | 'simplereenroll' | 'serverkeygen';
const METHODS: Record<Operation, 'GET' | 'POST'> = {
  cacerts: 'GET',
  csrattrs: 'GET',
  simpleenroll: 'POST',
  simplereenroll: 'POST',
  serverkeygen: 'POST',
};

function sendBase64(reply: FastifyReply, contentType: string, der: Uint8Array): FastifyReply {
  return reply
    .code(200)
    .header('content-type', contentType)
    .header('content-transfer-encoding', 'base64')
    .send(encodeEstBase64(der));
}

/** Enrollments one replica works on at once; more get 503 with Retry-After. */
export const EST_MAX_IN_FLIGHT = 64;

/** RFC 7617 Basic credentials, or a Bearer token (RFC 6750), for token enrollment. */
export function enrollmentCredentialOf(
  authorization: string | undefined,
): Extract<EnrollmentCredential, { kind: 'token' }> | undefined {
  if (authorization === undefined) return undefined;
  const bearer = /^Bearer ([\x21-\x7e]{1,200})$/.exec(authorization);
  if (bearer?.[1]) return { kind: 'token', token: bearer[1] };
  const basic = /^Basic ([A-Za-z0-9+/]{1,400}={0,2})$/.exec(authorization);
  if (!basic?.[1]) return { kind: 'token', token: '' };
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return { kind: 'token', token: '' };
  return { kind: 'token', basicUser: decoded.slice(0, colon), token: decoded.slice(colon + 1) };
}

function sendOutcome(reply: FastifyReply, outcome: EnrollmentOutcome): FastifyReply {
  if (outcome.kind === 'pending') {
    // RFC 7030 §4.2.3: accepted for manual approval; retry the same request later.
    return reply
      .code(202)
      .header('retry-after', String(outcome.retryAfterSeconds))
      .type('text/plain; charset=utf-8')
      .send('enrollment is waiting for approval\n');
  }
  if (!outcome.privateKeyPkcs8) return sendBase64(reply, PKCS7_CERTS_ONLY, outcome.pkcs7);
  // RFC 7030 §4.4.2: multipart/mixed, the private key first, then the certificate.
  const boundary = `est-${randomBytes(12).toString('hex')}`;
  const body = [
    `--${boundary}`,
    'Content-Type: application/pkcs8',
    'Content-Transfer-Encoding: base64',
    '',
    encodeEstBase64(outcome.privateKeyPkcs8),
    `--${boundary}`,
    `Content-Type: ${PKCS7_CERTS_ONLY}`,
    'Content-Transfer-Encoding: base64',
    '',
    encodeEstBase64(outcome.pkcs7),
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return reply.code(200).header('content-type', `multipart/mixed; boundary=${boundary}`).send(body);
}

/**
 * RFC 7030 routes under /.well-known/est/ and /.well-known/est/<label>/ (a
 * device group). Bootstrap routes admit a client without an LDevID; the
 * service decides who may enroll.
 */
export function registerEstRoutes(
  app: FastifyInstance,
  est: EstService,
  peers: DevicePeers,
  csrAttributes: Uint8Array,
  maxInFlight = EST_MAX_IN_FLIGHT,
): void {
  // Admission control: an enrollment storm gets 503 + Retry-After (RFC 7030 §4.2.3 allows it)
  // instead of a queue that grows until handshakes time out.
  let inFlight = 0;
  const admitted = async (work: () => Promise<FastifyReply>): Promise<FastifyReply> => {
    if (inFlight >= maxInFlight) {
      const retryAfter = 3 + randomInt(8);
      throw new EnrollmentError(
        'ENROLLMENT_BUSY',
        `the panel is enrolling as many devices as it can; retry in ${retryAfter} s`,
        {
          details: { retryAfter },
        },
      );
    }
    inFlight += 1;
    try {
      return await work();
    } finally {
      inFlight -= 1;
    }
  };
  // RFC 7030 §4.2.1: PKCS#10, base64. The raw body is decoded by the route, so a bad base64 is a 400 it can name.
  app.addContentTypeParser(
    'application/pkcs10',
    { parseAs: 'string', bodyLimit: EST_BODY_LIMIT },
    (_request, body, done) => done(null, body),
  );

  const handlers: Record<
    Operation,
    (request: FastifyRequest<{ Params: { label?: string } }>, reply: FastifyReply) => Promise<FastifyReply>
  > = {
    cacerts: async (_request, reply) => sendBase64(reply, PKCS7_CERTS_ONLY, est.caCertificates()),
    csrattrs: async (_request, reply) => sendBase64(reply, 'application/csrattrs', csrAttributes),
    simpleenroll: (request, reply) => admitted(() => enroll(request, reply, 'simpleenroll')),
    serverkeygen: (request, reply) => admitted(() => enroll(request, reply, 'serverkeygen')),
    simplereenroll: (request, reply) =>
      admitted(async () => {
        const body = enrollmentBody(request);
        const outcome = await est.reenroll(body, await peers.of(request));
        return sendOutcome(reply, outcome);
      }),
  };

  function enrollmentBody(request: FastifyRequest<{ Params: { label?: string } }>) {
    // The listener also parses JSON, and a JSON string is a string too: only application/pkcs10 is a CSR.
    const mediaType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/pkcs10' || typeof request.body !== 'string')
      throw new RequestError('UNSUPPORTED_MEDIA_TYPE', 'send the CSR as application/pkcs10 (base64)');
    return {
      label: request.params.label,
      csrDer: decodeEstBase64(request.body),
      channelBinding: channelBindingOf(request.raw.socket as TLSSocket),
      source: request.ip,
    };
  }

  async function enroll(
    request: FastifyRequest<{ Params: { label?: string } }>,
    reply: FastifyReply,
    operation: 'simpleenroll' | 'serverkeygen',
  ) {
    const body = enrollmentBody(request);
    const peer = await peers.of(request);
    const credential: EnrollmentCredential =
      enrollmentCredentialOf(request.headers.authorization) ??
      (peer.kind === 'idevid' ? { kind: 'idevid', peer } : { kind: 'none' });
    return sendOutcome(reply, await est.enroll(body, credential, operation));
  }

  for (const prefix of [EST_PREFIX, `${EST_PREFIX}/:label`]) {
    for (const [operation, method] of Object.entries(METHODS) as Array<[Operation, 'GET' | 'POST']>) {
      const access = operation === 'cacerts' || operation === 'csrattrs' ? 'public' : 'bootstrap';
      app.route({
        method,
        url: `${prefix}/${operation}`,
        config: { deviceAccess: access },
        bodyLimit: EST_BODY_LIMIT,
        schema: prefix.endsWith(':label')
          ? {
              params: {
                type: 'object',
                properties: { label: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } },
              },
            }
          : {},
        handler: handlers[operation],
      });
      const other = method === 'GET' ? ['POST', 'PUT', 'DELETE', 'PATCH'] : ['GET', 'PUT', 'DELETE', 'PATCH'];
      app.route({
        method: other as ['POST'],
        url: `${prefix}/${operation}`,
        config: { deviceAccess: 'public' },
        handler: async (_request, reply) => {
          void reply.header('allow', method);
          throw new RequestError('METHOD_NOT_ALLOWED', `${operation} answers ${method} only`);
        },
      });
    }
  }
}
