import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ControlId } from '../events/control-ids.ts';
import type { ControlStatus } from './control-result.ts';
import type { DeviceEvidence } from './device-evidence.ts';
import { type DeviceCompliance, evaluateDevice } from './evaluate-device.ts';
import { ago, GROUP, NOW, slcDevice, todayDevice } from './evidence-fixtures.ts';

function evaluate(evidence: DeviceEvidence, now = NOW): DeviceCompliance {
  return evaluateDevice(evidence, 'SLC', now, GROUP);
}

function statuses(compliance: DeviceCompliance): Record<string, ControlStatus> {
  return Object.fromEntries(compliance.results.map((r) => [r.control, r.status]));
}

/** The controls whose status differs from the baseline device's, with their new status. */
function flipped(changed: DeviceEvidence): Partial<Record<ControlId, ControlStatus>> {
  const before = statuses(evaluate(slcDevice()));
  const after = statuses(evaluate(changed));
  return Object.fromEntries(Object.entries(after).filter(([control, status]) => before[control] !== status));
}

describe('evaluateDevice', () => {
  describe('a device with evidence for every control', () => {
    it('meets all 29 controls, achieves SLC and has no gap', () => {
      const compliance = evaluate(slcDevice());
      assert.equal(compliance.results.length, 29);
      assert.deepEqual(
        compliance.results.filter((r) => r.status !== 'met').map((r) => `${r.control}: ${r.reason}`),
        [],
      );
      assert.equal(compliance.achieved, 'SLC');
      assert.deepEqual(compliance.gaps, []);
    });

    it('names the records each result rests on', () => {
      const byControl = new Map(evaluate(slcDevice()).results.map((r) => [r.control, r]));
      assert.deepEqual(byControl.get('ID-1')?.evidence, [
        { kind: 'certificate', id: '3f2a9c', at: ago(14400) },
      ]);
      assert.deepEqual(
        byControl.get('RT-2')?.evidence.map((r) => `${r.kind}:${r.id}`),
        ['attestation-key:ak-1', 'attestation-verdict:verdict-9'],
      );
      assert.deepEqual(
        byControl.get('SC-2')?.evidence.map((r) => r.kind),
        ['policy', 'policy-status', 'check-in'],
      );
    });
  });

  describe('a device as Palisade evidences it today', () => {
    it('is unknown exactly where a capability Palisade lacks would give the evidence, and achieves no level', () => {
      const compliance = evaluate(todayDevice());
      assert.deepEqual(
        Object.fromEntries(
          compliance.results.filter((r) => r.status !== 'met').map((r) => [r.control, r.status]),
        ),
        {
          'SB-1': 'unknown',
          'SB-3': 'unknown',
          'CR-2': 'unknown',
          'CM-1': 'unknown',
          'MO-1': 'unknown',
          'MO-2': 'unknown',
        },
      );
      assert.equal(compliance.achieved, 'none');
      assert.deepEqual(
        compliance.gaps.map((g) => g.control),
        ['SB-1', 'SB-3', 'CR-2', 'CM-1', 'MO-1', 'MO-2'],
      );
      for (const gap of compliance.gaps)
        assert.match(gap.remedy ?? '', /capability Palisade does not have yet/);
    });

    it('explains a missing attestation verdict as remote attestation not having run', () => {
      const { attestation, ...device } = todayDevice();
      const rt2 = evaluate({
        ...device,
        attestation: { key: { id: 'ak', boundAt: ago(60), ekCertified: true } },
      }).results.find((r) => r.control === 'RT-2');
      assert.equal(rt2?.status, 'unknown');
      assert.equal(rt2?.reason, 'No attestation verdict: remote attestation has not run on this device');
      assert.equal(attestation?.key?.id, 'ak-1');
    });
  });

  describe('a software root of trust', () => {
    it('fails RT-3 and never reaches SLE, whatever else is evidenced', () => {
      const compliance = evaluate({
        ...slcDevice(),
        rootOfTrust: { kind: 'software', hardwareBacked: false, reportedAt: ago(1) },
      });
      const byControl = new Map(compliance.results.map((r) => [r.control, r]));
      assert.equal(byControl.get('RT-3')?.status, 'not_met');
      assert.equal(
        byControl.get('RT-3')?.remedy,
        'Enable a TPM root of trust (or a hardware PKCS#11 token) on the device and re-enroll',
      );
      assert.equal(byControl.get('RT-2')?.status, 'not_met');
      assert.equal(byControl.get('SC-3')?.status, 'not_met', 'the device has a TPM its key does not use');
      assert.ok(compliance.achieved === 'none' || compliance.achieved === 'SLB');
    });
  });

  describe('flipping one piece of evidence', () => {
    it('a failed attestation fails RT-2, SB-2 and CM-2; measured boot (SB-2) is required at SLB already', () => {
      const device = slcDevice();
      const changed: DeviceEvidence = {
        ...device,
        attestation: {
          ...device.attestation,
          lastVerdict: {
            id: 'verdict-10',
            result: 'fail',
            at: ago(5),
            component: 'pcr',
            code: 'PCR_MISMATCH',
            message: 'PCR 4 does not match the replayed event log',
            notRun: [],
          },
        },
      };
      assert.deepEqual(flipped(changed), { 'RT-2': 'not_met', 'SB-2': 'not_met', 'CM-2': 'not_met' });
      assert.equal(evaluate(changed).achieved, 'none');
    });

    it('an expired certificate fails ID-1, ID-2 and SC-1', () => {
      const device = slcDevice();
      const changed: DeviceEvidence = {
        ...device,
        certificate: {
          ...(device.certificate as NonNullable<DeviceEvidence['certificate']>),
          notAfter: ago(60),
        },
      };
      assert.deepEqual(flipped(changed), { 'ID-1': 'not_met', 'ID-2': 'not_met', 'SC-1': 'not_met' });
      assert.equal(evaluate(changed).achieved, 'none');
    });

    it('a revoked certificate fails ID-1 and SC-1; EST still managed it (ID-2)', () => {
      const device = slcDevice();
      const changed: DeviceEvidence = {
        ...device,
        certificate: {
          ...(device.certificate as NonNullable<DeviceEvidence['certificate']>),
          revokedAt: ago(30),
          revocationReason: 'keyCompromise',
        },
      };
      assert.deepEqual(flipped(changed), { 'ID-1': 'not_met', 'SC-1': 'not_met' });
      const id1 = evaluate(changed).results.find((r) => r.control === 'ID-1');
      assert.match(id1?.reason ?? '', /^Certificate 3f2a9c was revoked at .* \(keyCompromise\)/);
    });

    it('a drifted firewall fails SC-2 and PD-2', () => {
      const device = slcDevice();
      const firewall = device.policies.firewall;
      const changed: DeviceEvidence = {
        ...device,
        policies: {
          ...device.policies,
          firewall: {
            ...firewall,
            report: {
              ...(firewall?.report as NonNullable<NonNullable<typeof firewall>['report']>),
              state: 'drifted',
              reportedAt: ago(2),
              liveStateHash: 'sha256:0000',
            },
          },
        },
      };
      assert.deepEqual(flipped(changed), { 'SC-2': 'not_met', 'PD-2': 'not_met' });
      assert.equal(evaluate(changed).achieved, 'none');
    });

    it('a stale report (no contact for two days) makes every device-reported control unknown', () => {
      const changed: DeviceEvidence = { ...slcDevice(), lastContactAt: ago(2 * 24 * 60) };
      const unknown = Object.fromEntries(
        [
          'RT-1',
          'RT-3',
          'SB-1',
          'SB-3',
          'CR-1',
          'CR-3',
          'CR-4',
          'SC-1',
          'SC-2',
          'SC-3',
          'SC-4',
          'MO-1',
          'MO-2',
          'PD-1',
          'PD-2',
          'PD-3',
          'SI-1',
          'SI-2',
        ].map((control) => [control, 'unknown']),
      );
      assert.deepEqual(flipped(changed), unknown);
      const sc2 = evaluate(changed).results.find((r) => r.control === 'SC-2');
      assert.match(sc2?.reason ?? '', /last in contact at .*, more than 24 h ago/);
    });

    it('a revoked monitoring profile fails SI-1, MO-1 and MO-2', () => {
      const device = slcDevice();
      const changed: DeviceEvidence = {
        ...device,
        policies: {
          ...device.policies,
          monitoring: {
            report: { policyId: 'x', version: 1, state: 'removed', reportedAt: ago(3) },
          },
        },
      };
      assert.deepEqual(flipped(changed), { 'SI-1': 'not_met', 'MO-1': 'not_met', 'MO-2': 'not_met' });
      const si1 = evaluate(changed).results.find((r) => r.control === 'SI-1');
      assert.equal(si1?.remedy, 'Assign a monitoring policy to group substation-7 (or to the device)');
    });

    it('a stale integrity scan makes MO-1 and SB-3 unknown', () => {
      const device = slcDevice();
      const fim = device.monitoring?.fim as NonNullable<NonNullable<DeviceEvidence['monitoring']>['fim']>;
      const changed: DeviceEvidence = {
        ...device,
        monitoring: { ...device.monitoring, fim: { ...fim, lastScanAt: ago(3 * 24 * 60) } },
      };
      assert.deepEqual(flipped(changed), { 'SB-3': 'unknown', 'MO-1': 'unknown' });
    });

    it('an attestation older than the profile allows makes RT-2, SB-2 and CM-2 unknown', () => {
      assert.deepEqual(flippedAt(new Date(NOW.getTime() + 3 * 3600_000)), {
        'RT-2': 'unknown',
        'SB-2': 'unknown',
        'CM-2': 'unknown',
      });
    });
  });
});

/** The baseline device evaluated later: only the attestation (2 h maximum age) goes stale within 3 hours. */
function flippedAt(later: Date): Partial<Record<ControlId, ControlStatus>> {
  const before = statuses(evaluate(slcDevice()));
  const after = statuses(evaluate(slcDevice(), later));
  return Object.fromEntries(Object.entries(after).filter(([control, status]) => before[control] !== status));
}
