import { KeyObject, webcrypto } from 'node:crypto';
import { ADVISORY_LOCK, type Db } from '../db/index.ts';
import type { CaKeySource, CaSigningKey, StoredKey } from './ca-key-source.ts';
import { PkiError } from './pki-error.ts';
import { ECDSA_P256, ECDSA_SHA256, randomSerial, toPem, x509 } from './x509.ts';

/**
 * A CA certificate with a handle on its private key (non-extractable once
 * loaded). Every signature goes through `crypto`, the WebCrypto implementation
 * that holds the key: Node's own for a key from the encrypted file store, the
 * token's for a PKCS#11 key, so the key never leaves its store.
 */
export interface CertificateAuthority {
  readonly certificate: x509.X509Certificate;
  readonly certificatePem: string;
  readonly privateKey: webcrypto.CryptoKey;
  readonly crypto: webcrypto.Crypto;
}

/** A CA known by its certificate only: the panel never needs the root key at run time. */
export interface CaCertificate {
  readonly certificate: x509.X509Certificate;
  readonly certificatePem: string;
}

export interface CaHierarchy {
  readonly root: CaCertificate;
  /** The current issuing CA: it signs every new certificate. */
  readonly issuing: CertificateAuthority;
  /**
   * Every issuing CA whose certificates may still be in use: the current one
   * first, then the retired ones that have not expired, newest first. Each
   * keeps signing its own CRL and OCSP signer (RFC 5280 §5, RFC 6960 §4.2.2.2).
   */
  readonly issuers: readonly CertificateAuthority[];
  /** True on the start that created the hierarchy. */
  readonly created: boolean;
  /** Where the keys are kept. */
  readonly keyStore: CaKeySource['kind'];
}

export interface CaNaming {
  readonly organization: string;
}

/**
 * Keep the root key out of the panel: it is written once, encrypted with its
 * own passphrase, for an offline safe; the database records only `offline`.
 */
export interface OfflineRoot {
  readonly passphrase: string;
  readonly write: (encryptedPkcs8Pem: string) => Promise<void>;
}

export const OFFLINE_KEY_REF = 'offline';

export const YEAR_MS = 365 * 24 * 3600 * 1000;
// Backdate a little so that devices with a slightly slow clock accept fresh certificates.
export const BACKDATE_MS = 5 * 60 * 1000;

export interface CaRow {
  name: string;
  certificate_pem: string;
  encrypted_key_pem: string | null;
  key_ref: string | null;
}

export function storedKeyOf(row: CaRow): StoredKey {
  return row.key_ref !== null ? { keyRef: row.key_ref } : { encryptedKeyPem: row.encrypted_key_pem ?? '' };
}

/**
 * Loads the panel's root and issuing CA from the database, creating both on
 * the very first start (ECDSA P-256; root 20 years, pathLen 1; issuing 5 years,
 * pathLen 0) with keys made in `keys` (encrypted PKCS#8 in the database, or
 * non-extractable on a PKCS#11 token). Creation holds the bootstrap advisory
 * lock so that replicas starting together create one hierarchy.
 */
export async function ensureCaHierarchy(
  db: Db,
  keys: CaKeySource,
  naming: CaNaming,
  now = new Date(),
  offlineRoot?: OfflineRoot,
): Promise<CaHierarchy> {
  const result = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK.bootstrap]);
    const existing = await tx.query<CaRow>(
      "SELECT name, certificate_pem, encrypted_key_pem, key_ref FROM ca_material WHERE name IN ('root', 'issuing')",
    );
    if (existing.rows.length === 2) {
      // Read under the same lock as the current CA, so a concurrent rotation is seen whole or not at all.
      const retired = await tx.query<CaRow>(
        `SELECT name, certificate_pem, encrypted_key_pem, key_ref FROM ca_material
         WHERE retired_at IS NOT NULL ORDER BY retired_at DESC`,
      );
      return { rows: existing.rows, retired: retired.rows, created: false };
    }
    if (existing.rows.length === 1) {
      throw new PkiError(
        'CA_INCOMPLETE',
        'the database holds only one of the root and issuing CA; restore it from backup',
      );
    }
    const created = await createHierarchy(keys, naming, now, offlineRoot);
    for (const row of created) {
      await tx.query(
        'INSERT INTO ca_material (name, certificate_pem, encrypted_key_pem, key_ref) VALUES ($1, $2, $3, $4)',
        [row.name, row.certificate_pem, row.encrypted_key_pem, row.key_ref],
      );
    }
    return { rows: created, retired: [], created: true };
  });
  const rowOf = (name: 'root' | 'issuing') => result.rows.find((r) => r.name === name) as CaRow;
  const certificateOf = (row: CaRow): CaCertificate => ({
    certificate: new x509.X509Certificate(row.certificate_pem),
    certificatePem: row.certificate_pem,
  });
  // Only the issuing key is loaded: the root signs nothing while the panel runs.
  const issuingRow = rowOf('issuing');
  const issuingKey = await keys.load('issuing', storedKeyOf(issuingRow));
  const issuing = {
    ...certificateOf(issuingRow),
    privateKey: issuingKey.privateKey,
    crypto: issuingKey.crypto,
  };
  return {
    created: result.created,
    keyStore: keys.kind,
    root: certificateOf(rowOf('root')),
    issuing,
    issuers: [issuing, ...(await loadRetiredIssuers(result.retired, keys, now))],
  };
}

