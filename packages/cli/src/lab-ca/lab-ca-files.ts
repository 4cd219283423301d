import { createPrivateKey, createPublicKey, type KeyObject, type webcrypto } from 'node:crypto';
import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from '../cli-error.ts';
import { readUserFile } from '../user-file.ts';
import type { IssuingManufacturer } from './idevid.ts';
import { x509 } from './x509.ts';

export const MANUFACTURER_CA_PEM = 'manufacturer-ca.pem';
export const MANUFACTURER_CA_KEY = 'manufacturer-ca.key';
export const IDEVID_PEM = 'idevid.pem';
export const IDEVID_KEY = 'idevid.key';
export const IDEVID_CHAIN_PEM = 'idevid-chain.pem';

/** Private keys are readable by their owner only; certificates by anyone. */
export const KEY_FILE_MODE = 0o600;
export const CERTIFICATE_FILE_MODE = 0o644;

export interface NewFile {
  readonly name: string;
  readonly content: string;
  readonly mode: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Writes a set of files into `dir` (created 0700 if missing), all or none: a
 * key is never overwritten, so if any of them exists nothing is written.
 * Files are created exclusively (O_EXCL) with their final mode, so a key is
 * never readable by others, not even for a moment.
 */
export async function writeNewFiles(dir: string, files: readonly NewFile[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = files.map((f) => join(dir, f.name));
  const taken: string[] = [];
  for (const path of paths) if (await exists(path)) taken.push(path);
  if (taken.length > 0)
    throw new CliError('FILE_EXISTS', `refusing to overwrite ${taken.join(', ')}; choose another directory`);
  const written: string[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const path = paths[i] as string;
      await writeFile(path, file.content, { flag: 'wx', mode: file.mode });
      written.push(path);
    }
  } catch (error) {
    // Another process created one of them meanwhile: leave its file, remove ours.
    await Promise.all(written.map((path) => rm(path, { force: true })));
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new CliError('FILE_EXISTS', `refusing to overwrite a file created meanwhile in ${dir}`);
    throw error;
  }
}

const HASH_BY_CURVE: Readonly<Record<string, IssuingManufacturer['hash']>> = {
  prime256v1: 'SHA-256',
  secp384r1: 'SHA-384',
};
const WEBCRYPTO_CURVE: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384' };

function sameKey(privateKey: KeyObject, certificate: x509.X509Certificate): boolean {
  const fromKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return fromKey.equals(Buffer.from(certificate.publicKey.rawData));
}

/**
 * Loads a manufacturer CA written by `ca manufacturer init` (or any
 * ECDSA P-256/P-384 CA in the same two files) and checks that it can sign:
 * a CA certificate, and the private key that belongs to it.
 */
export async function readManufacturerCa(dir: string): Promise<IssuingManufacturer> {
  const certificatePath = join(dir, MANUFACTURER_CA_PEM);
  const keyPath = join(dir, MANUFACTURER_CA_KEY);
  const certificatePem = await readUserFile(certificatePath, 'the manufacturer CA certificate');
  const keyPem = await readUserFile(keyPath, 'the manufacturer CA key');
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(certificatePem.toString('utf8'));
  } catch {
    throw new CliError('LAB_CA_INVALID', `${certificatePath} is not a PEM certificate`);
  }
  if (certificate.getExtension(x509.BasicConstraintsExtension)?.ca !== true)
    throw new CliError('LAB_CA_INVALID', `${certificatePath} is not a CA certificate (basicConstraints cA)`);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    // The parser's message may quote the key material; it is not repeated.
    throw new CliError('LAB_CA_INVALID', `${keyPath} is not an unencrypted PEM private key`);
  }
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  const hash = curve === undefined ? undefined : HASH_BY_CURVE[curve];
  if (curve === undefined || hash === undefined)
    throw new CliError('LAB_CA_INVALID', `${keyPath} is not an ECDSA P-256 or P-384 key`);
  if (!sameKey(key, certificate))
    throw new CliError('LAB_CA_INVALID', `${keyPath} is not the key of ${certificatePath}`);
  const privateKey = key.toCryptoKey({ name: 'ECDSA', namedCurve: WEBCRYPTO_CURVE[curve] }, false, ['sign']);
  return { certificate, privateKey: privateKey as webcrypto.CryptoKey, hash };
}
