/** SB-1, SB-2, SB-3: verified boot, measured boot, boot artifacts changed only by signed updates. */

import { SCAN_SECONDS } from './control-definition.ts';
import {
  type ControlEvaluator,
  NO_INVENTORY,
  NO_ROOT_REPORTED,
  NO_VERDICT,
  NOT_YET_AVAILABLE,
  START_AGENT_REMEDY,
  TPM_REMEDY,
} from './control-evaluator.ts';
import { type EvidenceRef, met, notMet, unknown } from './control-result.ts';
import {
  checkInRef,
  describeRoot,
  formatDuration,
  inventoryRef,
  isWithin,
  RECONNECT_REMEDY,
  staleContact,
  windowOf,
} from './evidence-checks.ts';

export const evaluateSb1: ControlEvaluator = (e, now) => {
  const platform = e.platform;
  if (!platform) return unknown('SB-1', NO_INVENTORY, START_AGENT_REMEDY);
  const refs: EvidenceRef[] = [inventoryRef(platform), ...checkInRef(e)];
  const stale = staleContact(e, now, windowOf('SB-1'));
  if (stale) return unknown('SB-1', stale, RECONNECT_REMEDY, refs);
  const secureBoot = platform.secureBoot;
  if (!secureBoot.known)
    return unknown(
      'SB-1',
      `The agent could not tell whether Secure Boot is enabled: ${secureBoot.reason}`,
      'Let the agent read the EFI variables (efivarfs mounted) or report U-Boot verified boot',
      refs,
    );
  if (secureBoot.value !== 'enabled')
    return notMet(
      'SB-1',
      secureBoot.value === 'setup-mode'
        ? 'UEFI Secure Boot is in setup mode (no platform key enrolled): nothing is verified before it runs'
        : 'UEFI Secure Boot is disabled: firmware and bootloaders run unverified',
      "Enable UEFI Secure Boot with the platform's keys (or U-Boot verified boot)",
      refs,
    );
  const manifest = e.bootManifest;
  if (!manifest)
    return unknown(
      'SB-1',
      `Secure Boot is enabled (inventory of ${platform.reportedAt}), but Palisade does not verify a signed boot manifest yet, so what the firmware verified cannot be confirmed`,
      NOT_YET_AVAILABLE,
      refs,
    );
  const manifestRefs = [...refs, { kind: 'boot-manifest' as const, id: manifest.id, at: manifest.at }];
  if (!manifest.verified)
    return notMet(
      'SB-1',
      `Boot manifest ${manifest.id} failed verification at ${manifest.at}${manifest.reason ? `: ${manifest.reason}` : ''}`,
      'Investigate the boot chain; restore or re-sign the boot artifacts',
      manifestRefs,
    );
  return met(
    'SB-1',
    `Secure Boot is enabled and signed boot manifest ${manifest.id} verified at ${manifest.at}`,
    manifestRefs,
  );
};

