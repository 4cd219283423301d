import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EffectivePolicyAnswer } from '../../api/api-types.ts';
import { policyStatus } from './policy-drift.ts';

const P = '0b0c0d0e-0000-4000-8000-000000000001';
const report = (kind: string, version: number, state: string, reportedAt = '2026-01-01T00:00:00.000Z') => ({
  kind,
  policyId: P,
  version,
  state,
  liveStateHash: null,
  reportedAt,
});
const desired = (version: number) => ({ policyId: P, version, digest: 'd'.repeat(64) });

function verdicts(answer: Partial<EffectivePolicyAnswer>): Record<string, string> {
  const full: EffectivePolicyAnswer = { effective: {}, desired: {}, reported: [], ...answer };
  return Object.fromEntries(policyStatus(full).map((s) => [s.kind, s.verdict]));
}

describe('policyStatus', () => {
  it('is in sync when the device reported the desired version applied (or repaired)', () => {
    assert.deepEqual(
      verdicts({ desired: { crypto: desired(2) }, reported: [report('crypto', 2, 'applied')] }),
      {
        crypto: 'in-sync',
      },
    );
    assert.deepEqual(
      verdicts({ desired: { crypto: desired(2) }, reported: [report('crypto', 2, 'repaired')] }),
      {
        crypto: 'in-sync',
      },
    );
  });

  it('waits while the device has not reported the desired version', () => {
    assert.deepEqual(
      verdicts({ desired: { crypto: desired(3) }, reported: [report('crypto', 2, 'applied')] }),
      {
        crypto: 'waiting',
      },
    );
    assert.deepEqual(verdicts({ desired: { firewall: desired(1) } }), { firewall: 'waiting' });
  });

  it('says drifted or not applied from the device’s own report, using its latest one', () => {
    assert.deepEqual(
      verdicts({
        desired: { firewall: desired(1) },
        reported: [
          report('firewall', 1, 'applied', '2026-01-01T00:00:00.000Z'),
          report('firewall', 1, 'drifted', '2026-01-02T00:00:00.000Z'),
        ],
      }),
      { firewall: 'drifted' },
    );
    assert.deepEqual(
      verdicts({ desired: { firewall: desired(1) }, reported: [report('firewall', 1, 'rolled_back')] }),
      {
        firewall: 'failed',
      },
    );
  });

  it('has nothing to say for a kind without a policy, once the device removed it', () => {
    assert.deepEqual(verdicts({ reported: [report('siem', 1, 'removed')] }), { siem: 'unmanaged' });
    assert.deepEqual(verdicts({ reported: [report('siem', 1, 'applied')] }), { siem: 'waiting' });
  });
});
