/**
 * The policy signing keys this device trusts (PD-1, CR-3). Fetched once from
 * the panel over the CA-pinned mutual-TLS channel and pinned in the state
 * directory; from then on only a policy signed by a pinned key is applied. A
 * different key set from the panel later is logged loudly and NOT adopted:
 * a compromised panel must not be able to swap the keys it signs with. To
 * re-pin (after a deliberate key rotation), the operator deletes the file.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  canonicalJson,
  POLICY_SIGNATURE_ALGORITHMS,
  type PolicySignatureAlgorithm,
  type PolicyTrust,
  policyKeyAlgorithm,
  policyKeyId,
  policyTrust,
} from '@palisade/core';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../state/atomic-file.ts';
import { PolicyApplyError } from './policy-apply-error.ts';

export interface PolicyTrustKeyEntry {
  readonly keyId: string;
  readonly algorithm: PolicySignatureAlgorithm;
  /** SubjectPublicKeyInfo, PEM. */
  readonly publicKeyPem: string;
}

/** `GET /v1/devices/:id/policy-trust`, as the panel answers it and as the device pins it. */
export interface PolicyTrustDocument {
  readonly keys: readonly PolicyTrustKeyEntry[];
  readonly requireAlgorithms?: readonly PolicySignatureAlgorithm[];
}

const MAX_KEYS = 16;
const MAX_PEM_CHARS = 8192;
const KEY_ID = /^[0-9a-f]{64}$/;
const FILE_FORMAT = 1;

/**
 * Parses the panel's trust answer into a PolicyTrust, or throws
 * POLICY_TRUST_INVALID naming the member at fault: every key must be a P-256
 * or ML-DSA-65 SPKI whose policyKeyId is the keyId it is listed under, and
 * every required algorithm must have a key (or nothing could ever verify).
 */
export function parsePolicyTrustDocument(input: unknown): {
  document: PolicyTrustDocument;
  trust: PolicyTrust;
} {
  const body = record(input, '(document)');
  for (const extra of Object.keys(body))
    if (extra !== 'keys' && extra !== 'requireAlgorithms')
      throw invalid(`${extra.slice(0, 64)} is not a known member`);
  if (!Array.isArray(body.keys) || body.keys.length === 0 || body.keys.length > MAX_KEYS)
    throw invalid(`keys must list 1 to ${MAX_KEYS} keys`);
  const keys: PolicyTrustKeyEntry[] = [];
  const publicKeys: KeyObject[] = [];
  for (const [index, item] of body.keys.entries()) {
    const at = `keys/${index}`;
    const entry = record(item, at);
    const { keyId, algorithm, publicKeyPem, ...rest } = entry;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw invalid(`${at}/${extra.slice(0, 64)} is not a known member`);
    if (typeof keyId !== 'string' || !KEY_ID.test(keyId))
      throw invalid(`${at}/keyId must be 64 lower-case hex digits`);
    if (!isAlgorithm(algorithm))
      throw invalid(`${at}/algorithm must be one of ${POLICY_SIGNATURE_ALGORITHMS.join(', ')}`);
    if (
      typeof publicKeyPem !== 'string' ||
      publicKeyPem.length > MAX_PEM_CHARS ||
      !publicKeyPem.includes('-----BEGIN PUBLIC KEY-----')
    )
      throw invalid(`${at}/publicKeyPem must be a SubjectPublicKeyInfo PEM`);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: publicKeyPem, format: 'pem' });
    } catch {
      throw invalid(`${at}/publicKeyPem does not parse as a public key`);
    }
    if (policyKeyAlgorithm(publicKey) !== algorithm)
      throw invalid(`${at}/publicKeyPem is not an ${algorithm} key`);
    if (policyKeyId(publicKey) !== keyId) throw invalid(`${at}/keyId is not the SHA-256 of the key's SPKI`);
    if (keys.some((other) => other.keyId === keyId)) throw invalid(`${at}/keyId is listed twice`);
    keys.push({ keyId, algorithm, publicKeyPem });
    publicKeys.push(publicKey);
  }
  let requireAlgorithms: PolicySignatureAlgorithm[] | undefined;
  if (body.requireAlgorithms !== undefined) {
    const list = body.requireAlgorithms;
    if (
      !Array.isArray(list) ||
      list.length > POLICY_SIGNATURE_ALGORITHMS.length ||
      !list.every(isAlgorithm) ||
      new Set(list).size !== list.length
    )
      throw invalid(
        `requireAlgorithms must list distinct algorithms of ${POLICY_SIGNATURE_ALGORITHMS.join(', ')}`,
      );
    const orphan = list.find((algorithm) => !keys.some((key) => key.algorithm === algorithm));
    if (orphan !== undefined)
      throw invalid(`requireAlgorithms names ${orphan}, but no ${orphan} key is listed`);
    requireAlgorithms = list;
  }
  const document = { keys, ...(requireAlgorithms === undefined ? {} : { requireAlgorithms }) };
  return { document, trust: policyTrust(publicKeys, requireAlgorithms) };
}

