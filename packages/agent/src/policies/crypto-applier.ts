/**
 * The `crypto` kind (CR-4): enforced on the agent's own channel to the panel
 * (new connections take cryptoPolicyToNodeTls; with requirePostQuantumGroup
 * the agent offers X25519MLKEM768 alone) and exported, for operators who opt
 * in, as an OpenSSL configuration include other applications read.
 *
 * A policy the panel cannot speak would cut the device off with no firewall
 * dead-man switch to save it, so the channel settings get one of their own:
 * the panel must be reachable before (else the failure is not the policy's)
 * and after switching, over a new connection; if it is not, the previous
 * settings come back and the policy is reported rolled_back.
 */
import { createHash, getFips } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import {
  type CryptoPolicy,
  canonicalJson,
  cryptoPolicyToNodeTls,
  cryptoPolicyToOpenSslConf,
  type NodeTlsOptions,
} from '@palisade/core';
import { writeFileAtomic } from '../state/atomic-file.ts';
import type { PolicyPanel } from './panel-link.ts';
import type { ApplyOutcome, LiveDrift, PolicyApplier } from './policy-applier.ts';
import { PolicyApplyError } from './policy-apply-error.ts';

export interface CryptoApplierOptions {
  /** Apply the policy to the agent's own TLS (agent.yaml `policies.crypto.agentTls`). */
  readonly agentTls: boolean;
  /** Where to write the OpenSSL include; absent = not written. */
  readonly opensslInclude?: string;
  /** Test hook: whether OpenSSL's FIPS provider is in use (default crypto.getFips()). */
  readonly fipsEnabled?: () => boolean;
}

export class CryptoApplier implements PolicyApplier<'crypto'> {
  readonly kind = 'crypto';
  readonly #o: CryptoApplierOptions;
  #tls: NodeTlsOptions | undefined;

  constructor(options: CryptoApplierOptions) {
    this.#o = options;
  }

  /** What new connections to the panel use; undefined = the agent's defaults. */
  get tlsParameters(): NodeTlsOptions | undefined {
    return this.#tls;
  }

  async apply(document: CryptoPolicy, panel: PolicyPanel): Promise<ApplyOutcome> {
    const tls = checkedTlsOptions(document, this.#o.fipsEnabled ?? (() => getFips() === 1));
    if (this.#o.agentTls) {
      const previous = this.#tls;
      await panel.reach();
      this.#tls = tls;
      try {
        await panel.reach();
      } catch (error) {
        this.#tls = previous;
        return {
          outcome: 'rolled_back',
          reason: new PolicyApplyError(
            'POLICY_NOT_CONFIRMED',
            `the panel could not be reached with the policy's TLS settings (${error instanceof Error ? error.message : String(error)}); the previous settings are back`,
            { cause: error },
          ),
        };
      }
    }
    const include = cryptoPolicyToOpenSslConf(document);
    if (this.#o.opensslInclude !== undefined) {
      try {
        await writeFileAtomic(this.#o.opensslInclude, include, 0o644);
      } catch (error) {
        throw new PolicyApplyError('CRYPTO_INCLUDE_FAILED', `cannot write ${this.#o.opensslInclude}`, {
          cause: error,
        });
      }
    }
    return {
      outcome: 'applied',
      liveStateHash: stateHash(this.#o.opensslInclude === undefined ? undefined : include, tls),
    };
  }

  activate(document: CryptoPolicy | undefined): void {
    this.#tls = document === undefined || !this.#o.agentTls ? undefined : cryptoPolicyToNodeTls(document);
  }

  async remove(): Promise<void> {
    if (this.#o.opensslInclude !== undefined) await rm(this.#o.opensslInclude, { force: true });
  }

  async drift(document: CryptoPolicy, expected: string | undefined): Promise<LiveDrift | undefined> {
    const path = this.#o.opensslInclude;
    if (path === undefined || expected === undefined) return undefined;
    const live = await readFile(path, 'utf8').catch(() => undefined);
    const actual = stateHash(live ?? null, cryptoPolicyToNodeTls(document));
    if (actual === expected) return undefined;
    return {
      expected,
      actual,
      message: `the OpenSSL include ${path} was ${live === undefined ? 'deleted' : 'edited'}`,
      event: {
        type: 'config.drift',
        severity: 6,
        body: {
          message: 'The OpenSSL include differs from the crypto policy',
          paths: [path],
          expectedHash: expected,
          actualHash: actual,
        },
      },
    };
  }

  /** The channel settings did not change: only the include is written again. */
  async repair(document: CryptoPolicy): Promise<ApplyOutcome> {
    const path = this.#o.opensslInclude;
    const include = cryptoPolicyToOpenSslConf(document);
    if (path !== undefined) await writeFileAtomic(path, include, 0o644);
    return {
      outcome: 'applied',
      liveStateHash: stateHash(path === undefined ? undefined : include, cryptoPolicyToNodeTls(document)),
    };
  }
}

/** The node:tls options, or CRYPTO_POLICY_UNSUPPORTED when this OpenSSL cannot honour them. */
function checkedTlsOptions(document: CryptoPolicy, fipsEnabled: () => boolean): NodeTlsOptions {
  if (document.fipsProviderRequired && !fipsEnabled())
    throw new PolicyApplyError(
      'CRYPTO_POLICY_UNSUPPORTED',
      'the policy requires the OpenSSL FIPS provider, and this agent does not run with it (node --enable-fips with a FIPS-configured OpenSSL)',
    );
  const tls = cryptoPolicyToNodeTls(document);
  try {
    createSecureContext({ ...tls });
  } catch (error) {
    throw new PolicyApplyError(
      'CRYPTO_POLICY_UNSUPPORTED',
      `this device's TLS library refuses the policy: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return tls;
}

/** Hash of the include's text (null: configured but missing; undefined: not written) and the channel settings. */
function stateHash(include: string | null | undefined, tls: NodeTlsOptions): string {
  return createHash('sha256')
    .update(canonicalJson({ include: include === undefined ? 'not-written' : include, tls }))
    .digest('hex');
}
