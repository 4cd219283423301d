import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CONTROL_CATALOGUE, controlsRequiredAt } from './control-catalogue.ts';
import { CONTROL_STATUSES, satisfies } from './control-result.ts';
import type { DeviceEvidence } from './device-evidence.ts';
import { evaluateDevice } from './evaluate-device.ts';
import { deviceEvidence } from './evidence-arbitraries.ts';
import { GROUP, NOW } from './evidence-fixtures.ts';
import { levelRank, SECURITY_LEVELS } from './security-levels.ts';

const target = fc.constantFrom(...SECURITY_LEVELS);
const RUNS = { numRuns: 500 };

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

describe('evaluateDevice on arbitrary evidence', () => {
  it('answers every control once, in catalogue order, with a reason, and a remedy exactly when not satisfied', () => {
    fc.assert(
      fc.property(deviceEvidence, target, (evidence, level) => {
        const { results } = evaluateDevice(deepFreeze(evidence), level, NOW, GROUP);
        assert.deepEqual(
          results.map((r) => r.control),
          CONTROL_CATALOGUE.map((c) => c.id),
        );
        for (const result of results) {
          assert.ok(CONTROL_STATUSES.includes(result.status));
          assert.match(result.reason, /^[A-Z0-9]/, `${result.control}: a reason is a sentence`);
          assert.equal(
            result.remedy !== undefined && result.remedy.length > 0,
            !satisfies(result),
            result.control,
          );
        }
      }),
      RUNS,
    );
  });

  it('achieves exactly the highest level whose required controls are all satisfied', () => {
    fc.assert(
      fc.property(deviceEvidence, target, (evidence, level) => {
        const compliance = evaluateDevice(evidence, level, NOW, GROUP);
        const satisfied = new Set(compliance.results.filter(satisfies).map((r) => r.control));
        for (const candidate of SECURITY_LEVELS) {
          const all = controlsRequiredAt(candidate).every((c) => satisfied.has(c.id));
          assert.equal(levelRank(compliance.achieved) >= levelRank(candidate), all, candidate);
        }
        const required = new Set(controlsRequiredAt(level).map((c) => c.id));
        assert.deepEqual(
          compliance.gaps.map((g) => g.control),
          compliance.results.filter((r) => required.has(r.control) && !satisfies(r)).map((r) => r.control),
        );
      }),
      RUNS,
    );
  });

  it('never lets a root of trust that is not hardware reach SLE', () => {
    fc.assert(
      fc.property(deviceEvidence, fc.constantFrom('software', 'pkcs11', 'tpm'), (evidence, kind) => {
        const software: DeviceEvidence = {
          ...evidence,
          rootOfTrust: { kind, hardwareBacked: false, reportedAt: NOW.toISOString() },
        };
        const { achieved, results } = evaluateDevice(software, 'SLC', NOW, GROUP);
        assert.ok(levelRank(achieved) < levelRank('SLE'), achieved);
        assert.notEqual(results.find((r) => r.control === 'RT-3')?.status, 'met');
      }),
      RUNS,
    );
  });

  it('never reports as met what a missing capability would have to show', () => {
    fc.assert(
      fc.property(deviceEvidence, (evidence) => {
        const { bootManifest, updates, monitoring, cryptoInventory, ...today } = evidence;
        const results = evaluateDevice(today, 'SLC', NOW, GROUP).results;
        const status = (id: string) => results.find((r) => r.control === id)?.status;
        for (const id of ['SB-1', 'SB-3', 'CR-2', 'CM-1', 'MO-1', 'MO-2'])
          assert.notEqual(status(id), 'met', id);
        assert.equal(status('CM-1'), 'unknown');
        assert.equal(status('CR-2'), 'unknown');
        assert.equal(status('SB-3'), 'unknown');
      }),
      RUNS,
    );
  });

  it('meets nothing later that it did not meet earlier: evidence only ages', () => {
    fc.assert(
      fc.property(deviceEvidence, fc.integer({ min: 1, max: 400 * 24 * 3600 }), (evidence, seconds) => {
        const met = (at: Date) =>
          new Set(
            evaluateDevice(evidence, 'SLC', at, GROUP)
              .results.filter((r) => r.status === 'met')
              .map((r) => r.control),
          );
        const earlier = met(NOW);
        for (const control of met(new Date(NOW.getTime() + seconds * 1000)))
          assert.ok(earlier.has(control), control);
      }),
      RUNS,
    );
  });

  it('does not change with the heartbeat: any recent last contact gives the same results', () => {
    const recent = fc
      .integer({ min: 0, max: 3600 })
      .map((s) => new Date(NOW.getTime() - s * 1000).toISOString());
    fc.assert(
      fc.property(deviceEvidence, recent, recent, (evidence, first, second) => {
        const at = (lastContactAt: string) =>
          evaluateDevice({ ...evidence, lastContactAt }, 'SLC', NOW, GROUP).results;
        assert.deepEqual(at(first), at(second));
      }),
      RUNS,
    );
  });

  it('is pure: the same evidence at the same time gives the same results', () => {
    fc.assert(
      fc.property(deviceEvidence, (evidence) => {
        assert.deepEqual(
          evaluateDevice(evidence, 'SLE', NOW, GROUP),
          evaluateDevice(structuredClone(evidence), 'SLE', NOW, GROUP),
        );
      }),
      { numRuns: 100 },
    );
  });
});
