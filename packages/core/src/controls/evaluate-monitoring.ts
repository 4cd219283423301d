/** MO-1, MO-2: file-integrity monitoring and crypto-usage scans, both configured by the monitoring profile. */
import { type ControlEvaluator, NOT_YET_AVAILABLE } from './control-evaluator.ts';
import { type EvidenceRef, met, notMet, unknown } from './control-result.ts';
import { formatDuration, isWithin, windowOf } from './evidence-checks.ts';
import { policyName, policyRefs, policyStanding, standingResult } from './policy-acknowledgement.ts';

export const evaluateMo1: ControlEvaluator = (e, now, group) => {
  const standing = policyStanding(e, 'monitoring', now, windowOf('MO-1'));
  const refs: EvidenceRef[] = policyRefs(e, 'monitoring');
  if (standing.kind === 'unassigned')
    return notMet(
      'MO-1',
      'No monitoring profile is assigned: no protected paths are defined for the device',
      `Assign a monitoring profile to group ${group.name}`,
      refs,
    );
  const fim = e.monitoring?.fim;
  if (!fim)
    return unknown(
      'MO-1',
      `Palisade does not run file-integrity monitoring on devices yet: ${policyName('monitoring', standing.assigned)} is held by the agent but not enforced`,
      NOT_YET_AVAILABLE,
      refs,
    );
  if (standing.kind !== 'applied') return standingResult('MO-1', 'monitoring', standing, group.name, refs);
  const scanRefs: EvidenceRef[] = [...refs, { kind: 'fim-baseline', id: fim.baselineId, at: fim.lastScanAt }];
  if (!fim.baselineSigned)
    return notMet(
      'MO-1',
      `The integrity baseline ${fim.baselineId} is not signed: a change to it could not be told from a legitimate one`,
      'Sign the baseline (it is signed when the agent takes it under a signed monitoring profile)',
      scanRefs,
    );
  if (!isWithin(fim.lastScanAt, now, windowOf('MO-1')))
    return unknown(
      'MO-1',
      `The last integrity scan ran at ${fim.lastScanAt}, more than ${formatDuration(windowOf('MO-1'))} ago`,
      'Check that the agent is running and scans at the interval of its monitoring profile',
      scanRefs,
    );
  if (fim.unexplainedChanges > 0)
    return notMet(
      'MO-1',
      `The integrity scan of ${fim.lastScanAt} found ${fim.unexplainedChanges} change(s) to protected paths that no signed update explains`,
      'Investigate the changes (fim.* events); restore the baseline or ship the change as a signed update',
      scanRefs,
    );
  return met(
    'MO-1',
    `Protected paths of ${policyName('monitoring', standing.assigned)} are monitored against signed baseline ${fim.baselineId}; the scan of ${fim.lastScanAt} found no unexplained change`,
    scanRefs,
  );
};

export const evaluateMo2: ControlEvaluator = (e, now, group) => {
  const monitoring = policyStanding(e, 'monitoring', now, windowOf('MO-2'));
  const refs: EvidenceRef[] = [...policyRefs(e, 'monitoring'), ...policyRefs(e, 'crypto')];
  if (monitoring.kind === 'unassigned')
    return notMet(
      'MO-2',
      'No monitoring profile is assigned: no crypto-usage scan is configured for the device',
      `Assign a monitoring profile to group ${group.name}`,
      refs,
    );
  if (!e.policies.crypto?.assigned)
    return notMet(
      'MO-2',
      'No crypto policy is assigned: there is nothing to scan the device against',
      `Assign a crypto policy to group ${group.name}`,
      refs,
    );
  const scan = e.monitoring?.cryptoScan;
  if (!scan)
    return unknown(
      'MO-2',
      'Palisade does not run crypto-usage scans on devices yet',
      NOT_YET_AVAILABLE,
      refs,
    );
  if (monitoring.kind !== 'applied')
    return standingResult('MO-2', 'monitoring', monitoring, group.name, refs);
  const scanRefs: EvidenceRef[] = [...refs, { kind: 'crypto-scan', id: scan.scanId, at: scan.lastScanAt }];
  if (!isWithin(scan.lastScanAt, now, windowOf('MO-2')))
    return unknown(
      'MO-2',
      `The last crypto-usage scan ran at ${scan.lastScanAt}, more than ${formatDuration(windowOf('MO-2'))} ago`,
      'Check that the agent is running and scans at the interval of its monitoring profile',
      scanRefs,
    );
  if (scan.violations > 0)
    return notMet(
      'MO-2',
      `The crypto-usage scan of ${scan.lastScanAt} found ${scan.violations} use(s) of algorithms or suites the crypto policy forbids`,
      'Reconfigure or replace what the scan names (crypto.violation events)',
      scanRefs,
    );
  return met(
    'MO-2',
    `The crypto-usage scan of ${scan.lastScanAt} (TLS listeners, certificates and keys on disk, crypto configuration) found nothing the crypto policy forbids`,
    scanRefs,
  );
};
