/** CR-1 … CR-5: data protection, algorithm strength, agility, crypto policy, standard formats. */
import {
  type ControlEvaluator,
  NO_INVENTORY,
  NOT_YET_AVAILABLE,
  START_AGENT_REMEDY,
} from './control-evaluator.ts';
import { type EvidenceRef, met, notMet, unknown } from './control-result.ts';
import { ENROLL_REMEDY, NO_CERTIFICATE } from './evaluate-identity.ts';
import {
  certificateRef,
  checkInRef,
  describeRoot,
  formatDuration,
  inventoryRef,
  isWithin,
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

/** Policy signatures with a post-quantum algorithm (FIPS 204). */
const POST_QUANTUM_SIGNATURES = ['ml-dsa-65'];

export const evaluateCr1: ControlEvaluator = (e, now) => {
  const platform = e.platform;
  if (!platform) return unknown('CR-1', NO_INVENTORY, START_AGENT_REMEDY);
  const refs: EvidenceRef[] = [inventoryRef(platform), ...checkInRef(e)];
  const stale = staleContact(e, now, windowOf('CR-1'));
  if (stale) return unknown('CR-1', stale, RECONNECT_REMEDY, refs);
  const encrypted = platform.rootEncrypted;
  if (!encrypted.known)
    return unknown(
      'CR-1',
      `The agent could not tell whether the root filesystem is encrypted: ${encrypted.reason}`,
      'Run the agent with the privileges to read the device-mapper tables (root)',
      refs,
    );
  if (!encrypted.value)
    return notMet(
      'CR-1',
      'The root filesystem is not on an encrypted (dm-crypt/LUKS) volume: data at rest is not protected',
      'Encrypt the root volume with LUKS2 (ideally unlocked by the TPM)',
      refs,
    );
  const keys = e.rootOfTrust ? `in its ${describeRoot(e.rootOfTrust)} root of trust` : 'in its root of trust';
  return met(
    'CR-1',
    `In motion: every channel to the panel is mutual TLS; at rest: the root filesystem is on an encrypted volume (inventory of ${platform.reportedAt}); the agent keeps its keys ${keys}`,
    refs,
  );
};

export const evaluateCr2: ControlEvaluator = (e, now) => {
  const inventory = e.cryptoInventory;
  if (!inventory)
    return unknown(
      'CR-2',
      `Palisade does not collect the device's algorithm and key-size inventory or its FIPS mode yet${e.certificate ? ` (its identity key is ${e.certificate.keyAlgorithm}; the panel refuses weaker keys at enrollment)` : ''}`,
      NOT_YET_AVAILABLE,
      e.certificate ? [certificateRef(e.certificate)] : [],
    );
  const refs: EvidenceRef[] = [{ kind: 'crypto-inventory', id: inventory.scanId, at: inventory.scannedAt }];
  if (!isWithin(inventory.scannedAt, now, windowOf('CR-2')))
    return unknown(
      'CR-2',
      `The last crypto inventory is of ${inventory.scannedAt}, more than ${formatDuration(windowOf('CR-2'))} ago`,
      RECONNECT_REMEDY,
      refs,
    );
  if (inventory.weakFindings > 0)
    return notMet(
      'CR-2',
      `The crypto inventory of ${inventory.scannedAt} found ${inventory.weakFindings} key(s), certificate(s) or configuration(s) weaker than the crypto policy allows`,
      'Replace the weak keys and certificates the inventory names',
      refs,
    );
  if (!inventory.fipsMode)
    return notMet(
      'CR-2',
      'The crypto provider is not in FIPS mode: its implementations are not the validated ones',
      'Enable the OpenSSL FIPS provider on the device',
      refs,
    );
  return met(
    'CR-2',
    `The crypto inventory of ${inventory.scannedAt} found only approved algorithms and key sizes; the crypto provider runs in FIPS mode`,
    refs,
  );
};

export const evaluateCr3: ControlEvaluator = (e, now, group) => {
  const standing = policyStanding(e, 'crypto', now, windowOf('CR-3'));
  const refs = policyRefs(e, 'crypto');
  if (standing.kind === 'unassigned')
    return notMet(
      'CR-3',
      "No crypto policy is assigned: the device's algorithms cannot be switched by policy",
      `Assign a crypto policy to group ${group.name}`,
      refs,
    );
  if (standing.kind !== 'applied') return standingResult('CR-3', 'crypto', standing, group.name, refs);
  const { postQuantumGroup, policySignatureAlgorithms } = e.fleet;
  const hybrid = policySignatureAlgorithms.some((a) => POST_QUANTUM_SIGNATURES.includes(a));
  if (!postQuantumGroup || !hybrid) {
    const gaps = [
      ...(postQuantumGroup ? [] : ['the device channel offers no hybrid post-quantum TLS group']),
      ...(hybrid
        ? []
        : [`policies are signed with ${policySignatureAlgorithms.join(' + ') || 'nothing'} only`]),
    ];
    return notMet(
      'CR-3',
      `Algorithms follow ${policyName('crypto', standing.assigned)}, but the panel is not post-quantum ready: ${gaps.join('; ')}`,
      hybrid
        ? 'Run the panel on Node.js 24 (OpenSSL 3.5), which offers X25519MLKEM768'
        : 'Keep the panel keys in the file key store, so that policies are also signed with ML-DSA-65 (hybrid)',
      refs,
    );
  }
  return met(
    'CR-3',
    `Algorithms follow ${policyName('crypto', standing.assigned)} (applied at ${standing.report.reportedAt}) and change by policy without a reinstall; the channel offers ${postQuantumGroup} and policies are signed with ${policySignatureAlgorithms.join(' + ')}`,
    refs,
  );
};

export const evaluateCr4: ControlEvaluator = (e, now, group) => {
  const standing = policyStanding(e, 'crypto', now, windowOf('CR-4'));
  const refs = policyRefs(e, 'crypto');
  if (standing.kind !== 'applied') return standingResult('CR-4', 'crypto', standing, group.name, refs);
  return met(
    'CR-4',
    `${capitalized(policyName('crypto', standing.assigned))} is assigned and the device acknowledged it applied (v${standing.report.version}, ${standing.report.reportedAt}); violations are reported as events`,
    refs,
  );
};

export const evaluateCr5: ControlEvaluator = (e) => {
  const certificate = e.certificate;
  if (!certificate) return notMet('CR-5', NO_CERTIFICATE, ENROLL_REMEDY);
  return met(
    'CR-5',
    `The device's identity is an X.509 certificate (${certificate.keyAlgorithm}) issued from a PKCS#10 request over EST; revocation is standard CRL and OCSP, policies and reports are JSON: formats the panel checks against OpenSSL and other independent tools`,
    [certificateRef(certificate)],
  );
};
