import type { PolicyDocuments, PolicyKind } from '@palisade/core';
import type { Logger } from 'pino';
import type { PolicyApplier } from './policy-applier.ts';

export type PolicyListener<K extends PolicyKind> = (document: PolicyDocuments[K] | undefined) => void;

/**
 * The verified document in force per kind, for the modules that act on it
 * (monitoring, attestation, event forwarding, config values): a getter and
 * change callbacks. A listener that throws is logged, not allowed to undo an
 * application that already committed.
 */
export class HeldDocuments {
  readonly #documents: { [K in PolicyKind]?: PolicyDocuments[K] } = {};
  readonly #listeners = new Map<PolicyKind, Set<PolicyListener<PolicyKind>>>();
  readonly #log: Logger;

  constructor(logger: Logger) {
    this.#log = logger;
  }

  get<K extends PolicyKind>(kind: K): PolicyDocuments[K] | undefined {
    return this.#documents[kind] as PolicyDocuments[K] | undefined;
  }

  set<K extends PolicyKind>(kind: K, document: PolicyDocuments[K] | undefined): void {
    if (document === undefined) delete this.#documents[kind];
    else (this.#documents as Record<K, PolicyDocuments[K]>)[kind] = document;
    for (const listener of this.#listeners.get(kind) ?? []) {
      try {
        listener(document);
      } catch (error) {
        this.#log.error({ err: error, kind }, 'a policy change listener failed');
      }
    }
  }

  /** Calls `listener` on every change of the kind's document (undefined: removed); returns the unsubscribe. */
  onChange<K extends PolicyKind>(kind: K, listener: PolicyListener<K>): () => void {
    let set = this.#listeners.get(kind);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(kind, set);
    }
    const stored = listener as PolicyListener<PolicyKind>;
    set.add(stored);
    return () => set.delete(stored);
  }
}

/**
 * The `monitoring` and `attestation` kinds: nothing to change on the device
 * here; once committed, the client hands the verified document to the module
 * that uses it through HeldDocuments.
 */
export class HeldDocumentApplier<K extends 'monitoring' | 'attestation'> implements PolicyApplier<K> {
  readonly kind: K;

  constructor(kind: K) {
    this.kind = kind;
  }

  async apply(): Promise<{ outcome: 'applied' }> {
    return { outcome: 'applied' };
  }

  async remove(): Promise<void> {}
}
