import { request } from 'node:https';
import { newP256KeyPair, x509 } from './lab-ca/x509.ts';

/**
 * Test support: a device's side of RFC 7030 enrollment, just enough to give
 * a device registered through the CLI a certificate. Asynchronous on
 * purpose: the panel answering it runs in the same process as the test.
 */
export interface EstAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export interface SimpleEnrollRequest {
  /** `facts.deviceUrl` of the test panel. */
  readonly deviceUrl: string;
  /** The panel's root CA (PEM), the device's trust anchor. */
  readonly ca: Buffer | string;
  readonly csrDer: Uint8Array;
  /** `Bearer <token>` or `Basic <base64 id:token>`; none when a client certificate authenticates. */
  readonly authorization?: string;
  /** An IDevID and its key (PEM), presented in the TLS handshake. */
  readonly clientCertificate?: { readonly cert: string; readonly key: string };
  /** The EST label (`/.well-known/est/<label>/simpleenroll`), a device group. */
  readonly label?: string;
}

/** A PKCS#10 request for a fresh P-256 key, signed with it (proof of possession). */
export async function makeCsr(commonName: string): Promise<Uint8Array> {
  const keys = await newP256KeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return new Uint8Array(csr.rawData);
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** RFC 7617 Basic credentials: the device ID as user, the enrollment token as password. */
export function basic(deviceId: string, token: string): string {
  return `Basic ${Buffer.from(`${deviceId}:${token}`).toString('base64')}`;
}

/** POST /.well-known/est/simpleenroll with the CSR as base64 application/pkcs10 (RFC 7030 §4.2.1). */
export function simpleEnroll(options: SimpleEnrollRequest): Promise<EstAnswer> {
  const path = `/.well-known/est${options.label === undefined ? '' : `/${options.label}`}/simpleenroll`;
  const body = Buffer.from(options.csrDer).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, options.deviceUrl),
      {
        method: 'POST',
        ca: options.ca,
        ...(options.clientCertificate ?? {}),
        agent: false,
        timeout: 20_000,
        headers: {
          'content-type': 'application/pkcs10',
          'content-transfer-encoding': 'base64',
          'content-length': String(Buffer.byteLength(body)),
          ...(options.authorization === undefined ? {} : { authorization: options.authorization }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: response.headers['content-type'] ?? '',
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no EST answer within 20 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** The certificate in a 200 answer: base64 certs-only PKCS#7 (RFC 7030 §4.2.3). */
export function issuedCertificate(answer: EstAnswer): x509.X509Certificate {
  if (answer.status !== 200) throw new Error(`EST answered ${answer.status}: ${answer.body}`);
  const [certificate] = new x509.X509Certificates(Buffer.from(answer.body.replace(/\s+/g, ''), 'base64'));
  if (!certificate) throw new Error('the EST answer holds no certificate');
  return certificate;
}

/** The problem code of a refused EST request (RFC 9457 body). */
export function problemCode(answer: EstAnswer): string | undefined {
  try {
    return (JSON.parse(answer.body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}
