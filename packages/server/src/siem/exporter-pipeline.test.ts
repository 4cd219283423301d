import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  openTestDatabase,
  skipUnlessCommand,
  startRsyslog,
  startSnmptrapd,
  type TestDatabase,
} from '@palisade/testkit';
import pino from 'pino';
import type { Db } from '../db/index.ts';
import { EventPipeline, EventStore, ReportIngest } from '../events/index.ts';
import { exporterDestination } from './exporter-destinations.ts';
import { ExporterQueue } from './exporter-queue.ts';
import { ExporterWorker } from './exporter-worker.ts';
import { SIGNATURE_HEADER, webhookSignature } from './webhook-destination.ts';

const run = promisify(execFile);
const SECRET = 'a-webhook-secret-of-at-least-32-chars!';

describe('SIEM exporter pipeline: ingest → durable queue → destination', {
  skip: skipUnlessCommand('openssl'),
}, () => {
  let database: TestDatabase;
  let dir: string;
  let server: Server;
  let caPem: string;
  let answer = 200;
  const received: Array<{ id: string; type: string }> = [];
  const signaturesOk: boolean[] = [];

  before(async () => {
    database = await openTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'palisade-siem-'));
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-days',
      '1',
    ]);
    caPem = await readFile(join(dir, 'cert.pem'), 'utf8');
    server = createServer({ key: await readFile(join(dir, 'key.pem')), cert: caPem }, (request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        const signature = String(request.headers[SIGNATURE_HEADER] ?? '');
        const t = Number(/t=(\d+)/.exec(signature)?.[1]);
        signaturesOk.push(signature === webhookSignature(SECRET, body, t));
        if (answer === 200)
          received.push(...(JSON.parse(body).events as Array<{ id: string; type: string }>));
        response.statusCode = answer;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    server?.close();
    await database?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    received.length = 0;
    answer = 200;
    await database.db.query('DELETE FROM siem_exporters');
  });

  async function exporter(overrides: Record<string, unknown> = {}): Promise<string> {
    const id = randomUUID();
    await database.db.query(
      'INSERT INTO siem_exporters (id, name, kind, config, min_severity) VALUES ($1, $2, $3, $4, $5)',
      [
        id,
        `hook-${id.slice(0, 8)}`,
        'webhook',
        JSON.stringify({
          url: `https://localhost:${(server.address() as AddressInfo).port}/events`,
          secret: SECRET,
          caPem,
        }),
        overrides.minSeverity ?? 0,
      ],
    );
    return id;
  }

  async function ingestEvents(count: number, start = 0) {
    await database.db.query(
      "INSERT INTO devices (id, group_name, state) VALUES ('gw-siem', 'default', 'enrolled') ON CONFLICT DO NOTHING",
    );
    const ingest = ingestInto(database.db, queue());
    const reports = Array.from({ length: count }, (_, i) => ({
      id: randomUUID(),
      kind: i % 5 === 0 ? 'inventory' : 'auth.login-failed',
      severity: (start + i) % 11,
      createdAt: new Date().toISOString(),
      body: { n: start + i },
    }));
    await ingest.ingest('gw-siem', reports);
    return reports;
  }

  const queue = (owner = 'replica-1') => new ExporterQueue(database.db, { owner, leaseSeconds: 30 });
  const worker = (owner = 'replica-1') =>
    new ExporterWorker({
      db: database.db,
      queue: queue(owner),
      destination: exporterDestination,
      logger: pino({ level: 'silent' }),
    });

  it('exports every stored event once, in order, signed, and not inventory', async () => {
    await exporter();
    const reports = await ingestEvents(20);
    await worker().runOnce();
    const expected = reports.filter((r) => r.kind !== 'inventory').map((r) => r.id);
    assert.deepEqual(
      received.map((e) => e.id),
      expected,
    );
    assert.ok(signaturesOk.every(Boolean), 'every request carries a valid HMAC signature');
    const [lag] = await queue().lag();
    assert.equal(lag?.pending, 0);
    assert.equal(lag?.delivered, expected.length);
  });

  it('keeps the queue while the destination fails, and delivers it whole once the destination is back', async () => {
    await exporter();
    const first = await ingestEvents(10);
    answer = 503;
    const w = worker();
    await w.runOnce();
    assert.equal(received.length, 0);
    let [lag] = await queue().lag();
    assert.equal(lag?.pending, 8);
    assert.match(lag?.lastError ?? '', /503/);
    const second = await ingestEvents(10, 10);
    answer = 200;
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the first backoff
    await w.runOnce();
    const expected = [...first, ...second].filter((r) => r.kind !== 'inventory').map((r) => r.id);
    assert.deepEqual(
      received.map((e) => e.id),
      expected,
      'all of them, once, in order',
    );
    [lag] = await queue().lag();
    assert.equal(lag?.pending, 0);
    assert.equal(lag?.lastError, null);
  });

  it('lets one replica at a time drain an exporter (lease), so two workers never send twice', async () => {
    await exporter();
    const reports = await ingestEvents(30);
    await Promise.all([worker('replica-1').runOnce(), worker('replica-2').runOnce()]);
    const ids = received.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'no event sent twice');
    assert.equal(ids.length, reports.filter((r) => r.kind !== 'inventory').length);
  });

  it('filters by the exporter severity floor and drops (counting) what outlived retention', async () => {
    const id = await exporter({ minSeverity: 7 });
    await ingestEvents(22);
    await database.db.query('UPDATE siem_exporters SET retention_seconds = 60 WHERE id = $1', [id]);
    await database.db.query(
      "UPDATE siem_outbox SET enqueued_at = now() - interval '2 minutes' WHERE exporter_id = $1 AND seq IN (SELECT min(seq) FROM siem_outbox WHERE exporter_id = $1)",
      [id],
    );
    await worker().runOnce();
    assert.ok(received.every((e) => (e as unknown as { severity: number }).severity >= 7));
    const [lag] = await queue().lag();
    assert.equal(lag?.dropped, 1);
    assert.equal(lag?.pending, 0);
  });
});

