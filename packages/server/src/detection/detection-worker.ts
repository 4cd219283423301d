import { randomUUID } from 'node:crypto';
import { RuleEngine, type RuleFiring, type SecurityEvent } from '@palisade/core';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../db/index.ts';
import { type EventPipeline, type EventRef, exportEventOf, type PanelEvents } from '../events/index.ts';
import type { AlertStore } from './alert-store.ts';
import type { DetectionQueue, QueuedEvent } from './detection-queue.ts';
import { RULES_CHANNEL, type RuleStore } from './rule-store.ts';
import type { WorkerLease } from './worker-lease.ts';

export interface DetectionWorkerOptions {
  readonly db: Db;
  readonly rules: RuleStore;
  readonly queue: DetectionQueue;
  readonly alerts: AlertStore;
  readonly pipeline: EventPipeline;
  readonly panelEvents: PanelEvents;
  readonly lease: WorkerLease;
  readonly logger: Logger;
  /** Poll interval while rules are enabled (a NOTIFY per stored batch wakes the worker earlier). */
  readonly intervalMs?: number;
  readonly batchSize?: number;
}

/** How many recent events the worker remembers by ID, to attach them to alerts by reference. */
const RECENT_EVENTS = 100_000;
const IDLE_INTERVAL_MS = 5_000;

/**
 * Evaluates detection rules over the event stream, on one replica at a time
 * (lease): window state lives in this process; a replica taking over starts
 * with empty windows. Each batch of queued events is evaluated and, in one
 * transaction, its alerts and their actions are recorded and its queue rows
 * removed, so a crash re-evaluates a batch but never raises its alerts twice.
 */