/**
 * The CA certificate profile: a self-signed root (20 years, pathLen 1,
 * keyCertSign + cRLSign) and the issuing CA under it (5 years, pathLen 0, also
 * digitalSignature for OCSP and TLS), both signed through the root key's crypto.
 */
export async function issueCaCertificates(
  rootKey: CaSigningKey,
  issuingPublicKey: webcrypto.CryptoKey,
  names: { readonly root: string; readonly issuing: string },
  now: Date,
): Promise<{ root: x509.X509Certificate; issuing: x509.X509Certificate }> {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: names.root,
      notBefore,
      notAfter: new Date(now.getTime() + 20 * YEAR_MS),
      keys: { privateKey: rootKey.privateKey, publicKey: rootKey.publicKey },
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(rootKey.publicKey),
      ],
    },
    rootKey.crypto,
  );
  const issuing = await issueIssuingCaCertificate(
    rootKey,
    root,
    issuingPublicKey,
    names.issuing,
    notBefore,
    new Date(now.getTime() + 5 * YEAR_MS),
  );
  return { root, issuing };
}

/**
 * An issuing CA certificate under `root` (pathLen 0; keyCertSign, cRLSign and
 * digitalSignature for OCSP and TLS), signed through the root key's crypto:
 * at the first start, and at every rotation.
 */
export async function issueIssuingCaCertificate(
  rootKey: CaSigningKey,
  root: x509.X509Certificate,
  issuingPublicKey: webcrypto.CryptoKey,
  subject: string | x509.JsonName,
  notBefore: Date,
  notAfter: Date,
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject,
      issuer: root.subject,
      notBefore,
      notAfter,
      publicKey: issuingPublicKey,
      signingKey: rootKey.privateKey,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(issuingPublicKey),
        await x509.AuthorityKeyIdentifierExtension.create(root),
      ],
    },
    rootKey.crypto,
  );
}

/**
 * The retired issuing CAs that have not expired, newest first, keys loaded:
 * their certificates are still in use, so their CRLs and OCSP answers must
 * still be signed. Expired ones stay in the database, unused.
 */
async function loadRetiredIssuers(
  retired: readonly CaRow[],
  keys: CaKeySource,
  now: Date,
): Promise<CertificateAuthority[]> {
  const issuers: CertificateAuthority[] = [];
  for (const row of retired) {
    const certificate = new x509.X509Certificate(row.certificate_pem);
    if (certificate.notAfter <= now) continue;
    const key = await keys.load(row.name, storedKeyOf(row));
    issuers.push({
      certificate,
      certificatePem: row.certificate_pem,
      privateKey: key.privateKey,
      crypto: key.crypto,
    });
  }
  return issuers;
}

async function createHierarchy(
  keys: CaKeySource,
  naming: CaNaming,
  now: Date,
  offlineRoot: OfflineRoot | undefined,
): Promise<CaRow[]> {
  const rootKey = offlineRoot ? await offlineRootKey(offlineRoot) : await keys.create('root');
  const issuingKey = await keys.create('issuing');
  const { root, issuing } = await issueCaCertificates(
    rootKey,
    issuingKey.publicKey,
    {
      root: `CN=Palisade Root CA, O=${naming.organization}`,
      issuing: `CN=Palisade Issuing CA, O=${naming.organization}`,
    },
    now,
  );
  const row = (name: 'root' | 'issuing', certificate: x509.X509Certificate, stored: StoredKey): CaRow => ({
    name,
    certificate_pem: toPem(certificate),
    encrypted_key_pem: 'encryptedKeyPem' in stored ? stored.encryptedKeyPem : null,
    key_ref: 'keyRef' in stored ? stored.keyRef : null,
  });
  return [row('root', root, rootKey.stored), row('issuing', issuing, issuingKey.stored)];
}

async function offlineRootKey(offline: OfflineRoot): Promise<CaSigningKey & { stored: StoredKey }> {
  const pair = (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  await offline.write(
    KeyObject.from(pair.privateKey).export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: offline.passphrase,
    }) as string,
  );
  return {
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    crypto: webcrypto,
    stored: { keyRef: OFFLINE_KEY_REF },
  };
}
