import type { AuditLog } from '../audit/index.ts';
import type { Queryable } from '../db/index.ts';
import type { DeviceRegistry } from '../devices/index.ts';
import type { EventPipeline, PanelEvents } from '../events/index.ts';
import type { AttestationProfile } from './attestation-profile.ts';
import type { AttestationVerdict } from './attestation-verdicts.ts';

/** Quarantine reasons attestation sets start with this; only those are lifted by a passing attestation. */
export const ATTESTATION_QUARANTINE_PREFIX = 'attestation:';

/**
 * What follows a verdict (CM-2, SI-3): every failure is an
 * `attestation.failed` event; the profile's action quarantines the device
 * (it stays connected but is flagged and gets no updates or secrets) or
 * revokes its certificate. A pass lifts a quarantine that attestation set.
 */
export class FailureActions {
  readonly #pipeline: EventPipeline;
  readonly #events: PanelEvents;
  readonly #devices: DeviceRegistry;
  readonly #audit: AuditLog;

  constructor(pipeline: EventPipeline, events: PanelEvents, devices: DeviceRegistry, audit: AuditLog) {
    this.#pipeline = pipeline;
    this.#events = events;
    this.#devices = devices;
    this.#audit = audit;
  }

  /**
   * Inside the verdict's transaction: the event and, by profile, the
   * quarantine. Answers whether the device must be revoked once it commits
   * (revocation runs its own transaction and then reissues the CRLs).
   */
  async failedIn(tx: Queryable, verdict: AttestationVerdict, profile: AttestationProfile): Promise<boolean> {
    const code = verdict.code ?? 'UNKNOWN';
    await this.#pipeline.storeIn(tx, '', [
      this.#events.build({
        type: 'attestation.failed',
        deviceId: verdict.deviceId,
        severity: verdict.severity,
        message: `attestation of ${verdict.deviceId} failed (${verdict.component}): ${verdict.message}`,
        fields: {
          reason: code.toLowerCase(),
          component: verdict.component ?? 'unknown',
          verdictId: verdict.id,
          recoverable: verdict.recoverable,
          action: profile.actionOnFailure,
          ...(verdict.pcr === null ? {} : { pcr: verdict.pcr }),
          ...(verdict.eventIndex === null ? {} : { eventIndex: verdict.eventIndex }),
          ...(verdict.eventType === null ? {} : { eventType: verdict.eventType }),
          ...(verdict.evidence.nonce === undefined ? {} : { quoteNonce: verdict.evidence.nonce }),
        },
      }),
    ]);
    if (profile.actionOnFailure === 'quarantine') await this.#quarantineIn(tx, verdict, code);
    return profile.actionOnFailure === 'revoke';
  }

  /** After the failing verdict committed, for the `revoke` action. */
  async revoke(verdict: AttestationVerdict): Promise<void> {
    const device = await this.#devices.get(verdict.deviceId);
    if (device.state !== 'enrolled') return;
    // RFC 5280 §5.3.1 privilegeWithdrawn: the device no longer earns the trust its certificate granted.
    await this.#devices.revoke(
      {
        actor: 'system',
        details: { cause: `${ATTESTATION_QUARANTINE_PREFIX}${verdict.code}`, verdictId: verdict.id },
      },
      verdict.deviceId,
      'privilegeWithdrawn',
    );
  }

  /** Inside a passing verdict's transaction: lifts a quarantine that attestation set, audited. */
  async passedIn(tx: Queryable, verdict: AttestationVerdict): Promise<boolean> {
    const current = await tx.query<{ quarantine_reason: string | null }>(
      'SELECT quarantine_reason FROM devices WHERE id = $1 FOR UPDATE',
      [verdict.deviceId],
    );
    const reason = current.rows[0]?.quarantine_reason;
    // A quarantine set by a detection rule or an operator is theirs to lift.
    if (!reason?.startsWith(ATTESTATION_QUARANTINE_PREFIX)) return false;
    await tx.query(
      'UPDATE devices SET quarantined_at = NULL, quarantine_reason = NULL, updated_at = now() WHERE id = $1',
      [verdict.deviceId],
    );
    await this.#audit.appendIn(tx, {
      actor: 'system',
      action: 'device.quarantine-lifted',
      target: `device:${verdict.deviceId}`,
      outcome: 'success',
      details: { reason, verdictId: verdict.id },
    });
    return true;
  }

  async #quarantineIn(tx: Queryable, verdict: AttestationVerdict, code: string): Promise<void> {
    const reason = `${ATTESTATION_QUARANTINE_PREFIX}${code}`;
    const result = await tx.query(
      `UPDATE devices SET quarantined_at = $2, quarantine_reason = $3, updated_at = now()
        WHERE id = $1 AND quarantined_at IS NULL`,
      [verdict.deviceId, new Date(verdict.createdAt), reason],
    );
    if (result.rowCount === 0) return;
    await this.#audit.appendIn(tx, {
      actor: 'system',
      action: 'device.quarantine',
      target: `device:${verdict.deviceId}`,
      outcome: 'success',
      details: { reason, verdictId: verdict.id },
    });
    await this.#pipeline.storeIn(tx, '', [
      this.#events.build({
        type: 'device.quarantined',
        deviceId: verdict.deviceId,
        message: `device ${verdict.deviceId} quarantined: attestation failed (${code})`,
        fields: { reason: reason.toLowerCase(), verdictId: verdict.id },
      }),
    ]);
  }
}
