/**
 * A page of evidence rows → one evaluation per device. Pure (core's
 * evaluators over the assembled snapshots), so that it runs in a worker
 * thread during a full pass as well as in the request that asks for a device.
 */
import { type DeviceCompliance, type DeviceEvidence, evaluateDevice } from '@palisade/core';
import { assembleEvidence, type EvidenceRows } from './assemble-evidence.ts';
import type { EvaluationContext } from './evaluation-context.ts';

/** One device's evaluation with the evidence it was made from. */
export interface Evaluated {
  readonly evidence: DeviceEvidence;
  readonly compliance: DeviceCompliance;
}

export function evaluateRows(rows: EvidenceRows, context: EvaluationContext, at: Date): Evaluated[] {
  return assembleEvidence(rows, context).map((evidence) => {
    // A group created after the context was read gets the defaults until the next read.
    const group = context.groups.get(evidence.group) ?? {
      target: 'SLB' as const,
      context: { name: evidence.group, ...context.defaultAttestation },
    };
    return { evidence, compliance: evaluateDevice(evidence, group.target, at, group.context) };
  });
}
