import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestDatabase, type TestDatabase } from '@palisade/testkit';
import { DevicePresence } from './device-presence.ts';

describe('DevicePresence', () => {
  let database: TestDatabase;
  let clock = new Date('2030-01-01T00:00:00Z');
  before(async () => {
    database = await openTestDatabase();
    await database.db.query(
      "INSERT INTO devices (id, group_name, state) VALUES ('gw-p', 'default', 'enrolled')",
    );
  });
  after(() => database?.[Symbol.asyncDispose]());

  it('is online after a check-in, and offline once two heartbeats and the slack passed without one', async () => {
    const presence = new DevicePresence(database.db, { now: () => clock, heartbeatSeconds: 30 });
    assert.equal((await presence.of('gw-p')).online, false, 'never seen: offline');
    await presence.checkIn('gw-p', {
      agentVersion: '1',
      rootOfTrust: 'tpm',
      hardwareBacked: true,
      address: '10.0.0.1',
    });
    assert.equal((await presence.of('gw-p')).online, true);
    clock = new Date(clock.getTime() + 70_000); // 2 × 30 s + 10 s: still inside
    assert.equal((await presence.of('gw-p')).online, true);
    clock = new Date(clock.getTime() + 1_000);
    const view = await presence.of('gw-p');
    assert.equal(view.online, false);
    assert.equal(view.lastSeenAt, '2030-01-01T00:00:00.000Z');
  });

  it('counts push channels, and a restart of the only panel clears counts a crash left behind', async () => {
    const presence = new DevicePresence(database.db, { now: () => clock, heartbeatSeconds: 30 });
    await presence.channelOpened('gw-p');
    await presence.channelOpened('gw-p');
    await presence.channelClosed('gw-p');
    assert.equal((await presence.of('gw-p')).channelConnections, 1);
    await presence.resetConnections();
    assert.equal((await presence.of('gw-p')).channelConnections, 0);
  });
});
