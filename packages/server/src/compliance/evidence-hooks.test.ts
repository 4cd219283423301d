import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import '../http/fastify-augment.ts';
import { parseEvidenceChange, watchDeviceEvidence } from './evidence-hooks.ts';

/** A device listener in miniature: the device is whoever the test says, the routes answer what they are told. */
async function deviceApp(changed: string[][]) {
  const app = Fastify();
  app.decorateRequest('device', undefined);
  app.addHook('onRequest', async (request) => {
    const id = request.headers['x-device'];
    if (typeof id === 'string') request.device = { id, serial: '1' };
  });
  watchDeviceEvidence(app, { evidenceChanged: (ids) => changed.push([...ids]) });
  const answer = async (
    request: { headers: Record<string, unknown> },
    reply: { code(n: number): unknown },
  ) => {
    reply.code(Number(request.headers['x-status'] ?? 200));
    return {};
  };
  app.post('/v1/devices/:id/policies/:kind/status', answer);
  app.post('/v1/devices/:id/attestation/evidence', answer);
  app.post('/v1/devices/:id/check-in', answer);
  app.post('/v1/devices/:id/reports', answer);
  await app.ready();
  return app;
}

function post(
  app: Awaited<ReturnType<typeof deviceApp>>,
  url: string,
  headers: Record<string, string>,
  payload = {},
) {
  return app.inject({ method: 'POST', url, headers, payload });
}

describe('watchDeviceEvidence', () => {
  it('re-evaluates the device after a policy acknowledgement or attestation evidence it delivered', async () => {
    const changed: string[][] = [];
    const app = await deviceApp(changed);
    await post(app, '/v1/devices/gw-1/policies/firewall/status', { 'x-device': 'gw-1' });
    await post(app, '/v1/devices/gw-1/attestation/evidence', { 'x-device': 'gw-1' });
    assert.deepEqual(changed, [['gw-1'], ['gw-1']]);
    await app.close();
  });

  it('ignores refused requests, unauthenticated ones and routes that carry no evidence', async () => {
    const changed: string[][] = [];
    const app = await deviceApp(changed);
    await post(app, '/v1/devices/gw-1/policies/firewall/status', { 'x-device': 'gw-1', 'x-status': '400' });
    await post(app, '/v1/devices/gw-1/policies/firewall/status', {});
    await post(app, '/v1/devices/gw-1/reports', { 'x-device': 'gw-1' });
    assert.deepEqual(changed, []);
    await app.close();
  });

  it('counts a check-in, the heartbeat, only when the root of trust differs from the last one seen', async () => {
    const changed: string[][] = [];
    const app = await deviceApp(changed);
    const checkIn = (kind: string) =>
      post(
        app,
        '/v1/devices/gw-1/check-in',
        { 'x-device': 'gw-1' },
        { rootOfTrust: { kind, hardwareBacked: kind === 'tpm' } },
      );
    await checkIn('software');
    await checkIn('software');
    await checkIn('software');
    await checkIn('tpm');
    assert.deepEqual(changed, [['gw-1'], ['gw-1']]);
    await app.close();
  });
});

describe('parseEvidenceChange', () => {
  it("takes this replica's notifications and nothing else", () => {
    assert.deepEqual(parseEvidenceChange('{"replica":"r1","devices":["gw-1",2]}', 'r1'), ['gw-1']);
    assert.equal(parseEvidenceChange('{"replica":"r2","devices":["gw-1"]}', 'r1'), undefined);
    assert.equal(parseEvidenceChange('not json', 'r1'), undefined);
  });
});
