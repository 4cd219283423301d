import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { LogCapture, skipUnlessCommand } from '@palisade/testkit';
import { pino } from 'pino';
import { AgentError } from '../agent-error.ts';
import { buildCsr } from '../identity/csr.ts';
import { type JsonValue, Outbox } from '../outbox/index.ts';
import type { RootOfTrust } from '../roots/index.ts';
import { openSoftwareRoot } from '../roots/software-root.ts';
import { issueClientCertificate, type TestPki } from '../roots/tpm-test-support.ts';
import { type DeliveryOptions, deliverOutbox } from './outbox-delivery.ts';
import { PanelClient } from './panel-client.ts';
import type { ClientIdentity } from './panel-tls.ts';

const skip = skipUnlessCommand('openssl', ['version']);
const DEVICE = 'device-1';
const REPORTS = `/v1/devices/${DEVICE}/reports`;

interface WireRecord {
  readonly id: string;
  readonly kind: string;
  readonly severity: number;
  readonly createdAt: string;
  readonly body: JsonValue;
}

/** What the fake panel does with one POST: answer, or hang up without answering. */
type Answer = { readonly status: number; readonly contentType?: string; readonly body: string } | 'hang-up';

interface Round {
  readonly records: readonly WireRecord[];
  /** The round's number, from 0. */
  readonly index: number;
}

/**
 * A fake panel's ingest: POST /v1/devices/:id/reports over mutual TLS. It
 * stores records idempotently on their ID, as the real one does, and counts
 * every time each ID reaches it.
 */
interface FakeIngest {
  readonly rounds: Round[];
  readonly times: number[];
  readonly stored: string[];
  readonly seen: Map<string, number>;
  readonly paths: string[];
  close(): Promise<void>;
}

const acknowledge = (ids: readonly string[]): Answer => ({
  status: 200,
  contentType: 'application/json',
  body: JSON.stringify({ acknowledged: ids }),
});
const problem = (status: number, code: string): Answer => ({
  status,
  contentType: 'application/problem+json',
  body: JSON.stringify({ status, code, detail: `refused with ${code}` }),
});

