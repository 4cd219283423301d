import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startTestPanel } from '@palisade/testkit';
import { EST_SOURCE_MAX_FAILURES } from '../panel/panel-services.ts';

function enrollWithBearer(
  port: number,
  ca: string,
  token: string,
): Promise<{ status: number; code: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port,
        ca,
        method: 'POST',
        path: '/.well-known/est/simpleenroll',
        headers: { 'content-type': 'application/pkcs10', authorization: `Bearer ${token}` },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            code: (JSON.parse(body) as { code: string }).code,
            retryAfter: res.headers['retry-after'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end('MIIBAAAA');
  });
}

describe('EST token enrollment from one address', () => {
  it('pauses after many failed tokens, even when each guess uses a fresh token ID', async () => {
    await using t = await startTestPanel();
    const port = (t.panel.deviceApp.server.address() as AddressInfo).port;
    const ca = t.panel.services.ca.root.certificatePem;
    const guess = () => `pls_enr_${randomUUID()}_${randomBytes(32).toString('hex')}`;
    for (let attempt = 1; attempt <= EST_SOURCE_MAX_FAILURES; attempt += 1) {
      const answer = await enrollWithBearer(port, ca, guess());
      assert.deepEqual(
        [answer.status, answer.code],
        [401, 'ENROLLMENT_UNAUTHENTICATED'],
        `attempt ${attempt}`,
      );
    }
    const paused = await enrollWithBearer(port, ca, guess());
    assert.deepEqual([paused.status, paused.code], [429, 'ENROLLMENT_LOCKED']);
    assert.equal(paused.retryAfter, '300');
  });
});
