import type { KeyObject } from 'node:crypto';
import { createHash, createPublicKey, sign } from 'node:crypto';
import { canonicalJson } from '../encoding/canonical-json.ts';
import { parsePolicyPayload } from './parse-policy-payload.ts';
import { PolicyError } from './policy-error.ts';
import type { PolicyKind } from './policy-kinds.ts';
import type {
  PolicyPayload,
  PolicySignatureAlgorithm,
  PolicySigner,
  PolicyTrust,
  SignedPolicy,
  TrustedPolicyKey,
} from './signed-policy.ts';
import { KEY_ID_PATTERN } from './signed-policy.ts';

/** Signature sizes fixed by the algorithms: a signer returning anything else is misconfigured. */
export const POLICY_SIGNATURE_BYTES: Readonly<Record<PolicySignatureAlgorithm, number>> = {
  'ecdsa-p256-sha256': 64,
  'ml-dsa-65': 3309,
};

/** The key ID of a public key: lower-case hex SHA-256 of its SubjectPublicKeyInfo DER. */
export function policyKeyId(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

/** The policy signature algorithm a key is for, or undefined (wrong type or curve). */
export function policyKeyAlgorithm(key: KeyObject): PolicySignatureAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ml-dsa-65') return 'ml-dsa-65';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'ecdsa-p256-sha256';
  return undefined;
}

/** The bytes that are signed: the payload's RFC 8785 canonical JSON, UTF-8. */
export function signedPolicyBytes(payload: unknown): Buffer {
  return Buffer.from(canonicalJson(payload), 'utf8');
}

/**
 * Lower-case hex SHA-256 of the signed bytes: VerifiedPolicy.payloadDigest, what
 * a device acknowledges. Compute it from the envelope's payload (the parsed,
 * normalized one signPolicyPayload signed), not from the author's input.
 */
export function policyPayloadDigest(payload: unknown): string {
  return createHash('sha256').update(signedPolicyBytes(payload)).digest('hex');
}

/**
 * A signer over a node:crypto private key (a P-256 EC key or an ML-DSA-65
 * key), for tests and for a panel whose key store hands out KeyObjects.
 */
export function policySignerFromKey(privateKey: KeyObject): PolicySigner {
  const algorithm = policyKeyAlgorithm(privateKey);
  if (privateKey.type !== 'private' || algorithm === undefined)
    throw new PolicyError('POLICY_KEY_INVALID', 'policy signing needs a P-256 or ML-DSA-65 private key');
  const keyId = policyKeyId(createPublicKey(privateKey));
  return {
    keyId,
    algorithm,
    sign: async (bytes) =>
      algorithm === 'ml-dsa-65'
        ? sign(null, bytes, privateKey)
        : sign('sha256', bytes, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
  };
}

/** A trust store over public keys, each under its policyKeyId and for the algorithm its type implies. */
export function policyTrust(
  publicKeys: readonly KeyObject[],
  requireAlgorithms?: readonly PolicySignatureAlgorithm[],
): PolicyTrust {
  const keys = new Map<string, TrustedPolicyKey>();
  for (const publicKey of publicKeys) {
    const algorithm = policyKeyAlgorithm(publicKey);
    if (publicKey.type !== 'public' || algorithm === undefined)
      throw new PolicyError(
        'POLICY_KEY_INVALID',
        'a policy trust key must be a P-256 or ML-DSA-65 public key',
      );
    keys.set(policyKeyId(publicKey), { algorithm, publicKey });
  }
  return requireAlgorithms === undefined ? { keys } : { keys, requireAlgorithms };
}

/**
 * Parses the payload (POLICY_INVALID / POLICY_KIND_UNKNOWN naming every
 * problem) and signs the canonical JSON of the parsed payload with every
 * signer, so what is signed is exactly what verifiers will parse.
 *
 * @example
 * const envelope = await signPolicyPayload(payload, [ecdsaSigner, mlDsaSigner]);
 */
export async function signPolicyPayload<K extends PolicyKind>(
  payload: PolicyPayload<K>,
  signers: readonly PolicySigner[],
): Promise<SignedPolicy<K>>;
export async function signPolicyPayload(
  payload: unknown,
  signers: readonly PolicySigner[],
): Promise<SignedPolicy>;
export async function signPolicyPayload(
  payload: unknown,
  signers: readonly PolicySigner[],
): Promise<SignedPolicy> {
  if (signers.length === 0) throw new PolicyError('POLICY_UNSIGNED', 'a policy needs at least one signer');
  const keyIds = new Set(signers.map((signer) => signer.keyId));
  if (keyIds.size !== signers.length)
    throw new PolicyError('POLICY_KEY_INVALID', 'two signers share a key ID');
  for (const signer of signers) {
    if (!KEY_ID_PATTERN.test(signer.keyId))
      throw new PolicyError(
        'POLICY_KEY_INVALID',
        'a signer key ID must be 64 lower-case hex digits (policyKeyId)',
      );
  }
  const parsed = parsePolicyPayload(payload);
  const bytes = signedPolicyBytes(parsed);
  const signatures = await Promise.all(
    signers.map(async (signer) => {
      const signature = await signer.sign(bytes);
      const expected = POLICY_SIGNATURE_BYTES[signer.algorithm];
      if (signature.length !== expected) {
        throw new PolicyError(
          'POLICY_KEY_INVALID',
          `signer ${signer.keyId.slice(0, 16)}… returned ${signature.length} bytes; ${signer.algorithm} signatures are ${expected}`,
        );
      }
      return {
        keyId: signer.keyId,
        algorithm: signer.algorithm,
        signature: Buffer.from(signature).toString('base64'),
      };
    }),
  );
  return { payload: parsed, signatures };
}
