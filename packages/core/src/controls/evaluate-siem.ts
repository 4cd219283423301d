/** SI-1 … SI-4: monitoring profile, detection rules in the panel and on the device, alerts, SIEM export. */
import type { ControlEvaluator } from './control-evaluator.ts';
import { type EvidenceRef, met, notMet } from './control-result.ts';
import type { ExporterEvidence } from './device-evidence.ts';
import { formatDuration, isWithin, windowOf } from './evidence-checks.ts';
import {
  capitalized,
  policyName,
  policyRefs,
  policyStanding,
  standingResult,
} from './policy-acknowledgement.ts';

/** An exporter whose oldest queued event waits longer than this is not delivering. */
export const EXPORT_LAG_LIMIT_SECONDS = 15 * 60;

const RULES_REMEDY = 'Enable detection rules (POST /v1/rules: JSON rule documents, or Sigma)';

export const evaluateSi1: ControlEvaluator = (e, now, group) => {
  const standing = policyStanding(e, 'monitoring', now, windowOf('SI-1'));
  const refs = policyRefs(e, 'monitoring');
  if (standing.kind !== 'applied') return standingResult('SI-1', 'monitoring', standing, group.name, refs);
  return met(
    'SI-1',
    `${capitalized(policyName('monitoring', standing.assigned))} is assigned to the device and was acknowledged at ${standing.report.reportedAt}`,
    refs,
  );
};

export const evaluateSi2: ControlEvaluator = (e, now, group) => {
  const { panelRules } = e.fleet;
  const rulesRef: EvidenceRef = { kind: 'detection-rules', id: String(panelRules) };
  if (panelRules === 0)
    return notMet('SI-2', 'No detection rule is enabled in the panel', RULES_REMEDY, [rulesRef]);
  const standing = policyStanding(e, 'siem', now, windowOf('SI-2'));
  const refs = [rulesRef, ...policyRefs(e, 'siem')];
  if (standing.kind === 'unassigned')
    return notMet(
      'SI-2',
      'No siem policy is assigned: no detection rules are evaluated on the device',
      `Assign a siem policy with device rules to group ${group.name}`,
      refs,
    );
  if (standing.kind !== 'applied') return standingResult('SI-2', 'siem', standing, group.name, refs);
  const deviceRules = standing.assigned.deviceRules ?? 0;
  if (deviceRules === 0)
    return notMet(
      'SI-2',
      `${capitalized(policyName('siem', standing.assigned))} gives the device no detection rules to evaluate`,
      'Add device-evaluable rules to the siem policy and publish a new version',
      refs,
    );
  return met(
    'SI-2',
    `${panelRules} detection rule(s) are evaluated in the panel and ${deviceRules} on the device (${policyName('siem', standing.assigned)}, applied at ${standing.report.reportedAt}); rules are JSON documents over the REST API`,
    refs,
  );
};

export const evaluateSi3: ControlEvaluator = (e) => {
  const { panelRules, alertsWithContext } = e.fleet;
  const refs: EvidenceRef[] = [{ kind: 'detection-rules', id: String(panelRules) }];
  if (panelRules === 0)
    return notMet(
      'SI-3',
      "No detection rule is enabled: nothing raises alerts from the device's events",
      RULES_REMEDY,
      refs,
    );
  if (!alertsWithContext)
    return notMet(
      'SI-3',
      'The detection context is not running: no alert is raised',
      'Start the panel normally; detection runs on one replica at a time',
      refs,
    );
  return met(
    'SI-3',
    `${panelRules} enabled detection rule(s) raise alerts that carry the triggering events and the device's context (group, target level, presence, recent changes)`,
    refs,
  );
};

function exporterProblem(exporter: ExporterEvidence, now: Date): string | undefined {
  if (exporter.lastError !== undefined)
    return `${exporter.name} (${exporter.kind}) failed its last delivery: ${exporter.lastError}`;
  if (
    exporter.pending > 0 &&
    exporter.oldestPendingAt !== undefined &&
    !isWithin(exporter.oldestPendingAt, now, EXPORT_LAG_LIMIT_SECONDS)
  )
    return `${exporter.name} (${exporter.kind}) has had events waiting since ${exporter.oldestPendingAt}, more than ${formatDuration(EXPORT_LAG_LIMIT_SECONDS)}`;
  return undefined;
}

export const evaluateSi4: ControlEvaluator = (e, now) => {
  const enabled = e.fleet.exporters.filter((x) => x.enabled);
  const refs: EvidenceRef[] = enabled.map((x) => ({ kind: 'exporter', id: x.id }));
  if (enabled.length === 0)
    return notMet(
      'SI-4',
      'No SIEM exporter is enabled: events stay in the panel',
      'Configure an exporter: CEF over syslog, SNMP traps or a JSON webhook (POST /v1/siem/exporters)',
    );
  const problems = enabled.flatMap((x) => exporterProblem(x, now) ?? []);
  if (problems.length > 0)
    return notMet(
      'SI-4',
      `Events are not reaching the SIEM: ${problems.join('; ')}`,
      "Fix the SIEM destination or the exporter's settings; its durable queue keeps every event until it is delivered (within its retention)",
      refs,
    );
  return met(
    'SI-4',
    `Events are exported to ${enabled.map((x) => `${x.name} (${x.kind})`).join(', ')}, each through a durable queue that keeps them while the SIEM is down`,
    refs,
  );
};
