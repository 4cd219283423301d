import { Agent, request } from 'node:https';
import { EVENT_KIND, EVENT_SEVERITY, eventBody } from './agent-driver.ts';
import type { DeviceIdentity } from './device-identity.ts';
import type { MixedReport } from './security-event-mix.ts';

/** A device and the replica (device-listener URL) it delivers to. */
export interface ReportSender {
  readonly identity: DeviceIdentity;
  readonly deviceUrl: string;
}

export interface ReportLoadCounters {
  /** Records the panel acknowledged (stored: the ingest acknowledges after its transaction commits). */
  acknowledged: number;
  batches: number;
  /** Non-200 answers and network errors. */
  errors: number;
  lastError: string | undefined;
}

export interface ReportLoad {
  readonly counters: ReportLoadCounters;
  /** Stops after each device's batch in flight; resolves when all have stopped. */
  stop(): Promise<void>;
}

/**
 * Event delivery as agents do it, without the agents' outboxes: each device
 * posts batches of `batchRecords` reports (`POST /v1/devices/<id>/reports`,
 * ≈ 170-byte `process.exec` bodies unless `record` says otherwise, fresh
 * record IDs) one after another over its own kept-alive mutual-TLS
 * connection, as fast as the panel answers.
 */
export function startReportLoad(options: {
  readonly senders: readonly ReportSender[];
  readonly rootCaPem: string;
  readonly batchRecords: number;
  /** Record IDs are `<runId>-<device>-<seq>`: unique across runs of one benchmark. */
  readonly runId: string;
  /** Each record's kind, severity and body (e.g. `mixedReport`); default: `process.exec` with `eventBody(seq)`. */
  readonly record?: (seq: number, senderIndex: number) => MixedReport;
}): ReportLoad {
  const counters: ReportLoadCounters = { acknowledged: 0, batches: 0, errors: 0, lastError: undefined };
  let stopping = false;
  const recordOf =
    options.record ??
    ((seq: number) => ({ kind: EVENT_KIND, severity: EVENT_SEVERITY, body: eventBody(seq) }));
  const loops = options.senders.map(async (sender, index) => {
    const agent = new Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: options.rootCaPem,
      cert: sender.identity.certificatePem,
      key: sender.identity.keyPem,
    });
    const url = `${sender.deviceUrl}/v1/devices/${sender.identity.deviceId}/reports`;
    let seq = 0;
    try {
      while (!stopping) {
        const createdAt = new Date().toISOString();
        const records: string[] = [];
        for (let i = 0; i < options.batchRecords; i++) {
          seq += 1;
          const { kind, severity, body } = recordOf(seq, index);
          records.push(
            `{"id":"${options.runId}-${index}-${seq}","kind":"${kind}","severity":${severity},"createdAt":"${createdAt}","body":${JSON.stringify(body)}}`,
          );
        }
        const body = `{"records":[${records.join(',')}]}`;
        try {
          const { status, text } = await post(url, agent, body);
          if (status !== 200) throw new Error(`${status}: ${text.slice(0, 200)}`);
          counters.acknowledged += (JSON.parse(text) as { acknowledged: unknown[] }).acknowledged.length;
          counters.batches += 1;
        } catch (error) {
          counters.errors += 1;
          counters.lastError = (error as Error).message;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } finally {
      agent.destroy();
    }
  });
  return {
    counters,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

function post(url: string, agent: Agent, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('report batch timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
