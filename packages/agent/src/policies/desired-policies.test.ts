import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseDesiredPolicies } from './desired-policies.ts';
import { PolicyApplyError } from './policy-apply-error.ts';

const ENTRY = {
  policyId: '0195a3c4-1b2c-7d3e-8f40-123456789abc',
  version: 3,
  digest: 'ab'.repeat(32),
};

const refusal = (input: unknown): PolicyApplyError => {
  try {
    parseDesiredPolicies(input);
  } catch (error) {
    assert.ok(error instanceof PolicyApplyError, String(error));
    assert.equal(error.code, 'POLICY_DESIRED_INVALID');
    return error;
  }
  assert.fail('accepted');
};

describe('parseDesiredPolicies', () => {
  it('takes a map of kind to { policyId, version, digest }', () => {
    assert.deepEqual(parseDesiredPolicies({ firewall: ENTRY, crypto: { ...ENTRY, version: 1 } }), {
      policies: { firewall: ENTRY, crypto: { ...ENTRY, version: 1 } },
      unknownKinds: [],
    });
  });

  it('answers undefined when the panel sent no policies member: nothing is removed', () => {
    assert.equal(parseDesiredPolicies(undefined), undefined);
  });

  it('takes an empty map as "no policy of any kind"', () => {
    assert.deepEqual(parseDesiredPolicies({}), { policies: {}, unknownKinds: [] });
  });

  it('sets aside kinds this agent does not know (a newer panel) and applies the rest', () => {
    assert.deepEqual(parseDesiredPolicies({ firewall: ENTRY, quantum: ENTRY }), {
      policies: { firewall: ENTRY },
      unknownKinds: ['quantum'],
    });
  });

  it('ignores members a newer panel may add to an entry', () => {
    assert.deepEqual(parseDesiredPolicies({ firewall: { ...ENTRY, name: 'plant firewall' } })?.policies, {
      firewall: ENTRY,
    });
  });

  it('refuses the whole map when one entry is malformed, naming each member', () => {
    const error = refusal({
      firewall: ENTRY,
      config: { policyId: 'NOT-A-UUID', version: 0, digest: 'AB'.repeat(32) },
    });
    assert.deepEqual(error.details?.problems, [
      'policies.config.policyId must be a lower-case UUID',
      'policies.config.version must be a positive integer',
      'policies.config.digest must be 64 lower-case hex digits',
    ]);
  });

  it('refuses a map that is not an object', () => {
    for (const input of [null, [], 'firewall', 7]) refusal(input);
  });

  it('never throws anything but POLICY_DESIRED_INVALID, and every accepted entry is well-formed', () => {
    const entry = fc.record(
      {
        policyId: fc.oneof(fc.uuid(), fc.string()),
        version: fc.oneof(fc.integer(), fc.double(), fc.string()),
        digest: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()),
        other: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const input = fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom('firewall', 'crypto', 'siem', '__proto__', 'x'), fc.string()),
        fc.oneof(entry, fc.anything()),
      ),
      fc.anything(),
    );
    fc.assert(
      fc.property(input, (candidate) => {
        let parsed: ReturnType<typeof parseDesiredPolicies>;
        try {
          parsed = parseDesiredPolicies(candidate);
        } catch (error) {
          assert.ok(
            error instanceof PolicyApplyError && error.code === 'POLICY_DESIRED_INVALID',
            String(error),
          );
          return;
        }
        for (const value of Object.values(parsed?.policies ?? {})) {
          assert.match(value.policyId, /^[0-9a-f-]{36}$/);
          assert.ok(Number.isSafeInteger(value.version) && value.version >= 1);
          assert.match(value.digest, /^[0-9a-f]{64}$/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
