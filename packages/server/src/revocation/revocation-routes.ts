import type { FastifyInstance, FastifyReply } from 'fastify';
import { RequestError } from '../http/request-error.ts';
import {
  type CaCertificate,
  type CertificateAuthority,
  type CrlPublisher,
  MAX_OCSP_REQUEST_BYTES,
  normalizeSerial,
} from '../pki/index.ts';

/** The file name under /ca and /crl for an issuing CA: `issuing-<serial>`. */
export function issuerPathName(issuer: CaCertificate): string {
  return `issuing-${normalizeSerial(issuer.certificate.serialNumber)}`;
}

/** An issuing CA and the CRL it signs. */
export interface IssuerCrl {
  readonly issuer: CertificateAuthority;
  readonly crl: CrlPublisher;
}

export interface RevocationRouteServices {
  /** The current issuing CA's CRL. */
  readonly crl: CrlPublisher;
  /** The OCSP responder for every issuer (usually behind an `OcspResponseCache`). */
  readonly ocsp: { respond(request: Uint8Array): Promise<Uint8Array> };
  /** The current issuing CA. */
  readonly issuing: CertificateAuthority;
  readonly root: CaCertificate;
  /** Every issuing CA still in use (the current one first) with its CRL; after a rotation, more than one. */
  readonly issuers: readonly IssuerCrl[];
}

/**
 * What relying parties fetch to check a device certificate, at the URLs the
 * certificates' AIA and CRL distribution point name: the CRL (RFC 5280), OCSP
 * (RFC 6960, GET and POST) and the CA certificates. Public: no client
 * certificate, no login.
 */
export function registerRevocationRoutes(app: FastifyInstance, services: RevocationRouteServices): void {
  app.addContentTypeParser(
    'application/ocsp-request',
    { parseAs: 'buffer', bodyLimit: MAX_OCSP_REQUEST_BYTES },
    (_request, body, done) => done(null, body),
  );
  const publicRoute = { deviceAccess: 'public' } as const;

  // Certificates name their issuer's files by the issuer's serial, so that the URLs in certificates
  // issued today still lead to the right CA and CRL after the issuing CA is rotated;
  // `issuing` is an alias for the current one.
  // Every issuer still in use keeps its own URLs, each CRL signed by its own issuer (RFC 5280 §5).
  const named: Array<readonly [string, CaCertificate, CrlPublisher | undefined]> = [
    ['issuing', services.issuing, services.crl],
    ['root', services.root, undefined],
    ...services.issuers.map(({ issuer, crl }) => [issuerPathName(issuer), issuer, crl] as const),
  ];
  for (const [name, authority, crl] of named) {
    app.get(`/ca/${name}.crt`, { config: publicRoute }, async (_request, reply) =>
      reply.type('application/pkix-cert').send(Buffer.from(authority.certificate.rawData)),
    );
    if (crl !== undefined) {
      app.get(`/crl/${name}.crl`, { config: publicRoute }, async (_request, reply) => sendCrl(reply, crl));
    }
  }

  async function sendCrl(reply: FastifyReply, publisher: CrlPublisher): Promise<FastifyReply> {
    const crl = await publisher.current();
    return reply
      .type('application/pkix-crl')
      .header('last-modified', crl.thisUpdate.toUTCString())
      .header('expires', crl.nextUpdate.toUTCString())
      .send(Buffer.from(crl.der));
  }

  app.post('/ocsp', { config: publicRoute, bodyLimit: MAX_OCSP_REQUEST_BYTES }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body))
      throw new RequestError('UNSUPPORTED_MEDIA_TYPE', 'send an application/ocsp-request body');
    return reply
      .type('application/ocsp-response')
      .send(Buffer.from(await services.ocsp.respond(new Uint8Array(request.body))));
  });

  // RFC 6960 Appendix A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}.
  app.get<{ Params: { '*': string } }>('/ocsp/*', { config: publicRoute }, async (request, reply) => {
    const encoded = decodeURIComponent(request.params['*']);
    if (encoded.length > (MAX_OCSP_REQUEST_BYTES * 4) / 3 + 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) {
      // A malformed request still gets an OCSP answer (malformedRequest), as RFC 6960 §2.3 wants.
      return reply
        .type('application/ocsp-response')
        .send(Buffer.from(await services.ocsp.respond(new Uint8Array(0))));
    }
    return reply
      .type('application/ocsp-response')
      .send(Buffer.from(await services.ocsp.respond(new Uint8Array(Buffer.from(encoded, 'base64')))));
  });
}
