import { eventTypeInfo, newUuidV7, type SecurityEvent } from '@palisade/core';
import type { EventPipeline } from './event-pipeline.ts';

export interface PanelEventInput {
  readonly type: string;
  readonly message: string;
  readonly deviceId?: string | null;
  /** Defaults to the catalogue's severity for the type (5 for an uncatalogued one). */
  readonly severity?: number;
  readonly fields?: Readonly<Record<string, string | number | boolean>>;
}

/** A rejected request, as the problem handler saw it. */
export interface RejectedRequest {
  readonly code: string;
  readonly status: number;
  readonly listener: 'operator' | 'device';
  readonly remoteAddress: string;
  readonly method: string;
  readonly path: string;
  readonly deviceId?: string;
}

/** Which rejections are worth a security event, and which type they become. */
const REJECTION_TYPES: Readonly<Record<string, string>> = {
  INVALID_CREDENTIALS: 'operator.login_failed',
  LOGIN_THROTTLED: 'operator.login_throttled',
  FORBIDDEN: 'operator.access_denied',
  CSRF_TOKEN_INVALID: 'operator.access_denied',
  DEVICE_FORBIDDEN: 'device.access_denied',
  DEVICE_CERTIFICATE_REFUSED: 'device.access_denied',
  CLIENT_CERTIFICATE_REQUIRED: 'device.access_denied',
  ENROLLMENT_UNAUTHENTICATED: 'est.enroll_rejected',
  ENROLLMENT_LOCKED: 'est.enroll_rejected',
  ENROLLMENT_REJECTED: 'est.enroll_rejected',
  IDEVID_NOT_CLAIMED: 'est.enroll_rejected',
  IDENTITY_MISMATCH: 'est.enroll_rejected',
  CHANNEL_BINDING_REQUIRED: 'est.enroll_rejected',
  CHANNEL_BINDING_MISMATCH: 'est.enroll_rejected',
  CSR_SIGNATURE_INVALID: 'est.enroll_rejected',
  CSR_KEY_WEAK: 'est.enroll_rejected',
  CSR_SIGNATURE_HASH_WEAK: 'est.enroll_rejected',
  DEVICE_NOT_ENROLLABLE: 'est.enroll_rejected',
};

/**
 * Token bucket on recorded rejections: an attacker hammering the panel with
 * bad requests must not turn each one into a database write. What is over
 * the budget is counted and reported with the next event that fits.
 */
const BUCKET_CAPACITY = 200;
const BUCKET_REFILL_PER_SECOND = 50;

/**
 * The panel's own security events (source `panel`): failed logins, refused
 * enrollments, denied device requests, alerts. They go into the same stream as
 * device events: searched, evaluated by rules and exported the same way.
 */
export class PanelEvents {
  readonly #pipeline: EventPipeline;
  readonly #now: () => Date;
  readonly #onError: (error: unknown) => void;
  #tokens = BUCKET_CAPACITY;
  #refilledAt: number;
  #suppressed = 0;

  constructor(pipeline: EventPipeline, now: () => Date, onError: (error: unknown) => void) {
    this.#pipeline = pipeline;
    this.#now = now;
    this.#onError = onError;
    this.#refilledAt = now().getTime();
  }

  /** Stores one panel event; answers it once committed. */
  async record(input: PanelEventInput): Promise<SecurityEvent> {
    const event = this.build(input);
    await this.#pipeline.record([event]);
    return event;
  }

  /** The event `record` would store, for callers that store it in their own transaction. */
  build(input: PanelEventInput): SecurityEvent {
    const info = eventTypeInfo(input.type);
    const now = this.#now().toISOString();
    return {
      id: newUuidV7(),
      source: 'panel',
      deviceId: input.deviceId ?? null,
      type: input.type,
      severity: input.severity ?? info?.defaultSeverity ?? 5,
      controls: info?.controls ?? [],
      message: input.message,
      occurredAt: now,
      receivedAt: now,
      fields: input.fields ?? {},
    };
  }

  /** Called by the problem handler for every refused request; records the security-relevant ones, within budget. */
  rejected(request: RejectedRequest): void {
    const type = REJECTION_TYPES[request.code];
    if (!type || !this.#take()) return;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    this.record({
      type,
      deviceId: request.deviceId ?? null,
      message: `${request.method} ${request.path} refused on the ${request.listener} listener: ${request.code}`,
      fields: {
        reason: request.code.toLowerCase(),
        status: request.status,
        remoteAddress: request.remoteAddress,
        path: request.path.slice(0, 256),
        ...(suppressed > 0 ? { suppressedBefore: suppressed } : {}),
      },
    }).catch(this.#onError);
  }

  #take(): boolean {
    const now = this.#now().getTime();
    this.#tokens = Math.min(
      BUCKET_CAPACITY,
      this.#tokens + ((now - this.#refilledAt) / 1000) * BUCKET_REFILL_PER_SECOND,
    );
    this.#refilledAt = now;
    if (this.#tokens < 1) {
      this.#suppressed += 1;
      return false;
    }
    this.#tokens -= 1;
    return true;
  }
}
