import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { runLoad } from './load-run.ts';

describe('runLoad against a server that closes every connection', () => {
  it('counts every answer, no errors, and latencies that do not grow with the run', async () => {
    // Like `openssl ocsp` as a responder: one POST per connection, answered with Connection: close.
    const received: number[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push(Buffer.concat(chunks).length);
        response.writeHead(200, { 'content-type': 'application/ocsp-response', connection: 'close' });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const figures = await runLoad({
        url: `http://127.0.0.1:${port}/`,
        method: 'POST',
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/ocsp-request' },
            body: Buffer.alloc(87, 1),
          },
          {
            method: 'POST',
            headers: { 'content-type': 'application/ocsp-request' },
            body: Buffer.alloc(124, 2),
          },
        ],
        connections: 4,
        durationSeconds: 1,
      });
      assert.ok(figures.requests > 20, `only ${figures.requests} answers`);
      assert.equal(figures.errors, 0);
      assert.equal(figures.non2xx, 0);
      // Unpatched, autocannon measures each answer from an ever older request: p99 near the run's length.
      assert.ok(figures.latencyP99Ms < 250, `p99 ${figures.latencyP99Ms} ms`);
      // Both bodies of the cycle arrived, whole.
      assert.ok(received.includes(87) && received.includes(124));
      assert.ok(received.every((length) => length === 87 || length === 124));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
