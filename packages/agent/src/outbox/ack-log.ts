import type { FileHandle } from 'node:fs/promises';
import { copyFile, mkdir, open, readFile, truncate } from 'node:fs/promises';
import { fsyncDir, ioFailed, replaceFileDurably, writeAll } from './durable-fs.ts';
import { decodeFrames, encodeFrame } from './frame-codec.ts';
import { GroupCommit } from './group-commit.ts';
import type { OutboxLogger } from './outbox-logger.ts';

/** Why records left the outbox: the panel acknowledged them, or the disk bound dropped them. */
export type RemovalReason = 'ack' | 'drop';

interface Removal {
  readonly reason: RemovalReason;
  readonly ids: readonly string[];
  /** Runs once the removal is on disk, before any later log operation starts. */
  readonly onDurable: () => void;
}

/** IDs per frame: keeps frames far below the frame size limit (~45 bytes per ID). */
const IDS_PER_FRAME = 16_384;

function encodeRemovals(reason: RemovalReason, ids: readonly string[]): Buffer[] {
  const frames: Buffer[] = [];
  for (let start = 0; start < ids.length; start += IDS_PER_FRAME) {
    const json = JSON.stringify({ op: reason, ids: ids.slice(start, start + IDS_PER_FRAME) });
    frames.push(encodeFrame(Buffer.from(json, 'utf8')));
  }
  return frames;
}

function parseRemoval(payload: Buffer): { reason: RemovalReason; ids: string[] } | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { op, ids } = value as { op?: unknown; ids?: unknown };
    if ((op !== 'ack' && op !== 'drop') || !Array.isArray(ids)) return undefined;
    if (!ids.every((id): id is string => typeof id === 'string')) return undefined;
    return { reason: op, ids };
  } catch {
    return undefined;
  }
}

/**
 * `acks.log`: the IDs of records that left the outbox (acknowledged or
 * dropped), as CRC-framed entries appended with group commit. Kept apart from
 * the journal so a journal segment is deleted whole once all its records are
 * listed here, and this file is rewritten (atomically) to forget IDs whose
 * segment is gone.
 */
export class AckLog {
  readonly #path: string;
  readonly #commit: GroupCommit<Removal>;
  #handle: FileHandle;
  #bytes: number;

  private constructor(path: string, handle: FileHandle, bytes: number) {
    this.#path = path;
    this.#handle = handle;
    this.#bytes = bytes;
    this.#commit = new GroupCommit<Removal>({
      flush: (removals) => this.#write(removals),
      delayMs: 0,
      maxBatchBytes: 1,
    });
  }

  /**
   * Reads what can be read. Damage is logged and the damaged file copied to
   * `quarantine/`; unreadable entries count as not removed, so their records
   * are delivered again (at-least-once; the panel dedups on ID).
   */
  static async open(
    dir: string,
    logger: OutboxLogger,
  ): Promise<{ log: AckLog; removed: Map<string, RemovalReason>; damaged: boolean }> {
    const path = `${dir}/acks.log`;
    const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    });
    const decoded = decodeFrames(bytes);
    const removed = new Map<string, RemovalReason>();
    let damaged = decoded.damage.some((range) => range.kind === 'corrupt');
    for (const frame of decoded.frames) {
      const removal = parseRemoval(frame.payload);
      if (removal === undefined) {
        damaged = true;
        logger.error({ file: path, offset: frame.offset }, 'outbox: ack log entry is not an ack; skipped');
        continue;
      }
      for (const id of removal.ids) removed.set(id, removal.reason);
    }
    for (const range of decoded.damage) {
      const log = range.kind === 'torn-tail' ? logger.warn : logger.error;
      log.call(
        logger,
        { file: path, offset: range.offset, bytes: range.bytes, kind: range.kind },
        range.kind === 'torn-tail'
          ? 'outbox: ack log ends in an incomplete entry (interrupted write); cut off'
          : 'outbox: ack log has a damaged range; skipped, its records will be delivered again',
      );
    }
    if (damaged) {
      await mkdir(`${dir}/quarantine`, { recursive: true, mode: 0o700 });
      await copyFile(path, `${dir}/quarantine/${Date.now()}-acks.log`);
      await fsyncDir(`${dir}/quarantine`);
    }
    let size = bytes.length;
    if (decoded.validEnd < bytes.length && !damaged) {
      // Only a torn tail: cut it so new entries do not land after garbage.
      await truncate(path, decoded.validEnd);
      size = decoded.validEnd;
    }
    // O_APPEND: every write lands at the end, whatever we believe the size is.
    const handle = await open(path, 'a', 0o600);
    await handle.sync();
    await fsyncDir(dir);
    return { log: new AckLog(path, handle, size), removed, damaged };
  }

  /** Bytes in the file now; drives when to rewrite it. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Durably records a removal; `onDurable` runs after the fsync, before the promise settles. */
  record(reason: RemovalReason, ids: readonly string[], onDurable: () => void): Promise<void> {
    return this.#commit.submit({ reason, ids, onDurable }, 1);
  }

  /**
   * Replaces the file with one entry set listing `keep()` (evaluated between
   * flushes, so no durable removal is lost), then appends resume on it.
   */
  rewrite(keep: () => string[]): Promise<void> {
    return this.#commit.exclusive(async () => {
      const frames = encodeRemovals('ack', keep());
      const data = Buffer.concat(frames);
      try {
        await replaceFileDurably(this.#path, data);
        await this.#handle.close();
        this.#handle = await open(this.#path, 'a', 0o600);
      } catch (error) {
        throw ioFailed('rewriting the ack log', error);
      }
      this.#bytes = data.length;
    });
  }

  async close(): Promise<void> {
    await this.#commit.drain();
    await this.#handle.close();
  }

  async #write(removals: Removal[]): Promise<void> {
    const data = Buffer.concat(removals.flatMap((removal) => encodeRemovals(removal.reason, removal.ids)));
    try {
      await writeAll(this.#handle, data, this.#bytes);
      await this.#handle.datasync();
    } catch (error) {
      throw ioFailed('writing the ack log', error);
    }
    this.#bytes += data.length;
    for (const removal of removals) removal.onDurable();
  }
}
