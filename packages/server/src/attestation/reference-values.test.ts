import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { PalisadeError, parseEventLog } from '@palisade/core';
import { checkReferenceValues } from './evaluate-references.ts';
import { learnReferenceValues } from './learn-references.ts';
import { type Measurements, measurementsOf } from './measurements.ts';
import { mergeReferenceValues, parseReferenceValues, type ReferenceValues } from './reference-values.ts';
import { artifactDigests, bootLog, secureBootVariable } from './test-boot-log.ts';
import { VerdictFailure } from './verdict-failure.ts';

const ZERO = '00'.repeat(32);

/** Measurements of a boot log as if its replay matched a quote over PCRs 0–7. */
function measured(builder = bootLog()): Measurements {
  const built = builder.build();
  const pcrs: Record<number, string> = {};
  for (let pcr = 0; pcr < 8; pcr += 1) pcrs[pcr] = built.expectedPcrs.sha256.get(pcr) ?? ZERO;
  return measurementsOf(parseEventLog(built.bytes), pcrs);
}

function failure(references: ReferenceValues, measurements: Measurements): VerdictFailure {
  try {
    checkReferenceValues(references, measurements);
  } catch (error) {
    if (error instanceof VerdictFailure) return error;
    throw error;
  }
  assert.fail('the reference values were satisfied');
}

const NONE: ReferenceValues = { pcrs: {}, events: [], requireSecureBoot: false };

