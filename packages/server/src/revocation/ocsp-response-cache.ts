import { createHash } from 'node:crypto';

// DER of the OID id-pkix-ocsp-nonce (1.3.6.1.5.5.7.48.1.2). A request that
// contains these bytes anywhere is treated as carrying a nonce and never
// answered from the cache: a false positive only costs a cache miss.
const NONCE_OID_DER = Buffer.from('06092b0601050507300102', 'hex');

/**
 * Answers repeated OCSP requests without signing again (RFC 6960 §2.4 lets a
 * responder pre-produce responses). Only requests without a nonce are cached,
 * since a nonce must be echoed, and only for `ttlMs`: short enough that a
 * revocation made on another replica shows within it, while a busy relying
 * party asking the same question many times a second is answered from memory.
 */
export class OcspResponseCache {
  readonly #respond: (request: Uint8Array) => Promise<Uint8Array>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { response: Uint8Array; until: number }>();
  readonly #maxEntries: number;

  constructor(
    respond: (request: Uint8Array) => Promise<Uint8Array>,
    options: { ttlMs: number; now?: () => number; maxEntries?: number },
  ) {
    this.#respond = respond;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  async respond(request: Uint8Array): Promise<Uint8Array> {
    if (Buffer.from(request.buffer, request.byteOffset, request.byteLength).includes(NONCE_OID_DER))
      return this.#respond(request);
    const key = createHash('sha256').update(request).digest('base64');
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit && hit.until > now) return hit.response;
    const response = await this.#respond(request);
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    this.#entries.set(key, { response, until: now + this.#ttlMs });
    return response;
  }

  /** After a revocation in this replica: nothing cached may outlive it. */
  invalidate(): void {
    this.#entries.clear();
  }
}
