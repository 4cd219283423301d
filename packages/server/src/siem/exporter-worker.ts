import type { Logger } from 'pino';
import type { Db } from '../db/index.ts';
import type { ExportDestination } from './export-destination.ts';
import type { ExporterQueue } from './exporter-queue.ts';

/** How often a replica without exporters looks for a new one. */
const IDLE_INTERVAL_MS = 5_000;

export interface ExporterDefinition {
  readonly id: string;
  readonly name: string;
  readonly kind: 'syslog' | 'snmp' | 'webhook';
  readonly config: Readonly<Record<string, unknown>>;
}

export interface ExporterWorkerOptions {
  readonly db: Db;
  readonly queue: ExporterQueue;
  /** Builds the destination of an exporter (transports, formats, keys). */
  readonly destination: (exporter: ExporterDefinition) => ExportDestination;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly batchSize?: number;
}

/**
 * Drains every enabled exporter's queue whose lease this replica holds:
 * batch after batch in order, removing a batch only after the destination
 * took it. A failing destination keeps its queue (bounded by retention) and
 * is retried with exponential backoff; other exporters are not held up.
 */
export class ExporterWorker {
  readonly #o: ExporterWorkerOptions;
  readonly #destinations = new Map<
    string,
    { readonly configKey: string; readonly destination: ExportDestination }
  >();
  readonly #retryAt = new Map<string, { at: number; delayMs: number }>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;
  #waking = false;
  #tick: (() => void) | undefined;

  constructor(options: ExporterWorkerOptions) {
    this.#o = options;
  }

  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#timer = undefined;
      this.#running = this.runOnce()
        .catch((error: unknown) => {
          this.#o.logger.error({ err: error }, 'SIEM export round failed');
          return 1;
        })
        .then((exporters) => {
          // Without exporters, look for new ones rarely: on PGlite every query shares one connection.
          const delay = exporters === 0 ? IDLE_INTERVAL_MS : (this.#o.intervalMs ?? 500);
          if (!this.#stopped) this.#timer = setTimeout(tick, delay);
        });
    };
    this.#tick = tick;
    tick();
  }

  /** Runs a round now instead of at the next poll (a batch of events was just stored). */
  wake(): void {
    if (this.#stopped || this.#waking) return;
    this.#waking = true;
    // Coalesces a burst of wake-ups into one early round after the current one.
    void Promise.resolve(this.#running).then(() => {
      this.#waking = false;
      if (this.#stopped || !this.#timer) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#tick?.();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    for (const [id, { destination }] of this.#destinations) {
      await destination.close().catch(() => undefined);
      await this.#o.queue.release(id).catch(() => undefined);
    }
    this.#destinations.clear();
  }

  /** One round over the enabled exporters (tests call it directly); answers how many are enabled. */
  async runOnce(): Promise<number> {
    const exporters = await this.#o.db.query<ExporterDefinition>(
      'SELECT id, name, kind, config FROM siem_exporters WHERE enabled ORDER BY name',
    );
    for (const exporter of exporters.rows) {
      if (this.#stopped) break;
      const retry = this.#retryAt.get(exporter.id);
      if (retry && Date.now() < retry.at) continue;
      if (!(await this.#o.queue.lease(exporter.id))) continue;
      await this.#drain(exporter);
    }
    return exporters.rows.length;
  }

  async #drain(exporter: ExporterDefinition): Promise<void> {
    let destination: ExportDestination;
    try {
      destination = this.#destinationFor(exporter);
    } catch (error) {
      // A misconfigured exporter keeps its queue and says why; the others carry on.
      await this.#backOff(exporter, error);
      return;
    }
    const size = this.#o.batchSize ?? 500;
    for (let batch = await this.#o.queue.next(exporter.id, size); batch && !this.#stopped; ) {
      try {
        await destination.send(batch.events);
      } catch (error) {
        await this.#backOff(exporter, error);
        return;
      }
      this.#retryAt.delete(exporter.id);
      // Another replica took the lease while this batch was in flight: it resends; stop here.
      if (!(await this.#o.queue.delivered(exporter.id, batch))) return;
      if (!(await this.#o.queue.lease(exporter.id))) return;
      batch = await this.#o.queue.next(exporter.id, size);
    }
  }

  async #backOff(exporter: ExporterDefinition, error: unknown): Promise<void> {
    const previous = this.#retryAt.get(exporter.id)?.delayMs ?? 250;
    const delayMs = Math.min(previous * 2, 30_000);
    this.#retryAt.set(exporter.id, { at: Date.now() + delayMs, delayMs });
    const message = error instanceof Error ? error.message : String(error);
    await this.#o.queue.failed(exporter.id, message);
    this.#o.logger.warn(
      { exporter: exporter.name, err: error, retryInMs: delayMs },
      'SIEM destination failed; events stay queued',
    );
  }

  #destinationFor(exporter: ExporterDefinition): ExportDestination {
    const configKey = JSON.stringify([exporter.kind, exporter.config]);
    const known = this.#destinations.get(exporter.id);
    if (known && known.configKey === configKey) return known.destination;
    void known?.destination.close().catch(() => undefined);
    const destination = this.#o.destination(exporter);
    this.#destinations.set(exporter.id, { configKey, destination });
    return destination;
  }
}
