/** CM-1, CM-2: verifiable signed updates, periodic remote attestation. */
import {
  type ControlEvaluator,
  NO_ROOT_REPORTED,
  NO_VERDICT,
  NOT_YET_AVAILABLE,
  START_AGENT_REMEDY,
  TPM_REMEDY,
} from './control-evaluator.ts';
import { type EvidenceRef, met, notMet, unknown } from './control-result.ts';
import { checkInRef, describeRoot, formatDuration, isWithin, windowOf } from './evidence-checks.ts';

export const evaluateCm1: ControlEvaluator = (e, now) => {
  const updates = e.updates;
  if (!updates)
    return unknown(
      'CM-1',
      "Palisade does not deliver signed updates (TUF/Uptane) yet: the device's updates cannot be shown to be verified before they are installed",
      NOT_YET_AVAILABLE,
    );
  const refs: EvidenceRef[] = [
    { kind: 'update', id: updates.lastInstall?.id ?? e.deviceId, at: updates.lastCheckAt },
  ];
  if (!isWithin(updates.lastCheckAt, now, windowOf('CM-1')))
    return unknown(
      'CM-1',
      `The update client last checked at ${updates.lastCheckAt}, more than ${formatDuration(windowOf('CM-1'))} ago`,
      'Check that the device is online and its update client running',
      refs,
    );
  if (!updates.metadataVerified)
    return notMet(
      'CM-1',
      `The update metadata failed verification at the last check (${updates.lastCheckAt})`,
      'Investigate the repository and director metadata the device was offered (signatures, expiry, rollback)',
      refs,
    );
  const install = updates.lastInstall;
  if (install && (!install.verifiedBeforeInstall || install.outcome === 'failed'))
    return notMet(
      'CM-1',
      install.verifiedBeforeInstall
        ? `Update ${install.id} failed to install at ${install.at}`
        : `Update ${install.id} was installed at ${install.at} without being verified first`,
      'Investigate the update report; install only through the verifying update client',
      refs,
    );
  return met(
    'CM-1',
    `Signed update metadata verified at ${updates.lastCheckAt}${install ? `; update ${install.id} was verified before it was installed (${install.outcome}, ${install.at})` : ''}`,
    refs,
  );
};

export const evaluateCm2: ControlEvaluator = (e, now, group) => {
  const root = e.rootOfTrust;
  const verdict = e.attestation?.lastVerdict;
  const refs: EvidenceRef[] = verdict
    ? [{ kind: 'attestation-verdict', id: verdict.id, at: verdict.at }]
    : [];
  if (root && root.kind !== 'tpm')
    return notMet(
      'CM-2',
      `Remote attestation needs a TPM: the device's root of trust is ${describeRoot(root)}`,
      TPM_REMEDY,
      [...checkInRef(e), ...refs],
    );
  if (!verdict) {
    if (!root) return unknown('CM-2', NO_ROOT_REPORTED, START_AGENT_REMEDY);
    return unknown(
      'CM-2',
      NO_VERDICT,
      'Ask the device to attest now (POST /v1/devices/:id/attest); it attests on its own at every interval',
    );
  }
  const action = group.attestationActionOnFailure;
  if (verdict.result === 'fail')
    return notMet(
      'CM-2',
      `The last attestation, at ${verdict.at}, failed (${verdict.component ?? 'unknown stage'}): ${verdict.message}; group ${group.name}'s profile answers a failure with "${action}"`,
      'Investigate the failed verdict (GET /v1/devices/:id/attestation); attest again once the cause is fixed',
      refs,
    );
  if (!isWithin(verdict.at, now, group.attestationMaxAgeSeconds))
    return unknown(
      'CM-2',
      `No attestation since ${verdict.at}: more than the ${formatDuration(group.attestationMaxAgeSeconds)} group ${group.name}'s profile allows`,
      'Check that the device is online and attests at every interval, or ask it to attest now',
      refs,
    );
  return met(
    'CM-2',
    `The device attests periodically: its last verdict (${verdict.at}) passed within the ${formatDuration(group.attestationMaxAgeSeconds)} group ${group.name}'s profile allows; a failure is answered with "${action}"`,
    refs,
  );
};
