import type { ControlId } from '../events/control-ids.ts';

/**
 * - `met`: the evidence shows the requirement holds.
 * - `not_met`: the evidence shows it does not.
 * - `unknown`: evidence is missing, older than the control's freshness
 *   window, or comes from a capability Palisade does not have yet.
 * - `not_applicable`: the requirement's condition does not hold for this
 *   device (SC-3 on a device without a hardware key store); it does not
 *   hold a level back.
 */
export const CONTROL_STATUSES = ['met', 'not_met', 'unknown', 'not_applicable'] as const;
export type ControlStatus = (typeof CONTROL_STATUSES)[number];

/** The records a result rests on, so that an operator can open them. */
export type EvidenceKind =
  | 'certificate'
  | 'check-in'
  | 'idevid'
  | 'attestation-key'
  | 'attestation-verdict'
  | 'inventory'
  | 'boot-manifest'
  | 'policy'
  | 'policy-status'
  | 'crypto-inventory'
  | 'fim-baseline'
  | 'crypto-scan'
  | 'update'
  | 'exporter'
  | 'detection-rules';

export interface EvidenceRef {
  readonly kind: EvidenceKind;
  /** The record's ID in its context: a certificate serial, a verdict ID, `<policyId>@<version>`, a policy kind… */
  readonly id: string;
  /** When the record was made or last reported. */
  readonly at?: string;
}

export interface ControlResult {
  readonly control: ControlId;
  readonly status: ControlStatus;
  /** Why, in words an operator or auditor reads without the code. */
  readonly reason: string;
  /** What would make it met; present unless met or not applicable. */
  readonly remedy?: string;
  readonly evidence: readonly EvidenceRef[];
}

/** Evaluators build results through these, so a `met` result never carries a remedy and the others always do. */
export function met(control: ControlId, reason: string, evidence: readonly EvidenceRef[]): ControlResult {
  return { control, status: 'met', reason, evidence };
}

export function notMet(
  control: ControlId,
  reason: string,
  remedy: string,
  evidence: readonly EvidenceRef[] = [],
): ControlResult {
  return { control, status: 'not_met', reason, remedy, evidence };
}

export function unknown(
  control: ControlId,
  reason: string,
  remedy: string,
  evidence: readonly EvidenceRef[] = [],
): ControlResult {
  return { control, status: 'unknown', reason, remedy, evidence };
}

export function notApplicable(
  control: ControlId,
  reason: string,
  evidence: readonly EvidenceRef[] = [],
): ControlResult {
  return { control, status: 'not_applicable', reason, evidence };
}

/** Whether a result lets a level that requires the control be achieved. */
export function satisfies(result: ControlResult): boolean {
  return result.status === 'met' || result.status === 'not_applicable';
}
