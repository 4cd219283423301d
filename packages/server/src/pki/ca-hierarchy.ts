import { createPrivateKey, KeyObject, webcrypto } from 'node:crypto';
import { ADVISORY_LOCK, type Db } from '../db/index.ts';
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

export interface CaHierarchy {
  readonly root: CertificateAuthority;
  readonly issuing: CertificateAuthority;
  /** True on the start that created the hierarchy. */
  readonly created: boolean;
}

export interface CaNaming {
  readonly organization: string;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;
// Backdate a little so that devices with a slightly slow clock accept fresh certificates.
const BACKDATE_MS = 5 * 60 * 1000;

interface CaRow {
  name: 'root' | 'issuing';
  certificate_pem: string;
  encrypted_key_pem: string;
}

/**
 * Loads the panel's root and issuing CA from the database, creating both on
 * the very first start (ECDSA P-256; root 20 years, pathLen 1; issuing 5 years,
 * pathLen 0). Creation holds the bootstrap advisory lock so that replicas
 * starting together create one hierarchy. Private keys are stored as
 * PBES2-encrypted PKCS#8 and loaded as non-extractable WebCrypto keys.
 */
export async function ensureCaHierarchy(
  db: Db,
  passphrase: string,
  naming: CaNaming,
  now = new Date(),
): Promise<CaHierarchy> {
  const rows = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK.bootstrap]);
    const existing = await tx.query<CaRow>(
      "SELECT name, certificate_pem, encrypted_key_pem FROM ca_material WHERE name IN ('root', 'issuing')",
    );
    if (existing.rows.length === 2) return { rows: existing.rows, created: false };
    if (existing.rows.length === 1) {
      throw new PkiError(
        'CA_INCOMPLETE',
        'the database holds only one of the root and issuing CA; restore it from backup',
      );
    }
    const created = await createHierarchy(passphrase, naming, now);
    for (const row of created) {
      await tx.query(
        'INSERT INTO ca_material (name, certificate_pem, encrypted_key_pem) VALUES ($1, $2, $3)',
        [row.name, row.certificate_pem, row.encrypted_key_pem],
      );
    }
    return { rows: created, created: true };
  });
  const byName = new Map(rows.rows.map((row) => [row.name, row]));
  return {
    created: rows.created,
    root: await loadAuthority(byName.get('root') as CaRow, passphrase),
    issuing: await loadAuthority(byName.get('issuing') as CaRow, passphrase),
  };
}

async function loadAuthority(row: CaRow, passphrase: string): Promise<CertificateAuthority> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: row.encrypted_key_pem, format: 'pem', passphrase });
  } catch (error) {
    throw new PkiError(
      'CA_KEY_UNREADABLE',
      `cannot decrypt the ${row.name} CA key: PALISADE_KEY_PASSPHRASE differs from the one it was created with`,
      { cause: error },
    );
  }
  return {
    certificate: new x509.X509Certificate(row.certificate_pem),
    certificatePem: row.certificate_pem,
    privateKey: keyObject.toCryptoKey(ECDSA_P256, false, ['sign']),
    crypto: webcrypto,
  };
}

function encryptKey(key: webcrypto.CryptoKey, passphrase: string): string {
  // PKCS#8 EncryptedPrivateKeyInfo with PBES2 (PBKDF2 + AES-256-CBC), readable by `openssl pkey`.
  return KeyObject.from(key).export({
    format: 'pem',
    type: 'pkcs8',
    cipher: 'aes-256-cbc',
    passphrase,
  }) as string;
}

async function createHierarchy(passphrase: string, naming: CaNaming, now: Date): Promise<CaRow[]> {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const rootKeys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=Palisade Root CA, O=${naming.organization}`,
    notBefore,
    notAfter: new Date(now.getTime() + 20 * YEAR_MS),
    keys: rootKeys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const issuingKeys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const issuing = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=Palisade Issuing CA, O=${naming.organization}`,
    issuer: root.subject,
    notBefore,
    notAfter: new Date(now.getTime() + 5 * YEAR_MS),
    publicKey: issuingKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(issuingKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root),
    ],
  });
  return [
    {
      name: 'root',
      certificate_pem: toPem(root),
      encrypted_key_pem: encryptKey(rootKeys.privateKey, passphrase),
    },
    {
      name: 'issuing',
      certificate_pem: toPem(issuing),
      encrypted_key_pem: encryptKey(issuingKeys.privateKey, passphrase),
    },
  ];
}
