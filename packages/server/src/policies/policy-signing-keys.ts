import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  type PolicySignatureAlgorithm,
  type PolicySigner,
  policyKeyId,
  policySignerFromKey,
} from '@palisade/core';
import { ADVISORY_LOCK, type Db, type Queryable } from '../db/index.ts';
import type { CaKeySource, StoredKey } from '../pki/index.ts';

/** A public key devices pin to verify policies, as the device API hands it out. */
export interface PolicyTrustKey {
  readonly keyId: string;
  readonly algorithm: PolicySignatureAlgorithm;
  readonly publicKeyPem: string;
}

export interface PolicySigning {
  readonly signers: readonly PolicySigner[];
  readonly trust: readonly PolicyTrustKey[];
}

const ECDSA = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * The panel's policy signing keys, created on first use and shared by every
 * replica through the database: a P-256 key in the CA's key store (a file
 * key encrypted under the key passphrase, or a PKCS#11 token key that never
 * leaves the token), plus, with the file store, an ML-DSA-65 key so that
 * policies carry a post-quantum signature beside the classical one (hybrid,
 * CR-3). PKCS#11 tokens do not offer ML-DSA yet: there, policies are signed
 * with P-256 only.
 */
export async function ensurePolicySigning(
  db: Db,
  keys: CaKeySource,
  passphrase: string | undefined,
): Promise<PolicySigning> {
  return db.transaction(async (tx) => {
    // One replica creates the keys; the others wait here and then load them.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK.policyKeys]);
    let rows = await listKeys(tx);
    if (!rows.some((row) => row.algorithm === 'ecdsa-p256-sha256')) {
      const created = await keys.create('policy-signing');
      const spki = Buffer.from(await created.crypto.subtle.exportKey('spki', created.publicKey));
      const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
      await insertKey(tx, publicKey, 'ecdsa-p256-sha256', created.stored);
    }
    if (passphrase !== undefined && !rows.some((row) => row.algorithm === 'ml-dsa-65')) {
      const pair = generateKeyPairSync('ml-dsa-65');
      const encryptedKeyPem = pair.privateKey.export({
        format: 'pem',
        type: 'pkcs8',
        cipher: 'aes-256-cbc',
        passphrase,
      }) as string;
      await insertKey(tx, pair.publicKey, 'ml-dsa-65', { encryptedKeyPem });
    }
    rows = await listKeys(tx);
    const signers: PolicySigner[] = [];
    for (const row of rows) {
      if (row.algorithm === 'ml-dsa-65') {
        if (passphrase === undefined || !('encryptedKeyPem' in row.stored)) continue;
        signers.push(
          policySignerFromKey(
            createPrivateKey({ key: row.stored.encryptedKeyPem, format: 'pem', passphrase }),
          ),
        );
      } else {
        const key = await keys.load('policy-signing', row.stored);
        signers.push({
          keyId: row.key_id,
          algorithm: 'ecdsa-p256-sha256',
          // WebCrypto ECDSA signatures are already IEEE P1363 r‖s, the policy envelope's encoding.
          sign: async (bytes) => new Uint8Array(await key.crypto.subtle.sign(ECDSA, key.privateKey, bytes)),
        });
      }
    }
    return {
      signers,
      trust: rows.map((row) => ({
        keyId: row.key_id,
        algorithm: row.algorithm,
        publicKeyPem: row.public_key_pem,
      })),
    };
  });
}

interface KeyRow {
  key_id: string;
  algorithm: PolicySignatureAlgorithm;
  public_key_pem: string;
  stored: StoredKey;
}

async function listKeys(tx: Queryable): Promise<KeyRow[]> {
  return (
    await tx.query<KeyRow>(
      'SELECT key_id, algorithm, public_key_pem, stored FROM policy_signing_keys ORDER BY algorithm',
    )
  ).rows;
}

async function insertKey(
  tx: Queryable,
  publicKey: KeyObject,
  algorithm: PolicySignatureAlgorithm,
  stored: StoredKey,
): Promise<void> {
  await tx.query(
    'INSERT INTO policy_signing_keys (key_id, algorithm, public_key_pem, stored) VALUES ($1, $2, $3, $4)',
    [
      policyKeyId(publicKey),
      algorithm,
      publicKey.export({ type: 'spki', format: 'pem' }) as string,
      JSON.stringify(stored),
    ],
  );
}
