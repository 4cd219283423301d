/**
 * Acknowledgements to the panel (`POST /v1/devices/:id/policies/:kind/status`),
 * kept in order in a small file and retried with the agent's backoff until the
 * panel answers. Not through the outbox: the outbox delivers events to
 * `/reports`, while a status is a different resource the panel's rollouts
 * wait on; but like the outbox the queue survives a restart, because the most
 * important one, `rolled_back` after a dead-man rollback, is often found by
 * the next process's recover(), or made while the panel was unreachable.
 */
import { readFile } from 'node:fs/promises';
import { isPolicyKind, type PolicyKind } from '@palisade/core';
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.ts';
import { refusal } from '../channel/panel-client.ts';
import { writeFileAtomic } from '../state/atomic-file.ts';
import { Backoff } from '../state/backoff.ts';
import type { PolicyPanel } from './panel-link.ts';

export const POLICY_APPLY_STATES = [
  'applied',
  'failed',
  'rolled_back',
  'drifted',
  'repaired',
  'removed',
] as const;
export type PolicyApplyState = (typeof POLICY_APPLY_STATES)[number];

/** The body of a status report, exactly as the panel takes it. */
export interface PolicyStatus {
  readonly policyId: string;
  readonly version: number;
  readonly state: PolicyApplyState;
  /** Hex SHA-256 of the live state (SC-2 evidence). */
  readonly liveStateHash?: string;
  /** At most 500 characters. */
  readonly message?: string;
}

export interface QueuedStatus {
  readonly kind: PolicyKind;
  readonly status: PolicyStatus;
}

export const MAX_STATUS_MESSAGE = 500;
/** A device that cannot reach its panel for long keeps the latest reports, not every one. */
const MAX_QUEUED = 64;

export interface PolicyStatusQueueOptions {
  readonly file: string;
  readonly deviceId: string;
  readonly logger: Logger;
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
}

export class PolicyStatusQueue {
  readonly #o: PolicyStatusQueueOptions;
  readonly #backoff: Backoff;
  #queue: QueuedStatus[] = [];
  #panel: PolicyPanel | undefined;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(options: PolicyStatusQueueOptions) {
    this.#o = options;
    this.#backoff = new Backoff(options.backoff);
  }

  /** Reports not yet acknowledged by the panel, oldest first. */
  get pending(): readonly QueuedStatus[] {
    return this.#queue;
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#o.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const saved = JSON.parse(text) as { pending?: unknown };
      this.#queue = Array.isArray(saved.pending) ? saved.pending.filter(isQueuedStatus) : [];
    } catch {
      // Reports are evidence, not state: a torn queue costs reports, never correctness.
      this.#o.logger.warn({ file: this.#o.file }, 'policy status queue unreadable; starting empty');
    }
  }

  /** Queues a report durably and tries to send it at once when the panel is attached. */
  async enqueue(kind: PolicyKind, status: PolicyStatus): Promise<void> {
    const message = status.message === undefined ? undefined : bounded(status.message);
    const entry = { kind, status: { ...status, ...(message === undefined ? {} : { message }) } };
    this.#queue.push(entry);
    if (this.#queue.length > MAX_QUEUED) {
      const dropped = this.#queue.splice(0, this.#queue.length - MAX_QUEUED);
      this.#o.logger.warn(
        { dropped: dropped.length },
        'policy status queue full: dropped the oldest reports',
      );
    }
    await this.#save();
    this.#o.logger.info({ kind, ...entry.status }, `policy ${kind}: ${status.state}`);
    this.#kick();
  }

  attach(panel: PolicyPanel | undefined): void {
    this.#panel = panel;
    if (panel) {
      this.#backoff.reset();
      this.#kick();
    }
  }

  /** Sends what is queued; resolves when the queue is empty or a send failed (a retry is then scheduled). */
  flush(): Promise<void> {
    this.#flushing ??= this.#send().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #kick(): void {
    if (this.#panel === undefined || this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.flush();
  }

  async #send(): Promise<void> {
    while (!this.#closed) {
      const panel = this.#panel;
      const head = this.#queue[0];
      if (panel === undefined || head === undefined) return;
      const path = `/v1/devices/${encodeURIComponent(this.#o.deviceId)}/policies/${head.kind}/status`;
      try {
        const answer = await panel.send({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(head.status),
        });
        if (answer.status < 200 || answer.status > 299) throw refusal(answer, `POST ${path}`);
        this.#backoff.reset();
      } catch (error) {
        if (!permanentRefusal(error)) {
          const delay = this.#backoff.next();
          this.#o.logger.warn({ err: error, retryInMs: delay }, 'policy status report failed; will retry');
          this.#timer = setTimeout(() => this.#kick(), delay);
          return;
        }
        // The panel will never take it (e.g. a version it no longer knows): keeping it would block the rest.
        this.#o.logger.error(
          { err: error, kind: head.kind, ...head.status },
          'the panel refuses this policy status report; dropped',
        );
      }
      if (this.#queue[0] === head) this.#queue.shift();
      await this.#save();
    }
  }

  async #save(): Promise<void> {
    await writeFileAtomic(
      this.#o.file,
      `${JSON.stringify({ format: 1, pending: this.#queue })}\n`,
      0o600,
    ).catch((error: unknown) =>
      this.#o.logger.error({ err: error }, 'could not save the policy status queue'),
    );
  }
}

/** A 4xx other than 408 and 429: resending the same report cannot succeed. A revoked identity ends the session anyway. */
function permanentRefusal(error: unknown): boolean {
  if (!(error instanceof AgentError) || error.code !== 'PANEL_REFUSED') return false;
  const status = error.details?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function bounded(message: string): string {
  // Control characters would reach the panel's UI and logs as they are; the limit is in code points.
  const characters = Array.from(message, (character) => {
    const code = character.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) ? ' ' : character;
  });
  return characters.length > MAX_STATUS_MESSAGE
    ? `${characters.slice(0, MAX_STATUS_MESSAGE - 1).join('')}…`
    : characters.join('');
}

function isQueuedStatus(value: unknown): value is QueuedStatus {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, status } = value as { kind?: unknown; status?: Record<string, unknown> };
  return (
    isPolicyKind(kind) &&
    typeof status === 'object' &&
    status !== null &&
    typeof status.policyId === 'string' &&
    typeof status.version === 'number' &&
    (POLICY_APPLY_STATES as readonly unknown[]).includes(status.state)
  );
}