describe('reference values', () => {
  describe('parseReferenceValues', () => {
    it('normalizes digests to lower-case hex without 0x and drops duplicates', () => {
      const digest = 'AB'.repeat(32);
      const parsed = parseReferenceValues({
        pcrs: { '7': [`0x${digest}`, digest.toLowerCase()] },
        events: [{ type: 'EV_EFI_BOOT_SERVICES_APPLICATION', pcr: 4, digests: [digest] }],
        requireSecureBoot: true,
      });
      assert.deepEqual(parsed.pcrs[7], ['ab'.repeat(32)]);
      assert.deepEqual(parsed.events[0], {
        type: 'EV_EFI_BOOT_SERVICES_APPLICATION',
        pcr: 4,
        digests: ['ab'.repeat(32)],
      });
      assert.equal(parsed.requireSecureBoot, true);
    });

    it('names every problem at once: ATTESTATION_SETTINGS_INVALID', () => {
      try {
        parseReferenceValues({
          pcrs: { '24': [ZERO], '3': ['xyz'] },
          events: [{ type: 'EV_BOGUS', pcr: 30, digests: 'no' }],
          requireSecureBoot: 'yes',
        });
        assert.fail('accepted');
      } catch (error) {
        assert.ok(error instanceof PalisadeError);
        assert.equal(error.code, 'ATTESTATION_SETTINGS_INVALID');
        assert.deepEqual(error.details?.problems, [
          // Integer-like keys come first in a JavaScript object, in ascending order.
          'pcrs.3[0] is not a SHA-256 digest (64 hex digits)',
          'pcrs.24 is not a PCR index 0–23',
          'events[0].type is not a PC Client event type name (EV_…)',
          'events[0].pcr is not a PCR index 0–23',
          'events[0].digests is not a list of at most 1024 SHA-256 digests',
          'requireSecureBoot is not a boolean',
        ]);
      }
    });
  });

  describe('checkReferenceValues', () => {
    it('accepts a boot that matches golden values learned from it', () => {
      const boot = measured();
      checkReferenceValues(learnReferenceValues(boot), boot);
    });

    it('names the first PCR whose value is not allowed, and lists every mismatch', () => {
      const golden = learnReferenceValues(measured());
      const other = measured(bootLog({ kernel: 'linux 6.6' }));
      const error = failure(golden, other);
      assert.equal(error.code, 'REFERENCE_PCR_MISMATCH');
      assert.equal(error.component, 'reference');
      assert.equal(error.pcr, 4);
      assert.deepEqual(error.details?.mismatches, [
        { code: 'REFERENCE_PCR_MISMATCH', pcr: 4 },
        {
          code: 'REFERENCE_EVENT_MISMATCH',
          pcr: 4,
          eventIndex: 10,
          eventType: 'EV_EFI_BOOT_SERVICES_APPLICATION',
        },
      ]);
    });

    it('names the event whose digest is not allowed for its type', () => {
      const rules: ReferenceValues = {
        ...NONE,
        events: [
          { type: 'EV_EFI_BOOT_SERVICES_APPLICATION', digests: [artifactDigests('shim 15.8').sha256] },
        ],
      };
      const error = failure(rules, measured());
      assert.equal(error.code, 'REFERENCE_EVENT_MISMATCH');
      assert.equal(error.eventIndex, 10);
      assert.equal(error.eventType, 'EV_EFI_BOOT_SERVICES_APPLICATION');
      assert.match(error.message, /vmlinuz/);
      assert.equal(error.details?.digest, artifactDigests('linux 6.1.0').sha256);
    });

    it('refuses reference values on a PCR the profile does not quote', () => {
      const error = failure({ ...NONE, pcrs: { 9: [ZERO] } }, measured());
      assert.equal(error.code, 'REFERENCE_PCR_NOT_QUOTED');
      assert.equal(error.pcr, 9);
    });

    it('needs the event log for event rules and Secure Boot: EVENT_LOG_REQUIRED', () => {
      const error = failure({ ...NONE, requireSecureBoot: true }, { pcrs: measured().pcrs });
      assert.equal(error.code, 'EVENT_LOG_REQUIRED');
      assert.equal(error.component, 'measured_boot');
      checkReferenceValues(
        { ...NONE, pcrs: learnReferenceValues(measured()).pcrs },
        { pcrs: measured().pcrs },
      );
    });

    it('fails Secure Boot measured as disabled, not measured, or with data that does not hash to its digest', () => {
      const rules = { ...NONE, requireSecureBoot: true };
      const disabled = failure(rules, measured(bootLog({ secureBoot: false })));
      assert.equal(disabled.code, 'SECURE_BOOT_DISABLED');
      assert.equal(disabled.pcr, 7);
      assert.equal(disabled.eventType, 'EV_EFI_VARIABLE_DRIVER_CONFIG');
      const boot = measured();
      const without = { ...boot, events: boot.events?.filter((e) => e.secureBoot === undefined) ?? [] };
      assert.equal(failure(rules, without).code, 'SECURE_BOOT_NOT_MEASURED');
      // The data says enabled; what was extended is the hash of "disabled".
      const lying = bootLog();
      lying.add({
        pcr: 7,
        type: 'EV_EFI_VARIABLE_DRIVER_CONFIG',
        data: secureBootVariable(true),
        digests: {
          sha1: createHash('sha1').update(secureBootVariable(false)).digest('hex'),
          sha256: createHash('sha256').update(secureBootVariable(false)).digest('hex'),
        },
      });
      assert.equal(failure(rules, measured(lying)).code, 'SECURE_BOOT_EVENT_INVALID');
    });
  });

  describe('learnReferenceValues and mergeReferenceValues', () => {
    it('learns each quoted PCR, the boot artifacts per type and PCR, and Secure Boot', () => {
      const learned = learnReferenceValues(measured());
      assert.equal(Object.keys(learned.pcrs).length, 8);
      assert.deepEqual(
        learned.events.map((rule) => [rule.type, rule.pcr, rule.digests.length]),
        [
          ['EV_EFI_PLATFORM_FIRMWARE_BLOB', 0, 1],
          ['EV_EFI_BOOT_SERVICES_DRIVER', 2, 1],
          ['EV_EFI_BOOT_SERVICES_APPLICATION', 4, 2],
        ],
      );
      assert.equal(learned.requireSecureBoot, true);
      assert.equal(learnReferenceValues(measured(bootLog({ secureBoot: false }))).requireSecureBoot, false);
    });

    it('merging allows both boots', () => {
      const a = measured();
      const b = measured(bootLog({ kernel: 'linux 6.6' }));
      const merged = mergeReferenceValues(learnReferenceValues(a), learnReferenceValues(b));
      checkReferenceValues(merged, a);
      checkReferenceValues(merged, b);
      assert.equal(merged.pcrs[4]?.length, 2);
      assert.equal(merged.pcrs[0]?.length, 1);
    });
  });
});
