import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { BuiltEventLog } from '@palisade/testkit';
import { AttestationService } from './attestation-service.ts';
import { AttestationBench } from './attestation-test-bench.ts';
import { bootLog } from './test-boot-log.ts';
import { OTHER_AK_HANDLE, SKIP_WITHOUT_TPM, TestTpm } from './test-tpm.ts';

const body = AttestationBench.body;

describe('evidence verification (quotes from swtpm, logs extended into it)', {
  skip: SKIP_WITHOUT_TPM,
}, () => {
  let bench: AttestationBench;
  let tpm: TestTpm;
  let otherTpm: TestTpm;
  let log: BuiltEventLog;

  /** Asserts the verdict failed with `code` and component, and that an event says so. */
  async function assertFailed(
    deviceId: string,
    verdict: { result: string; code: string | null; component: string | null },
    code: string,
    component: string,
  ) {
    assert.equal(verdict.result, 'fail');
    assert.equal(verdict.code, code);
    assert.equal(verdict.component, component);
    const events = await bench.failures(deviceId);
    const last = events.at(-1);
    assert.equal(last?.fields.reason, code.toLowerCase());
    assert.equal(last?.fields.component, component);
  }

  before(async () => {
    bench = await AttestationBench.start();
    tpm = await TestTpm.start();
    otherTpm = await TestTpm.start();
    await bench.group('plant');
    for (const id of ['gw-1', 'gw-2', 'gw-unbound']) await bench.est.register(id, 'plant');
    await bench.bind('gw-1', tpm);
    await bench.bind('gw-2', otherTpm);
    log = bootLog().build();
    await tpm.extendLog(log);
  });

  after(async () => {
    await tpm?.[Symbol.asyncDispose]();
    await otherTpm?.[Symbol.asyncDispose]();
    await bench?.close();
  });

  it('passes a quote whose event log replays, storing the evidence, and says reference values were not checked', async () => {
    const verdict = await bench.attest('gw-1', tpm, log);
    assert.equal(verdict.result, 'pass', verdict.message);
    assert.deepEqual(verdict.notRun, ['reference']);
    assert.equal(verdict.evidence.pcrs?.['4'], log.expectedPcrs.sha256.get(4));
    assert.equal(verdict.evidence.pcrs?.['1'], '00'.repeat(32));
    assert.match(verdict.evidence.eventLogSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.ok(verdict.evidence.counters && Number(verdict.evidence.counters.clock) > 0);
    assert.ok(verdict.evidence.quote && verdict.evidence.quote.message.length > 0);
    const view = await bench.service.overview('gw-1');
    assert.equal(view.status, 'passing');
    assert.equal(view.counters?.resetCount, verdict.evidence.counters?.resetCount);
  });

  it('passes a quote without an event log, naming the measured-boot check as not run', async () => {
    const verdict = await bench.attest('gw-1', tpm);
    assert.equal(verdict.result, 'pass');
    assert.deepEqual(verdict.notRun, ['measured_boot', 'reference']);
  });

  it('fails evidence for a nonce the panel never issued: NONCE_UNKNOWN', async () => {
    const nonce = randomBytes(32);
    const quote = await tpm.quote(nonce, 'sha256:0,1,2,3,4,5,6,7');
    const verdict = await bench.service.submitEvidence('gw-1', body(nonce.toString('base64'), quote, log));
    await assertFailed('gw-1', verdict, 'NONCE_UNKNOWN', 'quote');
  });

  it('fails a replayed evidence body: NONCE_REUSED', async () => {
    const { nonce, quote } = await bench.quote('gw-1', tpm);
    const evidence = body(nonce, quote, log);
    assert.equal((await bench.service.submitEvidence('gw-1', evidence)).result, 'pass');
    const replayed = await bench.service.submitEvidence('gw-1', evidence);
    await assertFailed('gw-1', replayed, 'NONCE_REUSED', 'quote');
    assert.equal(replayed.recoverable, false);
  });

  it('fails evidence that arrives after its nonce expired: NONCE_EXPIRED, the nonce spent', async () => {
    const { nonce, quote } = await bench.quote('gw-1', tpm);
    const services = bench.est.t.panel.services;
    const later = new AttestationService({
      db: services.db,
      audit: services.audit,
      devices: services.devices,
      pipeline: services.eventPipeline,
      panelEvents: services.panelEvents,
      now: () => new Date(Date.now() + 301_000),
    });
    await assertFailed(
      'gw-1',
      await later.submitEvidence('gw-1', body(nonce, quote, log)),
      'NONCE_EXPIRED',
      'quote',
    );
    const again = await bench.service.submitEvidence('gw-1', body(nonce, quote, log));
    assert.equal(again.code, 'NONCE_REUSED');
  });

  it("fails evidence answering another device's nonce, leaving that nonce to its device", async () => {
    const { nonce, quote } = await bench.quote('gw-2', otherTpm);
    const stolen = await bench.service.submitEvidence('gw-1', body(nonce, quote));
    await assertFailed('gw-1', stolen, 'NONCE_WRONG_DEVICE', 'quote');
    const own = await bench.service.submitEvidence('gw-2', body(nonce, quote));
    assert.equal(own.result, 'pass', own.message);
  });

  it('fails a quote by an AK that was never bound (Keylime CVE-2023-3674: a verdict, not a log line)', async () => {
    await tpm.createAk(OTHER_AK_HANDLE);
    const { nonce, quote } = await bench.quote('gw-1', tpm, OTHER_AK_HANDLE);
    await assertFailed(
      'gw-1',
      await bench.service.submitEvidence('gw-1', body(nonce, quote, log)),
      'QUOTE_SIGNATURE_INVALID',
      'quote',
    );
    const unbound = await bench.quote('gw-unbound', tpm);
    await assertFailed(
      'gw-unbound',
      await bench.service.submitEvidence('gw-unbound', body(unbound.nonce, unbound.quote, log)),
      'AK_NOT_BOUND',
      'quote',
    );
  });

  it('fails claimed PCR values that do not hash to the signed digest: QUOTE_PCR_DIGEST_MISMATCH', async () => {
    const { nonce, quote } = await bench.quote('gw-1', tpm);
    const pcrValues = quote.pcrValues.slice();
    pcrValues.fill(0, 4 * 32, 5 * 32); // claim PCR 4 was never extended
    const verdict = await bench.service.submitEvidence('gw-1', body(nonce, { ...quote, pcrValues }, log));
    await assertFailed('gw-1', verdict, 'QUOTE_PCR_DIGEST_MISMATCH', 'pcr');
    assert.equal(verdict.evidence.pcrs, undefined, 'no PCR value of a failed quote is stored as verified');
  });

  it('fails a quote over fewer PCRs than the profile: QUOTE_PCR_SELECTION_MISMATCH', async () => {
    const challenge = await bench.service.challenge('gw-1');
    const quote = await tpm.quote(Buffer.from(challenge.nonce, 'base64'), 'sha256:0,1,2,3');
    await assertFailed(
      'gw-1',
      await bench.service.submitEvidence('gw-1', body(challenge.nonce, quote, log)),
      'QUOTE_PCR_SELECTION_MISMATCH',
      'pcr',
    );
  });

  it('fails an event log that does not replay to the quoted PCRs, naming the PCR', async () => {
    const otherBoot = bootLog({ kernel: 'linux 6.1.0 (patched)' }).build();
    const { nonce, quote } = await bench.quote('gw-1', tpm);
    const verdict = await bench.service.submitEvidence('gw-1', body(nonce, quote, otherBoot));
    await assertFailed('gw-1', verdict, 'EVENT_LOG_REPLAY_MISMATCH', 'measured_boot');
    assert.equal(verdict.pcr, 4);
    assert.equal((await bench.failures('gw-1')).at(-1)?.fields.pcr, 4);
  });

  it('fails truncated, garbage, non-base64 and oversized event logs with their own reasons', async () => {
    const cases: Array<[string, string]> = [
      [Buffer.from(log.bytes.subarray(0, log.bytes.length - 7)).toString('base64'), 'EVENT_LOG_TRUNCATED'],
      [Buffer.from(headerOnPcr1(log.bytes)).toString('base64'), 'EVENT_LOG_MALFORMED'],
      ['this is not base64!', 'EVENT_LOG_MALFORMED'],
      ['A'.repeat(1_398_108), 'EVENT_LOG_TOO_LARGE'],
    ];
    for (const [eventLog, code] of cases) {
      const { nonce, quote } = await bench.quote('gw-1', tpm);
      const verdict = await bench.service.submitEvidence('gw-1', { ...body(nonce, quote), eventLog });
      await assertFailed('gw-1', verdict, code, 'measured_boot');
    }
  });

  it('fails a held-back quote whose clock is older than one already accepted: QUOTE_COUNTER_REGRESSION', async () => {
    const held = await bench.quote('gw-1', tpm);
    assert.equal((await bench.attest('gw-1', tpm, log)).result, 'pass');
    const verdict = await bench.service.submitEvidence('gw-1', body(held.nonce, held.quote, log));
    await assertFailed('gw-1', verdict, 'QUOTE_COUNTER_REGRESSION', 'quote');
  });

  it('detects a reboot, and fails a quote from before it (resetCount going backwards)', async () => {
    const beforeReboot = await bench.quote('gw-1', tpm);
    await tpm.reboot();
    await tpm.extendLog(log);
    const afterReboot = await bench.attest('gw-1', tpm, log);
    assert.equal(afterReboot.result, 'pass', afterReboot.message);
    assert.equal(afterReboot.evidence.rebooted, true);
    const verdict = await bench.service.submitEvidence(
      'gw-1',
      body(beforeReboot.nonce, beforeReboot.quote, log),
    );
    await assertFailed('gw-1', verdict, 'QUOTE_COUNTER_REGRESSION', 'quote');
    assert.match(verdict.message, /resetCount went from \d+ to \d+/);
  });

  it('keeps the record: every verdict listed newest first, the group profile alert-only (no quarantine)', async () => {
    const view = await bench.service.overview('gw-1', 100);
    const times = view.verdicts.map((v) => v.createdAt);
    assert.deepEqual(times, [...times].sort().reverse());
    assert.equal(view.status, 'failing');
    const codes = new Set<string | null>(view.verdicts.map((v) => v.code));
    for (const code of [
      'NONCE_UNKNOWN',
      'NONCE_REUSED',
      'QUOTE_SIGNATURE_INVALID',
      'QUOTE_COUNTER_REGRESSION',
    ])
      assert.ok(codes.has(code), code);
    assert.equal(view.quarantine, null);
    assert.equal(await bench.quarantine('gw-1'), null);
  });
});

/** The log with its Spec ID header moved to PCR 1: PFP §10.4.5.1 says PCR 0, so it is malformed. */
function headerOnPcr1(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy[0] = 1;
  return copy;
}
