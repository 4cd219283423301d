import type { ControlId } from '../events/control-ids.ts';
import type { SecurityLevel } from './security-levels.ts';

/** The families of REQUIREMENTS.md, by the two letters of their control IDs. */
export const CONTROL_FAMILIES = {
  RT: 'Root of trust',
  ID: 'Endpoint identity',
  SB: 'Secure boot',
  CR: 'Cryptographic services',
  CM: 'Endpoint configuration and management',
  SC: 'Secure communications',
  MO: 'Continuous monitoring',
  PD: 'Policy and activity dashboard',
  SI: 'Security information and event management',
} as const;
export type ControlFamily = keyof typeof CONTROL_FAMILIES;

/**
 * How old a control's evidence may be before the control is `unknown`
 * rather than met or not met.
 */
export type Freshness =
  /** The panel's own record (certificates, assignments, exporter queues, rules): current whenever it is read. */
  | { readonly kind: 'panel-record' }
  /**
   * Reported by the device when it changes (check-in, inventory every 5 minutes, policy
   * acknowledgements, drift checked at every heartbeat): it stands while the device has
   * been in contact within `seconds`, since the agent would have reported a change.
   */
  | { readonly kind: 'device-contact'; readonly seconds: number }
  /** An attestation verdict: younger than the group's attestation profile `maxAgeSeconds`. */
  | { readonly kind: 'attestation-max-age' }
  /** A periodic result on the device (a scan, an update check): younger than `seconds`. */
  | { readonly kind: 'periodic'; readonly seconds: number };

/** One control of REQUIREMENTS.md with what the compliance engine needs to evaluate and explain it. */
export interface ControlDefinition {
  readonly id: ControlId;
  readonly family: ControlFamily;
  /** A short name for tables and reports. */
  readonly title: string;
  /** The requirement, word for word as REQUIREMENTS.md states it. */
  readonly requirement: string;
  /** The levels that require it (REQUIREMENTS.md's "B E C" column). */
  readonly levels: readonly SecurityLevel[];
  /** IEC 62443-3-3 system requirements (SR) and requirement enhancements (RE) it contributes to. */
  readonly iec62443: readonly string[];
  /** NIST SP 800-53 Rev. 5 controls and enhancements it contributes to. */
  readonly nist80053: readonly string[];
  /** The evidence Palisade collects for it, word for word as REQUIREMENTS.md states it. */
  readonly evidence: string;
  readonly freshness: Freshness;
}

/** Device-reported evidence stands for a day after the device's last contact. */
export const DEVICE_CONTACT_SECONDS = 24 * 3600;
/** File-integrity and crypto-usage scans must have run within a day. */
export const SCAN_SECONDS = 24 * 3600;
/** The update client must have checked for updates within a week. */
export const UPDATE_CHECK_SECONDS = 7 * 24 * 3600;
