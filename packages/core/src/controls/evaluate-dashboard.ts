/** PD-1, PD-2, PD-3: policies from the panel, their orchestration and drift, the event timeline. */
import { POLICY_KINDS, type PolicyKind } from '../policy/policy-kinds.ts';
import { type ControlEvaluator, START_AGENT_REMEDY } from './control-evaluator.ts';
import { type EvidenceRef, met, notMet, unknown } from './control-result.ts';
import { checkInRef, RECONNECT_REMEDY, staleContact, windowOf } from './evidence-checks.ts';
import { type PolicyStanding, policyName, policyRefs, policyStanding } from './policy-acknowledgement.ts';

function standings(
  e: Parameters<ControlEvaluator>[0],
  now: Date,
  seconds: number,
): Array<{ kind: PolicyKind; standing: Exclude<PolicyStanding, { kind: 'unassigned' }> }> {
  return POLICY_KINDS.flatMap((kind) => {
    const standing = policyStanding(e, kind, now, seconds);
    return standing.kind === 'unassigned' ? [] : [{ kind, standing }];
  });
}

function assignRemedy(group: string): string {
  return `Assign policies (crypto, firewall, monitoring, siem) to group ${group}`;
}

export const evaluatePd1: ControlEvaluator = (e, now, group) => {
  const assigned = standings(e, now, windowOf('PD-1'));
  const refs: EvidenceRef[] = assigned.flatMap(({ kind }) => policyRefs(e, kind).slice(0, 1));
  if (assigned.length === 0)
    return notMet(
      'PD-1',
      'No policy applies to the device: none of its security controls is defined from the panel',
      assignRemedy(group.name),
    );
  const stale = staleContact(e, now, windowOf('PD-1'));
  if (stale) return unknown('PD-1', stale, RECONNECT_REMEDY, [...refs, ...checkInRef(e)]);
  const applied = assigned.filter(({ standing }) => standing.kind === 'applied');
  if (applied.length === 0)
    return unknown(
      'PD-1',
      `The device has applied none of the ${assigned.length} policies assigned to it`,
      'Wait for the device to fetch and apply its policies, or check their rollouts',
      refs,
    );
  return met(
    'PD-1',
    `${assigned.length} versioned, signed policies from the panel define the device's controls (${assigned.map(({ kind, standing }) => policyName(kind, standing.assigned)).join(', ')}); the device applied ${applied.length}`,
    refs,
  );
};

export const evaluatePd2: ControlEvaluator = (e, now, group) => {
  const assigned = standings(e, now, windowOf('PD-2'));
  const refs: EvidenceRef[] = assigned.flatMap(({ kind }) => policyRefs(e, kind).slice(0, 2));
  if (assigned.length === 0)
    return notMet('PD-2', 'No policy is distributed to the device', assignRemedy(group.name));
  const stale = staleContact(e, now, windowOf('PD-2'));
  if (stale) return unknown('PD-2', stale, RECONNECT_REMEDY, [...refs, ...checkInRef(e)]);
  const broken = assigned.flatMap(({ kind, standing }) =>
    standing.kind === 'failed' || standing.kind === 'drifted'
      ? [
          `${kind} ${standing.kind === 'drifted' ? 'drifted' : standing.report.state.replace('_', ' ')} at ${standing.report.reportedAt}`,
        ]
      : [],
  );
  if (broken.length > 0)
    return notMet(
      'PD-2',
      `Not every policy holds on the device: ${broken.join('; ')}`,
      'Investigate what the device reported (GET /v1/devices/:id/effective-policy); fix and publish a new version, or find who changed the device',
      refs,
    );
  const waiting = assigned
    .filter(({ standing }) => standing.kind === 'unacknowledged')
    .map(({ kind }) => kind);
  if (waiting.length > 0)
    return unknown(
      'PD-2',
      `The device has not acknowledged its ${waiting.join(', ')} policy yet`,
      'Wait for the device to fetch and apply its policies, or check their rollouts',
      refs,
    );
  return met(
    'PD-2',
    `Every policy assigned (${assigned.map(({ kind }) => kind).join(', ')}) reached the device through a staged rollout and was acknowledged; the agent checks for drift at every heartbeat`,
    refs,
  );
};

export const evaluatePd3: ControlEvaluator = (e, now) => {
  if (e.lastContactAt === undefined)
    return unknown(
      'PD-3',
      'The device has never contacted the panel: it has no event timeline',
      START_AGENT_REMEDY,
    );
  const refs = checkInRef(e);
  const stale = staleContact(e, now, windowOf('PD-3'));
  if (stale) return unknown('PD-3', stale, RECONNECT_REMEDY, refs);
  if (!e.fleet.alertsWithContext)
    return notMet(
      'PD-3',
      "The panel's detection context is not running: events are stored without the alerts that correlate them",
      'Start the panel normally; detection runs on one replica at a time',
      refs,
    );
  return met(
    'PD-3',
    `The device's events reach the panel's timeline through its durable outbox; alerts correlate them with the device's group, level, presence and recent changes`,
    refs,
  );
};
