import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { Outbox } from './outbox.ts';
import type { OutboxLogger } from './outbox-logger.ts';
import type { OutboxRecord } from './outbox-record.ts';

const quiet: OutboxLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const fixture = new URL('./fixtures/crash-writer.ts', import.meta.url).pathname;

/** What the child reported before it died. */
interface Ledger {
  /** seq → id of every append that resolved. */
  readonly appended: Map<number, string>;
  readonly ackCalled: Set<string>;
  readonly ackResolved: Set<string>;
}

/** Runs the writer until `killAfterMs` after it is ready, then SIGKILLs it mid-whatever. */
async function runAndKill(
  dir: string,
  firstSeq: number,
  killAfterMs: number,
  ledger: Ledger,
  whileRunning: () => Promise<void> = async () => undefined,
): Promise<void> {
  const child = spawn(process.execPath, [fixture, dir, String(firstSeq)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const [tag, id, seq] = line.split(' ');
    if (tag === 'ready') {
      await whileRunning();
      setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    } else if (tag === 'A' && id !== undefined) ledger.appended.set(Number(seq), id);
    else if (tag === 'k' && id !== undefined) ledger.ackCalled.add(id);
    else if (tag === 'K' && id !== undefined) ledger.ackResolved.add(id);
  }
  const signal = await exited;
  assert.equal(signal, 'SIGKILL', `writer exited on its own: ${stderr}`);
}

/** Every pending record, read without acknowledging; fails on a record handed out twice. */
async function drainWithoutAck(outbox: Outbox): Promise<Map<string, OutboxRecord>> {
  const seen = new Map<string, OutboxRecord>();
  for (;;) {
    const batch = await outbox.nextBatch({ maxRecords: 5000, maxBytes: 64 * 1024 * 1024 });
    if (batch.length === 0) return seen;
    for (const record of batch) {
      assert.ok(!seen.has(record.id), `record ${record.id} handed out twice`);
      seen.set(record.id, record);
    }
  }
}

function checkAgainstLedger(pending: Map<string, OutboxRecord>, ledger: Ledger): void {
  for (const [seq, id] of ledger.appended) {
    if (ledger.ackResolved.has(id)) {
      assert.ok(!pending.has(id), `record ${seq} (${id}) was acknowledged yet is pending again`);
    } else if (!ledger.ackCalled.has(id)) {
      const record = pending.get(id);
      assert.ok(record !== undefined, `record ${seq} (${id}) was appended durably and is lost`);
      assert.deepEqual((record.body as { seq: number }).seq, seq, `record ${id} changed body`);
    }
  }
  for (const record of pending.values()) {
    const seq = (record.body as { seq: number }).seq;
    const id = ledger.appended.get(seq);
    // A record can be on disk without its append having been reported (killed before it resolved).
    if (id !== undefined) assert.equal(record.id, id, `record ${seq} changed its ID`);
  }
}

describe('Outbox', () => {
  describe('after SIGKILL of a writing, acknowledging process', () => {
    it('keeps every durable append and every durable ack, with stable IDs and no duplicates', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'outbox-crash-'));
      try {
        const ledger: Ledger = { appended: new Map(), ackCalled: new Set(), ackResolved: new Set() };
        const rounds = 6;
        for (let round = 0; round < rounds; round += 1) {
          await runAndKill(
            dir,
            round * 10_000_000,
            150 + Math.floor(Math.random() * 450),
            ledger,
            async () => {
              // The live writer holds the directory: another process must not open it.
              await assert.rejects(Outbox.open({ dir, maxBytes: 256 * 1024 * 1024, logger: quiet }), {
                code: 'OUTBOX_LOCKED',
              });
            },
          );
          const outbox = await Outbox.open({ dir, maxBytes: 256 * 1024 * 1024, logger: quiet });
          try {
            checkAgainstLedger(await drainWithoutAck(outbox), ledger);
          } finally {
            await outbox.close();
          }
        }
        assert.ok(ledger.appended.size > 1000, `only ${ledger.appended.size} appends in ${rounds} rounds`);
        assert.ok(ledger.ackResolved.size > 100, `only ${ledger.ackResolved.size} acks in ${rounds} rounds`);

        // Drain for real: afterwards nothing is left, and nothing comes back after a reopen.
        const outbox = await Outbox.open({ dir, maxBytes: 256 * 1024 * 1024, logger: quiet });
        const pending = await drainWithoutAck(outbox);
        assert.equal(await outbox.acknowledge(pending.keys()), pending.size);
        await outbox.close();
        const reopened = await Outbox.open({ dir, maxBytes: 256 * 1024 * 1024, logger: quiet });
        assert.equal(reopened.stats().pendingRecords, 0);
        assert.deepEqual(await reopened.nextBatch(), []);
        await reopened.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
