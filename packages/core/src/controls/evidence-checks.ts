/**
 * Checks the evaluators share: freshness of device-reported evidence and
 * references to the records a result rests on. Reasons name absolute times,
 * never "3 hours ago", so that a result changes only when the evidence or
 * its freshness does.
 */
import type { ControlId } from '../events/control-ids.ts';
import { controlDefinition } from './control-catalogue.ts';
import type { EvidenceRef } from './control-result.ts';
import type {
  CertificateEvidence,
  DeviceEvidence,
  PlatformEvidence,
  RootOfTrustEvidence,
} from './device-evidence.ts';

/** `86400` → `24 h`, `604800` → `7 days`, `90` → `90 s`. */
export function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds >= 2 * 86_400) return `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Whether `at` lies within `seconds` before `now` (a time in the future counts as fresh). */
export function isWithin(at: string, now: Date, seconds: number): boolean {
  return now.getTime() - Date.parse(at) <= seconds * 1000;
}

/**
 * Device-reported evidence stands while the device is in contact: undefined
 * when it has been within `seconds`, otherwise why the evidence cannot be trusted.
 */
export function staleContact(evidence: DeviceEvidence, now: Date, seconds: number): string | undefined {
  if (evidence.lastContactAt === undefined) return 'The device has never contacted the panel';
  if (isWithin(evidence.lastContactAt, now, seconds)) return undefined;
  return `The device was last in contact at ${evidence.lastContactAt}, more than ${formatDuration(seconds)} ago: what it reported may no longer hold`;
}

export const RECONNECT_REMEDY =
  'Bring the device back online (check its network and the agent service); it is re-evaluated at its next check-in';

/**
 * The device's check-ins, without their time: the last contact moves at every
 * heartbeat, and a result must change only when its evidence or freshness does.
 */
export function checkInRef(evidence: DeviceEvidence): EvidenceRef[] {
  return evidence.lastContactAt === undefined ? [] : [{ kind: 'check-in', id: evidence.deviceId }];
}

export function certificateRef(certificate: CertificateEvidence): EvidenceRef {
  return { kind: 'certificate', id: certificate.serial, at: certificate.issuedAt };
}

export function inventoryRef(platform: PlatformEvidence): EvidenceRef {
  return { kind: 'inventory', id: platform.recordId, at: platform.reportedAt };
}

/** Why the certificate cannot authenticate the device now, or undefined when it can. */
export function certificateProblem(certificate: CertificateEvidence, now: Date): string | undefined {
  if (certificate.revokedAt !== undefined)
    return `Certificate ${certificate.serial} was revoked at ${certificate.revokedAt}${certificate.revocationReason ? ` (${certificate.revocationReason})` : ''}`;
  if (Date.parse(certificate.notAfter) <= now.getTime())
    return `Certificate ${certificate.serial} expired at ${certificate.notAfter}`;
  if (Date.parse(certificate.notBefore) > now.getTime())
    return `Certificate ${certificate.serial} is not valid before ${certificate.notBefore}`;
  return undefined;
}

/** The window, in seconds, of a control whose freshness is a device-contact or periodic window. */
export function windowOf(control: ControlId): number {
  const { freshness } = controlDefinition(control);
  if (freshness.kind === 'device-contact' || freshness.kind === 'periodic') return freshness.seconds;
  throw new Error(`control ${control} has no fixed freshness window`);
}

/** `TPM 2.0`, `hardware PKCS#11 token`, `software (encrypted key file)`. */
export function describeRoot(root: RootOfTrustEvidence): string {
  if (root.kind === 'tpm') return root.hardwareBacked ? 'TPM 2.0' : 'TPM 2.0 (not hardware-backed)';
  if (root.kind === 'pkcs11')
    return root.hardwareBacked ? 'hardware PKCS#11 token' : 'PKCS#11 token not backed by hardware';
  if (root.kind === 'software') return 'software (encrypted key file)';
  return `"${root.kind}"`;
}

/** A TPM, or a PKCS#11 token in hardware: where RT-3 and SC-3 want the keys. */
export function isHardwareRoot(root: RootOfTrustEvidence): boolean {
  return (root.kind === 'tpm' || root.kind === 'pkcs11') && root.hardwareBacked;
}
