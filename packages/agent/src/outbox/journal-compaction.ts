import { unlink } from 'node:fs/promises';
import type { AckLog } from './ack-log.ts';
import { fsyncDir, quarantine } from './durable-fs.ts';
import { segmentPath } from './journal-segment.ts';
import type { OutboxLogger } from './outbox-logger.ts';
import type { SegmentTable } from './segment-table.ts';

/** The ack log is rewritten once past this size and mostly about segments already gone. */
const ACK_LOG_REWRITE_BYTES = 1024 * 1024;
const BYTES_PER_ACK_ID = 40;

/**
 * Deletes segments below `floor` with nothing left to deliver (damaged ones
 * go to quarantine/), makes that durable, and only then lets the ack log
 * forget their IDs. The order matters: a crash in between must never revive
 * a record whose ack was forgotten.
 */
export async function compactJournal(options: {
  readonly dir: string;
  readonly segments: SegmentTable;
  readonly acks: AckLog;
  /** Segments from here up may be mid-write (not yet indexed). */
  readonly floor: number;
  /** Rewrite the ack log whatever its size (it was damaged, or lists IDs of segments gone). */
  readonly rewriteAckLog: boolean;
  readonly logger: OutboxLogger;
}): Promise<void> {
  const { dir, segments, acks, logger } = options;
  const journalDir = `${dir}/journal`;
  const drained = segments.drained(options.floor);
  for (const state of drained) {
    const path = segmentPath(journalDir, state.segment);
    if (state.damaged) {
      const target = await quarantine(dir, path, `segment-${state.segment}.log`);
      logger.warn({ file: target }, 'outbox: damaged segment fully delivered; kept in quarantine');
    } else {
      await unlink(path);
    }
    segments.delete(state.segment);
  }
  if (drained.length > 0) await fsyncDir(journalDir);
  const needed = segments.removedCount() * BYTES_PER_ACK_ID;
  if (options.rewriteAckLog || (acks.bytes > ACK_LOG_REWRITE_BYTES && acks.bytes > 4 * needed)) {
    await acks.rewrite(() => segments.removedIds());
  }
}
