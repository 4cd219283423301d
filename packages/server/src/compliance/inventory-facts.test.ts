import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isControl, MAX_REASON_LENGTH, parsePlatformFacts, UNREADABLE } from './inventory-facts.ts';

describe('parsePlatformFacts', () => {
  it('reads the facts an agent reports', () => {
    assert.deepEqual(
      parsePlatformFacts({
        secureBoot: { known: true, value: 'enabled' },
        diskEncryption: { known: true, value: { rootEncrypted: { known: true, value: true } } },
        tpm: { known: true, value: { present: true, version: { known: true, value: '2.0' } } },
      }),
      {
        secureBoot: { known: true, value: 'enabled' },
        rootEncrypted: { known: true, value: true },
        tpmPresent: { known: true, value: true },
      },
    );
  });

  it("keeps the agent's reason for a fact it could not establish, on one bounded line", () => {
    const facts = parsePlatformFacts({
      secureBoot: { known: false, reason: 'efivarfs\nis not mounted' },
      diskEncryption: { known: true, value: { rootEncrypted: { known: false, reason: 'x'.repeat(500) } } },
      tpm: { known: false, reason: '' },
    });
    assert.deepEqual(facts.secureBoot, { known: false, reason: 'efivarfs is not mounted' });
    assert.equal(facts.rootEncrypted.known ? 0 : facts.rootEncrypted.reason.length, MAX_REASON_LENGTH);
    assert.deepEqual(facts.tpmPresent, { known: false, reason: UNREADABLE });
  });

  it('turns a value outside the agent vocabulary into an unknown fact', () => {
    const facts = parsePlatformFacts({
      secureBoot: { known: true, value: 'ENABLED' },
      diskEncryption: { known: true, value: { rootEncrypted: 'yes' } },
      tpm: { known: true, value: { present: 1 } },
    });
    assert.deepEqual(facts, {
      secureBoot: { known: false, reason: UNREADABLE },
      rootEncrypted: { known: false, reason: UNREADABLE },
      tpmPresent: { known: false, reason: UNREADABLE },
    });
  });

  it('never throws and answers only well-formed facts, whatever the device sent', () => {
    const anything = fc.oneof(
      fc.jsonValue(),
      fc.record(
        { known: fc.jsonValue(), value: fc.jsonValue(), reason: fc.jsonValue() },
        { requiredKeys: [] },
      ),
      fc.record({ known: fc.constant(false), reason: fc.string({ unit: 'binary' }) }),
    );
    fc.assert(
      fc.property(anything, anything, anything, (secureBoot, diskEncryption, tpm) => {
        const facts = parsePlatformFacts({ secureBoot, diskEncryption, tpm });
        for (const f of Object.values(facts)) {
          if (f.known) assert.ok(['enabled', 'disabled', 'setup-mode', true, false].includes(f.value));
          else {
            assert.ok(f.reason.length > 0 && f.reason.length <= MAX_REASON_LENGTH);
            assert.ok(![...f.reason].some(isControl), f.reason);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
