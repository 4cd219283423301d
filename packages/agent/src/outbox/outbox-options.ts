import type { Outbox } from './outbox.ts';
import { OutboxError } from './outbox-error.ts';
import type { OutboxLogger } from './outbox-logger.ts';

/** What the disk bound gave up in one go; the agent reports it as an `outbox.dropped` event. */
export interface OutboxDrop {
  readonly count: number;
  /** Frame bytes freed. */
  readonly bytes: number;
  /** Count per severity, for the severities that lost records. */
  readonly bySeverity: Readonly<Record<number, number>>;
}

/** Counts what a drop gave up, for the `outbox.dropped` event. */
export function summarizeDrop(victims: readonly { bytes: number; severity: number }[]): OutboxDrop {
  const bySeverity: Record<number, number> = {};
  let bytes = 0;
  for (const victim of victims) {
    bySeverity[victim.severity] = (bySeverity[victim.severity] ?? 0) + 1;
    bytes += victim.bytes;
  }
  return { count: victims.length, bytes, bySeverity };
}

export interface OutboxOptions {
  /** Directory the outbox owns (created 0700 if missing). */
  readonly dir: string;
  /** Bound on the bytes of unacknowledged records; past it, lowest severity, oldest first, are dropped. */
  readonly maxBytes: number;
  /**
   * Group commit: journal fsyncs start at least this far apart, so under load
   * one fsync carries every append of the interval; an append after a quiet
   * spell is written at once. Default 20.
   */
  readonly fsyncIntervalMs?: number;
  /** A batch this big is written at once instead of waiting out the window. Default 1 MiB. */
  readonly groupCommitBytes?: number;
  /** A journal segment is closed past this size. Default 4 MiB. */
  readonly segmentBytes?: number;
  /**
   * Called after a drop is durable. Runs inside the outbox's write path: it
   * may call `outbox.append` (without awaiting it) but must not block.
   */
  readonly onDropped?: (drop: OutboxDrop, outbox: Outbox) => void;
  /** Where recovery reports damage; defaults to JSON lines on stderr. */
  readonly logger?: OutboxLogger;
}

export interface ResolvedOutboxOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly fsyncIntervalMs: number;
  readonly groupCommitBytes: number;
  readonly segmentBytes: number;
}

function check(found: string[], name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    found.push(`${name}: an integer ${min}..${max}`);
  }
}

/** Throws OUTBOX_OPTIONS_INVALID naming every bad option. */
export function resolveOutboxOptions(options: OutboxOptions): ResolvedOutboxOptions {
  const resolved: ResolvedOutboxOptions = {
    dir: options.dir,
    maxBytes: options.maxBytes,
    fsyncIntervalMs: options.fsyncIntervalMs ?? 20,
    groupCommitBytes: options.groupCommitBytes ?? 1024 * 1024,
    segmentBytes: options.segmentBytes ?? 4 * 1024 * 1024,
  };
  const found: string[] = [];
  if (typeof resolved.dir !== 'string' || resolved.dir.length === 0) found.push('dir: a directory path');
  check(found, 'maxBytes', resolved.maxBytes, 4096, Number.MAX_SAFE_INTEGER);
  check(found, 'fsyncIntervalMs', resolved.fsyncIntervalMs, 0, 10_000);
  check(found, 'groupCommitBytes', resolved.groupCommitBytes, 1, 256 * 1024 * 1024);
  check(found, 'segmentBytes', resolved.segmentBytes, 4096, 1024 * 1024 * 1024);
  if (found.length > 0) {
    throw new OutboxError('OUTBOX_OPTIONS_INVALID', `outbox options rejected: ${found.join('; ')}`, {
      details: { problems: found },
    });
  }
  return resolved;
}
