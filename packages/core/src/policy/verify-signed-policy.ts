import { createHash, verify } from 'node:crypto';
import type { FieldProblem } from '../errors/palisade-error.ts';
import { isPlainObject } from '../events/untrusted-input.ts';
import { parsePolicyPayload } from './parse-policy-payload.ts';
import { PolicyError, policyRefusal } from './policy-error.ts';
import type { Report } from './policy-input.ts';
import { arrayAt, objectAt, oneOfAt, stringAt } from './policy-input.ts';
import type { PolicyKind } from './policy-kinds.ts';
import { PATTERNS } from './policy-patterns.ts';
import { policyKeyAlgorithm, policyKeyId, signedPolicyBytes } from './policy-signing.ts';
import type {
  PolicySignature,
  PolicySignatureAlgorithm,
  PolicyTrust,
  PreviousPolicyVersion,
  TrustedPolicyKey,
  VerifiedPolicy,
} from './signed-policy.ts';
import { KEY_ID_PATTERN, POLICY_SIGNATURE_ALGORITHMS, SIGNED_POLICY_LIMITS } from './signed-policy.ts';

/**
 * Verifies an untrusted signed policy envelope and returns its parsed
 * payload, or throws a PolicyError, checking in this order:
 *
 * 1. shape (POLICY_INVALID) and at least one signature (POLICY_UNSIGNED);
 * 2. signatures over the payload's canonical JSON, as received: a signature
 *    by a trusted key that does not verify, or claims another algorithm than
 *    the key is trusted for, is POLICY_SIGNATURE_INVALID (never skipped);
 *    signatures by unknown keys are ignored (a new key during rotation), but
 *    none by a trusted key is POLICY_SIGNER_UNKNOWN; a required algorithm
 *    without a valid trusted signature is POLICY_UNSIGNED;
 * 3. the payload and its document (POLICY_INVALID, POLICY_KIND_UNKNOWN) — only
 *    signed bytes reach the document parsers;
 * 4. the kind the caller expects (POLICY_KIND_MISMATCH);
 * 5. rollback (POLICY_VERSION_REPLAYED): a version below the accepted one is
 *    refused; the same version is accepted again only with the same payload
 *    digest (`redelivered: true`, idempotent re-delivery), and refused
 *    otherwise, or when the caller kept no digest.
 *
 * @example
 * const { payload, payloadDigest } = verifySignedPolicy(body, trust, (id) => store.accepted(id), 'firewall');
 */
export function verifySignedPolicy<K extends PolicyKind>(
  envelope: unknown,
  trust: PolicyTrust,
  previous: PreviousPolicyVersion | undefined,
  expectedKind: K,
): VerifiedPolicy<K>;
export function verifySignedPolicy(
  envelope: unknown,
  trust: PolicyTrust,
  previous?: PreviousPolicyVersion,
  expectedKind?: PolicyKind,
): VerifiedPolicy;
export function verifySignedPolicy(
  envelope: unknown,
  trust: PolicyTrust,
  previous?: PreviousPolicyVersion,
  expectedKind?: PolicyKind,
): VerifiedPolicy {
  const { payload: rawPayload, signatures } = parseEnvelope(envelope);
  const bytes = payloadBytes(rawPayload);
  const signers = verifySignatures(bytes, signatures, trust);
  const payload = parsePolicyPayload(rawPayload, '/payload');
  if (expectedKind !== undefined && payload.kind !== expectedKind) {
    throw new PolicyError('POLICY_KIND_MISMATCH', `expected a ${expectedKind} policy, got ${payload.kind}`, [
      { path: '/payload/kind', message: `must be ${expectedKind}` },
    ]);
  }
  const payloadDigest = createHash('sha256').update(bytes).digest('hex'); // = policyPayloadDigest(rawPayload)
  const accepted = typeof previous === 'function' ? previous(payload.policyId) : previous;
  let redelivered = false;
  if (accepted !== undefined && payload.version <= accepted.version) {
    redelivered = payload.version === accepted.version && accepted.payloadDigest === payloadDigest;
    if (!redelivered) {
      const what =
        payload.version === accepted.version
          ? `version ${payload.version} was already accepted with other content`
          : `version ${payload.version} is older than the accepted version ${accepted.version}`;
      throw new PolicyError('POLICY_VERSION_REPLAYED', `policy ${payload.policyId} rejected: ${what}`, [
        { path: '/payload/version', message: `must be above ${accepted.version}` },
      ]);
    }
  }
  return { payload, payloadDigest, signers, redelivered };
}