async function startIngest(
  pki: TestPki,
  decide: (round: Round, store: (ids: readonly string[]) => void) => Answer,
): Promise<FakeIngest & { readonly port: number }> {
  const rounds: Round[] = [];
  const times: number[] = [];
  const stored: string[] = [];
  const seen = new Map<string, number>();
  const paths: string[] = [];
  const store = (ids: readonly string[]) => {
    for (const id of ids) if (!stored.includes(id)) stored.push(id);
  };
  const handle = (request: IncomingMessage, response: ServerResponse, body: string) => {
    paths.push(`${request.method} ${request.url}`);
    const { records } = JSON.parse(body) as { records: WireRecord[] };
    const round: Round = { records, index: rounds.length };
    rounds.push(round);
    times.push(Date.now());
    for (const record of records) seen.set(record.id, (seen.get(record.id) ?? 0) + 1);
    const answer = decide(round, store);
    if (answer === 'hang-up') {
      request.socket.destroy();
      return;
    }
    response.writeHead(answer.status, {
      'content-type': answer.contentType ?? 'application/json',
      'content-length': Buffer.byteLength(answer.body),
    });
    response.end(answer.body);
  };
  const server: Server = createServer(
    {
      key: pki.serverKeyPem,
      cert: pki.serverCertificatePem,
      ca: pki.caPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => handle(request, response, Buffer.concat(chunks).toString('utf8')));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    rounds,
    times,
    stored,
    seen,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const idsOf = (round: Round | undefined) => round?.records.map((record) => record.id);

describe('deliverOutbox', { skip }, () => {
  let work: string;
  let root: RootOfTrust;
  let pki: TestPki;
  let identity: ClientIdentity;
  let outbox: Outbox;
  let ingest: (FakeIngest & { port: number }) | undefined;
  let client: PanelClient | undefined;
  let logs: LogCapture;
  let stop: AbortController;
  let loop: Promise<void> | undefined;
  let case_ = 0;

  const append = (count: number, body: (index: number) => JsonValue = (index) => ({ n: index })) =>
    outbox.appendMany(
      Array.from({ length: count }, (_, index) => ({ kind: 'event', severity: 5, body: body(index) })),
    );

  /** Starts the fake panel and the delivery loop against it. */
  const run = async (
    decide: Parameters<typeof startIngest>[1],
    options: Partial<DeliveryOptions> = {},
  ): Promise<FakeIngest> => {
    const started = await startIngest(pki, decide);
    ingest = started;
    client = new PanelClient(
      [{ url: new URL(`https://127.0.0.1:${started.port}`), caPem: pki.caPem, serverName: 'localhost' }],
      identity,
    );
    loop = deliverOutbox({
      outbox,
      client,
      deviceId: DEVICE,
      signal: stop.signal,
      logger: pino({ level: 'debug' }, logs),
      backoff: { baseMs: 10, capMs: 20 },
      ...options,
    });
    return started;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'palisade-delivery-'));
    root = await openSoftwareRoot({ keyDir: join(work, 'keys') });
    const key = await root.createKey('device');
    pki = await issueClientCertificate(await buildCsr(key, { commonName: DEVICE }));
    identity = { certificatePem: pki.clientCertificatePem, key: key.tlsClientKey() };
  });
  after(async () => {
    await root?.close();
    await pki?.dispose();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    case_ += 1;
    logs = new LogCapture();
    stop = new AbortController();
    outbox = await Outbox.open({
      dir: join(work, `outbox-${case_}`),
      maxBytes: 16 * 1024 * 1024,
      logger: pino({ level: 'silent' }),
    });
  });
  afterEach(async () => {
    stop.abort();
    await loop;
    loop = undefined;
    client?.close();
    await ingest?.close();
    await outbox.close();
  });

  it('delivers in order, each record once, removing only acknowledged records; an append wakes it', async () => {
    const ids = await append(25);
    let wake: (() => void) | undefined;
    const panel = await run(
      (round, store) => {
        const batch = idsOf(round) ?? [];
        store(batch);
        return acknowledge(batch);
      },
      { batchRecords: 10, onWake: (w) => (wake = w) },
    );
    await waitFor(() => outbox.stats().pendingRecords === 0, 'the outbox to drain');
    assert.deepEqual(
      panel.rounds.map((round) => round.records.length),
      [10, 10, 5],
    );
    assert.deepEqual(panel.stored, ids, 'in order');
    assert.deepEqual(panel.rounds.flatMap(idsOf), ids, 'nothing sent twice');
    assert.ok([...panel.seen.values()].every((count) => count === 1));
    assert.ok(panel.paths.every((path) => path === `POST ${REPORTS}`));
    assert.deepEqual(panel.rounds[0]?.records[3], {
      ...panel.rounds[0]?.records[3],
      kind: 'event',
      severity: 5,
      body: { n: 3 },
    });
    assert.equal(outbox.stats().acknowledgedRecords, 25);

    // Idle now (it polls every second); an append and a wake-up send at once.
    await delay(150);
    const more = await append(2, (index) => ({ late: index }));
    const appended = Date.now();
    assert.ok(wake, 'the loop handed out its wake-up');
    wake();
    await waitFor(() => outbox.stats().pendingRecords === 0, 'the new records');
    assert.ok(Date.now() - appended < 500, `delivered ${Date.now() - appended} ms after the wake-up`);
    assert.deepEqual(idsOf(panel.rounds.at(-1)), more);

    stop.abort();
    await loop;
  });

  it('sends again, next round, what the panel did not acknowledge', async () => {
    const ids = await append(10);
    const panel = await run((round, store) => {
      const batch = idsOf(round) ?? [];
      const acknowledged = round.index === 0 ? batch.slice(0, 5) : batch;
      store(acknowledged);
      return acknowledge(acknowledged);
    });
    await waitFor(() => outbox.stats().pendingRecords === 0, 'the outbox to drain');
    assert.equal(panel.rounds.length, 2);
    assert.deepEqual(idsOf(panel.rounds[0]), ids);
    assert.deepEqual(idsOf(panel.rounds[1]), ids.slice(5));
    assert.deepEqual(
      ids.map((id) => panel.seen.get(id)),
      [1, 1, 1, 1, 1, 2, 2, 2, 2, 2],
    );
    assert.deepEqual(panel.stored, ids);
  });

  it('acknowledges nothing on a 500, retries after the backoff, then delivers', async () => {
    const ids = await append(6);
    const pendingAtRequest: number[] = [];
    const panel = await run(
      (round, store) => {
        pendingAtRequest.push(outbox.stats().pendingRecords);
        if (round.index === 0)
          return { status: 500, contentType: 'text/plain', body: 'Internal Server Error' };
        store(idsOf(round) ?? []);
        return acknowledge(idsOf(round) ?? []);
      },
      { backoff: { baseMs: 300, capMs: 300 } },
    );
    await waitFor(() => outbox.stats().pendingRecords === 0, 'the outbox to drain');
    assert.equal(panel.rounds.length, 2);
    assert.deepEqual(idsOf(panel.rounds[0]), ids);
    assert.deepEqual(idsOf(panel.rounds[1]), ids, 'the retry carries every record: none was acknowledged');
    assert.deepEqual(pendingAtRequest, [6, 6]);
    const retry = logs.records().find((record) => record.msg === 'outbox delivery failed; will retry');
    assert.ok(retry, 'the failure is logged');
    assert.equal(retry.level, 40);
    assert.equal(retry.pending, 6);
    const retryInMs = Number(retry.retryInMs);
    assert.ok(retryInMs >= 0 && retryInMs <= 300);
    const gap = (panel.times[1] ?? 0) - (panel.times[0] ?? 0);
    assert.ok(gap >= retryInMs - 5, `retried after ${gap} ms, backoff was ${retryInMs} ms`);
    assert.match(JSON.stringify(retry.err), /PANEL_REFUSED/);
    assert.deepEqual(panel.stored, ids);
  });

  it('acknowledges nothing on garbage answers', async () => {
    const ids = await append(4);
    const garbage: Answer[] = [
      { status: 200, contentType: 'text/html', body: '<html>captive portal</html>' },
      { status: 200, body: '{"acknowledged": [' },
      { status: 200, body: JSON.stringify({ acknowledged: 'all' }) },
      { status: 200, body: JSON.stringify({ acknowledged: [1, null, { id: ids[0] }, [ids[1]]] }) },
      { status: 200, body: JSON.stringify({ acknowledged: ['not-one-of-ours'] }) },
      { status: 200, body: JSON.stringify({}) },
      { status: 200, body: 'null' },
      { status: 302, contentType: 'text/html', body: 'moved' },
      'hang-up',
    ];
    const pendingAtRequest: number[] = [];
    const panel = await run((round, store) => {
      pendingAtRequest.push(outbox.stats().pendingRecords);
      const answer = garbage[round.index];
      if (answer !== undefined) return answer;
      store(idsOf(round) ?? []);
      return acknowledge(idsOf(round) ?? []);
    });
    await waitFor(() => outbox.stats().pendingRecords === 0, 'the outbox to drain');
    assert.equal(panel.rounds.length, garbage.length + 1);
    for (const round of panel.rounds) assert.deepEqual(idsOf(round), ids, `round ${round.index}`);
    assert.deepEqual(
      pendingAtRequest,
      panel.rounds.map(() => 4),
    );
    assert.deepEqual(panel.stored, ids);
  });

  it('halves a batch the panel rejects as malformed until the bad record stands alone, then sets it aside', async () => {
    const ids = await append(16, (index) => (index === 5 ? { poison: true } : { n: index }));
    const poison = ids[5] as string;
    const panel = await run(
      (round, store) => {
        if (round.records.some((record) => JSON.stringify(record.body).includes('poison'))) {
          return problem(400, 'VALIDATION_FAILED');
        }
        store(idsOf(round) ?? []);
        return acknowledge(idsOf(round) ?? []);
      },
      // Halving never waits: a long backoff would show up as a timeout here.
      { batchRecords: 16, backoff: { baseMs: 60_000, capMs: 60_000 } },
    );
    await waitFor(() => outbox.stats().pendingRecords === 0, 'the outbox to drain');
    assert.deepEqual(
      panel.rounds.map((round) => round.records.length),
      [16, 8, 4, 12, 6, 3, 1, 11, 5, 2, 1, 10],
    );
    assert.deepEqual(
      panel.stored,
      ids.filter((id) => id !== poison),
      'everything else delivered, in order',
    );
    assert.ok(
      ids.filter((id) => id !== poison).every((id) => panel.stored.filter((s) => s === id).length === 1),
    );
    const setAside = logs
      .records()
      .filter((record) => record.msg === 'the panel rejects this record as malformed; it is set aside');
    assert.equal(setAside.length, 1);
    assert.equal(setAside[0]?.recordId, poison);
    assert.equal(setAside[0]?.kind, 'event');
    assert.equal(setAside[0]?.level, 50);
    assert.equal(
      logs.records().filter((record) => record.msg === 'outbox delivery failed; will retry').length,
      0,
    );
    assert.equal(outbox.stats().acknowledgedRecords, 16);
  });

  it('tells onRefused about refusals and ends when it answers true, acknowledging nothing', async () => {
    const ids = await append(3);
    const told: unknown[] = [];
    const panel = await run(
      (round) =>
        round.index === 0 ? problem(403, 'DEVICE_QUARANTINED') : problem(401, 'DEVICE_CERTIFICATE_REFUSED'),
      {
        onRefused: async (error) => {
          told.push(error);
          return error instanceof AgentError && error.code === 'IDENTITY_REFUSED';
        },
      },
    );
    // The loop ends by itself, without the abort signal.
    const ended = await Promise.race([loop?.then(() => 'ended'), delay(3_000).then(() => 'still running')]);
    assert.equal(ended, 'ended');
    assert.equal(stop.signal.aborted, false);
    assert.equal(told.length, 2);
    const [quarantined, revoked] = told;
    assert.ok(quarantined instanceof AgentError && revoked instanceof AgentError);
    assert.equal(quarantined.code, 'PANEL_REFUSED');
    assert.deepEqual(quarantined.details, { status: 403, problemCode: 'DEVICE_QUARANTINED' });
    assert.equal(revoked.code, 'IDENTITY_REFUSED');
    assert.deepEqual(revoked.details, { status: 401, problemCode: 'DEVICE_CERTIFICATE_REFUSED' });
    assert.equal(panel.rounds.length, 2);
    assert.deepEqual(panel.stored, []);
    assert.equal(outbox.stats().pendingRecords, 3);
    assert.equal(outbox.stats().inFlightRecords, 0, 'the batch was released');
    assert.equal(outbox.stats().acknowledgedRecords, 0);
    assert.deepEqual(
      (await outbox.nextBatch()).map((record) => record.id),
      ids,
    );
  });

  it('sends a batch again when the answer is lost, and the panel keeps each record once', async () => {
    const ids = await append(5);
    const panel = await run((round, store) => {
      store(idsOf(round) ?? []);
      // The panel stored the batch, but its answer never arrives.
      return round.index === 0 ? 'hang-up' : acknowledge(idsOf(round) ?? []);
    });
    await waitFor(() => outbox.stats().pendingRecords === 0, 'the outbox to drain');
    assert.equal(panel.rounds.length, 2);
    assert.deepEqual(idsOf(panel.rounds[1]), ids);
    assert.deepEqual(panel.stored, ids);
    const retry = logs.records().find((record) => record.msg === 'outbox delivery failed; will retry');
    assert.match(JSON.stringify(retry?.err), /PANEL_UNREACHABLE/);
  });
});
