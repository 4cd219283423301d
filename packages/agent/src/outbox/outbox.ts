import { unlink } from 'node:fs/promises';
import { AckLog, type RemovalReason } from './ack-log.ts';
import { ioFailed, prepareDir, unreadable } from './durable-fs.ts';
import { encodeFrame, FRAME_HEADER_BYTES, MAX_FRAME_PAYLOAD_BYTES } from './frame-codec.ts';
import { GroupCommit } from './group-commit.ts';
import { compactJournal } from './journal-compaction.ts';
import { recoverJournal } from './journal-recovery.ts';
import { SegmentWriter } from './journal-segment.ts';
import { OutboxError } from './outbox-error.ts';
import { OutboxLock } from './outbox-lock.ts';
import { type OutboxLogger, stderrLogger } from './outbox-logger.ts';
import {
  type OutboxOptions,
  type ResolvedOutboxOptions,
  resolveOutboxOptions,
  summarizeDrop,
} from './outbox-options.ts';
import { encodeNewRecord, type NewOutboxRecord, type OutboxRecord } from './outbox-record.ts';
import type { PendingEntry, PendingIndex } from './pending-index.ts';
import { readRecords } from './record-reader.ts';
import type { SegmentTable } from './segment-table.ts';

interface QueuedRecord {
  readonly id: string;
  readonly severity: number;
  readonly frame: Buffer;
}

export interface OutboxStats {
  readonly pendingRecords: number;
  readonly pendingBytes: number;
  readonly inFlightRecords: number;
  readonly segments: number;
  /** Journal segments plus the ack log. */
  readonly diskBytes: number;
  /** Since this open. */
  readonly acknowledgedRecords: number;
  readonly droppedRecords: number;
  readonly droppedBytes: number;
}

/**
 * The agent's durable outbox: records are journalled (group commit, fsync)
 * before `append` resolves, handed out oldest first by `nextBatch`, and
 * removed only by a durable `acknowledge` (or by the disk bound, which drops
 * the lowest severity, oldest first). Delivery is at-least-once with stable
 * IDs: the panel's ingest dedups on (device, ID).
 *
 * @example
 * const outbox = await Outbox.open({ dir, maxBytes: 64 * 1024 * 1024 });
 * await outbox.append({ kind: 'event', severity: 5, body: { type: 'login' } });
 * const batch = await outbox.nextBatch({ maxRecords: 500 });
 * // … the panel stores the batch …
 * await outbox.acknowledge(batch.map((record) => record.id));
 */
export class Outbox {
  readonly #options: ResolvedOutboxOptions;
  readonly #journalDir: string;
  readonly #onDropped: OutboxOptions['onDropped'];
  readonly #logger: OutboxLogger;
  readonly #lock: OutboxLock;
  readonly #acks: AckLog;
  readonly #segments: SegmentTable;
  readonly #index: PendingIndex;
  readonly #writer: SegmentWriter;
  readonly #journal: GroupCommit<QueuedRecord>;
  readonly #queuedIds = new Set<string>();
  /** Segments from this number up may be mid-write (not yet indexed): compaction keeps out. */
  #journalFloor: number | undefined;
  #maintenance: Promise<unknown> = Promise.resolve();
  #compactionQueued = false;
  #closing = false;
  #closed = false;
  #failure: OutboxError | undefined;
  #acknowledged = 0;
  #dropped = 0;
  #droppedBytes = 0;

