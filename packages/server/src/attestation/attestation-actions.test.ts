import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { EventLogBuilder } from '@palisade/testkit';
import { ADMIN, AttestationBench } from './attestation-test-bench.ts';
import { application, artifactDigests, bootLog } from './test-boot-log.ts';
import { SKIP_WITHOUT_TPM, TestTpm } from './test-tpm.ts';

describe('reference values, failure actions and recovery (swtpm)', { skip: SKIP_WITHOUT_TPM }, () => {
  let bench: AttestationBench;
  let tpm: TestTpm;
  let otherTpm: TestTpm;
  let boot: EventLogBuilder;

  const attest = (deviceId = 'line-1', firmwareVersion?: string) =>
    bench.quote(deviceId, deviceId === 'line-1' ? tpm : otherTpm).then(({ nonce, quote }) =>
      bench.service.submitEvidence(deviceId, {
        ...AttestationBench.body(nonce, quote, boot.build()),
        ...(firmwareVersion ? { firmwareVersion } : {}),
      }),
    );

  async function auditActions(target: string): Promise<string[]> {
    const entries = await bench.est.t.panel.services.audit.list({ limit: 1000 });
    return entries.filter((entry) => entry.target === target).map((entry) => entry.action);
  }

  async function quarantineEvents(deviceId: string): Promise<number> {
    const result = await bench.est.t.panel.services.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM security_events WHERE device_id = $1 AND type = 'device.quarantined'",
      [deviceId],
    );
    return result.rows[0]?.n ?? 0;
  }

  before(async () => {
    bench = await AttestationBench.start();
    tpm = await TestTpm.start();
    otherTpm = await TestTpm.start();
    await bench.group('plant', { actionOnFailure: 'quarantine' });
    await bench.group('strict', { actionOnFailure: 'revoke' });
    await bench.est.register('line-1', 'plant');
    await bench.bind('line-1', tpm);
    boot = bootLog();
    await tpm.extendLog(boot.build());
  });

  after(async () => {
    await tpm?.[Symbol.asyncDispose]();
    await otherTpm?.[Symbol.asyncDispose]();
    await bench?.close();
  });

  it("records golden values from a device's replayed boot, audited, and the next attestation checks them", async () => {
    const first = await attest();
    assert.equal(first.result, 'pass');
    const learned = await bench.service.recordGolden(ADMIN, 'line-1');
    assert.equal(learned.group, 'plant');
    assert.equal(learned.learnedFrom.verdictId, first.id);
    const values = learned.referenceValues;
    assert.deepEqual(Object.keys(values.pcrs).map(Number), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(values.requireSecureBoot, true);
    const apps = values.events.find((rule) => rule.type === 'EV_EFI_BOOT_SERVICES_APPLICATION');
    assert.deepEqual(
      apps?.digests.toSorted(),
      [artifactDigests('linux 6.1.0').sha256, artifactDigests('shim 15.8').sha256].toSorted(),
    );
    assert.ok((await auditActions('group:plant')).includes('attestation.reference-values.record-golden'));
    const checked = await attest();
    assert.equal(checked.result, 'pass', checked.message);
    assert.deepEqual(checked.notRun, []);
    assert.equal(checked.evidence.referenceVersion, 1);
  });

  it('fails and quarantines a device whose PCR 4 was extended behind the log (a boot artifact swapped)', async () => {
    const kernel = application(4, '\\EFI\\debian\\vmlinuz', 'linux 6.1.0 with a rootkit');
    const digests = kernel.digests;
    if (!digests) throw new Error('the fixture gives digests');
    await tpm.extend(4, digests.sha256, digests.sha1);
    const verdict = await attest();
    assert.equal(verdict.code, 'EVENT_LOG_REPLAY_MISMATCH');
    assert.equal(verdict.pcr, 4);
    assert.equal(await bench.quarantine('line-1'), 'attestation:EVENT_LOG_REPLAY_MISMATCH');
    assert.equal(await quarantineEvents('line-1'), 1);
    assert.ok((await auditActions('device:line-1')).includes('device.quarantine'));
    // The log catches up with what was measured: it now replays, and the reference values catch it.
    boot.add(kernel);
  });

  it('names the PCR and the event that break the reference values once the log replays', async () => {
    const verdict = await attest();
    assert.equal(verdict.code, 'REFERENCE_PCR_MISMATCH');
    assert.equal(verdict.component, 'reference');
    assert.equal(verdict.pcr, 4);
    const lastIndex = boot.build().events.length; // the Spec ID header is event 0
    assert.deepEqual(verdict.details.mismatches, [
      { code: 'REFERENCE_PCR_MISMATCH', pcr: 4 },
      {
        code: 'REFERENCE_EVENT_MISMATCH',
        pcr: 4,
        eventIndex: lastIndex,
        eventType: 'EV_EFI_BOOT_SERVICES_APPLICATION',
      },
    ]);
    const event = (await bench.failures('line-1')).at(-1);
    assert.equal(event?.fields.reason, 'reference_pcr_mismatch');
    assert.equal(event?.fields.pcr, 4);
    assert.equal(await quarantineEvents('line-1'), 1, 'quarantined once, not once per failure');
  });

  it('with event-only reference values, fails naming the event (index, type, PCR)', async () => {
    const golden = (await bench.service.references.list('plant'))[0]?.referenceValues;
    if (!golden) throw new Error('golden values were recorded');
    await bench.service.references.put(ADMIN, {
      group: 'plant',
      firmwareVersion: '',
      referenceValues: { ...golden, pcrs: {} },
      action: 'attestation.reference-values.set',
    });
    const verdict = await attest();
    assert.equal(verdict.code, 'REFERENCE_EVENT_MISMATCH');
    assert.equal(verdict.pcr, 4);
    assert.equal(verdict.eventIndex, boot.build().events.length);
    assert.equal(verdict.eventType, 'EV_EFI_BOOT_SERVICES_APPLICATION');
    assert.match(verdict.message, /vmlinuz/);
  });

  it('prefers the reference values of the firmware version the device reports', async () => {
    const golden = (await bench.service.references.list('plant'))[0]?.referenceValues;
    if (!golden) throw new Error('golden values were recorded');
    await bench.service.references.put(ADMIN, {
      group: 'plant',
      firmwareVersion: 'fw-2.0',
      referenceValues: { pcrs: { 0: ['00'.repeat(32)] }, events: [], requireSecureBoot: false },
      action: 'attestation.reference-values.set',
    });
    const verdict = await attest('line-1', 'fw-2.0');
    assert.equal(verdict.code, 'REFERENCE_PCR_MISMATCH');
    assert.equal(verdict.pcr, 0);
    assert.equal(verdict.evidence.firmwareVersion, 'fw-2.0');
  });

  it('recovers when the operator accepts the new boot as golden (audited): the attestation quarantine is lifted', async () => {
    await bench.service.recordGolden(ADMIN, 'line-1');
    const verdict = await attest();
    assert.equal(verdict.result, 'pass', verdict.message);
    assert.equal(await bench.quarantine('line-1'), null);
    const actions = await auditActions('device:line-1');
    assert.ok(actions.includes('device.quarantine-lifted'));
    assert.equal((await bench.service.overview('line-1')).status, 'passing');
  });

  it('leaves a quarantine it did not set (a detection rule) to whoever set it', async () => {
    await bench.est.t.panel.services.db.query(
      "UPDATE devices SET quarantined_at = now(), quarantine_reason = 'rule beaconing: C2 traffic' WHERE id = $1",
      ['line-1'],
    );
    assert.equal((await attest()).result, 'pass');
    assert.equal(await bench.quarantine('line-1'), 'rule beaconing: C2 traffic');
  });

  it('revokes the certificate of a device in a group whose action is revoke', async () => {
    await bench.est.enrolled('strict-1', 'strict');
    await bench.bind('strict-1', otherTpm);
    const nonce = randomBytes(32);
    const quote = await otherTpm.quote(nonce, 'sha256:0,1,2,3,4,5,6,7');
    const verdict = await bench.service.submitEvidence(
      'strict-1',
      AttestationBench.body(nonce.toString('base64'), quote),
    );
    assert.equal(verdict.code, 'NONCE_UNKNOWN');
    const device = await bench.est.t.panel.services.devices.get('strict-1');
    assert.equal(device.state, 'revoked');
    const certificates = await bench.est.t.panel.services.devices.certificates('strict-1');
    assert.ok(certificates.every((c) => c.revokedAt !== null && c.revocationReason === 'privilegeWithdrawn'));
    const revocation = await bench.est.t.panel.services.audit.list({ limit: 5, action: 'device.revoke' });
    assert.equal(revocation[0]?.actor, 'system');
    assert.equal(revocation[0]?.details.cause, 'attestation:NONCE_UNKNOWN');
  });
});
