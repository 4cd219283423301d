import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { newUuidV7 } from '@palisade/core';
import { startTestPanel, type TestPanel } from '@palisade/testkit';
import { EventPartitions } from './event-partitions.ts';
import type { DeviceReport } from './report-ingest.ts';

const DAY = 86_400_000;

function report(overrides: Partial<DeviceReport> = {}): DeviceReport {
  return {
    id: newUuidV7(),
    kind: 'auth.login-failed',
    severity: 5,
    createdAt: new Date().toISOString(),
    body: { user: 'root', message: 'failed password for root' },
    ...overrides,
  };
}

describe('security events', () => {
  let t: TestPanel;
  let admin: string;
  before(async () => {
    t = await startTestPanel();
    admin = await t.adminToken();
    for (const id of ['ev-a', 'ev-b'])
      await t.panel.services.db.query(
        "INSERT INTO devices (id, group_name, state) VALUES ($1, 'default', 'enrolled')",
        [id],
      );
  });
  after(() => t?.[Symbol.asyncDispose]());

  const rowsOf = async (deviceId: string) =>
    (
      await t.panel.services.db.query<{ id: string; type: string; fields: Record<string, unknown> }>(
        'SELECT id, type, fields FROM security_events WHERE ingest_key = $1 ORDER BY occurred_at',
        [deviceId],
      )
    ).rows;

  describe('ingest', () => {
    it('stores each event once, whether redelivered or repeated inside a batch', async () => {
      const first = report();
      const second = report({ kind: 'fim.modified', severity: 7, body: { path: '/etc/passwd' } });
      const ingest = t.panel.services.ingest;
      assert.equal((await ingest.ingest('ev-a', [first, second, first])).stored, 2);
      const again = await ingest.ingest('ev-a', [first, second]);
      assert.deepEqual(again, { acknowledged: [first.id, second.id], stored: 0 });
      const rows = await rowsOf('ev-a');
      assert.deepEqual(rows.map((r) => r.id).sort(), [first.id, second.id].sort());
      assert.equal(
        rows.find((r) => r.id === second.id)?.fields.path,
        '/etc/passwd',
        'body scalars become fields',
      );
    });

    it('keeps an event whose device clock is absurd, stamped with the panel time and flagged', async () => {
      const future = report({ createdAt: new Date(Date.now() + 30 * DAY).toISOString() });
      const ancient = report({ createdAt: '1970-01-01T00:00:07Z' });
      await t.panel.services.ingest.ingest('ev-b', [future, ancient]);
      const page = await t.panel.services.eventStore.search({ deviceId: 'ev-b' }, { limit: 10 });
      assert.equal(page.events.length, 2);
      for (const event of page.events) {
        assert.equal(event.fields.clockSkewed, true);
        assert.ok(Math.abs(Date.parse(event.occurredAt) - Date.now()) < 60_000, 'stored at panel time');
      }
      assert.deepEqual(
        page.events.map((e) => e.fields.sourceTime).sort(),
        [future.createdAt, ancient.createdAt].sort(),
        "the device's claim is kept",
      );
    });
  });

  describe('partitions and retention', () => {
    it('creates the coming days, moves early arrivals out of the default partition, and drops old days', async () => {
      const db = t.panel.services.db;
      const now = Date.now();
      // An event dated three days ahead lands in the default partition (no partition yet for that day).
      const tooEarly = report({ createdAt: new Date(now + 3 * DAY).toISOString(), kind: 'net.connection' });
      const later = new EventPartitions(db, { now: () => new Date(now + 3 * DAY) });
      const cutoffTest = report({ createdAt: new Date(now - 40 * DAY).toISOString(), severity: 2 });
      const keptHigh = report({ createdAt: new Date(now - 40 * DAY).toISOString(), severity: 9 });
      // Both old events land in the default partition: there is no partition for 40 days ago.
      await t.panel.services.ingest.ingest('ev-a', [cutoffTest, keptHigh]);
      await db.query(
        // Written as the ingest would, three days from now (the panel's clock would not accept it today).
        `INSERT INTO security_events (ingest_key, id, source, device_id, type, severity, message, occurred_at, received_at)
         VALUES ('ev-a', $1, 'device', 'ev-a', 'net.connection', 1, 'early', $2, now())`,
        [tooEarly.id, tooEarly.createdAt],
      );
      const result = await later.maintain();
      assert.ok(result, 'the maintenance lock was free');
      const tableOf = async (id: string) =>
        (
          await db.query<{ t: string }>(
            'SELECT tableoid::regclass::text AS t FROM security_events WHERE id = $1',
            [id],
          )
        ).rows[0]?.t;
      const day = new Date(tooEarly.createdAt).toISOString().slice(0, 10).replaceAll('-', '');
      assert.equal(await tableOf(tooEarly.id), `security_events_${day}`, 'moved into its new partition');
      assert.equal(await tableOf(cutoffTest.id), undefined, 'severity 2 is past its 30 days');
      assert.equal(await tableOf(keptHigh.id), 'security_events_default', 'severity 9 is kept for a year');

      // A year and a half later every partition of today is past the longest retention: dropped whole.
      const muchLater = new EventPartitions(db, { now: () => new Date(now + 550 * DAY) });
      const dropped = await muchLater.maintain();
      const today = new Date(now).toISOString().slice(0, 10).replaceAll('-', '');
      assert.ok(dropped?.dropped.includes(`security_events_${today}`), JSON.stringify(dropped));
      assert.equal(await tableOf(keptHigh.id), undefined);
    });

    it('still refuses a duplicate once its day has a partition of its own', async () => {
      const event = report();
      await t.panel.services.eventPartitions.maintain();
      assert.equal((await t.panel.services.ingest.ingest('ev-b', [event])).stored, 1);
      assert.equal((await t.panel.services.ingest.ingest('ev-b', [event])).stored, 0);
    });
  });

  describe('GET /v1/events', () => {
    it('pages through a filtered search with a cursor, newest first, nothing repeated or skipped', async () => {
      const base = Date.now() - 3_600_000;
      const batch = Array.from({ length: 25 }, (_, i) =>
        report({
          kind: 'process.started',
          severity: i % 2 === 0 ? 6 : 2,
          createdAt: new Date(base + i * 1000).toISOString(),
          body: { name: `p${i}` },
        }),
      );
      await t.panel.services.ingest.ingest('ev-a', batch);
      const wanted = batch
        .filter((r) => r.severity >= 5)
        .sort((x, y) => y.createdAt.localeCompare(x.createdAt))
        .map((r) => r.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const query = `deviceId=ev-a&type=process.started&minSeverity=5&limit=5${cursor ? `&cursor=${cursor}` : ''}`;
        const answer = await t.inject('GET', `/v1/events?${query}`, { token: admin });
        assert.equal(answer.statusCode, 200, answer.body);
        const page = answer.json() as { events: { id: string }[]; nextCursor?: string };
        seen.push(...page.events.map((e) => e.id));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor && pages < 10);
      assert.deepEqual(seen, wanted);
      assert.equal(pages, 3);
    });

    it('refuses a forged cursor and an unknown filter, and anonymous callers', async () => {
      const forged = await t.inject(
        'GET',
        `/v1/events?cursor=${Buffer.from('["x"]').toString('base64url')}`,
        {
          token: admin,
        },
      );
      assert.equal(forged.statusCode, 400);
      assert.equal(forged.json().code, 'EVENT_CURSOR_INVALID');
      const unknown = await t.inject('GET', '/v1/events?colour=red', { token: admin });
      assert.equal(unknown.statusCode, 400);
      assert.equal((await t.inject('GET', '/v1/events')).statusCode, 401);
    });

    it('records panel-side security events in the same stream (a failed login), without the password', async () => {
      const password = `wrong-${randomUUID()}`;
      const login = await t.inject('POST', '/v1/auth/login', {
        body: { username: 'admin', password, mode: 'token' },
      });
      assert.equal(login.statusCode, 401);
      let found: Record<string, unknown> | undefined;
      for (let i = 0; i < 50 && !found; i += 1) {
        const page = (
          await t.inject('GET', '/v1/events?source=panel&type=operator.login_failed', { token: admin })
        ).json();
        found = page.events[0];
        if (!found) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(found, 'the failed login is a searchable event');
      assert.equal((found.fields as Record<string, unknown>).reason, 'invalid_credentials');
      assert.deepEqual(found.controls, ['PD-1']);
      assert.ok(!JSON.stringify(found).includes(password));
    });
  });

  describe('GET /v1/events/stream', () => {
    it('streams newly stored events that pass the filter, as Server-Sent Events over TLS', async () => {
      const ca = await readFile(t.panel.facts.rootCaPath, 'utf8');
      const url = new URL('/v1/events/stream?deviceId=ev-b&minSeverity=7', t.panel.facts.operatorUrl);
      const received: string[] = [];
      const stream = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const req = request(url, { ca, headers: { authorization: `Bearer ${admin}` } }, resolve);
        req.on('error', reject);
        req.end();
      });
      try {
        assert.equal(stream.statusCode, 200);
        assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => received.push(chunk));
        await new Promise((resolve) => setTimeout(resolve, 200));
        const quiet = report({ severity: 3 });
        const loud = report({
          kind: 'tamper.detected',
          severity: 9,
          body: { sensor: 'lid', message: 'line1\nline2' },
        });
        await t.panel.services.ingest.ingest('ev-b', [quiet, loud]);
        await t.panel.services.ingest.ingest('ev-a', [report({ severity: 9 })]);
        const deadline = Date.now() + 5000;
        while (!received.join('').includes(loud.id) && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 25));
        await new Promise((resolve) => setTimeout(resolve, 200));
        const text = received.join('');
        const frames = text.split('\n\n').filter((f) => f.startsWith('id: '));
        assert.equal(frames.length, 1, text);
        const [frame] = frames;
        assert.match(frame ?? '', new RegExp(`^id: ${loud.id}\nevent: security-event\ndata: `));
        const event = JSON.parse((frame ?? '').split('\ndata: ')[1] ?? '');
        assert.equal(event.message, 'line1\nline2', 'a newline in an event stays inside its one data line');
      } finally {
        stream.destroy();
      }
    });
  });
});
