import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { AttestationBench, SWTPM_LOCAL_CA } from './attestation-test-bench.ts';
import { bootLog } from './test-boot-log.ts';
import { SKIP_WITHOUT_TPM, TestTpm } from './test-tpm.ts';

interface Credentials {
  readonly cert: string;
  readonly key: string;
}

interface Answer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are asserted field by field
  readonly body: any;
}

describe('attestation API: device routes over mutual TLS, operator routes', {
  skip: SKIP_WITHOUT_TPM,
}, () => {
  let bench: AttestationBench;
  let tpm: TestTpm;
  let a: Credentials;
  let b: Credentials;
  let ca: Buffer;

  /** A device request with the device's own certificate. */
  async function call(who: Credentials, path: string, body?: unknown | string): Promise<Answer> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const [cert, key] = await Promise.all([readFile(who.cert), readFile(who.key)]);
    return new Promise((resolve, reject) => {
      const sent = request(
        {
          host: '127.0.0.1',
          port: bench.est.devicePort,
          servername: 'localhost',
          path,
          method: 'POST',
          ca,
          cert,
          key,
          headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
          });
        },
      );
      sent.on('error', reject);
      sent.end(payload);
    });
  }

  async function api(method: string, url: string, body?: unknown): Promise<Answer> {
    const response = await bench.est.api(method, url, body);
    return { status: response.statusCode, body: response.json() };
  }

  before(async () => {
    bench = await AttestationBench.start();
    tpm = await TestTpm.start();
    ca = await readFile(bench.est.rootCa);
    await bench.group('plant', { intervalSeconds: 120, maxAgeSeconds: 600 });
    a = await bench.est.enrolled('rt-1', 'plant');
    b = await bench.est.enrolled('rt-2', 'plant');
    await tpm.extendLog(bootLog().build());
  });

  after(async () => {
    await tpm?.[Symbol.asyncDispose]();
    await bench?.close();
  });

  it('binds, challenges and verifies over the device listener, the way the agent does', async () => {
    const akPublic = await tpm.createAk();
    const started = await call(a, '/v1/devices/rt-1/attestation/ak', {
      ekPublic: Buffer.from(await tpm.ekPublic()).toString('base64'),
      ekCertificate: await tpm.ekCertificatePem(),
      akPublic: Buffer.from(akPublic).toString('base64'),
    });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.status, 'pending');
    const secret = await tpm.activate(Buffer.from(started.body.credential, 'base64'));
    const activated = await call(a, `/v1/devices/rt-1/attestation/ak/${started.body.keyId}/activate`, {
      secret: Buffer.from(secret).toString('base64'),
    });
    assert.deepEqual(activated.body, { keyId: started.body.keyId, status: 'active', ekChanged: false });

    const challenge = await call(a, '/v1/devices/rt-1/attestation/challenge');
    assert.equal(challenge.status, 200);
    assert.equal(challenge.body.tpm2Selection, 'sha256:0,1,2,3,4,5,6,7');
    assert.equal(challenge.body.intervalSeconds, 120);
    assert.equal(Buffer.from(challenge.body.nonce, 'base64').length, 32);
    const quote = await tpm.quote(Buffer.from(challenge.body.nonce, 'base64'), challenge.body.tpm2Selection);
    const evidence = AttestationBench.body(challenge.body.nonce, quote, bootLog().build());
    const verdict = await call(a, '/v1/devices/rt-1/attestation/evidence', evidence);
    assert.equal(verdict.status, 200, JSON.stringify(verdict.body));
    assert.equal(verdict.body.verdict.result, 'pass');
    assert.deepEqual(verdict.body.verdict.notRun, ['reference']);

    // The same body again is a failing verdict, answered as such (200), not a transport error.
    const replay = await call(a, '/v1/devices/rt-1/attestation/evidence', evidence);
    assert.equal(replay.status, 200);
    assert.equal(replay.body.verdict.code, 'NONCE_REUSED');
  });

  it("refuses a device on another device's attestation routes: 403 DEVICE_FORBIDDEN", async () => {
    for (const path of ['/v1/devices/rt-1/attestation/challenge', '/v1/devices/rt-1/attestation/ak']) {
      const answer = await call(
        b,
        path,
        path.endsWith('/ak') ? { ekPublic: 'AAAA', akPublic: 'AAAA' } : undefined,
      );
      assert.equal(answer.status, 403, path);
      assert.equal(answer.body.code, 'DEVICE_FORBIDDEN');
    }
  });

  it('bounds evidence before parsing it: 413 over 2 MiB, 400 for a malformed nonce or an unknown field', async () => {
    const challenge = await call(a, '/v1/devices/rt-1/attestation/challenge');
    const base = { nonce: challenge.body.nonce, message: 'AAAA', signature: 'AAAA', pcrValues: 'AAAA' };
    const huge = await call(a, '/v1/devices/rt-1/attestation/evidence', {
      ...base,
      eventLog: 'A'.repeat(2 * 1024 * 1024 + 4),
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.code, 'BODY_TOO_LARGE');
    const badNonce = await call(a, '/v1/devices/rt-1/attestation/evidence', { ...base, nonce: 'short' });
    assert.equal(badNonce.body.code, 'VALIDATION_FAILED');
    const extra = await call(a, '/v1/devices/rt-1/attestation/evidence', { ...base, verdict: 'pass' });
    assert.equal(extra.body.code, 'VALIDATION_FAILED');
    const garbage = await call(a, '/v1/devices/rt-1/attestation/ak', { ekPublic: 'AAAA', akPublic: 'AAAA' });
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.code, 'TPM_PUBLIC_INVALID');
  });

  it('shows the device its attestation to operators: keys, counters, verdicts, status', async () => {
    const view = await api('GET', '/v1/devices/rt-1/attestation');
    assert.equal(view.status, 200);
    assert.equal(view.body.status, 'failing', 'the last verdict was the replay');
    assert.equal(view.body.keys[0].status, 'active');
    assert.ok(Number(view.body.counters.clock) > 0);
    assert.deepEqual(
      view.body.verdicts.map((v: { code: string | null }) => v.code),
      ['NONCE_REUSED', null],
    );
    assert.equal(view.body.profile.intervalSeconds, 120);
    assert.equal((await api('GET', '/v1/devices/nobody/attestation')).body.code, 'DEVICE_NOT_FOUND');
  });

  it('sets profiles and reference values under audit, and refuses what breaks their rules', async () => {
    const badProfile = await api('PUT', '/v1/groups/plant/attestation-profile', {
      pcrSelection: [0, 7],
      intervalSeconds: 600,
      maxAgeSeconds: 60,
      actionOnFailure: 'quarantine',
      ekCertificate: 'required',
    });
    assert.equal(badProfile.status, 400);
    assert.equal(badProfile.body.code, 'ATTESTATION_SETTINGS_INVALID');
    assert.equal((await api('GET', '/v1/groups/nowhere/attestation-profile')).body.code, 'GROUP_NOT_FOUND');
    const defaults = await api('GET', '/v1/groups/default/attestation-profile');
    assert.deepEqual(defaults.body, {
      pcrSelection: [0, 1, 2, 3, 4, 5, 6, 7],
      intervalSeconds: 3600,
      maxAgeSeconds: 7200,
      actionOnFailure: 'alert',
      ekCertificate: 'required',
    });

    const invalid = await api('PUT', '/v1/groups/plant/reference-values', {
      referenceValues: { events: [{ type: 'EV_NOT_A_TYPE', digests: [] }] },
    });
    assert.equal(invalid.body.code, 'ATTESTATION_SETTINGS_INVALID');
    const set = await api('PUT', '/v1/groups/plant/reference-values', {
      firmwareVersion: 'fw-1',
      referenceValues: { pcrs: { '7': ['AA'.repeat(32)] }, requireSecureBoot: true },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.version, 1);
    assert.deepEqual(set.body.referenceValues.pcrs, { '7': ['aa'.repeat(32)] });
    const listed = await api('GET', '/v1/groups/plant/reference-values');
    assert.deepEqual(
      listed.body.sets.map((s: { firmwareVersion: string }) => s.firmwareVersion),
      ['fw-1'],
    );
    const audit = await bench.est.t.panel.services.audit.list({
      limit: 5,
      action: 'attestation.reference-values.set',
    });
    assert.equal(audit[0]?.actor, 'operator:admin');
    assert.equal(audit[0]?.details.firmwareVersion, 'fw-1');
  });

  it('records golden values only from a replayed boot: 409 GOLDEN_EVIDENCE_MISSING otherwise', async () => {
    assert.equal(
      (await api('POST', '/v1/devices/rt-2/attestation/record-golden', {})).body.code,
      'GOLDEN_EVIDENCE_MISSING',
    );
    const golden = await api('POST', '/v1/devices/rt-1/attestation/record-golden', {});
    assert.equal(golden.status, 200, JSON.stringify(golden.body));
    assert.equal(golden.body.firmwareVersion, '');
    assert.equal(golden.body.learnedFrom.deviceId, 'rt-1');
    assert.equal(golden.body.referenceValues.requireSecureBoot, true);
  });

  it('trusts TPM CAs once, only CA certificates', async () => {
    const pem = await readFile(SWTPM_LOCAL_CA, 'utf8');
    const again = await api('POST', '/v1/attestation/tpm-cas', { name: 'again', certificatePem: pem });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'TPM_CA_EXISTS');
    const leaf = await api('POST', '/v1/attestation/tpm-cas', {
      name: 'leaf',
      certificatePem: await readFile(a.cert, 'utf8'),
    });
    assert.equal(leaf.body.code, 'TPM_CA_INVALID');
    const list = await api('GET', '/v1/attestation/tpm-cas');
    assert.deepEqual(
      list.body.tpmCas.map((c: { subject: string }) => c.subject),
      ['CN=swtpm-localca'],
    );
  });

  it('pushes "attest" to the device on request, audited', async () => {
    const socket = new WebSocket(`wss://localhost:${bench.est.devicePort}/v1/devices/rt-1/channel`, {
      ca,
      cert: await readFile(a.cert),
      key: await readFile(a.key),
    });
    const messages: Array<{ type: string }> = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    try {
      const answer = await api('POST', '/v1/devices/rt-1/attest');
      assert.equal(answer.body.delivered, 1);
      const started = Date.now();
      while (!messages.some((m) => m.type === 'attest') && Date.now() - started < 5000)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(
        messages.find((m) => m.type === 'attest'),
        { type: 'attest', reason: 'operator-request' },
      );
      const audit = await bench.est.t.panel.services.audit.list({ limit: 5, action: 'device.attest' });
      assert.equal(audit[0]?.target, 'device:rt-1');
    } finally {
      socket.close();
    }
  });
});
