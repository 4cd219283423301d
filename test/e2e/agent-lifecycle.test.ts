import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, parseAgentConfig } from '@palisade/agent';
import { LogCapture, startTestPanel, type TestPanel } from '@palisade/testkit';
import pino from 'pino';
import { until } from './agent-harness.ts';

describe('agent lifecycle against a real panel (software root of trust)', () => {
  let t: TestPanel;
  let admin: string;
  let dir: string;
  let agent: Agent;
  const agentLogs = new LogCapture();
  let clockOffsetMs = 0;

  const api = async (method: string, url: string, body?: unknown) => {
    const response = await t.inject(method, url, { token: admin, body });
    assert.ok(response.statusCode < 300, `${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json();
  };
  const reports = async (kind: string) =>
    (
      (await api('GET', '/v1/devices/gw-1/reports?limit=1000')).reports as Array<{
        kind: string;
        body: unknown;
      }>
    ).filter((r) => r.kind === kind);
  const identityState = async () => JSON.parse(await readFile(join(dir, 'state', 'identity.json'), 'utf8'));

  before(async () => {
    t = await startTestPanel({ heartbeatSeconds: 5 });
    admin = await t.adminToken();
    dir = await mkdtemp(join(tmpdir(), 'palisade-agent-e2e-'));
    await api('POST', '/v1/devices', { id: 'gw-1' });
    const { token } = await api('POST', '/v1/devices/gw-1/enrollment-token', {});
    await writeFile(join(dir, 'token'), token, { mode: 0o600 });
    const config = parseAgentConfig({
      deviceId: 'gw-1',
      stateDir: join(dir, 'state'),
      panel: { urls: [t.panel.facts.deviceUrl], caFile: t.panel.facts.rootCaPath, serverName: 'localhost' },
      enrollment: { tokenFile: join(dir, 'token') },
      rootOfTrust: { kind: 'software' },
      inventoryIntervalSeconds: 60,
      logLevel: 'debug',
    });
    agent = Agent.start({
      config,
      logger: pino({ level: 'debug' }, agentLogs),
      version: '0.1.0-test',
      now: () => new Date(Date.now() + clockOffsetMs),
      renewalCheckMs: 200,
      backoff: { baseMs: 50, capMs: 500 },
    });
  });

  after(async () => {
    await agent?.stop();
    await t?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  it('enrolls with the token, checks in, and reports its start, enrollment and inventory', async () => {
    const presence = await until('online', async () => {
      const view = await api('GET', '/v1/devices/gw-1/presence');
      return view.online && view.agentVersion === '0.1.0-test' ? view : undefined;
    });
    assert.equal(presence.rootOfTrust, 'software');
    assert.equal(presence.hardwareBacked, false);
    await until('reports', async () => (await reports('identity.enrolled')).length === 1);
    assert.equal((await reports('agent.started')).length, 1);
    const inventory = await until('inventory', async () => {
      const answer = await api('GET', '/v1/devices/gw-1/inventory');
      return answer.inventory ?? undefined;
    });
    assert.equal(inventory.agentVersion, '0.1.0-test');
    assert.equal(inventory.hostname.known, true);
    const { device } = await api('GET', '/v1/devices/gw-1');
    assert.equal(device.state, 'enrolled');
    const state = await identityState();
    assert.equal(new X509Certificate(state.current.certificatePem).subject, 'CN=gw-1');
  });

  it('opens the push channel, and pulls its desired state when the panel pushes', async () => {
    await until(
      'channel',
      async () => (await api('GET', '/v1/devices/gw-1/presence')).channelConnections === 1,
    );
    const { delivered } = await api('POST', '/v1/devices/gw-1/refresh');
    assert.equal(delivered, 1);
    await until('pull', async () => agentLogs.text.includes('desired state pulled'));
  });

  it('keeps the current pair when a renewal breaks off after the panel issued the certificate, then renews', async () => {
    const before = await identityState();
    const certificatesBefore = (await api('GET', '/v1/devices/gw-1')).certificates.length;
    // The panel issues the certificate, then the connection drops before the answer reaches the agent.
    let cut = 0;
    const server = t.panel.deviceApp.server;
    const breaker = (request: IncomingMessage, response: ServerResponse) => {
      if (!request.url?.endsWith('/simplereenroll')) return;
      response.end = (() => {
        cut += 1;
        request.socket.destroy();
        return response;
      }) as typeof response.end;
    };
    server.prependListener('request', breaker);
    clockOffsetMs = 70 * 86_400_000; // past two thirds of the 90-day certificate
    await until('a broken renewal', async () => cut >= 2);
    // The device keeps working with its current certificate all along.
    const seenBefore = (await api('GET', '/v1/devices/gw-1/presence')).lastSeenAt;
    await until(
      'check-in during failed renewals',
      async () => (await api('GET', '/v1/devices/gw-1/presence')).lastSeenAt !== seenBefore,
    );
    assert.equal((await identityState()).current.certificatePem, before.current.certificatePem);
    server.off('request', breaker);
    const cuts = cut;
    const renewed = await until('renewal', async () => {
      const state = await identityState();
      return state.current.certificatePem !== before.current.certificatePem && !state.next
        ? state
        : undefined;
    });
    clockOffsetMs = 0;
    assert.notEqual(renewed.current.label, before.current.label, 'the new key has its own label');
    // Two certificates were issued whose answers never arrived, and one that did.
    assert.equal((await api('GET', '/v1/devices/gw-1')).certificates.length, certificatesBefore + cuts + 1);
    await until('renewed event', async () => (await reports('identity.renewed')).length === 1);
    // The renewed pair works for mutual TLS: the agent keeps checking in with it.
    const seen = (await api('GET', '/v1/devices/gw-1/presence')).lastSeenAt;
    await until(
      'check-in with the new pair',
      async () => (await api('GET', '/v1/devices/gw-1/presence')).lastSeenAt !== seen,
    );
  });

  it('keeps retrying a failing renewal and raises identity.expiring as expiry comes near', async () => {
    const before = await identityState();
    const server = t.panel.deviceApp.server;
    const refuse = (request: IncomingMessage, response: ServerResponse) => {
      if (!request.url?.endsWith('/simplereenroll')) return;
      response.end = (() => {
        request.socket.destroy();
        return response;
      }) as typeof response.end;
    };
    server.prependListener('request', refuse);
    try {
      clockOffsetMs = 88 * 86_400_000; // inside the last tenth of the 90-day certificate
      await until('expiring event', async () => (await reports('identity.expiring')).length >= 1);
      assert.ok((await reports('identity.renewal-failed')).length >= 1);
      assert.equal((await identityState()).current.certificatePem, before.current.certificatePem);
    } finally {
      server.off('request', refuse);
      clockOffsetMs = 0;
    }
  });

  it('stops using a revoked certificate, raises the alarm, and records it', async () => {
    await api('POST', '/v1/devices/gw-1/revoke', { reason: 'keyCompromise' });
    const state = await until('revoked state', async () => {
      const value = await identityState();
      return value.revoked ? value : undefined;
    });
    assert.ok(state.revoked.serial);
    await until('alarm', async () => agentLogs.text.includes('"alarm":"identity-revoked"'));
  });
});