/** The same keys and requirements, whatever the order. */
export function sameTrust(a: PolicyTrustDocument, b: PolicyTrustDocument): boolean {
  const summary = (d: PolicyTrustDocument) =>
    canonicalJson({
      keys: d.keys.map((k) => `${k.algorithm}:${k.keyId}`).sort(),
      require: [...(d.requireAlgorithms ?? [])].sort(),
    });
  return summary(a) === summary(b);
}

export class PinnedPolicyTrust {
  readonly #file: string;
  readonly #log: Logger;
  #pinned: { document: PolicyTrustDocument; trust: PolicyTrust } | undefined;
  #corrupt: PolicyApplyError | undefined;

  constructor(file: string, logger: Logger) {
    this.#file = file;
    this.#log = logger;
  }

  get file(): string {
    return this.#file;
  }

  get pinned(): PolicyTrustDocument | undefined {
    return this.#pinned?.document;
  }

  /** Reads the pinned file, if any. A corrupt file is not replaced: every policy is refused until an operator deletes it. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.#corrupt = corrupt(this.#file, 'cannot be read', error);
      return;
    }
    try {
      const saved = JSON.parse(text) as unknown;
      const { format, pinnedAt: _pinnedAt, ...document } = record(saved, '(file)');
      if (format !== FILE_FORMAT) throw invalid(`format must be ${FILE_FORMAT}`);
      this.#pinned = parsePolicyTrustDocument(document);
    } catch (error) {
      this.#corrupt = corrupt(this.#file, 'is not a pinned policy trust this agent wrote', error);
    }
  }

  /** The pinned trust; pins the panel's answer on first use. */
  async get(fetchFromPanel: () => Promise<unknown>): Promise<PolicyTrust> {
    if (this.#corrupt) throw this.#corrupt;
    if (this.#pinned) return this.#pinned.trust;
    const parsed = parsePolicyTrustDocument(await fetchFromPanel());
    const saved = { format: FILE_FORMAT, pinnedAt: new Date().toISOString(), ...parsed.document };
    await writeFileAtomic(this.#file, `${JSON.stringify(saved, null, 2)}\n`, 0o600);
    this.#pinned = parsed;
    this.#log.info(
      { file: this.#file, keyIds: parsed.document.keys.map((k) => k.keyId) },
      'pinned the panel’s policy signing keys',
    );
    return parsed.trust;
  }

  /**
   * Asks the panel for its current keys and compares them with the pinned
   * ones. A difference is logged at error level with what to do; the pinned
   * set stays in force.
   */
  async compareWithPanel(fetchFromPanel: () => Promise<unknown>): Promise<'same' | 'changed' | 'unpinned'> {
    const pinned = this.#pinned;
    if (!pinned) return 'unpinned';
    const offered = parsePolicyTrustDocument(await fetchFromPanel()).document;
    if (sameTrust(pinned.document, offered)) return 'same';
    this.#log.error(
      {
        file: this.#file,
        pinnedKeyIds: pinned.document.keys.map((k) => k.keyId),
        offeredKeyIds: offered.keys.map((k) => k.keyId),
      },
      `THE PANEL NOW OFFERS OTHER POLICY SIGNING KEYS THAN THE PINNED ONES; they are NOT adopted and policies signed only by them are refused. If the panel's policy keys were rotated on purpose, delete ${this.#file} and restart the agent to pin the new set.`,
    );
    return 'changed';
  }
}

function isAlgorithm(value: unknown): value is PolicySignatureAlgorithm {
  return typeof value === 'string' && (POLICY_SIGNATURE_ALGORITHMS as readonly string[]).includes(value);
}

function record(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${at} must be a JSON object`);
  return value as Record<string, unknown>;
}

function invalid(problem: string): PolicyApplyError {
  return new PolicyApplyError('POLICY_TRUST_INVALID', `policy trust refused: ${problem}`);
}

function corrupt(file: string, what: string, cause: unknown): PolicyApplyError {
  return new PolicyApplyError(
    'POLICY_STATE_CORRUPT',
    `${file} ${what}; every policy is refused until it is fixed or deleted (deleting it re-pins the panel's keys)`,
    { cause },
  );
}
