import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OcspResponseCache } from './ocsp-response-cache.ts';

describe('OcspResponseCache', () => {
  function counting() {
    let calls = 0;
    return {
      respond: async (request: Uint8Array) => new Uint8Array([++calls, request.length]),
      calls: () => calls,
    };
  }

  it('answers a repeated request from memory until the TTL passes or a revocation invalidates it', async () => {
    let now = 0;
    const inner = counting();
    const cache = new OcspResponseCache(inner.respond, { ttlMs: 1000, now: () => now });
    const request = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);
    const first = await cache.respond(request);
    assert.deepEqual(await cache.respond(request), first);
    assert.equal(inner.calls(), 1);
    now = 1001;
    await cache.respond(request);
    assert.equal(inner.calls(), 2);
    cache.invalidate();
    await cache.respond(request);
    assert.equal(inner.calls(), 3);
  });

  it('never caches a request that carries a nonce: the nonce must be echoed', async () => {
    const inner = counting();
    const cache = new OcspResponseCache(inner.respond, { ttlMs: 60_000 });
    const withNonce = new Uint8Array(Buffer.from('300f06092b06010505073001020402abcd', 'hex'));
    await cache.respond(withNonce);
    await cache.respond(withNonce);
    assert.equal(inner.calls(), 2);
  });
});
