/**
 * The hash algorithms a PCR bank may use, by TPM_ALG_ID (TCG Algorithm
 * Registry, Table 3). Names are the ones tpm2-tools prints (`sha256`,
 * `sm3_256`), so our output lines up with `tpm2_eventlog` and `tpm2_pcrread`.
 */
export type KnownAlgorithmName =
  | 'sha1'
  | 'sha256'
  | 'sha384'
  | 'sha512'
  | 'sm3_256'
  | 'sha3_256'
  | 'sha3_384'
  | 'sha3_512';

/** A bank name: a known algorithm, or `alg_0x…` (4 hex digits) for an ID the registry table here lacks. */
export type AlgorithmName = KnownAlgorithmName | `alg_0x${string}`;

interface KnownAlgorithm {
  readonly name: KnownAlgorithmName;
  readonly digestSize: number;
  /** The node:crypto name, so the bank can be replayed. */
  readonly nodeHash: string;
}

const KNOWN: ReadonlyMap<number, KnownAlgorithm> = new Map([
  [0x0004, { name: 'sha1', digestSize: 20, nodeHash: 'sha1' }],
  [0x000b, { name: 'sha256', digestSize: 32, nodeHash: 'sha256' }],
  [0x000c, { name: 'sha384', digestSize: 48, nodeHash: 'sha384' }],
  [0x000d, { name: 'sha512', digestSize: 64, nodeHash: 'sha512' }],
  [0x0012, { name: 'sm3_256', digestSize: 32, nodeHash: 'sm3' }],
  [0x0027, { name: 'sha3_256', digestSize: 32, nodeHash: 'sha3-256' }],
  [0x0028, { name: 'sha3_384', digestSize: 48, nodeHash: 'sha3-384' }],
  [0x0029, { name: 'sha3_512', digestSize: 64, nodeHash: 'sha3-512' }],
]);

export const TPM_ALG_SHA1 = 0x0004;

/** TPMU_HA's largest member: no TPM digest is longer (TPM 2.0 Part 2 §10.3.1). */
export const MAX_DIGEST_SIZE = 64;

export function algorithmName(algId: number): AlgorithmName {
  return KNOWN.get(algId)?.name ?? `alg_0x${algId.toString(16).padStart(4, '0')}`;
}

/** The digest size the registry fixes for an algorithm, or undefined for one it does not list. */
export function knownDigestSize(algId: number): number | undefined {
  return KNOWN.get(algId)?.digestSize;
}

/** The node:crypto hash of a bank, or undefined when the bank cannot be replayed here. */
export function nodeHashOf(name: AlgorithmName): string | undefined {
  for (const algorithm of KNOWN.values()) if (algorithm.name === name) return algorithm.nodeHash;
  return undefined;
}

/** The digest size of a bank by name, when the registry knows it. */
export function digestSizeOf(name: string): number | undefined {
  for (const algorithm of KNOWN.values()) if (algorithm.name === name) return algorithm.digestSize;
  return undefined;
}
