import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FirewallError } from './firewall-error.ts';
import { ABSENT_TABLE_HASH, normalizeNftListing, rulesetHash } from './ruleset-hash.ts';

/** Shaped like nftables v1.0.6 `nft -j list table inet palisade`. */
function listing(options: { handleBase: number; packets: number; dport: number }): string {
  const { handleBase: h, packets, dport } = options;
  return JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
      { table: { family: 'inet', name: 'palisade', handle: h } },
      {
        chain: {
          family: 'inet',
          table: 'palisade',
          name: 'input',
          handle: h + 1,
          type: 'filter',
          hook: 'input',
          prio: 0,
          policy: 'drop',
        },
      },
      {
        rule: {
          family: 'inet',
          table: 'palisade',
          chain: 'input',
          handle: h + 2,
          expr: [
            { counter: { packets, bytes: packets * 60 } },
            { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: dport } },
            { accept: null },
          ],
        },
      },
    ],
  });
}

describe('normalizeNftListing', () => {
  it('drops metainfo, handles and counter values, keeps the rules', () => {
    const [table, chain, rule] = normalizeNftListing(listing({ handleBase: 7, packets: 3, dport: 22 }));
    assert.deepEqual(table, { table: { family: 'inet', name: 'palisade' } });
    assert.equal(JSON.stringify(chain).includes('handle'), false);
    assert.deepEqual((rule as { rule: { expr: unknown[] } }).rule.expr[0], { counter: {} });
  });

  it('refuses output that is not nft JSON with FIREWALL_COMMAND_FAILED', () => {
    for (const text of ['table inet palisade {', '{"nftables": 1}', 'null', '[]']) {
      assert.throws(
        () => normalizeNftListing(text),
        (error) => error instanceof FirewallError && error.code === 'FIREWALL_COMMAND_FAILED',
        text,
      );
    }
  });

  it('keeps a `__proto__` key as data', () => {
    const [entry] = normalizeNftListing('{"nftables": [{"rule": {"__proto__": {"x": 1}}}]}');
    assert.deepEqual(Object.keys((entry as { rule: object }).rule), ['__proto__']);
  });

  it('throws only FirewallError for any text (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          normalizeNftListing(text);
        } catch (error) {
          assert.ok(error instanceof FirewallError);
        }
      }),
    );
  });
});

describe('rulesetHash', () => {
  it('is stable across re-applies (new handles) and traffic (counters)', () => {
    const first = rulesetHash(normalizeNftListing(listing({ handleBase: 1, packets: 0, dport: 22 })));
    const later = rulesetHash(normalizeNftListing(listing({ handleBase: 40, packets: 9_000, dport: 22 })));
    assert.equal(first, later);
    assert.match(first, /^[0-9a-f]{64}$/);
  });

  it('changes when a rule changes', () => {
    const ssh = rulesetHash(normalizeNftListing(listing({ handleBase: 1, packets: 0, dport: 22 })));
    const telnet = rulesetHash(normalizeNftListing(listing({ handleBase: 1, packets: 0, dport: 23 })));
    assert.notEqual(ssh, telnet);
  });

  it('hashes an absent table as the canonical empty listing', () => {
    assert.equal(ABSENT_TABLE_HASH, createHash('sha256').update('[]').digest('hex'));
  });
});
