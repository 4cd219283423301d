import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';

/** Which kind of root of trust holds the device's identity keys (RT-1, RT-3). */
export type RootOfTrustKind = 'software' | 'pkcs11' | 'tpm';

/** The one signature scheme identity keys use today: ECDSA P-256 with SHA-256, DER-encoded (X.509 style). */
export type IdentityKeyAlgorithm = 'ECDSA-P256-SHA256';

/**
 * Where a TLS client gets its private key from. Node's TLS stack can use a
 * key in memory (software), or one behind an OpenSSL engine (PKCS#11 tokens
 * through libp11); a RoT whose key neither can reach hands out connections
 * it opened itself.
 */
export type TlsClientKey =
  | {
      readonly kind: 'node-options';
      /** Merged into `tls.connect` options next to `cert`: `key`, or `privateKeyEngine` + `privateKeyIdentifier`. */
      readonly options: Pick<ConnectionOptions, 'key' | 'privateKeyEngine' | 'privateKeyIdentifier'>;
    }
  | {
      readonly kind: 'connector';
      /** Opens a TLS connection authenticated with this key and `certificatePem`, verifying the server. */
      connect(target: TlsTarget): Promise<Duplex>;
    };

export interface TlsTarget {
  readonly host: string;
  readonly port: number;
  /** SNI and the name checked in the server certificate. */
  readonly servername: string;
  /** The pinned panel CA (PEM); the server certificate must chain to it. */
  readonly caPem: string;
  /** The client certificate chain presented with the key (PEM). */
  readonly certificatePem: string;
}

/** A key that lives in a root of trust. The private half never leaves it. */
export interface IdentityKey {
  /** The RoT's name for the key (file name, token label, TPM persistent handle as hex). */
  readonly label: string;
  readonly algorithm: IdentityKeyAlgorithm;
  /** SubjectPublicKeyInfo, DER. */
  readonly publicKeySpki: Uint8Array;
  /** Signs `data` (hashing it with SHA-256 inside or before the RoT); the signature is DER `Ecdsa-Sig-Value`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** How TLS uses this key for client authentication. */
  tlsClientKey(): TlsClientKey;
}

/** What the RoT can tell about itself, for the inventory and the compliance report (RT-3). */
export interface RootOfTrustFacts {
  readonly kind: RootOfTrustKind;
  /** True only when keys are generated in and cannot leave dedicated hardware (a TPM, a token). */
  readonly hardwareBacked: boolean;
  readonly manufacturer?: string;
  readonly model?: string;
  readonly firmwareVersion?: string;
  /** The TPM endorsement key certificate (PEM), when the TPM has one provisioned. */
  readonly endorsementCertificatePem?: string;
}

/**
 * The device's root of trust: creates identity keys inside itself and signs
 * with them. Labels are chosen by the agent (two alternate between the current
 * identity and the one being renewed), so creating a label that exists
 * replaces that key.
 */
export interface RootOfTrust extends AsyncDisposable {
  readonly kind: RootOfTrustKind;
  readonly hardwareBacked: boolean;
  createKey(label: string): Promise<IdentityKey>;
  /** The key under `label`, or undefined when there is none. Corrupt key material is an error, never undefined. */
  loadKey(label: string): Promise<IdentityKey | undefined>;
  /** Destroys the key under `label`; no error when there is none. */
  deleteKey(label: string): Promise<void>;
  facts(): Promise<RootOfTrustFacts>;
  close(): Promise<void>;
}
