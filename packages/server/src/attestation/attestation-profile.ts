import type { AuditLog } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { DeviceError, type RegistryActor } from '../devices/index.ts';
import { AttestationError } from './attestation-error.ts';

/** What a group's devices must do to attest and what happens when they fail. */
export interface AttestationProfile {
  /** SHA-256 bank PCRs every quote covers, ascending (`tpm2_quote -l sha256:…`). */
  readonly pcrSelection: readonly number[];
  /** How often the agent attests on its own (it jitters the interval). */
  readonly intervalSeconds: number;
  /** How old the last passing attestation may be before the device counts as unattested. */
  readonly maxAgeSeconds: number;
  readonly actionOnFailure: 'alert' | 'quarantine' | 'revoke';
  /** `required`: only EKs certified by a trusted TPM manufacturer CA; `optional`: uncertified EKs too (software TPMs). */
  readonly ekCertificate: 'required' | 'optional';
}

/**
 * PC Client PFP: PCRs 0–7 hold the firmware's measurements (CRTM, firmware,
 * option ROMs, boot manager, Secure Boot policy): the boot chain up to the OS loader.
 */
export const DEFAULT_ATTESTATION_PROFILE: AttestationProfile = {
  pcrSelection: [0, 1, 2, 3, 4, 5, 6, 7],
  intervalSeconds: 3600,
  maxAgeSeconds: 7200,
  actionOnFailure: 'alert',
  ekCertificate: 'required',
};

/**
 * Where the verifier gets a device group's profile. One small interface so
 * that signed `attestation` policy documents can replace the table later.
 */
export interface AttestationProfileSource {
  profileFor(group: string, tx?: Queryable): Promise<AttestationProfile>;
}

interface ProfileRow {
  pcr_selection: number[];
  interval_seconds: number;
  max_age_seconds: number;
  action_on_failure: AttestationProfile['actionOnFailure'];
  ek_certificate: AttestationProfile['ekCertificate'];
}

/** Profiles kept per group in `attestation_profiles`; a group without one gets the default. */
export class AttestationProfiles implements AttestationProfileSource {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => Date;

  constructor(db: Db, audit: AuditLog, now: () => Date) {
    this.#db = db;
    this.#audit = audit;
    this.#now = now;
  }

  async profileFor(group: string, tx: Queryable = this.#db): Promise<AttestationProfile> {
    const result = await tx.query<ProfileRow>(
      `SELECT pcr_selection, interval_seconds, max_age_seconds, action_on_failure, ek_certificate
         FROM attestation_profiles WHERE group_name = $1`,
      [group],
    );
    const row = result.rows[0];
    if (!row) return DEFAULT_ATTESTATION_PROFILE;
    return {
      pcrSelection: [...row.pcr_selection].sort((a, b) => a - b),
      intervalSeconds: row.interval_seconds,
      maxAgeSeconds: row.max_age_seconds,
      actionOnFailure: row.action_on_failure,
      ekCertificate: row.ek_certificate,
    };
  }

  /** A group's profile for the operator API. @throws DeviceError GROUP_NOT_FOUND */
  async ofGroup(group: string): Promise<AttestationProfile> {
    const exists = await this.#db.query('SELECT 1 FROM device_groups WHERE name = $1', [group]);
    if (exists.rows.length === 0) throw new DeviceError('GROUP_NOT_FOUND', `no device group ${group}`);
    return this.profileFor(group);
  }

  /** Sets a group's profile (audited); the next challenge of each device in it uses it. */
  async set(by: RegistryActor, group: string, profile: AttestationProfile): Promise<AttestationProfile> {
    const problems = profileProblems(profile);
    if (problems.length > 0)
      throw new AttestationError('ATTESTATION_SETTINGS_INVALID', problems.join('; '), {
        details: { problems },
      });
    const selection = [...new Set(profile.pcrSelection)].sort((a, b) => a - b);
    return this.#db.transaction(async (tx) => {
      const exists = await tx.query('SELECT 1 FROM device_groups WHERE name = $1', [group]);
      if (exists.rows.length === 0) throw new DeviceError('GROUP_NOT_FOUND', `no device group ${group}`);
      await tx.query(
        `INSERT INTO attestation_profiles (group_name, pcr_selection, interval_seconds, max_age_seconds,
           action_on_failure, ek_certificate, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (group_name) DO UPDATE SET pcr_selection = $2, interval_seconds = $3, max_age_seconds = $4,
           action_on_failure = $5, ek_certificate = $6, updated_by = $7, updated_at = $8`,
        [
          group,
          selection,
          profile.intervalSeconds,
          profile.maxAgeSeconds,
          profile.actionOnFailure,
          profile.ekCertificate,
          by.actor,
          this.#now(),
        ],
      );
      await this.#audit.appendIn(tx, {
        ...by,
        action: 'attestation.profile.set',
        target: `group:${group}`,
        outcome: 'success',
        details: { ...profile, pcrSelection: selection, ...by.details },
      });
      return this.profileFor(group, tx);
    });
  }
}

function profileProblems(profile: AttestationProfile): string[] {
  const problems: string[] = [];
  if (profile.pcrSelection.length === 0) problems.push('pcrSelection must name at least one PCR');
  // PC Client PTP: PCRs 0–23.
  if (profile.pcrSelection.some((pcr) => !Number.isInteger(pcr) || pcr < 0 || pcr > 23))
    problems.push('pcrSelection holds PCR indices 0–23');
  if (profile.maxAgeSeconds < profile.intervalSeconds)
    problems.push('maxAgeSeconds must be at least intervalSeconds');
  return problems;
}
