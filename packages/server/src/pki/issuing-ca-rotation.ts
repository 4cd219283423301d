import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { ADVISORY_LOCK, type Db, type Queryable } from '../db/index.ts';
import {
  BACKDATE_MS,
  type CaRow,
  issueIssuingCaCertificate,
  OFFLINE_KEY_REF,
  storedKeyOf,
  YEAR_MS,
} from './ca-hierarchy.ts';
import type { CaKeySource, CaSigningKey } from './ca-key-source.ts';
import { PkiError } from './pki-error.ts';
import { ECDSA_P256, normalizeSerial, sha256Fingerprint, toPem, x509 } from './x509.ts';

/** The root key as the offline ceremony wrote it: encrypted PKCS#8 PEM and its passphrase. */
export interface OfflineRootKey {
  readonly encryptedPkcs8Pem: string;
  readonly passphrase: string;
}

export interface IssuingCaRotationOptions {
  /** Needed when the root is offline (`ca init --offline-root`); an online root's key comes from the key store. */
  readonly offlineRootKey?: OfflineRootKey | undefined;
  /** Validity of the new issuing CA; never beyond the root's notAfter. */
  readonly validityYears: number;
  readonly now: Date;
  /**
   * Runs inside the rotation's transaction once the new CA is recorded, so that
   * what other contexts do about it (attributing certificates, the audit
   * entry) commits or rolls back with it. Must use `tx` (PGlite has one connection).
   */
  readonly inTransaction?: (tx: Queryable, rotated: RotatedIssuingCa) => Promise<void>;
}

/** One issuing CA as the rotation reports it. */
export interface IssuingCaFacts {
  readonly subject: string;
  /** As the CRL and CA URLs name it: lower-case hex, no leading zeros. */
  readonly serial: string;
  readonly fingerprint: string;
  readonly notAfter: string;
}

export interface RotatedIssuingCa extends IssuingCaFacts {
  readonly certificatePem: string;
  readonly previous: IssuingCaFacts & { readonly retiredAt: string };
  readonly rootKey: 'online' | 'offline';
}

function factsOf(certificate: x509.X509Certificate): IssuingCaFacts {
  return {
    subject: certificate.subject,
    serial: normalizeSerial(certificate.serialNumber),
    fingerprint: sha256Fingerprint(certificate),
    notAfter: certificate.notAfter.toISOString(),
  };
}

/**
 * Issues a new issuing CA under the root and makes it the current one. The
 * previous issuing CA is kept, key and all, renamed `issuing:<serial>` and
 * stamped `retired_at`: its device certificates stay valid until they
 * expire, and panels keep signing its CRL and OCSP answers. Holds the
 * bootstrap lock, as the first start does, so a panel never loads half a rotation.
 * Panels pick the new CA up at their next start.
 */
