import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { startTestPanel, TEST_ADMIN_PASSWORD } from '@palisade/testkit';
import { cliSandbox } from '../cli-sandbox.ts';
import { bearer, issuedCertificate, makeCsr, problemCode, simpleEnroll } from '../est-test-client.ts';

interface EnrollmentJson {
  id: string;
  deviceId: string;
  status: string;
  decidedBy: string | null;
}

describe('palisade enrollment', () => {
  it('lists held enrollments; approve lets the retry get its certificate, reject refuses it', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    const { facts } = t.panel;
    await admin.login(facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const ca = await readFile(facts.rootCaPath);
    await admin.run(['group', 'set', '--name', 'held', '--level', 'SLB', '--manual-approval']);

    // Two devices send a request each; both wait for a decision (RFC 7030 §4.2.3: 202 + Retry-After).
    const requests = new Map<string, { csrDer: Uint8Array; token: string }>();
    for (const id of ['cam-1', 'cam-2']) {
      assert.equal((await admin.run(['device', 'create', '--id', id, '--group', 'held'])).code, 0);
      const out = (await admin.run(['device', 'enroll-token', '--id', id])).out;
      const token = /^token: (\S+)$/m.exec(out)?.[1] as string;
      const csrDer = await makeCsr(id);
      const held = await simpleEnroll({
        deviceUrl: facts.deviceUrl,
        ca,
        csrDer,
        authorization: bearer(token),
      });
      assert.equal(held.status, 202, held.body);
      requests.set(id, { csrDer, token });
    }

    const pending = await admin.run(['enrollment', 'list', '--status', 'pending']);
    assert.equal(pending.code, 0, pending.err);
    assert.match(pending.out, /^ID\s+DEVICE\s+OPERATION\s+STATUS\s+REQUESTED\s+DECIDED BY\s+CSR SHA-256\n/);
    assert.match(pending.out, /\n[0-9a-f-]{36}\s+cam-1\s+simpleenroll\s+pending\s+\S+\s+-\s+[0-9a-f]{64}\n/);
    const listed = JSON.parse((await admin.run(['enrollment', 'list', '--json'])).out) as {
      enrollments: EnrollmentJson[];
    };
    const idOf = (device: string) => listed.enrollments.find((e) => e.deviceId === device)?.id as string;

    const approved = await admin.run(['enrollment', 'approve', '--id', idOf('cam-1')]);
    assert.deepEqual(approved, {
      code: 0,
      out: `approved enrollment ${idOf('cam-1')} of device cam-1: its next retry gets the certificate\n`,
      err: '',
    });
    const rejected = await admin.run(['enrollment', 'reject', '--id', idOf('cam-2')]);
    assert.deepEqual(rejected, {
      code: 0,
      out: `rejected enrollment ${idOf('cam-2')} of device cam-2\n`,
      err: '',
    });

    const retry = async (id: string) => {
      const { csrDer, token } = requests.get(id) as { csrDer: Uint8Array; token: string };
      return simpleEnroll({ deviceUrl: facts.deviceUrl, ca, csrDer, authorization: bearer(token) });
    };
    assert.match(issuedCertificate(await retry('cam-1')).subject, /CN=cam-1/);
    const refused = await retry('cam-2');
    assert.equal(refused.status, 403);
    assert.equal(problemCode(refused), 'ENROLLMENT_REJECTED');

    const decided = JSON.parse((await admin.run(['enrollment', 'list', '--json'])).out) as {
      enrollments: EnrollmentJson[];
    };
    assert.deepEqual(decided.enrollments.map((e) => [e.deviceId, e.status, e.decidedBy]).sort(), [
      ['cam-1', 'issued', 'operator:admin'],
      ['cam-2', 'rejected', 'operator:admin'],
    ]);
    assert.equal((await admin.run(['enrollment', 'list', '--status', 'pending'])).out.split('\n').length, 2);

    const twice = await admin.run(['enrollment', 'approve', '--id', idOf('cam-2')]);
    assert.deepEqual(twice, {
      code: 2,
      out: '',
      err: `palisade: no pending enrollment ${idOf('cam-2')} [ENROLLMENT_NOT_FOUND]\n`,
    });
  });

  it('refuses an ID that is not a UUID at the panel, and a bad status before contacting it', async () => {
    await using t = await startTestPanel();
    await using admin = await cliSandbox();
    await admin.login(t.panel.facts, 'admin', `${TEST_ADMIN_PASSWORD}\n`);
    const notUuid = await admin.run(['enrollment', 'reject', '--id', 'cam-1']);
    assert.equal(notUuid.code, 2);
    assert.match(notUuid.err, /\[VALIDATION_FAILED\]\n$/);
    const status = await admin.run(['enrollment', 'list', '--status', 'waiting']);
    assert.deepEqual(status, {
      code: 2,
      out: '',
      err: "palisade: --status must be one of pending, approved, rejected, issued (see 'palisade enrollment --help') [USAGE]\n",
    });
    const missing = await admin.run(['enrollment', 'approve']);
    assert.match(missing.err, /--id is required.*\[USAGE\]\n$/);
  });
});
