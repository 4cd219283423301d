/** SC-1 … SC-4: mutual TLS, host firewall, hardware key store, standard protocols. */
import { type ControlEvaluator, NO_ROOT_REPORTED, START_AGENT_REMEDY } from './control-evaluator.ts';
import { type EvidenceRef, met, notApplicable, notMet, unknown } from './control-result.ts';
import { ENROLL_REMEDY } from './evaluate-identity.ts';
import {
  certificateProblem,
  certificateRef,
  checkInRef,
  describeRoot,
  inventoryRef,
  isHardwareRoot,
  RECONNECT_REMEDY,
  staleContact,
  windowOf,
} from './evidence-checks.ts';
import {
  capitalized,
  policyName,
  policyRefs,
  policyStanding,
  standingResult,
} from './policy-acknowledgement.ts';

export const evaluateSc1: ControlEvaluator = (e, now) => {
  const certificate = e.certificate;
  if (!certificate)
    return notMet(
      'SC-1',
      'The device has no certificate: it cannot authenticate with mutual TLS',
      ENROLL_REMEDY,
    );
  const refs: EvidenceRef[] = [certificateRef(certificate), ...checkInRef(e)];
  const problem = certificateProblem(certificate, now);
  if (problem)
    return notMet(
      'SC-1',
      `${problem}: the device can no longer authenticate with mutual TLS`,
      certificate.revokedAt !== undefined
        ? 'Find out why the certificate was revoked; a trusted device must be registered and enrolled anew'
        : 'Renew the certificate (the agent re-enrolls at two thirds of its lifetime) or enroll the device again',
      refs,
    );
  const stale = staleContact(e, now, windowOf('SC-1'));
  if (stale) return unknown('SC-1', stale, RECONNECT_REMEDY, refs);
  const postQuantum = e.fleet.postQuantumGroup
    ? `; the channel offers ${e.fleet.postQuantumGroup} first`
    : '';
  return met(
    'SC-1',
    `The device authenticates every request with mutual TLS and certificate ${certificate.serial}; its reports travel only over that channel${postQuantum}`,
    refs,
  );
};

export const evaluateSc2: ControlEvaluator = (e, now, group) => {
  const standing = policyStanding(e, 'firewall', now, windowOf('SC-2'));
  const refs = policyRefs(e, 'firewall');
  if (standing.kind !== 'applied') return standingResult('SC-2', 'firewall', standing, group.name, refs);
  const hash = standing.report.liveStateHash;
  if (hash === undefined)
    return unknown(
      'SC-2',
      `The device acknowledged ${policyName('firewall', standing.assigned)} but reported no live ruleset hash`,
      'Update the agent: it reports the hash of the live nftables ruleset with each acknowledgement',
      refs,
    );
  return met(
    'SC-2',
    `${capitalized(policyName('firewall', standing.assigned))} is applied as nftables rules; the live ruleset hash ${hash} was reported at ${standing.report.reportedAt} and is checked at every heartbeat`,
    refs,
  );
};

export const evaluateSc3: ControlEvaluator = (e, now) => {
  const root = e.rootOfTrust;
  if (!root) return unknown('SC-3', NO_ROOT_REPORTED, START_AGENT_REMEDY);
  const refs: EvidenceRef[] = checkInRef(e);
  const stale = staleContact(e, now, windowOf('SC-3'));
  if (stale) return unknown('SC-3', stale, RECONNECT_REMEDY, refs);
  if (isHardwareRoot(root))
    return met('SC-3', `The TLS key lives in the device's ${describeRoot(root)}`, refs);
  const platform = e.platform;
  const where = `The TLS key lives in a key store that is not hardware (${describeRoot(root)})`;
  if (!platform)
    return unknown(
      'SC-3',
      `${where}, and the device has not reported its inventory (whether it has a TPM)`,
      START_AGENT_REMEDY,
      refs,
    );
  const withInventory = [...refs, inventoryRef(platform)];
  const tpm = platform.tpmPresent;
  if (!tpm.known)
    return unknown(
      'SC-3',
      `${where}, and the agent could not tell whether the device has a TPM: ${tpm.reason}`,
      'Let the agent read /sys/class/tpm',
      withInventory,
    );
  if (tpm.value)
    return notMet(
      'SC-3',
      `${where}, although the device has a TPM`,
      'Switch the agent to the TPM root of trust (rootOfTrust: tpm) and re-enroll',
      withInventory,
    );
  return notApplicable(
    'SC-3',
    `The device has no hardware key store (no TPM in its inventory of ${platform.reportedAt}); the TLS key is in the ${describeRoot(root)} store`,
    withInventory,
  );
};

export const evaluateSc4: ControlEvaluator = (e, now) => {
  if (e.lastContactAt === undefined)
    return unknown('SC-4', 'The device has never contacted the panel', START_AGENT_REMEDY);
  const refs = checkInRef(e);
  const stale = staleContact(e, now, windowOf('SC-4'));
  if (stale) return unknown('SC-4', stale, RECONNECT_REMEDY, refs);
  return met(
    'SC-4',
    `The device speaks only standard protocols to the panel: TLS 1.3/1.2 with mutual authentication, HTTPS, WebSocket (RFC 6455), EST (RFC 7030), OCSP (RFC 6960) and CRLs (RFC 5280)`,
    refs,
  );
};
