import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import type { RemovalReason } from './ack-log.ts';
import { fsyncDir } from './durable-fs.ts';
import { decodeFrames } from './frame-codec.ts';
import { listSegments, segmentPath } from './journal-segment.ts';
import { OutboxError } from './outbox-error.ts';
import type { OutboxLogger } from './outbox-logger.ts';
import { decodeStoredRecord } from './outbox-record.ts';
import { PendingIndex } from './pending-index.ts';
import { SegmentTable } from './segment-table.ts';

export interface RecoveredJournal {
  readonly segments: SegmentTable;
  readonly index: PendingIndex;
  /** Appends go to a fresh segment numbered from here, never after possibly damaged bytes. */
  readonly nextSegment: number;
}

/**
 * Rebuilds the pending index from the journal. Damage never throws the
 * outbox away: a torn last frame of the newest segment (an interrupted write,
 * whose append never resolved) is cut off (the bytes copied to quarantine/); any other damaged range is logged
 * and skipped, and the segment is quarantined rather than deleted later.
 */
export async function recoverJournal(
  dir: string,
  removed: ReadonlyMap<string, RemovalReason>,
  logger: OutboxLogger,
): Promise<RecoveredJournal> {
  const journalDir = `${dir}/journal`;
  const segments = new SegmentTable();
  const index = new PendingIndex();
  const numbers = await listSegments(journalDir);
  for (const [position, segment] of numbers.entries()) {
    const path = segmentPath(journalDir, segment);
    const bytes = await readFile(path);
    const state = segments.ensure(segment);
    state.fileBytes = bytes.length;
    const decoded = decodeFrames(bytes);
    for (const range of decoded.damage) {
      const newest = position === numbers.length - 1;
      if (range.kind === 'torn-tail' && newest) {
        logger.warn(
          { file: path, offset: range.offset, bytes: range.bytes },
          'outbox: journal ends in an incomplete record (interrupted write); cut off',
        );
        // Keep the cut bytes: a torn write looks the same as rot in the last record.
        await keepInQuarantine(dir, `segment-${segment}.tail`, bytes.subarray(decoded.validEnd));
        await cutTail(path, decoded.validEnd);
        state.fileBytes = decoded.validEnd;
      } else {
        state.damaged = true;
        logger.error(
          { file: path, offset: range.offset, bytes: range.bytes },
          'outbox: journal segment has a damaged range; skipped, the rest is kept',
        );
      }
    }
    for (const frame of decoded.frames) {
      let record: { id: string; severity: number };
      try {
        record = decodeStoredRecord(frame.payload, `${path}@${frame.offset}`);
      } catch (error) {
        if (!(error instanceof OutboxError)) throw error;
        state.damaged = true;
        logger.error({ file: path, offset: frame.offset }, error.message);
        continue;
      }
      if (removed.has(record.id)) {
        state.removedIds.add(record.id);
        continue;
      }
      const added = index.add({
        id: record.id,
        segment,
        offset: frame.offset,
        bytes: frame.bytes,
        severity: record.severity,
      });
      if (added) state.live += 1;
    }
  }
  return { segments, index, nextSegment: (numbers.at(-1) ?? 0) + 1 };
}

async function cutTail(path: string, length: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function keepInQuarantine(dir: string, name: string, bytes: Buffer): Promise<void> {
  await mkdir(`${dir}/quarantine`, { recursive: true, mode: 0o700 });
  await writeFile(`${dir}/quarantine/${Date.now()}-${name}`, bytes, { mode: 0o600, flush: true });
  await fsyncDir(`${dir}/quarantine`);
}
