import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AttestationBench, rejectionCode } from './attestation-test-bench.ts';
import { OTHER_AK_HANDLE, SKIP_WITHOUT_TPM, TestTpm } from './test-tpm.ts';

describe('attestation-key binding (credential activation against swtpm)', { skip: SKIP_WITHOUT_TPM }, () => {
  let bench: AttestationBench;
  let tpm: TestTpm;
  let otherTpm: TestTpm;

  before(async () => {
    bench = await AttestationBench.start();
    tpm = await TestTpm.start();
    otherTpm = await TestTpm.start();
    await bench.group('plant', { actionOnFailure: 'quarantine' });
    await bench.group('lab', { ekCertificate: 'optional' });
    for (const [id, group] of [
      ['bind-ok', 'plant'],
      ['bind-wrong', 'plant'],
      ['bind-late', 'plant'],
      ['bind-foreign-cert', 'plant'],
      ['bind-no-cert', 'plant'],
      ['bind-lab', 'lab'],
      ['bind-swap', 'plant'],
    ] as const)
      await bench.est.register(id, group);
  });

  after(async () => {
    await tpm?.[Symbol.asyncDispose]();
    await otherTpm?.[Symbol.asyncDispose]();
    await bench?.close();
  });

  it('activates an AK whose credential only the TPM of the certified EK could open', async () => {
    const bound = await bench.bind('bind-ok', tpm);
    assert.equal(bound.ekChanged, false);
    const view = await bench.service.overview('bind-ok');
    const [key] = view.keys;
    assert.equal(key?.status, 'active');
    assert.equal(key?.ekTrust, 'certificate');
    assert.match(key?.ekCertificateIssuer ?? '', /swtpm-localca/);
    assert.equal(view.verdicts.length, 0, 'a clean binding is not a verdict');
    const audit = await bench.est.t.panel.services.audit.list({ limit: 5, action: 'attestation.ak.bind' });
    assert.equal(audit[0]?.target, 'device:bind-ok');
  });

  it('answers "active" without a new credential when the same AK of the same TPM asks again', async () => {
    const again = await bench.service.beginBinding('bind-ok', {
      ekPublic: await tpm.ekPublic(),
      ekCertificatePem: await tpm.ekCertificatePem(),
      akPublic: await tpm.akPublic(),
    });
    assert.equal(again.status, 'active');
  });

  it('refuses a wrong secret: CREDENTIAL_ACTIVATION_FAILED, a failing binding verdict, an event, the quarantine', async () => {
    const akPublic = await tpm.createAk(OTHER_AK_HANDLE);
    const challenge = await bench.service.beginBinding('bind-wrong', {
      ekPublic: await tpm.ekPublic(),
      ekCertificatePem: await tpm.ekCertificatePem(),
      akPublic,
    });
    assert.equal(challenge.status, 'pending');
    if (challenge.status !== 'pending') return;
    const code = await rejectionCode(
      bench.service.activateBinding('bind-wrong', challenge.keyId, Buffer.alloc(32, 7)),
    );
    assert.equal(code, 'CREDENTIAL_ACTIVATION_FAILED');
    const view = await bench.service.overview('bind-wrong');
    assert.equal(view.keys[0]?.status, 'failed');
    assert.equal(view.verdicts[0]?.code, 'CREDENTIAL_ACTIVATION_FAILED');
    assert.equal(view.verdicts[0]?.component, 'binding');
    assert.equal(view.status, 'failing');
    const [event] = await bench.failures('bind-wrong');
    assert.equal(event?.fields.reason, 'credential_activation_failed');
    assert.equal(event?.fields.component, 'binding');
    assert.equal(await bench.quarantine('bind-wrong'), 'attestation:CREDENTIAL_ACTIVATION_FAILED');
    // The right secret is no use any more: the binding was spent by the wrong answer.
    const secret = await tpm.activate(Buffer.from(challenge.credential, 'base64'), OTHER_AK_HANDLE);
    assert.equal(
      await rejectionCode(bench.service.activateBinding('bind-wrong', challenge.keyId, secret)),
      'AK_BINDING_NOT_FOUND',
    );
  });

  it('refuses a credential answered after it expired', async () => {
    const akPublic = await tpm.createAk(OTHER_AK_HANDLE);
    const challenge = await bench.service.beginBinding('bind-late', {
      ekPublic: await tpm.ekPublic(),
      ekCertificatePem: await tpm.ekCertificatePem(),
      akPublic,
    });
    if (challenge.status !== 'pending') throw new Error('expected a credential');
    const secret = await tpm.activate(Buffer.from(challenge.credential, 'base64'), OTHER_AK_HANDLE);
    await bench.est.t.panel.services.db.query(
      "UPDATE attestation_keys SET challenge_expires_at = now() - interval '1 second' WHERE id = $1",
      [challenge.keyId],
    );
    assert.equal(
      await rejectionCode(bench.service.activateBinding('bind-late', challenge.keyId, secret)),
      'CREDENTIAL_ACTIVATION_FAILED',
    );
    assert.match((await bench.service.overview('bind-late')).verdicts[0]?.message ?? '', /expired/);
  });

  it("refuses another TPM's genuine EK certificate presented with this TPM's EK (Keylime CVE-2022-1053)", async () => {
    const code = await rejectionCode(
      bench.service.beginBinding('bind-foreign-cert', {
        ekPublic: await tpm.ekPublic(),
        ekCertificatePem: await otherTpm.ekCertificatePem(),
        akPublic: await tpm.akPublic(),
      }),
    );
    assert.equal(code, 'EK_CERTIFICATE_UNTRUSTED');
    const [verdict] = (await bench.service.overview('bind-foreign-cert')).verdicts;
    assert.equal(verdict?.code, 'EK_CERTIFICATE_UNTRUSTED');
    assert.deepEqual(verdict?.details, { problem: 'not-this-ek' });
    assert.equal((await bench.service.overview('bind-foreign-cert')).keys.length, 0, 'no key was created');
  });

  it('refuses an EK without a certificate where the profile requires one, accepts it where optional', async () => {
    const request = { ekPublic: await tpm.ekPublic(), akPublic: await tpm.akPublic() };
    assert.equal(
      await rejectionCode(bench.service.beginBinding('bind-no-cert', request)),
      'EK_CERTIFICATE_UNTRUSTED',
    );
    const challenge = await bench.service.beginBinding('bind-lab', request);
    if (challenge.status !== 'pending') throw new Error('expected a credential');
    const secret = await tpm.activate(Buffer.from(challenge.credential, 'base64'));
    await bench.service.activateBinding('bind-lab', challenge.keyId, secret);
    const [key] = (await bench.service.overview('bind-lab')).keys;
    assert.equal(key?.status, 'active');
    assert.equal(key?.ekTrust, 'uncertified');
  });

  it('refuses public areas that are not an EK and an AK', async () => {
    const ek = await tpm.ekPublic();
    const ak = await tpm.akPublic();
    assert.equal(
      await rejectionCode(bench.service.beginBinding('bind-ok', { ekPublic: ek, akPublic: ek })),
      'TPM_PUBLIC_INVALID',
    );
    assert.equal(
      await rejectionCode(bench.service.beginBinding('bind-ok', { ekPublic: ak, akPublic: ak })),
      'TPM_PUBLIC_INVALID',
    );
    assert.equal(
      await rejectionCode(
        bench.service.beginBinding('bind-ok', { ekPublic: ek.subarray(0, 40), akPublic: ak }),
      ),
      'TPM_PUBLIC_INVALID',
    );
  });

  it('flags a TPM swap: the new AK is proven in another TPM, EK_CHANGED fails a verdict and acts', async () => {
    await bench.bind('bind-swap', tpm);
    const swapped = await bench.bind('bind-swap', otherTpm);
    assert.equal(swapped.ekChanged, true);
    const view = await bench.service.overview('bind-swap');
    assert.deepEqual(
      view.keys.map((key) => [key.status, key.ekChanged]),
      [
        ['active', true],
        ['superseded', false],
      ],
    );
    assert.equal(view.verdicts[0]?.code, 'EK_CHANGED');
    assert.equal(view.verdicts[0]?.recoverable, false);
    const [event] = await bench.failures('bind-swap');
    assert.equal(event?.fields.reason, 'ek_changed');
    assert.equal(await bench.quarantine('bind-swap'), 'attestation:EK_CHANGED');
  });
});
