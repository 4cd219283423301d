import { X509Certificate } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../agent-error.ts';
import { writeFileAtomic } from '../state/atomic-file.ts';

/** One certificate and the root-of-trust key label it certifies. */
export interface CertifiedKey {
  readonly label: string;
  readonly certificatePem: string;
}

/**
 * What the agent knows about its identity, on disk as `identity.json`.
 * `current` is the pair in use; `next` is a renewal in progress: a key that
 * exists in the root of trust and, once the panel issued it, its
 * certificate, which becomes current only after a mutual-TLS request with it
 * succeeded. A held enrollment keeps its CSR so the retry sends the same one.
 */
export interface IdentityState {
  readonly current?: CertifiedKey;
  readonly next?: {
    readonly label: string;
    readonly certificatePem?: string;
    /** base64 DER of a CSR the panel holds for approval (RFC 7030 §4.2.3). */
    readonly heldCsr?: string;
    readonly retryAt?: string;
  };
  /** Set when the panel refused the current certificate as revoked; cleared by a new enrollment. */
  readonly revoked?: { readonly at: string; readonly serial: string };
}

const FILE = 'identity.json';

export class IdentityStore {
  readonly #path: string;

  constructor(stateDir: string) {
    this.#path = join(stateDir, FILE);
  }

  get path(): string {
    return this.#path;
  }

  /**
   * The stored state, or an empty one on first start. A file that cannot be
   * read as identity state is refused with its path, never overwritten: it
   * may be the only record of which key holds the device's identity.
   */
  async load(): Promise<IdentityState> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new AgentError('AGENT_STATE_CORRUPT', `cannot read ${this.#path}`, { cause: error });
    }
    try {
      return parseState(JSON.parse(text));
    } catch (error) {
      throw new AgentError(
        'AGENT_STATE_CORRUPT',
        `${this.#path} is not valid identity state (${error instanceof Error ? error.message : 'unreadable'}); fix or move it away, the agent will not overwrite it`,
        { cause: error },
      );
    }
  }

  async save(state: IdentityState): Promise<void> {
    await writeFileAtomic(this.#path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
  }

  /** Moves a corrupt state file aside (operator's `palisade agent reset-identity`). */
  async quarantine(): Promise<string> {
    const aside = `${this.#path}.corrupt-${Date.now()}`;
    await rename(this.#path, aside);
    return aside;
  }
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function parseState(value: unknown): IdentityState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  const { current, next, revoked } = value as Record<string, unknown>;
  return {
    ...(current === undefined ? {} : { current: parseCertified(current, 'current') }),
    ...(next === undefined ? {} : { next: parseNext(next) }),
    ...(revoked === undefined ? {} : { revoked: parseRevoked(revoked) }),
  };
}

function parseCertified(value: unknown, field: string): CertifiedKey {
  const { label, certificatePem } = (value ?? {}) as Record<string, unknown>;
  if (typeof label !== 'string' || !LABEL.test(label)) throw new Error(`${field}.label is invalid`);
  return { label, certificatePem: parseCertificate(certificatePem, `${field}.certificatePem`) };
}

function parseNext(value: unknown): NonNullable<IdentityState['next']> {
  const { label, certificatePem, heldCsr, retryAt } = (value ?? {}) as Record<string, unknown>;
  if (typeof label !== 'string' || !LABEL.test(label)) throw new Error('next.label is invalid');
  if (heldCsr !== undefined && (typeof heldCsr !== 'string' || !/^[A-Za-z0-9+/=]+$/.test(heldCsr))) {
    throw new Error('next.heldCsr is not base64');
  }
  if (retryAt !== undefined && (typeof retryAt !== 'string' || Number.isNaN(Date.parse(retryAt)))) {
    throw new Error('next.retryAt is not a time');
  }
  return {
    label,
    ...(certificatePem === undefined
      ? {}
      : { certificatePem: parseCertificate(certificatePem, 'next.certificatePem') }),
    ...(heldCsr === undefined ? {} : { heldCsr: heldCsr as string }),
    ...(retryAt === undefined ? {} : { retryAt: retryAt as string }),
  };
}

function parseRevoked(value: unknown): NonNullable<IdentityState['revoked']> {
  const { at, serial } = (value ?? {}) as Record<string, unknown>;
  if (typeof at !== 'string' || typeof serial !== 'string') throw new Error('revoked is invalid');
  return { at, serial };
}

function parseCertificate(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new Error(`${field} is missing`);
  try {
    new X509Certificate(value);
  } catch {
    throw new Error(`${field} is not a certificate`);
  }
  return value;
}
