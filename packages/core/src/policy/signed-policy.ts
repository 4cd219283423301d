/**
 * Signed, versioned policy envelopes (PD-1, PD-2, CR-3). The panel signs the
 * RFC 8785 canonical JSON of the payload with one or more keys (classical and
 * post-quantum, for hybrid signing); an agent applies a policy only after
 * verifySignedPolicy, and never an older version of the same policy.
 */
import type { KeyObject } from 'node:crypto';
import type { PolicyDocuments, PolicyKind } from './policy-kinds.ts';

export const POLICY_SIGNATURE_ALGORITHMS = ['ecdsa-p256-sha256', 'ml-dsa-65'] as const;
/**
 * `ecdsa-p256-sha256`: ECDSA over P-256 with SHA-256 (FIPS 186-5), signature
 * as the 64-byte r‖s of IEEE P1363 (what WebCrypto and PKCS#11 produce).
 * `ml-dsa-65`: ML-DSA-65 (FIPS 204), pure mode, empty context, 3309 bytes.
 */
export type PolicySignatureAlgorithm = (typeof POLICY_SIGNATURE_ALGORITHMS)[number];

/** What is signed: one version of one policy. */
export type PolicyPayload<K extends PolicyKind = PolicyKind> = {
  readonly [P in K]: {
    readonly kind: P;
    /** Stable across versions: the policy's identity (RFC 9562 UUID, lower case). */
    readonly policyId: string;
    readonly name: string;
    /** 1, 2, 3 …: each publication of a policyId gets a higher version. */
    readonly version: number;
    /** RFC 3339, normalized to UTC. */
    readonly publishedAt: string;
    readonly document: PolicyDocuments[P];
  };
}[K];

export interface PolicySignature {
  /** Lower-case hex SHA-256 of the signer's SubjectPublicKeyInfo DER (policyKeyId). */
  readonly keyId: string;
  readonly algorithm: PolicySignatureAlgorithm;
  /** Base64 (RFC 4648 §4). */
  readonly signature: string;
}

export interface SignedPolicy<K extends PolicyKind = PolicyKind> {
  readonly payload: PolicyPayload<K>;
  readonly signatures: readonly PolicySignature[];
}

/** A signing key, abstract so that the panel can sign with its key store (file, PKCS#11, KMS). */
export interface PolicySigner {
  readonly keyId: string;
  readonly algorithm: PolicySignatureAlgorithm;
  /** The raw signature over `bytes`: r‖s for ECDSA, the FIPS 204 encoding for ML-DSA. */
  sign(bytes: Uint8Array): Promise<Uint8Array>;
}

export interface TrustedPolicyKey {
  readonly algorithm: PolicySignatureAlgorithm;
  readonly publicKey: KeyObject;
}

export interface PolicyTrust {
  /** By keyId (policyKeyId of the public key). */
  readonly keys: ReadonlyMap<string, TrustedPolicyKey>;
  /** Each of these needs a valid signature by a trusted key (hybrid: both). Default: any one algorithm. */
  readonly requireAlgorithms?: readonly PolicySignatureAlgorithm[];
}

/** The last version of a policy the device accepted, to refuse rollbacks and replays. */
export interface AcceptedPolicyVersion {
  readonly version: number;
  /** VerifiedPolicy.payloadDigest of that version: lets the same payload be delivered again. */
  readonly payloadDigest?: string;
}

/**
 * The accepted version of the envelope's policy: an object when the caller
 * already knows which policy it expects, or a lookup by policyId (the agent
 * keeps the highest version it ever accepted of each policyId).
 */
export type PreviousPolicyVersion =
  | AcceptedPolicyVersion
  | ((policyId: string) => AcceptedPolicyVersion | undefined);

export interface VerifiedPolicy<K extends PolicyKind = PolicyKind> {
  readonly payload: PolicyPayload<K>;
  /** Lower-case hex SHA-256 of the signed bytes (the payload's canonical JSON): what a device acknowledges. */
  readonly payloadDigest: string;
  /** The trusted keys whose signatures verified. */
  readonly signers: readonly { readonly keyId: string; readonly algorithm: PolicySignatureAlgorithm }[];
  /** The same version and payload as the previously accepted one: acknowledge again, nothing to apply. */
  readonly redelivered: boolean;
}

export const SIGNED_POLICY_LIMITS = {
  signatures: 8,
  /** UTF-8 bytes of the payload's canonical JSON: 32 config files of 256 KiB in base64 fit. */
  payloadBytes: 12 * 1024 * 1024,
  /** Base64 characters of one signature (ML-DSA-87 is 4627 bytes). */
  signatureLength: 8192,
} as const;

/** Lower-case 64-digit hex: a SHA-256 key ID. */
export const KEY_ID_PATTERN = /^[0-9a-f]{64}$/;
/** RFC 9562 UUID in lower case (any version: the panel mints v7, imports may carry v4). */
export const POLICY_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
