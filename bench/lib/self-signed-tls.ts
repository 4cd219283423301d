import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface TlsFiles {
  readonly keyPath: string;
  readonly certPath: string;
  readonly certPem: string;
}

/**
 * A self-signed ECDSA P-256 server certificate for 127.0.0.1, made with the
 * `openssl` command line tool: the same key type the panel's listeners use,
 * so TLS costs the same on both sides of a comparison.
 */
export async function selfSignedP256(dir: string): Promise<TlsFiles> {
  const keyPath = join(dir, 'bare-key.pem');
  const certPath = join(dir, 'bare-cert.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { keyPath, certPath, certPem: await readFile(certPath, 'utf8') };
}
