import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { skipUnlessCommand } from '@palisade/testkit';
import { EstBench, problem, run } from './est-test-support.ts';

const tools = skipUnlessCommand('openssl', ['version']) || skipUnlessCommand('curl');

interface Held {
  readonly id: string;
  readonly deviceId: string;
  readonly operation: string;
  readonly status: string;
}

describe('EST manual approval (RFC 7030 §4.2.3: 202 + Retry-After)', { skip: tools }, () => {
  let b: EstBench;

  before(async () => {
    b = await EstBench.start();
    await b.group('held', { targetLevel: 'SLB', manualApproval: true });
  });
  after(async () => {
    await b.close();
  });

  async function held(deviceId: string): Promise<Held> {
    const list = (await b.api('GET', '/v1/enrollments?status=pending', undefined, 200)).json() as {
      enrollments: Held[];
    };
    const entry = list.enrollments.find((e) => e.deviceId === deviceId);
    assert.ok(entry, `no pending enrollment for ${deviceId}`);
    return entry;
  }

  async function request(id: string) {
    const token = await b.device(id, 'held');
    const key = await b.key(id);
    const csr = await b.csr(key, `/CN=${id}`);
    const send = (bodyFile = csr.base64) => b.curl('simpleenroll', { bodyFile, basic: `${id}:${token}` });
    return { key, send, token };
  }

  it('holds the request (202, Retry-After), then issues on the retry of the same CSR and token after approval', async () => {
    const before = await b.certificateCount();
    const { key, send } = await request('ap-approved');
    const first = await send();
    assert.equal(first.status, 202, first.body);
    assert.match(first.headers['retry-after'] ?? '', /^[1-9][0-9]*$/);
    assert.equal(await b.certificateCount(), before);

    // Still waiting: the retry is answered the same way and does not add a second request.
    const again = await send();
    assert.equal(again.status, 202);
    const entry = await held('ap-approved');
    assert.equal(entry.operation, 'simpleenroll');
    const pending = (await b.api('GET', '/v1/enrollments?status=pending', undefined, 200)).json() as {
      enrollments: Held[];
    };
    assert.equal(pending.enrollments.filter((e) => e.deviceId === 'ap-approved').length, 1);

    await b.api('POST', `/v1/enrollments/${entry.id}/approve`, undefined, 200);
    const cert = await b.certificateFrom(await send(), 'ap-approved');
    assert.match(
      await run('openssl', ['verify', '-CAfile', b.rootCa, '-untrusted', b.issuingCa, cert]),
      /OK/,
    );
    assert.equal((await b.curlPath('/v1/ping', { cert, key })).status, 200);
    assert.equal(await b.certificateCount(), before + 1);

    // The answer is given once; the spent token opens nothing more.
    const replay = await send();
    assert.equal(replay.status, 401);
    assert.equal(problem(replay).code, 'ENROLLMENT_UNAUTHENTICATED');
  });

  it('answers 403 ENROLLMENT_REJECTED to the retry after an operator rejects it, and issues nothing', async () => {
    const before = await b.certificateCount();
    const { send } = await request('ap-rejected');
    assert.equal((await send()).status, 202);
    const entry = await held('ap-rejected');
    await b.api('POST', `/v1/enrollments/${entry.id}/reject`, undefined, 200);
    const answer = await send();
    assert.equal(answer.status, 403);
    assert.equal(problem(answer).code, 'ENROLLMENT_REJECTED');
    assert.equal(await b.certificateCount(), before);
    const audit = await b.t.panel.services.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_log WHERE target = 'device:ap-rejected' AND details->>'code' = 'ENROLLMENT_REJECTED'",
    );
    assert.equal(audit.rows[0]?.n, 1);
  });

  it('does not let the spent token carry a different CSR while the first one waits', async () => {
    const { send } = await request('ap-swap');
    assert.equal((await send()).status, 202);
    const other = await b.csr(await b.key('ap-swap-other'), '/CN=ap-swap');
    const answer = await send(other.base64);
    assert.equal(answer.status, 401);
    assert.equal(problem(answer).code, 'ENROLLMENT_UNAUTHENTICATED');
  });

  it('holds a re-enrollment too, and issues it after approval', async () => {
    await b.group('renew-held', { targetLevel: 'SLB' });
    const device = await b.enrolled('ap-renew', 'renew-held');
    await b.group('renew-held', { targetLevel: 'SLB', manualApproval: true });
    const csr = await b.csr(await b.key('ap-renew-next'), '/CN=ap-renew');
    const send = () => b.curl('simplereenroll', { bodyFile: csr.base64, cert: device.cert, key: device.key });
    const first = await send();
    assert.equal(first.status, 202, first.body);
    assert.ok(first.headers['retry-after']);
    const entry = await held('ap-renew');
    assert.equal(entry.operation, 'simplereenroll');
    await b.api('POST', `/v1/enrollments/${entry.id}/approve`, undefined, 200);
    const renewed = await b.certificateFrom(await send(), 'ap-renew-next');
    assert.match(await run('openssl', ['x509', '-in', renewed, '-noout', '-subject']), /CN\s*=\s*ap-renew/);
  });
});
