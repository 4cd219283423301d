import { type FileHandle, open, readdir } from 'node:fs/promises';
import { fsyncDir, writeAll } from './durable-fs.ts';

/**
 * Journal segments are `journal/<12-digit number>.log`, numbered upwards and
 * never reused; 12 digits outlast any device (a segment a second for 30,000 years).
 */
const SEGMENT_NAME = /^(\d{12})\.log$/;

export function segmentPath(journalDir: string, segment: number): string {
  return `${journalDir}/${String(segment).padStart(12, '0')}.log`;
}

/** Segment numbers present in the journal directory, oldest first. */
export async function listSegments(journalDir: string): Promise<number[]> {
  const numbers: number[] = [];
  for (const name of await readdir(journalDir)) {
    const match = SEGMENT_NAME.exec(name);
    if (match?.[1] !== undefined) numbers.push(Number(match[1]));
  }
  return numbers.sort((a, b) => a - b);
}

/** Where one appended frame landed. */
export interface FramePosition {
  readonly segment: number;
  readonly offset: number;
}

/**
 * Appends frames to the newest segment, starting a new one when it would
 * pass `segmentBytes` (a frame bigger than that gets a segment of its own).
 * Every call ends with fdatasync, and a new segment's directory entry is
 * fsync'd before data goes into it, so a resolved write survives power loss.
 * Not reentrant: the caller's group commit serialises calls.
 */
export class SegmentWriter {
  readonly #journalDir: string;
  readonly #segmentBytes: number;
  readonly #onNewSegment: (segment: number) => void;
  #next: number;
  #active: { segment: number; handle: FileHandle; bytes: number } | undefined;

  constructor(options: {
    journalDir: string;
    firstSegment: number;
    segmentBytes: number;
    onNewSegment: (segment: number) => void;
  }) {
    this.#journalDir = options.journalDir;
    this.#next = options.firstSegment;
    this.#segmentBytes = options.segmentBytes;
    this.#onNewSegment = options.onNewSegment;
  }

  /** The first segment the next write may touch: compaction must stay below it while writes run. */
  get firstWritableSegment(): number {
    return this.#active?.segment ?? this.#next;
  }

  /** The segment appends go to now; compaction must leave it alone. */
  get activeSegment(): number | undefined {
    return this.#active?.segment;
  }

  async write(frames: readonly Buffer[]): Promise<FramePosition[]> {
    const positions: FramePosition[] = [];
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    for (const frame of frames) {
      const active = this.#active;
      if (
        active === undefined ||
        (active.bytes + chunkBytes > 0 && active.bytes + chunkBytes + frame.length > this.#segmentBytes)
      ) {
        await this.#commitChunk(chunk, chunkBytes);
        chunk = [];
        chunkBytes = 0;
        await this.#rotate();
      }
      const current = this.#active;
      if (current === undefined) throw new Error('unreachable: no active segment after rotation');
      positions.push({ segment: current.segment, offset: current.bytes + chunkBytes });
      chunk.push(frame);
      chunkBytes += frame.length;
    }
    await this.#commitChunk(chunk, chunkBytes);
    return positions;
  }

  async close(): Promise<void> {
    await this.#active?.handle.close();
    this.#active = undefined;
  }

  async #commitChunk(chunk: Buffer[], chunkBytes: number): Promise<void> {
    const active = this.#active;
    if (active === undefined || chunkBytes === 0) return;
    await writeAll(active.handle, Buffer.concat(chunk, chunkBytes), active.bytes);
    await active.handle.datasync();
    active.bytes += chunkBytes;
  }

  async #rotate(): Promise<void> {
    await this.close();
    const segment = this.#next;
    this.#next += 1;
    const handle = await open(segmentPath(this.#journalDir, segment), 'wx', 0o600);
    this.#active = { segment, handle, bytes: 0 };
    this.#onNewSegment(segment);
    await fsyncDir(this.#journalDir);
  }
}
