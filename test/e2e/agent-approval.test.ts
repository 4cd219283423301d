import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, loadAgentConfig } from '@palisade/agent';
import { LogCapture, startTestPanel, type TestPanel } from '@palisade/testkit';
import pino from 'pino';
import { operatorApi, provisionAgent, until } from './agent-harness.ts';

describe('agent enrollment held for approval (RFC 7030 §4.2.3) in a group that requires channel binding', () => {
  let t: TestPanel;
  let api: ReturnType<typeof operatorApi>;
  let dir: string;
  let agent: Agent;
  const logs = new LogCapture();
  let clockOffsetMs = 0;

  before(async () => {
    t = await startTestPanel({ heartbeatSeconds: 5 });
    api = operatorApi(t, await t.adminToken());
    await api('PUT', '/v1/groups/held', {
      targetLevel: 'SLE',
      requireChannelBinding: true,
      manualApproval: true,
      certificateValidityDays: 30,
    });
    dir = await mkdtemp(join(tmpdir(), 'palisade-agent-held-'));
    await api('POST', '/v1/devices', { id: 'gw-held', group: 'held' });
    const { token } = await api('POST', '/v1/devices/gw-held/enrollment-token', {});
    const configPath = await provisionAgentWithToken(dir, token);
    agent = Agent.start({
      config: await loadAgentConfig(configPath),
      logger: pino({ level: 'debug' }, logs),
      version: '0.1.0-test',
      now: () => new Date(Date.now() + clockOffsetMs),
      backoff: { baseMs: 50, capMs: 300 },
    });
  });

  async function provisionAgentWithToken(directory: string, token: string): Promise<string> {
    // provisionAgent registers the device itself; here the device exists in its group already.
    const path = await provisionAgent(
      t,
      async (method, url, body) => {
        if (method === 'POST' && url === '/v1/devices') return {};
        if (url.endsWith('/enrollment-token')) return { token };
        return api(method, url, body);
      },
      directory,
      'gw-held',
      { kind: 'software' },
    );
    return path;
  }

  after(async () => {
    await agent?.stop();
    await t?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  it('waits with the held CSR, and gets its certificate on the retry after an operator approves', async () => {
    const pending = await until(
      'held enrollment',
      async () => {
        const { enrollments } = await api('GET', '/v1/enrollments?status=pending');
        // The panel holds the request before the agent has read (and logged) the 202: wait for both.
        return enrollments.length === 1 && /enrollment held for operator approval/.test(logs.text)
          ? enrollments[0]
          : undefined;
      },
      15_000,
      () => logs.text,
    );
    assert.equal(pending.deviceId, 'gw-held');
    assert.match(logs.text, /enrollment held for operator approval/);
    const state = JSON.parse(await readFile(join(dir, 'state', 'identity.json'), 'utf8'));
    assert.ok(state.next.heldCsr, 'the CSR is kept for the retry');
    await api('POST', `/v1/enrollments/${pending.id}/approve`);
    // Retry-After is 60 s; let the agent's clock run ahead instead of waiting.
    clockOffsetMs = 61_000;
    await until(
      'enrolled',
      async () => (await api('GET', '/v1/devices/gw-held/presence')).online,
      15_000,
      () => logs.text,
    );
    const { device, certificates } = await api('GET', '/v1/devices/gw-held');
    assert.equal(device.state, 'enrolled');
    assert.equal(certificates.length, 1);
  });
});
