import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { installProblemHandlers } from '../http/problem.ts';
import type { DevicePeers } from './device-peer.ts';
import { registerEstRoutes } from './est-routes.ts';
import type { EnrollmentOutcome, EstService } from './est-service.ts';

describe('EST admission control', () => {
  it('answers 503 ENROLLMENT_BUSY with Retry-After beyond the in-flight limit, and admits again once there is room', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const est = {
      caCertificates: () => new Uint8Array(),
      async enroll(): Promise<EnrollmentOutcome> {
        calls += 1;
        if (calls === 1) await gate;
        return { kind: 'pending', retryAfterSeconds: 60 };
      },
    } as unknown as EstService;
    const peers = { of: async () => ({ kind: 'none' }) } as unknown as DevicePeers;
    const app = Fastify();
    installProblemHandlers(app);
    registerEstRoutes(app, est, peers, new Uint8Array(), 1);
    await app.ready();
    const enroll = () =>
      app.inject({
        method: 'POST',
        url: '/.well-known/est/simpleenroll',
        headers: { 'content-type': 'application/pkcs10', authorization: 'Bearer pls_enr_x' },
        payload: 'MAA=',
      });
    const first = enroll();
    await new Promise((resolve) => setImmediate(resolve));
    const refused = await enroll();
    assert.equal(refused.statusCode, 503, refused.body);
    assert.equal(refused.json().code, 'ENROLLMENT_BUSY');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter >= 3 && retryAfter <= 10, `Retry-After ${retryAfter}`);
    assert.equal(calls, 1, 'the refused request never reached the enrollment service');
    release();
    assert.equal((await first).statusCode, 202);
    assert.equal((await enroll()).statusCode, 202, 'admitted again once the first finished');
    await app.close();
  });
});
