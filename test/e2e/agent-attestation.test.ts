/**
 * Remote attestation end to end: a real `palisade agent` process with a
 * swtpm-backed root of trust enrolls, binds its AK by credential activation,
 * attests periodically with its boot event log, passes against golden values
 * recorded from itself, and is caught when a measured boot artifact changes,
 * when old evidence is replayed, and when its TPM is swapped.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type EventLogBuilder as Builder,
  EventLogBuilder,
  extendIntoTpm,
  type Swtpm,
  skipUnlessCommand,
  startSwtpm,
  startTestPanel,
  type TestPanel,
} from '@palisade/testkit';
import { type AgentProcess, operatorApi, provisionAgent, startAgentProcess, until } from './agent-harness.ts';

const DEVICE = 'gw-attest';
const SWTPM_LOCAL_CA = '/var/lib/swtpm-localca/issuercert.pem';

interface Verdict {
  readonly id: string;
  readonly result: 'pass' | 'fail';
  readonly code: string | null;
  readonly pcr: number | null;
  readonly notRun: string[];
  readonly details: { mismatches?: Array<{ code: string; pcr?: number; eventType?: string }> };
  readonly evidence: {
    nonce?: string;
    quote?: { message: string; signature: string };
    pcrs?: Record<string, string>;
  };
  readonly createdAt: string;
}

interface AttestationView {
  readonly status: string;
  readonly quarantine: { reason: string } | null;
  readonly keys: Array<{ status: string; ekChanged: boolean; ekTrust: string }>;
  readonly verdicts: Verdict[];
}

describe('agent attestation with a swtpm root of trust (real process)', {
  skip:
    skipUnlessCommand('swtpm', ['--version']) ||
    skipUnlessCommand('tpm2_ptool', ['--help']) ||
    skipUnlessCommand('tpm2_quote', ['--version']),
}, () => {
  let t: TestPanel;
  let api: ReturnType<typeof operatorApi>;
  let dir: string;
  let tpm: Swtpm | undefined;
  let agent: AgentProcess | undefined;
  let boot: Builder;
  let configPath: string;

  const view = async (): Promise<AttestationView> =>
    api('GET', `/v1/devices/${DEVICE}/attestation?limit=200`);
  const diagnostics = () => agent?.output().split('\n').slice(-25).join('\n') ?? '';

  before(async () => {
    t = await startTestPanel({ heartbeatSeconds: 5 });
    api = operatorApi(t, await t.adminToken());
    await api('POST', '/v1/attestation/tpm-cas', {
      name: 'swtpm-localca',
      certificatePem: await readFile(SWTPM_LOCAL_CA, 'utf8'),
    });
    await api('PUT', '/v1/groups/default/attestation-profile', {
      pcrSelection: [0, 1, 2, 3, 4, 5, 6, 7],
      intervalSeconds: 2,
      maxAgeSeconds: 60,
      actionOnFailure: 'quarantine',
      ekCertificate: 'required',
    });
    dir = await mkdtemp(join(tmpdir(), 'palisade-agent-attest-'));
    tpm = await startSwtpm({ resourceManager: true });
    boot = bootLog();
    await writeFile(join(dir, 'eventlog.bin'), boot.build().bytes);
    await extendIntoTpm(boot.build(), tpm.tcti);
    configPath = await provisionAgent(t, api, dir, DEVICE, { kind: 'tpm', tcti: tpm.tcti });
    await withAttestationSettings(configPath, dir);
    agent = startAgentProcess(configPath);
  });

  after(async () => {
    await agent?.stop();
    await t?.[Symbol.asyncDispose]();
    await tpm?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  it('enrolls, binds its AK through credential activation and attests with its event log', async () => {
    const first = await until(
      'a passing attestation',
      async () => (await view()).verdicts.find((v) => v.result === 'pass'),
      60_000,
      diagnostics,
    );
    assert.deepEqual(first.notRun, ['reference'], 'the log replayed; no reference values yet');
    const { keys } = await view();
    assert.equal(keys[0]?.status, 'active');
    assert.equal(keys[0]?.ekTrust, 'certificate');
  });

  it('passes against golden values recorded from itself, attesting at the profile interval', async () => {
    const golden = await api('POST', `/v1/devices/${DEVICE}/attestation/record-golden`, {});
    assert.equal(golden.learnedFrom.deviceId, DEVICE);
    const since = new Date().toISOString();
    const checked = await until(
      'two passes checked against the reference values',
      async () => {
        const passes = (await view()).verdicts.filter(
          (v) => v.result === 'pass' && v.notRun.length === 0 && v.createdAt > since,
        );
        return passes.length >= 2 ? passes : undefined;
      },
      30_000,
      diagnostics,
    );
    assert.ok(checked.length >= 2);
    await until(
      'the verdict reported through the outbox',
      async () =>
        (await api('GET', `/v1/events?deviceId=${DEVICE}&type=attestation.verdict&limit=5`)).events.length >
        0,
      30_000,
      diagnostics,
    );
  });

  it('fails naming PCR 4 and quarantines the device when a measured boot artifact changes', async () => {
    const since = new Date().toISOString();
    const kernel = application(4, 'linux 6.1.0 with an implant');
    boot.add(kernel);
    await writeFile(join(dir, 'eventlog.bin'), boot.build().bytes);
    await extendIntoTpm(new EventLogBuilder().add(kernel).build(), tpm?.tcti ?? '');
    const caught = await until(
      'a reference-value failure naming PCR 4',
      async () =>
        (await view()).verdicts.find((v) => v.createdAt > since && v.code === 'REFERENCE_PCR_MISMATCH'),
      30_000,
      diagnostics,
    );
    assert.equal(caught.pcr, 4);
    assert.ok(
      caught.details.mismatches?.some(
        (m) => m.code === 'REFERENCE_EVENT_MISMATCH' && m.eventType === 'EV_EFI_BOOT_SERVICES_APPLICATION',
      ),
    );
    const current = await view();
    assert.match(current.quarantine?.reason ?? '', /^attestation:/);
    assert.equal(current.status, 'failing');
    const events = await api('GET', `/v1/events?deviceId=${DEVICE}&type=attestation.failed&limit=20`);
    assert.ok(
      events.events.some(
        (e: { fields: Record<string, unknown> }) =>
          e.fields.reason === 'reference_pcr_mismatch' &&
          e.fields.pcr === 4 &&
          e.fields.component === 'reference',
      ),
    );
  });

  it('refuses a replayed old evidence body: NONCE_REUSED', async () => {
    const old = (await view()).verdicts.findLast((v) => v.result === 'pass');
    const { nonce, quote, pcrs } = old?.evidence ?? {};
    if (!nonce || !quote || !pcrs) throw new Error('a passing verdict stores its evidence');
    const pcrValues = Buffer.concat(
      [0, 1, 2, 3, 4, 5, 6, 7].map((pcr) => Buffer.from(pcrs[pcr] ?? '', 'hex')),
    );
    const replayed = await t.panel.services.attestation.submitEvidence(DEVICE, {
      nonce: Buffer.from(nonce, 'hex').toString('base64'),
      message: quote.message,
      signature: quote.signature,
      pcrValues: pcrValues.toString('base64'),
    });
    assert.equal(replayed.result, 'fail');
    assert.equal(replayed.code, 'NONCE_REUSED');
  });

  it('detects a swapped TPM: the device re-enrolled on a new TPM binds a new AK and EK_CHANGED fails', async () => {
    await agent?.stop();
    await tpm?.[Symbol.asyncDispose]();
    // A new mainboard for the same device: a fresh TPM, the same (untampered) boot, a new identity.
    tpm = await startSwtpm({ resourceManager: true });
    boot = bootLog();
    await writeFile(join(dir, 'eventlog.bin'), boot.build().bytes);
    await extendIntoTpm(boot.build(), tpm.tcti);
    await rm(join(dir, 'state'), { recursive: true, force: true });
    const { token } = await api('POST', `/v1/devices/${DEVICE}/enrollment-token`, {});
    await writeFile(join(dir, 'token'), token, { mode: 0o600 });
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    await writeFile(configPath, JSON.stringify({ ...config, rootOfTrust: { kind: 'tpm', tcti: tpm.tcti } }));
    agent = startAgentProcess(configPath);
    const swapped = await until(
      'EK_CHANGED',
      async () => (await view()).verdicts.find((v) => v.code === 'EK_CHANGED'),
      60_000,
      diagnostics,
    );
    assert.equal(swapped.result, 'fail');
    const current = await view();
    assert.deepEqual(
      current.keys.slice(0, 2).map((k) => [k.status, k.ekChanged]),
      [
        ['active', true],
        ['superseded', false],
      ],
    );
    // The new TPM measured the golden boot: the next attestation passes and lifts the attestation quarantine.
    await until(
      'a pass on the new TPM',
      async () => {
        const latest = await view();
        return latest.verdicts[0]?.result === 'pass' && latest.quarantine === null;
      },
      30_000,
      diagnostics,
    );
  });
});

/** An EFI application load whose image is `content` (its hash stands in for the Authenticode digest). */
function application(pcr: number, content: string) {
  return {
    pcr,
    type: 'EV_EFI_BOOT_SERVICES_APPLICATION' as const,
    data: `\\EFI\\debian\\vmlinuz (${content})`,
    digests: {
      sha1: createHash('sha1').update(content).digest('hex'),
      sha256: createHash('sha256').update(content).digest('hex'),
    },
  };
}

function bootLog(): Builder {
  const log = new EventLogBuilder().add({ pcr: 0, type: 'EV_S_CRTM_VERSION', data: 'firmware 1.0' });
  for (let pcr = 0; pcr < 8; pcr += 1) log.add({ pcr, type: 'EV_SEPARATOR', data: new Uint8Array(4) });
  return log.add(application(4, 'shim 15.8')).add(application(4, 'linux 6.1.0'));
}

/** Points the agent at the test's event log, and at no firmware version file. */
async function withAttestationSettings(configPath: string, dir: string): Promise<void> {
  const config = JSON.parse(await readFile(configPath, 'utf8'));
  await writeFile(
    configPath,
    JSON.stringify({
      ...config,
      attestation: {
        eventLogPath: join(dir, 'eventlog.bin'),
        firmwareVersionPath: join(dir, 'no-firmware-version'),
      },
    }),
  );
}
