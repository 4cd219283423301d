import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  openTestDatabase,
  skipUnlessCommand,
  startTestPanel,
  type TestDatabase,
  type TestPanel,
} from '@palisade/testkit';
import WebSocket from 'ws';
import { EstBench } from '../est/est-test-support.ts';

describe('push fan-out across replicas (LISTEN/NOTIFY)', { skip: skipUnlessCommand('curl') }, () => {
  let database: TestDatabase;
  let a: EstBench;
  let b: TestPanel;
  let socket: WebSocket;
  const messages: Array<{ type: string; at: number }> = [];

  before(async () => {
    database = await openTestDatabase();
    a = await EstBench.start({ heartbeatSeconds: 5 }, { replicaOf: database });
    b = await startTestPanel({ heartbeatSeconds: 5 }, { replicaOf: database });
    const device = await a.enrolled('gw-fanout');
    socket = new WebSocket(`wss://localhost:${a.devicePort}/v1/devices/gw-fanout/channel`, {
      ca: await readFile(a.rootCa),
      cert: await readFile(device.cert),
      key: await readFile(device.key),
    });
    socket.on('message', (data) => messages.push({ ...JSON.parse(String(data)), at: Date.now() }));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
  });

  after(async () => {
    socket?.close();
    await b?.[Symbol.asyncDispose]();
    await a?.close();
    await database?.[Symbol.asyncDispose]();
  });

  const waitFor = async (count: number) => {
    const started = Date.now();
    while (messages.length < count) {
      assert.ok(Date.now() - started < 5_000, `expected ${count} messages, got ${JSON.stringify(messages)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('delivers, within a second, a push published through the replica the device is not connected to', async () => {
    await waitFor(1); // hello
    const token = await b.adminToken();
    const sent = Date.now();
    const answer = await b.inject('POST', '/v1/devices/gw-fanout/refresh', { token });
    assert.equal(answer.statusCode, 200, answer.body);
    assert.equal(answer.json().delivered, 0, 'no channel of this device on replica B');
    await waitFor(2);
    assert.equal(messages[1]?.type, 'desired-state-changed');
    assert.ok((messages[1]?.at ?? Number.POSITIVE_INFINITY) - sent < 1_000, 'within a second');
  });

  it('delivers once, not twice, when published on the replica that holds the channel', async () => {
    const answer = await a.api('POST', '/v1/devices/gw-fanout/renew-certificate', undefined, 200);
    assert.equal(answer.json().delivered, 1);
    await waitFor(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(messages.length, 3, 'its own notification is not delivered again');
    assert.equal(messages[2]?.type, 'renew-certificate');
  });

  it('closes, within a second, the connection on replica A of a certificate revoked through replica B', async () => {
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    const token = await b.adminToken();
    const revokedAt = Date.now();
    const answer = await b.inject('POST', '/v1/devices/gw-fanout/revoke', {
      token,
      body: { reason: 'keyCompromise' },
    });
    assert.equal(answer.statusCode, 200, answer.body);
    const at = await Promise.race([
      closed,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error('still open')), 5_000)),
    ]);
    assert.ok(at - revokedAt < 1_000, `closed after ${at - revokedAt} ms`);
  });
});
