/**
 * Where a device stands with one kind of policy (CR-3, CR-4, SC-2, SI-1,
 * PD-1, PD-2, MO-1, MO-2): assigned or not, acknowledged or not, applied,
 * failed or drifted. The agent reports on change and checks for drift at
 * every heartbeat, so an acknowledgement stands while the device is in contact.
 */

import type { ControlId } from '../events/control-ids.ts';
import type { PolicyKind } from '../policy/policy-kinds.ts';
import { type ControlResult, type EvidenceRef, notMet, unknown } from './control-result.ts';
import type { DeviceEvidence, PolicyEvidence } from './device-evidence.ts';
import { checkInRef, RECONNECT_REMEDY, staleContact } from './evidence-checks.ts';

type Assigned = NonNullable<PolicyEvidence['assigned']>;
type Report = NonNullable<PolicyEvidence['report']>;

export type PolicyStanding =
  | { readonly kind: 'unassigned' }
  | { readonly kind: 'stale'; readonly assigned: Assigned; readonly reason: string }
  | { readonly kind: 'unacknowledged'; readonly assigned: Assigned; readonly report?: Report }
  | { readonly kind: 'failed'; readonly assigned: Assigned; readonly report: Report }
  | { readonly kind: 'drifted'; readonly assigned: Assigned; readonly report: Report }
  | { readonly kind: 'applied'; readonly assigned: Assigned; readonly report: Report };

export function policyStanding(
  evidence: DeviceEvidence,
  kind: PolicyKind,
  now: Date,
  contactSeconds: number,
): PolicyStanding {
  const { assigned, report } = evidence.policies[kind] ?? {};
  // The assignment is the panel's own record: no assignment is a fact whatever the device's contact.
  if (!assigned) return { kind: 'unassigned' };
  const stale = staleContact(evidence, now, contactSeconds);
  if (stale !== undefined) return { kind: 'stale', assigned, reason: stale };
  // A report about another policy, or saying the policy was removed, acknowledges nothing assigned now.
  if (!report || report.policyId !== assigned.policyId || report.state === 'removed')
    return report ? { kind: 'unacknowledged', assigned, report } : { kind: 'unacknowledged', assigned };
  if (report.state === 'failed' || report.state === 'rolled_back')
    return { kind: 'failed', assigned, report };
  if (report.state === 'drifted') return { kind: 'drifted', assigned, report };
  // An older version still applied is enforced: a staged rollout may not have reached the device yet.
  return { kind: 'applied', assigned, report };
}

export function policyRefs(evidence: DeviceEvidence, kind: PolicyKind): EvidenceRef[] {
  const { assigned, report } = evidence.policies[kind] ?? {};
  return [
    ...(assigned ? [{ kind: 'policy' as const, id: `${assigned.policyId}@${assigned.version}` }] : []),
    ...(report ? [{ kind: 'policy-status' as const, id: kind, at: report.reportedAt }] : []),
    ...checkInRef(evidence),
  ];
}

/** `crypto policy baseline v3`. */
export function policyName(kind: PolicyKind, assigned: Assigned): string {
  return `${kind} policy ${assigned.name} v${assigned.version}`;
}

/** A sentence for every standing but `applied`, with its remedy. */
export function standingProblem(
  kind: PolicyKind,
  standing: Exclude<PolicyStanding, { kind: 'applied' }>,
  group: string,
): { readonly reason: string; readonly remedy: string; readonly status: 'not_met' | 'unknown' } {
  switch (standing.kind) {
    case 'unassigned':
      return {
        status: 'not_met',
        reason: `No ${kind} policy is assigned to the device`,
        remedy: `Assign a ${kind} policy to group ${group} (or to the device)`,
      };
    case 'stale':
      return { status: 'unknown', reason: standing.reason, remedy: RECONNECT_REMEDY };
    case 'unacknowledged':
      return {
        status: 'unknown',
        reason: `The device has not acknowledged ${policyName(kind, standing.assigned)}${standing.report ? ` (its last report, at ${standing.report.reportedAt}, was about ${standing.report.state === 'removed' ? 'removing a policy' : `policy ${standing.report.policyId} v${standing.report.version}`})` : ''}`,
        remedy:
          'Wait for the device to fetch and apply the policy, or check that its rollout reaches the device',
      };
    case 'failed':
      return {
        status: 'not_met',
        reason: `${capitalized(policyName(kind, standing.assigned))} ${standing.report.state === 'failed' ? 'failed to apply' : 'was rolled back'} on the device at ${standing.report.reportedAt}${standing.report.message ? `: ${standing.report.message}` : ''}`,
        remedy: `Fix what the device reported and publish a new version of the ${kind} policy`,
      };
    case 'drifted':
      return {
        status: 'not_met',
        reason: `The device's live ${kind} state drifted from ${policyName(kind, standing.assigned)} at ${standing.report.reportedAt}${standing.report.message ? `: ${standing.report.message}` : ''}`,
        remedy:
          'Find out who changed the device outside Palisade; the agent repairs drift it can repair and reports `repaired`',
      };
  }
}

/** The sentence's first letter in upper case (policy names start sentences). */
export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The result of a control that needs the policy applied, for every standing but `applied`. */
export function standingResult(
  control: ControlId,
  kind: PolicyKind,
  standing: Exclude<PolicyStanding, { kind: 'applied' }>,
  group: string,
  evidence: readonly EvidenceRef[],
): ControlResult {
  const problem = standingProblem(kind, standing, group);
  return problem.status === 'not_met'
    ? notMet(control, problem.reason, problem.remedy, evidence)
    : unknown(control, problem.reason, problem.remedy, evidence);
}