export async function rotateIssuingCa(
  db: Db,
  keys: CaKeySource,
  options: IssuingCaRotationOptions,
): Promise<RotatedIssuingCa> {
  const { now } = options;
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK.bootstrap]);
    const rows = await tx.query<CaRow>(
      `SELECT name, certificate_pem, encrypted_key_pem, key_ref FROM ca_material
       WHERE name = 'root' OR name = 'issuing' OR name LIKE 'issuing:%'`,
    );
    const rootRow = rows.rows.find((r) => r.name === 'root');
    const currentRow = rows.rows.find((r) => r.name === 'issuing');
    if (!rootRow && !currentRow) {
      throw new PkiError(
        'CA_NOT_INITIALIZED',
        'this panel has no CA hierarchy yet; run palisade ca init or start the panel once',
      );
    }
    if (!rootRow || !currentRow) {
      throw new PkiError(
        'CA_INCOMPLETE',
        'the database holds only one of the root and issuing CA; restore it from backup',
      );
    }
    const root = new x509.X509Certificate(rootRow.certificate_pem);
    const previous = new x509.X509Certificate(currentRow.certificate_pem);
    // The key store must be the panel's: the current issuing key opens with it (right passphrase or token).
    await keys.load('issuing', storedKeyOf(currentRow));
    const rootOffline = rootRow.key_ref === OFFLINE_KEY_REF;
    const rootKey = await rootSigningKey(rootRow, root, keys, options.offlineRootKey);

    // A distinct name per generation, so people and tools tell the CAs apart;
    // the key identifiers (AKI/SKI) are what path building relies on.
    const generation = rows.rows.length; // root + every issuing CA so far = the new one's number
    const organization = previous.subjectName.getField('O')[0];
    const subject: x509.JsonName = [
      { CN: [`Palisade Issuing CA ${generation}`] },
      ...(organization === undefined ? [] : [{ O: [organization] }]),
    ];
    // A PKCS#11 object label of its own: the token refuses a second key under an existing label.
    const stamp = now.toISOString().replace(/[-:]|\.\d+/g, '');
    const issuingKey = await keys.create(`issuing-${stamp}-${randomBytes(3).toString('hex')}`);
    const notAfter = new Date(
      Math.min(now.getTime() + options.validityYears * YEAR_MS, root.notAfter.getTime()),
    );
    const certificate = await issueIssuingCaCertificate(
      rootKey,
      root,
      issuingKey.publicKey,
      subject,
      new Date(now.getTime() - BACKDATE_MS),
      notAfter,
    );
    const previousFacts = factsOf(previous);
    await tx.query("UPDATE ca_material SET name = $1, retired_at = $2 WHERE name = 'issuing'", [
      `issuing:${previousFacts.serial}`,
      now,
    ]);
    const stored = issuingKey.stored;
    await tx.query(
      "INSERT INTO ca_material (name, certificate_pem, encrypted_key_pem, key_ref) VALUES ('issuing', $1, $2, $3)",
      [
        toPem(certificate),
        'encryptedKeyPem' in stored ? stored.encryptedKeyPem : null,
        'keyRef' in stored ? stored.keyRef : null,
      ],
    );
    const rotated: RotatedIssuingCa = {
      ...factsOf(certificate),
      certificatePem: toPem(certificate),
      previous: { ...previousFacts, retiredAt: now.toISOString() },
      rootKey: rootOffline ? 'offline' : 'online',
    };
    await options.inTransaction?.(tx, rotated);
    return rotated;
  });
}

/** The root's signing key: the offline file if given (it must be the root's key), else the key store. */
async function rootSigningKey(
  row: CaRow,
  root: x509.X509Certificate,
  keys: CaKeySource,
  offline: OfflineRootKey | undefined,
): Promise<CaSigningKey> {
  if (offline === undefined) {
    if (row.key_ref === OFFLINE_KEY_REF) {
      throw new PkiError(
        'CA_ROOT_KEY_REQUIRED',
        'the root CA is offline: give its key file with --root-key and its passphrase in PALISADE_ROOT_KEY_PASSPHRASE',
      );
    }
    return keys.load('root', storedKeyOf(row));
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({
      key: offline.encryptedPkcs8Pem,
      format: 'pem',
      passphrase: offline.passphrase,
    });
  } catch (error) {
    throw new PkiError(
      'CA_ROOT_KEY_UNREADABLE',
      'cannot decrypt the root key file: not an encrypted private key, or PALISADE_ROOT_KEY_PASSPHRASE is not its passphrase',
      { cause: error },
    );
  }
  const spki = createPublicKey(keyObject).export({ format: 'der', type: 'spki' });
  if (!spki.equals(Buffer.from(root.publicKey.rawData))) {
    throw new PkiError(
      'CA_ROOT_KEY_MISMATCH',
      `the key file does not hold the key of this panel's root CA (${sha256Fingerprint(root)})`,
    );
  }
  return {
    privateKey: keyObject.toCryptoKey(ECDSA_P256, false, ['sign']),
    publicKey: createPublicKey(keyObject).toCryptoKey(ECDSA_P256, true, ['verify']),
    crypto: webcrypto,
  };
}