describe('SIEM exporter to a real rsyslog over TCP, across an outage', {
  skip: skipUnlessCommand('rsyslogd', ['-v']),
}, () => {
  it('writes every event exactly once, in order, as RFC 5424 with CEF, though rsyslog was down for a while', async () => {
    await using database = await openTestDatabase();
    await using rsyslog = await startRsyslog({ tcp: true });
    const id = randomUUID();
    await database.db.query('INSERT INTO siem_exporters (id, name, kind, config) VALUES ($1, $2, $3, $4)', [
      id,
      'siem-tcp',
      'syslog',
      JSON.stringify({ transport: 'tcp', host: '127.0.0.1', port: rsyslog.tcpPort, payload: 'cef' }),
    ]);
    await database.db.query(
      "INSERT INTO devices (id, group_name, state) VALUES ('gw-sys', 'default', 'enrolled')",
    );
    const queue = new ExporterQueue(database.db, { owner: 'replica-1' });
    const ingest = ingestInto(database.db, queue);
    const worker = new ExporterWorker({
      db: database.db,
      queue,
      destination: exporterDestination,
      logger: pino({ level: 'silent' }),
    });
    const batch = (from: number) =>
      Array.from({ length: 50 }, (_, i) => ({
        id: randomUUID(),
        kind: 'auth.login-failed',
        severity: 5,
        createdAt: new Date().toISOString(),
        // An injection attempt rides along: it must stay inside one record.
        body: {
          user: from + i === 3 ? 'root\n<13>1 2026-01-01T00:00:00Z forged - - - - fake' : 'operator',
          n: from + i,
        },
      }));
    const sent = [...batch(0)];
    await ingest.ingest('gw-sys', sent);
    try {
      await worker.runOnce();
      await rsyslog.stop();
      const during = batch(50);
      sent.push(...during);
      await ingest.ingest('gw-sys', during);
      await worker.runOnce(); // fails: rsyslog is down, the events stay queued
      assert.ok(((await queue.lag())[0]?.pending ?? 0) >= 50);
      await rsyslog.start();
      const deadline = Date.now() + 15_000;
      for (;;) {
        await worker.runOnce();
        if ((await queue.lag())[0]?.pending === 0) break;
        assert.ok(Date.now() < deadline, 'the queue drained after rsyslog came back');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await worker.stop();
    }
    let lines: string[] = [];
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
      lines = await rsyslog.readMessages();
      if (lines.length >= sent.length) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ids = lines.map((line) => /externalId=([0-9a-f-]{36})/.exec(line)?.[1]);
    assert.deepEqual(
      ids,
      sent.map((r) => r.id),
      'each event once, in order',
    );
    assert.ok(lines.every((line) => line.startsWith('<') && line.includes('CEF:0|Palisade|Agent|')));
    assert.equal(
      lines.filter((line) => line.includes('forged')).length,
      1,
      'the forged header stayed inside its record',
    );
  });
});

describe('SIEM exporter to a real snmptrapd (SNMP v2c informs)', {
  skip: skipUnlessCommand('snmptrapd', ['-v']),
}, () => {
  it('sends one acknowledged palisadeSecurityEvent per event, in order, decoded through the MIB', async () => {
    await using database = await openTestDatabase();
    await using trapd = await startSnmptrapd({ community: 'public' });
    await database.db.query('INSERT INTO siem_exporters (id, name, kind, config) VALUES ($1, $2, $3, $4)', [
      randomUUID(),
      'nms',
      'snmp',
      JSON.stringify({
        host: trapd.host,
        port: trapd.port,
        version: '2c',
        community: 'public',
        inform: true,
      }),
    ]);
    await database.db.query(
      "INSERT INTO devices (id, group_name, state) VALUES ('gw-snmp', 'default', 'enrolled')",
    );
    const queue = new ExporterQueue(database.db, { owner: 'replica-1' });
    const ingest = ingestInto(database.db, queue);
    const reports = Array.from({ length: 5 }, (_, n) => ({
      id: randomUUID(),
      kind: 'tamper.detected',
      severity: 9,
      createdAt: new Date().toISOString(),
      body: { sensor: 'enclosure', n },
    }));
    await ingest.ingest('gw-snmp', reports);
    const worker = new ExporterWorker({
      db: database.db,
      queue,
      destination: exporterDestination,
      logger: pino({ level: 'silent' }),
    });
    try {
      await worker.runOnce();
    } finally {
      await worker.stop();
    }
    const traps = await trapd.waitForTraps(5);
    assert.deepEqual(
      traps.map((trap) => trap.varbinds.get('PALISADE-MIB::palisadeEventId.0')?.value),
      reports.map((r) => r.id),
    );
    assert.ok(
      traps.every((trap) => trap.varbinds.get('PALISADE-MIB::palisadeEventDeviceId.0')?.value === 'gw-snmp'),
    );
    assert.equal((await queue.lag())[0]?.pending, 0, 'informs were acknowledged, so the queue is empty');
  });
});

/** The panel's ingest path with the exporters' queue behind it, as panel-services wires it. */
function ingestInto(db: Db, queue: ExporterQueue): ReportIngest {
  return new ReportIngest(
    db,
    () => new Date(),
    new EventPipeline(db, new EventStore(db), (tx, events) => queue.enqueueIn(tx, events)),
  );
}
