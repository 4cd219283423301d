import type { Logger } from 'pino';
import { AgentError } from '../agent-error.ts';
import type { Outbox, OutboxRecord } from '../outbox/index.ts';
import { Backoff, sleep } from '../state/backoff.ts';
import type { PanelClient } from './panel-client.ts';

export interface DeliveryOptions {
  readonly outbox: Outbox;
  readonly client: PanelClient;
  readonly deviceId: string;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Receives the function that wakes an idle delivery loop (called after each append). */
  readonly onWake?: (wake: () => void) => void;
  /** Told about a refusal before the loop backs off; answering true ends the loop (revoked identity). */
  readonly onRefused?: (error: unknown) => Promise<boolean>;
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
  /** Records per request; the panel takes at most 1000. */
  readonly batchRecords?: number;
}

const IDLE_POLL_MS = 1_000;
const BATCH_BYTES = 768 * 1024;

/**
 * Sends the outbox to the panel in batches and removes a record only when
 * the panel acknowledged it (the panel stores a batch whole or not at all,
 * and deduplicates on record ID, so a batch resent after a lost answer is
 * harmless). A record the panel rejects as malformed is isolated by halving
 * the batch until it stands alone, then set aside with an error in the log,
 * so one bad record cannot block everything behind it.
 */
export async function deliverOutbox(options: DeliveryOptions): Promise<void> {
  const { outbox, client, signal, logger } = options;
  const log = logger.child({ component: 'delivery' });
  const backoff = new Backoff(options.backoff);
  const path = `/v1/devices/${encodeURIComponent(options.deviceId)}/reports`;
  const fullBatch = options.batchRecords ?? 500;
  let batchRecords = fullBatch;
  let wake: (() => void) | undefined;
  options.onWake?.(() => wake?.());
  while (!signal.aborted) {
    const batch = await outbox.nextBatch({ maxRecords: batchRecords, maxBytes: BATCH_BYTES });
    if (batch.length === 0) {
      const idle = new AbortController();
      const onAbort = () => idle.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      wake = () => idle.abort();
      await sleep(IDLE_POLL_MS, idle.signal);
      wake = undefined;
      signal.removeEventListener('abort', onAbort);
      continue;
    }
    try {
      const answer = await client.json<{ acknowledged?: unknown }>('POST', path, {
        records: batch.map(wire),
      });
      const acknowledged = Array.isArray(answer.acknowledged)
        ? answer.acknowledged.filter((id): id is string => typeof id === 'string')
        : [];
      // A 200 that acknowledges nothing of a non-empty batch is not the panel speaking the protocol;
      // resending at once would flood it, so it is treated like any other failure (backoff).
      if (!batch.some((record) => acknowledged.includes(record.id))) {
        throw new AgentError('PANEL_ANSWER_INVALID', 'the panel acknowledged none of the batch');
      }
      await outbox.acknowledge(acknowledged);
      // Anything the panel did not acknowledge goes out again.
      outbox.release(batch.map((r) => r.id));
      backoff.reset();
      batchRecords = fullBatch;
    } catch (error) {
      outbox.release(batch.map((r) => r.id));
      if (await options.onRefused?.(error)) return;
      if (isMalformed(error)) {
        if (batch.length > 1) {
          batchRecords = Math.max(1, Math.floor(batch.length / 2));
          continue;
        }
        const [record] = batch as [OutboxRecord];
        log.error(
          { err: error, recordId: record.id, kind: record.kind },
          'the panel rejects this record as malformed; it is set aside',
        );
        await outbox.acknowledge([record.id]);
        batchRecords = fullBatch;
        continue;
      }
      const delay = backoff.next();
      log.warn(
        { err: error, pending: outbox.stats().pendingRecords, retryInMs: delay },
        'outbox delivery failed; will retry',
      );
      await sleep(delay, signal);
    }
  }
}

function wire(record: OutboxRecord) {
  return {
    id: record.id,
    kind: record.kind,
    severity: record.severity,
    createdAt: record.createdAt,
    body: record.body,
  };
}

function isMalformed(error: unknown): boolean {
  return (
    error instanceof AgentError &&
    error.code === 'PANEL_REFUSED' &&
    error.details?.status === 400 &&
    error.details.problemCode === 'VALIDATION_FAILED'
  );
}
