import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parsePolicyDocument } from './parse-policy-document.ts';
import { PolicyError } from './policy-error.ts';
import { EXAMPLE_DOCUMENTS, INVALID_DOCUMENTS, policyRefusalOf, refusedPointers } from './policy-fixtures.ts';
import { POLICY_KINDS } from './policy-kinds.ts';

describe('parsePolicyDocument', () => {
  for (const kind of POLICY_KINDS) {
    it(`accepts the ${kind} example`, () => {
      assert.doesNotThrow(() => parsePolicyDocument(kind, EXAMPLE_DOCUMENTS[kind]));
    });
  }

  for (const invalid of INVALID_DOCUMENTS) {
    it(`names every problem of a ${invalid.kind} document: ${invalid.name}`, () => {
      assert.deepEqual(
        refusedPointers(() => parsePolicyDocument(invalid.kind, invalid.document)),
        invalid.pointers,
      );
    });
  }

  it('refuses an unknown kind with POLICY_KIND_UNKNOWN', () => {
    for (const kind of ['Crypto', 'network', '', '__proto__'])
      policyRefusalOf(() => parsePolicyDocument(kind, {}), 'POLICY_KIND_UNKNOWN');
  });

  it('names unknown members instead of dropping them, escaping their pointers', () => {
    const document = {
      ...EXAMPLE_DOCUMENTS.attestation,
      'a/b~c': 1,
      pcrSelection: { sha256: [0], extra: 1 },
    };
    assert.deepEqual(
      refusedPointers(() => parsePolicyDocument('attestation', document)),
      ['/a~1b~0c', '/pcrSelection/extra'],
    );
  });

  it('reports one problem for a member that is not an object, not one per member inside it', () => {
    assert.deepEqual(
      refusedPointers(() => parsePolicyDocument('crypto', { ...EXAMPLE_DOCUMENTS.crypto, tls: 'TLSv1.3' })),
      ['/tls'],
    );
  });

  it('caps the problems at 50 and says how many more there were', () => {
    const rules = Array.from({ length: 60 }, () => ({ direction: 'up', action: 'accept', protocol: 'tcp' }));
    const error = policyRefusalOf(() =>
      parsePolicyDocument('firewall', { ...EXAMPLE_DOCUMENTS.firewall, rules }),
    );
    assert.equal(error.problems.length, 51);
    assert.equal(error.problems.at(-1)?.message, 'and 10 more problems');
    assert.match(error.message, /^firewall policy rejected: 60 problem\(s\) at \/rules\/0\/direction, /);
  });

  it('normalizes firewall ports to ranges and addresses to canonical CIDRs', () => {
    const policy = parsePolicyDocument('firewall', {
      ...EXAMPLE_DOCUMENTS.firewall,
      rules: [
        {
          direction: 'egress',
          action: 'accept',
          protocol: 'tcp',
          ports: [443, { from: 8000, to: 8080 }],
          addresses: ['192.0.2.7', '2001:DB8:0:0::/64', '::ffff:198.51.100.1'],
        },
      ],
    });
    assert.deepEqual(policy.rules[0], {
      direction: 'egress',
      action: 'accept',
      protocol: 'tcp',
      ports: [
        { from: 443, to: 443 },
        { from: 8000, to: 8080 },
      ],
      addresses: ['192.0.2.7/32', '2001:db8::/64', '::ffff:198.51.100.1/128'],
    });
  });

  it('sorts the PCR selection, since a selection is a set', () => {
    const policy = parsePolicyDocument('attestation', {
      ...EXAMPLE_DOCUMENTS.attestation,
      pcrSelection: { sha256: [7, 0, 4] },
    });
    assert.deepEqual(policy.pcrSelection.sha256, [0, 4, 7]);
  });

  it('fills the defaults of device rules through parseRuleDocument', () => {
    const policy = parsePolicyDocument('siem', EXAMPLE_DOCUMENTS.siem);
    assert.equal(policy.rules[0]?.enabled, true);
    assert.deepEqual(policy.rules[0]?.actions, [{ type: 'alert' }]);
  });

  it('accepts a config file of exactly 256 KiB of UTF-8 and base64 of exactly 256 KiB', () => {
    const file = { path: '/etc/big', mode: '0600' };
    const content = 'é'.repeat(131_072);
    const contentBase64 = Buffer.alloc(262_144, 1).toString('base64');
    const policy = parsePolicyDocument('config', {
      files: [
        { ...file, content },
        { ...file, path: '/etc/b', contentBase64 },
      ],
    });
    assert.equal(policy.files.length, 2);
    assert.deepEqual(
      refusedPointers(() => parsePolicyDocument('config', { files: [{ ...file, content: `${content}x` }] })),
      ['/files/0/content'],
    );
  });

  it('never throws anything but a PolicyError, whatever JSON it is given', () => {
    const kind = fc.oneof(fc.constantFrom(...POLICY_KINDS), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(kind, fc.jsonValue({ maxDepth: 5 }), (k, input) => {
        try {
          parsePolicyDocument(k, input);
        } catch (error) {
          assert.ok(error instanceof PolicyError, String(error));
          assert.ok(error.problems.length > 0);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws anything but a PolicyError for near-valid documents of each kind', () => {
    const member = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        -1,
        0,
        1,
        59,
        60,
        65_535,
        65_536,
        1.5,
        '',
        '/',
        '/etc/../x',
        'TLSv1.3',
        'stop',
        null,
        [],
        {},
      ),
    );
    for (const kind of POLICY_KINDS) {
      const example = EXAMPLE_DOCUMENTS[kind] as Record<string, unknown>;
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(example), 'extra'), member, (key, value) => {
          try {
            parsePolicyDocument(kind, { ...example, [key]: value });
          } catch (error) {
            assert.ok(error instanceof PolicyError, String(error));
          }
        }),
        { numRuns: 200 },
      );
    }
  });
});