export class DetectionWorker {
  readonly #o: DetectionWorkerOptions;
  #engine = new RuleEngine();
  #versions = new Map<string, number>();
  #enabled = 0;
  #holding = false;
  readonly #recent = new Map<string, EventRef>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #wakeRequested = false;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(options: DetectionWorkerOptions) {
    this.#o = options;
  }

  /** Whether any rule is enabled: the ingest queues events for detection only then. */
  get active(): boolean {
    return this.#enabled > 0;
  }

  async start(): Promise<void> {
    await this.reload();
    this.#unlisten = await this.#o.db.listen(RULES_CHANNEL, () => {
      this.reload().catch((error: unknown) => this.#o.logger.error({ err: error }, 'rule reload failed'));
    });
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#unlisten?.();
    await this.#running.catch(() => undefined);
    if (this.#holding) await this.#o.lease.release().catch(() => undefined);
  }

  /** Loads the current enabled rules; windows of unchanged rules carry over. */
  async reload(): Promise<void> {
    const stored = (await this.#o.rules.list()).filter((r) => r.document.enabled);
    this.#versions = new Map(stored.map((r) => [r.id, r.version]));
    this.#enabled = stored.length;
    this.#engine.load(stored.map((r) => r.document));
  }

  /** A batch was stored somewhere: run a round now rather than at the next poll. */
  wake(): void {
    if (this.#stopped || this.#enabled === 0) return;
    this.#wakeRequested = true;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#schedule(0);
    }
  }

  /** One round (tests call it directly): answers how many queued events were evaluated. */
  async runOnce(): Promise<number> {
    if (this.#enabled === 0) return 0;
    const holding = await this.#o.lease.acquire();
    // Another replica may have evaluated events meanwhile: windows restart rather than mix.
    if (holding && !this.#holding) {
      this.#engine = new RuleEngine();
      await this.reload();
    }
    this.#holding = holding;
    if (!holding) return 0;
    let evaluated = 0;
    for (;;) {
      const batch = await this.#o.queue.next(this.#o.batchSize ?? 1000);
      if (batch.length === 0 || this.#stopped) return evaluated;
      await this.#evaluate(batch);
      evaluated += batch.length;
      if (!(await this.#o.lease.acquire())) {
        this.#holding = false;
        return evaluated;
      }
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#wakeRequested = false;
      this.#running = this.runOnce()
        .catch((error: unknown) => this.#o.logger.error({ err: error }, 'detection round failed'))
        .finally(() => {
          const idle = this.#enabled === 0 ? IDLE_INTERVAL_MS : (this.#o.intervalMs ?? 1_000);
          this.#schedule(this.#wakeRequested ? 0 : idle);
        });
    }, delayMs);
  }

  async #evaluate(batch: readonly QueuedEvent[]): Promise<void> {
    const firings: { firing: RuleFiring; queued: QueuedEvent }[] = [];
    for (const queued of batch) {
      this.#remember(queued);
      const at = Date.parse(queued.event.receivedAt);
      for (const firing of this.#engine.evaluate(queued.event, { group: queued.group, at }))
        firings.push({ firing, queued });
    }
    await this.#o.db.transaction(async (tx) => {
      for (const { firing, queued } of firings) await this.#raise(tx, firing, queued);
      await this.#o.queue.removeIn(
        tx,
        batch.map((q) => q.seq),
      );
    });
  }

  async #raise(tx: Queryable, firing: RuleFiring, queued: QueuedEvent): Promise<void> {
    const deviceId = firing.key.startsWith('device:') ? firing.key.slice('device:'.length) : null;
    const group = firing.key.startsWith('group:') ? firing.key.slice('group:'.length) : queued.group;
    const alertId = randomUUID();
    const context = await this.#o.alerts.contextIn(tx, deviceId, group);
    await this.#o.alerts.raiseIn(tx, {
      id: alertId,
      firing,
      ruleVersion: this.#versions.get(firing.ruleId) ?? 0,
      deviceId,
      group,
      events: firing.eventIds.flatMap((id) => this.#recent.get(id) ?? []),
      context: firing.devices ? { ...context, devices: firing.devices } : context,
    });
    const raised = this.#o.panelEvents.build({
      type: 'alert.raised',
      severity: firing.severity,
      deviceId,
      message: `${firing.title} (${firing.key}, ${firing.eventCount} events)`,
      fields: {
        alertId,
        ruleId: firing.ruleId,
        ruleVersion: this.#versions.get(firing.ruleId) ?? 0,
        subject: firing.key,
        eventCount: firing.eventCount,
      },
    });
    await this.#o.pipeline.storeIn(tx, '', [raised]);
    for (const action of firing.actions) {
      if (action.type === 'quarantine' && deviceId !== null)
        await this.#quarantine(tx, deviceId, firing, alertId);
      if (action.type === 'webhook') await this.#callWebhook(tx, action.exporterId, raised);
    }
  }

  async #quarantine(tx: Queryable, deviceId: string, firing: RuleFiring, alertId: string): Promise<void> {
    const result = await tx.query(
      `UPDATE devices SET quarantined_at = now(), quarantine_reason = $2
        WHERE id = $1 AND quarantined_at IS NULL`,
      [deviceId, `rule ${firing.ruleId}: ${firing.title}`.slice(0, 500)],
    );
    if (result.rowCount === 0) return;
    await this.#o.pipeline.storeIn(tx, '', [
      this.#o.panelEvents.build({
        type: 'device.quarantined',
        deviceId,
        message: `device ${deviceId} quarantined by detection rule ${firing.ruleId}`,
        fields: { reason: `rule:${firing.ruleId}`, alertId },
      }),
    ]);
  }

  // The rule's own webhook gets the alert even if the exporter's severity floor or the
  // global stream would not send it: queued straight into that exporter's outbox.
  async #callWebhook(tx: Queryable, exporterId: string, raised: SecurityEvent): Promise<void> {
    await tx.query(
      `INSERT INTO siem_outbox (exporter_id, event)
       SELECT id, $2 FROM siem_exporters WHERE id::text = $1 AND enabled AND min_severity > $3`,
      [exporterId, JSON.stringify(exportEventOf(raised)), raised.severity],
    );
  }

  #remember(queued: QueuedEvent): void {
    const { event } = queued;
    this.#recent.set(event.id, { ingestKey: queued.ingestKey, id: event.id, occurredAt: event.occurredAt });
    if (this.#recent.size > RECENT_EVENTS) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
  }
}