  private constructor(parts: {
    options: ResolvedOutboxOptions;
    raw: OutboxOptions;
    logger: OutboxLogger;
    lock: OutboxLock;
    acks: AckLog;
    segments: SegmentTable;
    index: PendingIndex;
    nextSegment: number;
  }) {
    this.#options = parts.options;
    this.#journalDir = `${parts.options.dir}/journal`;
    this.#onDropped = parts.raw.onDropped;
    this.#logger = parts.logger;
    this.#lock = parts.lock;
    this.#acks = parts.acks;
    this.#segments = parts.segments;
    this.#index = parts.index;
    this.#writer = new SegmentWriter({
      journalDir: this.#journalDir,
      firstSegment: parts.nextSegment,
      segmentBytes: parts.options.segmentBytes,
      onNewSegment: (segment) => this.#segments.ensure(segment),
    });
    this.#journal = new GroupCommit<QueuedRecord>({
      flush: (items) => this.#flushJournal(items),
      delayMs: parts.options.fsyncIntervalMs,
      maxBatchBytes: parts.options.groupCommitBytes,
    });
  }

  /**
   * Opens (creating if needed) and recovers the outbox in `options.dir`.
   * Throws OUTBOX_UNREADABLE when the directory cannot be used, OUTBOX_LOCKED
   * when a live process has it open; damaged files are logged and worked around.
   */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const resolved = resolveOutboxOptions(options);
    const logger = options.logger ?? stderrLogger;
    const { dir } = resolved;
    await prepareDir(dir);
    const lock = await OutboxLock.acquire(dir).catch((cause: unknown) => {
      throw cause instanceof OutboxError ? cause : unreadable(dir, cause);
    });
    let acks: AckLog | undefined;
    try {
      await unlink(`${dir}/acks.log.tmp`).catch(() => undefined);
      const opened = await AckLog.open(dir, logger);
      acks = opened.log;
      const journal = await recoverJournal(dir, opened.removed, logger);
      const outbox = new Outbox({ options: resolved, raw: options, logger, lock, acks, ...journal });
      await outbox.#compact(opened.damaged);
      if (!opened.damaged && journal.segments.removedCount() < opened.removed.size) {
        // Acks of segments deleted before the last shutdown: forget them now.
        await acks.rewrite(() => journal.segments.removedIds());
      }
      await outbox.#enforceBound();
      logger.info(
        { dir, pending: journal.index.count, segments: journal.segments.size },
        'outbox: opened and recovered',
      );
      return outbox;
    } catch (cause) {
      await acks?.close().catch(() => undefined);
      await lock.release();
      if (cause instanceof OutboxError) throw cause;
      throw unreadable(dir, cause);
    }
  }

  /** Resolves with the record's ID once it is on disk (fsync'd). */
  async append(record: NewOutboxRecord): Promise<string> {
    const [id] = await this.appendMany([record]);
    return id as string;
  }

  /**
   * Appends several records; resolves once all are on disk. Every record is
   * checked before any is queued. An ID already waiting is not stored twice.
   */
  async appendMany(records: readonly NewOutboxRecord[]): Promise<string[]> {
    this.#assertUsable();
    const limit = Math.min(MAX_FRAME_PAYLOAD_BYTES, this.#options.maxBytes - FRAME_HEADER_BYTES);
    const encoded = records.map((input) => {
      const { record, payload } = encodeNewRecord(input);
      if (payload.length > limit) {
        throw new OutboxError(
          'OUTBOX_RECORD_TOO_LARGE',
          `outbox record ${record.id} is over ${limit} bytes`,
          {
            details: { id: record.id, bytes: payload.length, limit },
          },
        );
      }
      return { id: record.id, severity: record.severity, payload };
    });
    const writes: Promise<void>[] = [];
    for (const { id, severity, payload } of encoded) {
      if (this.#queuedIds.has(id) || this.#index.has(id)) continue;
      this.#queuedIds.add(id);
      const frame = encodeFrame(payload);
      writes.push(this.#journal.submit({ id, severity, frame }, frame.length));
    }
    await Promise.all(writes);
    return encoded.map((entry) => entry.id);
  }

  /**
   * The oldest records neither acknowledged nor handed out, up to the limits
   * (defaults 500 records, 1 MiB; at least one record if any waits). They are
   * handed out again only after `release` or a reopen.
   */
  async nextBatch(limits: { maxRecords?: number; maxBytes?: number } = {}): Promise<OutboxRecord[]> {
    this.#assertUsable();
    const maxRecords = limits.maxRecords ?? 500;
    const maxBytes = limits.maxBytes ?? 1024 * 1024;
    // On the maintenance chain: compaction cannot delete a segment while it is read.
    return this.#serially(async () => {
      const entries = this.#index.handOut(maxRecords, maxBytes);
      try {
        const records = await readRecords(this.#journalDir, entries, (entry, reason) => {
          this.#logger.error({ id: entry.id }, `outbox: ${reason}; record skipped`);
          this.#index.remove(entry.id);
          const state = this.#segments.get(entry.segment);
          if (state !== undefined) {
            state.live -= 1;
            state.damaged = true;
          }
        });
        // An acknowledge may have raced the read: those records are done.
        return records.filter((record) => this.#index.has(record.id));
      } catch (error) {
        this.#index.release(entries.map((entry) => entry.id));
        throw ioFailed('reading the journal', error);
      }
    });
  }

  /** Makes handed-out, unacknowledged records available to `nextBatch` again (all without `ids`). */
  release(ids?: Iterable<string>): void {
    this.#index.release(ids);
  }

  /**
   * Removes records for good; resolves (with how many were pending) once that
   * is on disk. Unknown or already acknowledged IDs are ignored.
   */
  async acknowledge(ids: Iterable<string>): Promise<number> {
    this.#assertUsable();
    const entries: PendingEntry[] = [];
    for (const id of ids) {
      const entry = this.#index.remove(id);
      if (entry !== undefined) entries.push(entry);
    }
    if (entries.length === 0) return 0;
    this.#acknowledged += entries.length;
    await this.#removeDurably('ack', entries);
    return entries.length;
  }

  stats(): OutboxStats {
    return {
      pendingRecords: this.#index.count,
      pendingBytes: this.#index.bytes,
      inFlightRecords: this.#index.inFlightCount,
      segments: this.#segments.size,
      diskBytes: this.#segments.fileBytes() + this.#acks.bytes,
      acknowledgedRecords: this.#acknowledged,
      droppedRecords: this.#dropped,
      droppedBytes: this.#droppedBytes,
    };
  }

  /** Writes what is queued, finishes compaction, releases the directory. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    // Appends are still taken while draining: a flush may drop records and onDropped append the report.
    await this.#journal.drain();
    this.#closed = true;
    // Compaction queued by the last acks may queue more; wait until the chain is still.
    for (let chain = this.#maintenance; ; chain = this.#maintenance) {
      await chain.catch(() => undefined);
      if (chain === this.#maintenance) break;
    }
    await this.#acks.close().catch(() => undefined);
    await this.#writer.close().catch(() => undefined);
    await this.#lock.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertUsable(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closed) throw new OutboxError('OUTBOX_CLOSED', 'outbox is closed');
  }

  #serially<R>(work: () => Promise<R>): Promise<R> {
    const result = this.#maintenance.then(work);
    this.#maintenance = result.catch(() => undefined);
    return result;
  }

  async #flushJournal(items: QueuedRecord[]): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    this.#journalFloor = this.#writer.firstWritableSegment;
    try {
      const positions = await this.#writer.write(items.map((item) => item.frame));
      for (const [i, item] of items.entries()) {
        const position = positions[i];
        if (position === undefined) continue;
        const state = this.#segments.ensure(position.segment);
        state.fileBytes = position.offset + item.frame.length;
        const entry = { ...position, id: item.id, bytes: item.frame.length, severity: item.severity };
        if (this.#index.add(entry)) state.live += 1;
      }
    } catch (error) {
      this.#failure = error instanceof OutboxError ? error : ioFailed('writing the journal', error);
      throw this.#failure;
    } finally {
      for (const item of items) this.#queuedIds.delete(item.id);
      this.#journalFloor = undefined;
    }
    await this.#enforceBound();
  }

  /** Disk bound: drop lowest severity, oldest first, until pending bytes fit. */
  async #enforceBound(): Promise<void> {
    if (this.#index.bytes <= this.#options.maxBytes) return;
    const victims = this.#index.takeOverBound(this.#options.maxBytes);
    await this.#removeDurably('drop', victims);
    const drop = summarizeDrop(victims);
    this.#dropped += drop.count;
    this.#droppedBytes += drop.bytes;
    this.#logger.warn({ ...drop }, 'outbox: disk bound reached; dropped lowest-severity records');
    try {
      this.#onDropped?.(drop, this);
    } catch (error) {
      this.#logger.error({ error: String(error) }, 'outbox: onDropped handler threw');
    }
  }

  async #removeDurably(reason: RemovalReason, entries: readonly PendingEntry[]): Promise<void> {
    const ids = entries.map((entry) => entry.id);
    try {
      await this.#acks.record(reason, ids, () => {
        for (const entry of entries) {
          const state = this.#segments.get(entry.segment);
          if (state === undefined) continue;
          state.live -= 1;
          state.removedIds.add(entry.id);
        }
      });
    } catch (error) {
      this.#failure ??= error instanceof OutboxError ? error : ioFailed('writing the ack log', error);
      throw this.#failure;
    }
    if (!this.#compactionQueued) {
      this.#compactionQueued = true;
      this.#serially(() => this.#compact(false)).catch((error: unknown) => {
        this.#logger.error({ error: String(error) }, 'outbox: compaction failed; will retry');
      });
    }
  }

  async #compact(rewriteAckLog: boolean): Promise<void> {
    this.#compactionQueued = false;
    await compactJournal({
      dir: this.#options.dir,
      segments: this.#segments,
      acks: this.#acks,
      floor: Math.min(
        this.#journalFloor ?? Number.POSITIVE_INFINITY,
        this.#writer.activeSegment ?? Number.POSITIVE_INFINITY,
      ),
      rewriteAckLog,
      logger: this.#logger,
    });
  }
}
