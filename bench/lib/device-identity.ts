import { KeyObject, webcrypto } from 'node:crypto';
import { certificatesOf, simpleEnroll, x509 } from './est-client.ts';
import { callJson } from './https-json.ts';

/** An enrolled device's LDevID: what it presents on the panel's device listener (mutual TLS). */
export interface DeviceIdentity {
  readonly deviceId: string;
  readonly certificatePem: string;
  readonly keyPem: string;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * Registers `deviceId` through the operator API, makes a one-time token and
 * enrolls it over EST `simpleenroll` with a fresh, exportable P-256 key:
 * a device certificate and key that a benchmark's HTTPS client can present.
 */
export async function enrollDeviceIdentity(options: {
  readonly operatorUrl: string;
  readonly deviceUrl: string;
  readonly rootCaPem: string;
  readonly adminToken: string;
  readonly deviceId: string;
  /** The device group to register it in (it must exist); default: the panel's `default` group. */
  readonly group?: string;
}): Promise<DeviceIdentity> {
  const ca = options.rootCaPem;
  const api = (path: string) => `${options.operatorUrl}${path}`;
  await callJson(api('/v1/devices'), {
    body: { id: options.deviceId, ...(options.group === undefined ? {} : { group: options.group }) },
    bearer: options.adminToken,
    ca,
  });
  const { token } = (
    await callJson<{ token: string }>(api(`/v1/devices/${options.deviceId}/enrollment-token`), {
      body: {},
      bearer: options.adminToken,
      ca,
    })
  ).json;
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [options.deviceId] }],
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    signingAlgorithm: ECDSA_SHA256,
  });
  const answer = await simpleEnroll(
    options.deviceUrl,
    token,
    Buffer.from(csr.rawData).toString('base64'),
    ca,
  );
  if (answer.status !== 200)
    throw new Error(
      `simpleenroll for ${options.deviceId} answered ${answer.status}: ${answer.body.slice(0, 300)}`,
    );
  const certificate = certificatesOf(answer.body).find((cert) =>
    cert.subject.includes(`CN=${options.deviceId}`),
  );
  if (!certificate) throw new Error(`simpleenroll for ${options.deviceId} returned no certificate for it`);
  return {
    deviceId: options.deviceId,
    certificatePem: certificate.toString('pem'),
    keyPem: String(KeyObject.from(keys.privateKey).export({ format: 'pem', type: 'pkcs8' })),
  };
}
