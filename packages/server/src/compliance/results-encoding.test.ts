import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DeviceCompliance, evaluateDevice } from '@palisade/core';
import { decodeResults, encodeEvaluation } from './results-encoding.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');

function compliance(lastContactAt: string | undefined): DeviceCompliance {
  return evaluateDevice(
    {
      deviceId: 'gw-1',
      group: 'plant-a',
      state: 'claimed',
      renewals: { issued: 0, reenrollments: 0 },
      policies: {},
      fleet: { exporters: [], panelRules: 0, alertsWithContext: true, policySignatureAlgorithms: [] },
      ...(lastContactAt
        ? { lastContactAt, rootOfTrust: { kind: 'tpm', hardwareBacked: true, reportedAt: lastContactAt } }
        : {}),
    },
    'SLB',
    NOW,
    { name: 'plant-a', attestationMaxAgeSeconds: 7200, attestationActionOnFailure: 'alert' },
  );
}

describe('encodeEvaluation', () => {
  it('stores every result compressed, and gives them back as they were', () => {
    const evaluation = compliance(undefined);
    const encoded = encodeEvaluation(evaluation, () => true);
    assert.ok(encoded.results && encoded.results.length < JSON.stringify(evaluation.results).length / 4);
    assert.deepEqual(decodeResults(encoded.results), evaluation.results);
  });

  it('lists the controls per status as PostgreSQL array literals', () => {
    const encoded = encodeEvaluation(compliance(undefined), () => false);
    assert.equal(encoded.results, undefined);
    assert.match(encoded.controls, /^\{RT-1,RT-2,RT-3,ID-1,.*,SI-4\}$/);
    assert.ok(encoded.notMet.includes('ID-1'));
    assert.ok(encoded.unknown.includes('RT-1'));
    assert.equal(encoded.notApplicable, '{}');
  });

  it('gives equal digests for equal results, and another one as soon as one result changes', () => {
    const before = encodeEvaluation(compliance('2026-03-01T11:59:00.000Z'), () => false).digest;
    assert.equal(encodeEvaluation(compliance('2026-03-01T11:30:00.000Z'), () => false).digest, before);
    assert.notEqual(encodeEvaluation(compliance(undefined), () => false).digest, before);
  });
});
