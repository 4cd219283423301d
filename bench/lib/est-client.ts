/**
 * A minimal RFC 7030 client for benchmarks: device keys and PKCS#10 requests
 * made with @peculiar/x509 over Node's WebCrypto, and `simpleenroll` over a
 * fresh TLS connection per enrollment (no client certificate, token auth),
 * as a device without an LDevID does it.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { type RequestOptions, request } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

export { x509 };

/** A fresh P-256 key pair and a CSR (CN = device ID) for it, as the base64 body `simpleenroll` takes. */
export async function deviceCsrBase64(deviceId: string): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, false, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [deviceId] }],
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    signingAlgorithm: ECDSA_SHA256,
  });
  return Buffer.from(csr.rawData).toString('base64');
}

export interface EnrollAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  /** The response body: base64 certs-only PKCS#7 on success, a problem document otherwise. */
  readonly body: string;
  /** From the request (TCP connect, TLS handshake included) to the end of the response. */
  readonly ms: number;
}

const contexts = new Map<string, SecureContext>();

/**
 * One TLS context per trusted root, as a device keeps one: Node would
 * otherwise parse the CA PEM and build a new context for every connection
 * made without an agent, which costs the client about as much as the
 * handshake itself.
 */
function contextFor(ca: string): SecureContext {
  let context = contexts.get(ca);
  if (!context) {
    context = createSecureContext({ ca });
    contexts.set(ca, context);
  }
  return context;
}

/**
 * `POST <deviceUrl>/.well-known/est/simpleenroll` with `Authorization:
 * Bearer <token>` on a new connection (no keep-alive, no TLS session
 * reuse), the server verified against `ca`. Rejects on network errors only.
 */
export function simpleEnroll(
  deviceUrl: string,
  token: string,
  csrBase64: string,
  ca: string,
): Promise<EnrollAnswer> {
  const started = performance.now();
  // tls.connect takes `secureContext`; https.request passes it on, its type does not list it.
  const options: RequestOptions & { secureContext: SecureContext } = {
    method: 'POST',
    headers: {
      'content-type': 'application/pkcs10',
      'content-transfer-encoding': 'base64',
      'content-length': String(Buffer.byteLength(csrBase64)),
      authorization: `Bearer ${token}`,
    },
    secureContext: contextFor(ca),
    agent: false,
    timeout: 60_000,
  };
  return new Promise((resolve, reject) => {
    const req = request(`${deviceUrl}/.well-known/est/simpleenroll`, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: Buffer.concat(chunks).toString('latin1'),
          ms: performance.now() - started,
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('simpleenroll timed out')));
    req.on('error', reject);
    req.end(csrBase64);
  });
}

/** The certificates of a base64 certs-only PKCS#7 (an EST response body). */
export function certificatesOf(pkcs7Base64: string): x509.X509Certificate[] {
  return [...new x509.X509Certificates(Buffer.from(pkcs7Base64.replace(/\s+/g, ''), 'base64'))];
}
