import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { PanelAnswer, PanelRequest } from '../channel/panel-client.ts';
import type { PolicyPanel } from './panel-link.ts';
import { MAX_STATUS_MESSAGE, PolicyStatusQueue } from './policy-status-queue.ts';
import { until } from './policy-test-support.ts';

const silent = pino({ level: 'silent' });

/** A panel answering each status report with the next status of `answers` (then 204). */
function scriptedPanel(answers: number[]): { panel: PolicyPanel; bodies: Array<Record<string, unknown>> } {
  const bodies: Array<Record<string, unknown>> = [];
  const panel: PolicyPanel = {
    async send(request: PanelRequest): Promise<PanelAnswer> {
      const status = answers.shift() ?? 204;
      if (status === 204) bodies.push(JSON.parse(String(request.body)) as Record<string, unknown>);
      const body =
        status === 204 ? '' : JSON.stringify({ code: status === 400 ? 'VALIDATION_FAILED' : 'UNAVAILABLE' });
      return {
        status,
        contentType: status === 204 ? '' : 'application/problem+json',
        headers: {},
        body: Buffer.from(body),
      };
    },
    reach: async () => undefined,
  };
  return { panel, bodies };
}

describe('PolicyStatusQueue', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-status-queue-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const queue = (name: string) =>
    new PolicyStatusQueue({
      file: join(dir, name),
      deviceId: 'gw-0042',
      logger: silent,
      backoff: { baseMs: 5, capMs: 10 },
    });

  it('retries a report the panel cannot take yet (503), keeping the order', async () => {
    const statuses = queue('retry.json');
    const { panel, bodies } = scriptedPanel([503, 503]);
    await statuses.enqueue('firewall', { policyId: 'p', version: 1, state: 'drifted' });
    await statuses.enqueue('firewall', { policyId: 'p', version: 1, state: 'repaired' });
    statuses.attach(panel);
    await until(() => bodies.length === 2, 'both reports');
    assert.deepEqual(
      bodies.map((b) => b.state),
      ['drifted', 'repaired'],
    );
    assert.deepEqual(statuses.pending, []);
    statuses.close();
  });

  it('drops a report the panel refuses for good (400) instead of blocking the ones behind it', async () => {
    const statuses = queue('refused.json');
    const { panel, bodies } = scriptedPanel([400]);
    await statuses.enqueue('config', { policyId: 'gone', version: 9, state: 'applied' });
    await statuses.enqueue('config', { policyId: 'p', version: 2, state: 'applied' });
    statuses.attach(panel);
    await until(() => statuses.pending.length === 0, 'the queue to drain');
    assert.deepEqual(
      bodies.map((b) => b.policyId),
      ['p'],
    );
    statuses.close();
  });

  it(`bounds the message to ${MAX_STATUS_MESSAGE} characters and blanks control characters`, async () => {
    const statuses = queue('message.json');
    await statuses.enqueue('firewall', {
      policyId: 'p',
      version: 1,
      state: 'failed',
      message: `FIREWALL_RULESET_REFUSED: line one\nline\u0007two ${'é'.repeat(600)}`,
    });
    const message = statuses.pending[0]?.status.message ?? '';
    assert.equal(Array.from(message).length, MAX_STATUS_MESSAGE);
    assert.ok(message.startsWith('FIREWALL_RULESET_REFUSED: line one line two '));
    assert.ok(message.endsWith('…'));
    statuses.close();
  });

  it('keeps what was not sent across a restart', async () => {
    const first = queue('restart.json');
    await first.enqueue('crypto', { policyId: 'p', version: 3, state: 'rolled_back' });
    first.close();
    const second = queue('restart.json');
    await second.load();
    assert.deepEqual(second.pending, [
      { kind: 'crypto', status: { policyId: 'p', version: 3, state: 'rolled_back' } },
    ]);
    second.close();
  });
});