function parseEnvelope(envelope: unknown): { payload: unknown; signatures: PolicySignature[] } {
  const problems: FieldProblem[] = [];
  const report: Report = (path, message) => {
    problems.push({ path, message });
  };
  const { value, report: r } = objectAt(envelope, '', ['payload', 'signatures'], report);
  if (!isPlainObject(value.payload))
    r('/payload', value.payload === undefined ? 'is required' : 'must be a JSON object');
  if (Array.isArray(value.signatures) && value.signatures.length === 0)
    throw new PolicyError('POLICY_UNSIGNED', 'policy rejected: it carries no signature', [
      { path: '/signatures', message: 'must hold at least one signature' },
    ]);
  const signatures = arrayAt(
    value.signatures,
    '/signatures',
    { minItems: 1, maxItems: SIGNED_POLICY_LIMITS.signatures },
    (item, at) => parseSignature(item, at, r),
    r,
  );
  signatures.forEach((signature, index) => {
    const first = signatures.findIndex((other) => other.keyId === signature.keyId);
    if (first !== index) r(`/signatures/${index}/keyId`, `is already used by /signatures/${first}`);
  });
  if (problems.length > 0) throw policyRefusal('POLICY_INVALID', 'signed policy', problems);
  return { payload: value.payload, signatures };
}

function parseSignature(input: unknown, path: string, report: Report): PolicySignature {
  const { value, report: r } = objectAt(input, path, ['keyId', 'algorithm', 'signature'], report);
  return {
    keyId: stringAt(
      value.keyId,
      `${path}/keyId`,
      { pattern: KEY_ID_PATTERN, maxLength: 64, what: '64 lower-case hex digits' },
      r,
    ),
    algorithm: oneOfAt(value.algorithm, `${path}/algorithm`, POLICY_SIGNATURE_ALGORITHMS, r),
    signature: stringAt(
      value.signature,
      `${path}/signature`,
      { pattern: PATTERNS.base64, maxLength: SIGNED_POLICY_LIMITS.signatureLength, what: 'base64' },
      r,
    ),
  };
}

function payloadBytes(payload: unknown): Buffer {
  let bytes: Buffer;
  try {
    bytes = signedPolicyBytes(payload);
  } catch {
    // Only values JSON.parse cannot produce (or nesting beyond the stack) end up here.
    throw new PolicyError('POLICY_INVALID', 'signed policy rejected: the payload is not JSON data', [
      { path: '/payload', message: 'is not JSON data' },
    ]);
  }
  if (bytes.length > SIGNED_POLICY_LIMITS.payloadBytes) {
    throw new PolicyError('POLICY_INVALID', 'signed policy rejected: the payload is too large', [
      { path: '/payload', message: `is ${bytes.length} bytes, limit ${SIGNED_POLICY_LIMITS.payloadBytes}` },
    ]);
  }
  return bytes;
}

function verifySignatures(
  bytes: Buffer,
  signatures: readonly PolicySignature[],
  trust: PolicyTrust,
): VerifiedPolicy['signers'] {
  const signers: { keyId: string; algorithm: PolicySignatureAlgorithm }[] = [];
  for (const [index, signature] of signatures.entries()) {
    const key = trust.keys.get(signature.keyId);
    if (key === undefined) continue;
    checkTrustedKey(signature.keyId, key);
    const path = `/signatures/${index}`;
    if (key.algorithm !== signature.algorithm) {
      throw new PolicyError(
        'POLICY_SIGNATURE_INVALID',
        `policy rejected: signature ${index} claims the wrong algorithm`,
        [
          {
            path: `${path}/algorithm`,
            message: `must be ${key.algorithm}, the algorithm the key is trusted for`,
          },
        ],
      );
    }
    if (!signatureVerifies(bytes, Buffer.from(signature.signature, 'base64'), key)) {
      throw new PolicyError(
        'POLICY_SIGNATURE_INVALID',
        `policy rejected: signature ${index} does not verify`,
        [{ path: `${path}/signature`, message: 'does not verify over the payload' }],
      );
    }
    signers.push({ keyId: signature.keyId, algorithm: signature.algorithm });
  }
  if (signers.length === 0) {
    throw new PolicyError('POLICY_SIGNER_UNKNOWN', 'policy rejected: no signature is by a trusted key', [
      { path: '/signatures', message: 'holds no signature by a trusted key' },
    ]);
  }
  const missing = (trust.requireAlgorithms ?? []).filter(
    (algorithm) => !signers.some((s) => s.algorithm === algorithm),
  );
  if (missing.length > 0) {
    throw new PolicyError(
      'POLICY_UNSIGNED',
      `policy rejected: no valid ${missing.join(' or ')} signature by a trusted key`,
      [
        {
          path: '/signatures',
          message: `must hold a valid signature of each of ${missing.join(', ')} by a trusted key`,
        },
      ],
    );
  }
  return signers;
}

// A trust store mistake (a key under another key's ID, a key of the wrong
// type) must not read as an attack on the device, nor silently pass.
function checkTrustedKey(keyId: string, key: TrustedPolicyKey): void {
  if (
    key.publicKey.type !== 'public' ||
    policyKeyAlgorithm(key.publicKey) !== key.algorithm ||
    policyKeyId(key.publicKey) !== keyId
  ) {
    throw new PolicyError(
      'POLICY_KEY_INVALID',
      `trusted key ${keyId.slice(0, 16)}… does not match its ID or algorithm`,
    );
  }
}

function signatureVerifies(bytes: Buffer, signature: Buffer, key: TrustedPolicyKey): boolean {
  try {
    return key.algorithm === 'ml-dsa-65'
      ? verify(null, bytes, key.publicKey, signature)
      : verify('sha256', bytes, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
