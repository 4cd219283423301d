import { type FileHandle, open } from 'node:fs/promises';
import { decodeFrameAt } from './frame-codec.ts';
import { segmentPath } from './journal-segment.ts';
import { OutboxError } from './outbox-error.ts';
import { decodeStoredRecord, type OutboxRecord } from './outbox-record.ts';
import type { PendingEntry } from './pending-index.ts';

/**
 * Reads handed-out records back from the journal, one read per run of
 * adjacent frames. The CRC is checked again: bytes can rot after recovery
 * read them. A record that no longer decodes is reported to `onDamaged` and
 * left out rather than sent wrong.
 */
export async function readRecords(
  journalDir: string,
  entries: readonly PendingEntry[],
  onDamaged: (entry: PendingEntry, reason: string) => void,
): Promise<OutboxRecord[]> {
  const records: OutboxRecord[] = [];
  const handles = new Map<number, FileHandle>();
  try {
    let start = 0;
    while (start < entries.length) {
      const first = entries[start] as PendingEntry;
      let end = start + 1;
      let runEnd = first.offset + first.bytes;
      for (; end < entries.length; end += 1) {
        const next = entries[end] as PendingEntry;
        if (next.segment !== first.segment || next.offset !== runEnd) break;
        runEnd += next.bytes;
      }
      let handle = handles.get(first.segment);
      if (handle === undefined) {
        handle = await open(segmentPath(journalDir, first.segment), 'r');
        handles.set(first.segment, handle);
      }
      const buffer = Buffer.allocUnsafe(runEnd - first.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, first.offset);
      const run = buffer.subarray(0, bytesRead);
      for (const entry of entries.slice(start, end)) {
        const where = `${segmentPath(journalDir, entry.segment)}@${entry.offset}`;
        const frame = decodeFrameAt(run, entry.offset - first.offset);
        if (frame === undefined || frame.bytes !== entry.bytes) {
          onDamaged(entry, `${where}: frame no longer matches its CRC`);
          continue;
        }
        try {
          const record = decodeStoredRecord(frame.payload, where);
          if (record.id !== entry.id) throw new OutboxError('OUTBOX_CORRUPT', `${where}: record ID changed`);
          records.push(record);
        } catch (error) {
          if (!(error instanceof OutboxError)) throw error;
          onDamaged(entry, error.message);
        }
      }
      start = end;
    }
  } finally {
    await Promise.all([...handles.values()].map((handle) => handle.close()));
  }
  return records;
}
