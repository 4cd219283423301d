import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { skipUnlessCommand } from '@palisade/testkit';
import fc from 'fast-check';
import { EstBench, exchange, type HttpAnswer } from './est-test-support.ts';

const tools = skipUnlessCommand('openssl', ['version']);

/** DER length octets (X.690 §8.1.3) for a definite length. */
function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return [0x80 | bytes.length, ...bytes];
}

describe('EST simpleenroll with random bodies (fast-check)', { skip: tools }, () => {
  let b: EstBench;
  let socket: TLSSocket | undefined;
  let authorization: string;
  let validCsr: Buffer;

  before(async () => {
    b = await EstBench.start();
    const token = await b.device('fuzz-1');
    authorization = `Basic ${Buffer.from(`fuzz-1:${token}`).toString('base64')}`;
    validCsr = await readFile((await b.csr(await b.key('fuzz-1'), '/CN=fuzz-1')).der);
  });
  after(async () => {
    socket?.destroy();
    await b.close();
  });

  /** One request on a kept-alive connection, reconnecting when the panel closed it. */
  async function post(body: string): Promise<HttpAnswer> {
    if (!socket || socket.destroyed) socket = await b.connect();
    return exchange(socket, {
      method: 'POST',
      path: '/.well-known/est/simpleenroll',
      headers: { authorization, 'content-type': 'application/pkcs10' },
      body,
    });
  }

  function neverAServerFault(answer: HttpAnswer): void {
    assert.ok(answer.status < 500, `${answer.status} ${answer.body}`);
    assert.ok(answer.status >= 400, `random input was accepted: ${answer.status}`);
    assert.match(answer.headers['content-type'] ?? '', /^application\/problem\+json/);
  }

  const randomBytes = fc.uint8Array({ maxLength: 3000 });
  // Bytes that start like a DER SEQUENCE of the right length, to get past the first parser check.
  const sequenceShaped = fc
    .uint8Array({ maxLength: 1500 })
    .map((inner) => Uint8Array.from([0x30, ...derLength(inner.length), ...inner]));
  // A real CSR, truncated and with a few bytes overwritten: deep into the ASN.1, key and signature code.
  const mutatedCsr = fc
    .record({
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      keep: fc.nat(),
    })
    .map(({ edits, keep }) => {
      const bytes = Uint8Array.from(validCsr);
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      return bytes.subarray(0, bytes.length - (keep % 4 === 0 ? keep % bytes.length : 0));
    })
    // An edit may write the byte that was already there: that is the valid CSR, not random input.
    .filter((bytes) => !Buffer.from(bytes).equals(validCsr));

  it('never answers 5xx, whatever the base64-encoded bytes, and issues nothing', async () => {
    const before = await b.certificateCount();
    await fc.assert(
      fc.asyncProperty(fc.oneof(randomBytes, sequenceShaped, mutatedCsr), async (bytes) => {
        neverAServerFault(await post(Buffer.from(bytes).toString('base64')));
      }),
      { numRuns: 300 },
    );
    assert.equal(await b.certificateCount(), before);
  });

  it('never answers 5xx to bodies that are not base64 at all', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 500 }), async (text) => {
        neverAServerFault(await post(text));
      }),
      { numRuns: 100 },
    );
  });

  it('still enrolls with the same token afterwards: refusals of the CSR never spent it', async () => {
    const answer = await post(validCsr.toString('base64'));
    assert.equal(answer.status, 200, answer.body);
  });
});