export const evaluateSb2: ControlEvaluator = (e, now, group) => {
  const root = e.rootOfTrust;
  const verdict = e.attestation?.lastVerdict;
  const refs: EvidenceRef[] = verdict
    ? [{ kind: 'attestation-verdict', id: verdict.id, at: verdict.at }]
    : [];
  // ARCHITECTURE.md: a software RoT is to attest with a signed measurement list (SLB only); not built yet.
  if (root && root.kind !== 'tpm')
    return unknown(
      'SB-2',
      `The device's root of trust is ${describeRoot(root)}: measured boot without a TPM (a signed measurement list) is not available in Palisade yet`,
      TPM_REMEDY,
      [...checkInRef(e), ...refs],
    );
  if (!verdict) {
    if (!root) return unknown('SB-2', NO_ROOT_REPORTED, START_AGENT_REMEDY);
    return unknown(
      'SB-2',
      NO_VERDICT,
      'Ask the device to attest now (POST /v1/devices/:id/attest); it attests on its own at every interval',
    );
  }
  if (verdict.result === 'fail')
    return notMet(
      'SB-2',
      `The last attestation, at ${verdict.at}, failed (${verdict.component ?? 'unknown stage'}): ${verdict.message}; the boot is not shown to match`,
      'Investigate the failed verdict; if the change is legitimate (a firmware update), record new golden values for the group',
      refs,
    );
  if (verdict.notRun.includes('measured_boot'))
    return notMet(
      'SB-2',
      `The device sent no boot event log with its quote of ${verdict.at}: the boot was not replayed`,
      'Let the agent read the TPM event log (/sys/kernel/security/tpm0/binary_bios_measurements)',
      refs,
    );
  if (verdict.notRun.includes('reference'))
    return notMet(
      'SB-2',
      `The boot event log of ${verdict.at} replayed to the quoted PCRs, but group ${group.name} has no reference values to match it against`,
      `Record golden values for group ${group.name} from a known-good device (POST /v1/devices/:id/attestation/record-golden)`,
      refs,
    );
  if (!isWithin(verdict.at, now, group.attestationMaxAgeSeconds))
    return unknown(
      'SB-2',
      `The last measured boot was verified at ${verdict.at}, more than ${formatDuration(group.attestationMaxAgeSeconds)} ago`,
      'Check that the device is online and attests at every interval, or ask it to attest now',
      refs,
    );
  return met(
    'SB-2',
    `The boot event log quoted at ${verdict.at} replayed to the quoted PCRs and matched group ${group.name}'s reference values`,
    refs,
  );
};

export const evaluateSb3: ControlEvaluator = (e, now) => {
  const { updates } = e;
  const fim = e.monitoring?.fim;
  if (!updates || !fim) {
    const missing = [
      ...(updates ? [] : ['signed updates']),
      ...(fim ? [] : ['integrity monitoring of boot artifacts']),
    ].join(' or ');
    return unknown(
      'SB-3',
      `Palisade does not have ${missing} yet, so changes to firmware and boot images cannot be shown to come only from signed updates`,
      NOT_YET_AVAILABLE,
    );
  }
  const refs: EvidenceRef[] = [
    { kind: 'update', id: updates.lastInstall?.id ?? e.deviceId, at: updates.lastCheckAt },
    { kind: 'fim-baseline', id: fim.baselineId, at: fim.lastScanAt },
  ];
  const stale = staleContact(e, now, windowOf('SB-3'));
  if (stale) return unknown('SB-3', stale, RECONNECT_REMEDY, refs);
  if (!isWithin(fim.lastScanAt, now, SCAN_SECONDS))
    return unknown(
      'SB-3',
      `The last integrity scan of the boot artifacts ran at ${fim.lastScanAt}, more than ${formatDuration(SCAN_SECONDS)} ago`,
      'Check that the agent is running and scans at the interval of its monitoring profile',
      refs,
    );
  if (!fim.protectsBoot)
    return notMet(
      'SB-3',
      'File-integrity monitoring does not cover the boot artifacts (firmware, bootloader, kernel)',
      "Add the firmware and boot classes to the monitoring profile's protected paths",
      refs,
    );
  if (updates.lastInstall && !updates.lastInstall.verifiedBeforeInstall)
    return notMet(
      'SB-3',
      `Update ${updates.lastInstall.id} was installed at ${updates.lastInstall.at} without being verified first`,
      'Install updates only through the verifying update client',
      refs,
    );
  if (fim.unexplainedChanges > 0)
    return notMet(
      'SB-3',
      `${fim.unexplainedChanges} change(s) to protected paths are not explained by a signed update (scan of ${fim.lastScanAt})`,
      'Investigate the changes (fim.* events); restore the baseline or ship the change as a signed update',
      refs,
    );
  return met(
    'SB-3',
    `Boot artifacts change only through signed, verified updates (last check ${updates.lastCheckAt}); the integrity scan of ${fim.lastScanAt} found no unexplained change`,
    refs,
  );
};
