import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  createSoftHsmToken,
  type SoftHsmToken,
  type Swtpm,
  skipUnlessCommand,
  startSwtpm,
  startTestPanel,
  type TestPanel,
} from '@palisade/testkit';
import { type AgentProcess, operatorApi, provisionAgent, startAgentProcess, until } from './agent-harness.ts';

const run = promisify(execFile);

interface RootCase {
  readonly kind: 'pkcs11' | 'tpm';
  readonly skip: string | false;
  /** Sets up the hardware (SoftHSM token, swtpm behind tpm2-abrmd) and answers the agent's rootOfTrust config. */
  setUp(dir: string): Promise<Record<string, unknown>>;
  /** An independent tool's view that the identity keys live in the RoT, not in files. */
  keysInRoot(): Promise<string>;
  tearDown(): Promise<void>;
}

let token: SoftHsmToken | undefined;
let tpm: Swtpm | undefined;

const CASES: RootCase[] = [
  {
    kind: 'pkcs11',
    skip: skipUnlessCommand('softhsm2-util', ['--version']),
    async setUp() {
      token = await createSoftHsmToken({ label: 'agent' });
      return { kind: 'pkcs11', uri: token.uri };
    },
    async keysInRoot() {
      const { stdout } = await run('pkcs11-tool', [
        ...(token?.toolArgs ?? []),
        '--login',
        '--pin',
        token?.pin ?? '',
        '--list-objects',
        '--type',
        'privkey',
      ]);
      return stdout;
    },
    async tearDown() {
      await token?.[Symbol.asyncDispose]();
    },
  },
  {
    kind: 'tpm',
    skip: skipUnlessCommand('swtpm', ['--version']) || skipUnlessCommand('tpm2_ptool', ['--help']),
    async setUp() {
      tpm = await startSwtpm({ resourceManager: true });
      return { kind: 'tpm', tcti: tpm.tcti };
    },
    async keysInRoot() {
      const { stdout } = await run('tpm2_getcap', ['handles-persistent'], {
        env: { ...process.env, TPM2TOOLS_TCTI: tpm?.tcti ?? '' },
      });
      return stdout;
    },
    async tearDown() {
      await tpm?.[Symbol.asyncDispose]();
    },
  },
];

for (const rootCase of CASES) {
  describe(`agent with a ${rootCase.kind} root of trust (real process)`, { skip: rootCase.skip }, () => {
    let t: TestPanel;
    let api: ReturnType<typeof operatorApi>;
    let dir: string;
    let agent: AgentProcess;
    const deviceId = `gw-${rootCase.kind}`;
    const presence = () => api('GET', `/v1/devices/${deviceId}/presence`);
    const reportKinds = async () =>
      (
        (await api('GET', `/v1/devices/${deviceId}/reports?limit=1000`)).reports as Array<{ kind: string }>
      ).map((r) => r.kind);
    const identity = async () => JSON.parse(await readFile(join(dir, 'state', 'identity.json'), 'utf8'));
    const diagnostics = () => agent.output().split('\n').slice(-15).join('\n');

    before(async () => {
      t = await startTestPanel({ heartbeatSeconds: 5 });
      api = operatorApi(t, await t.adminToken());
      dir = await mkdtemp(join(tmpdir(), `palisade-agent-${rootCase.kind}-`));
      const rootOfTrust = await rootCase.setUp(dir);
      agent = startAgentProcess(await provisionAgent(t, api, dir, deviceId, rootOfTrust));
    });

    after(async () => {
      await agent?.stop();
      await t?.[Symbol.asyncDispose]();
      await rootCase.tearDown();
      await rm(dir, { recursive: true, force: true });
    });

    it('enrolls with a key generated in the root of trust, checks in as hardware-backed, opens the push channel', async () => {
      const view = await until(
        'online with the push channel',
        async () => {
          const value = await presence();
          // The channel may open before the first check-in, which is what reports the root of trust.
          return value.online && value.channelConnections === 1 && value.rootOfTrust !== null
            ? value
            : undefined;
        },
        60_000,
        diagnostics,
      );
      assert.equal(view.rootOfTrust, rootCase.kind);
      assert.equal(view.hardwareBacked, true);
      const state = await identity();
      assert.equal(new X509Certificate(state.current.certificatePem).subject, `CN=${deviceId}`);
      const keys = await rootCase.keysInRoot();
      if (rootCase.kind === 'pkcs11') {
        assert.match(keys, new RegExp(`label:\\s+${state.current.label}`));
        assert.match(keys, /never extractable/);
      } else {
        assert.match(keys, /0x81000010|0x81000011/);
      }
      await until('enrollment reported', async () => (await reportKinds()).includes('identity.enrolled'));
    });

    it('pulls its desired state when the panel pushes', async () => {
      const { delivered } = await api('POST', `/v1/devices/${deviceId}/refresh`);
      assert.equal(delivered, 1);
      await until('pull', async () => agent.output().includes('desired state pulled'), 30_000, diagnostics);
    });

    it('renews on request with a new key in the root of trust, switching only after mutual TLS with it', async () => {
      const before = await identity();
      const { delivered } = await api('POST', `/v1/devices/${deviceId}/renew-certificate`);
      assert.equal(delivered, 1);
      const renewed = await until(
        'renewal',
        async () => {
          const state = await identity();
          return state.current.certificatePem !== before.current.certificatePem && !state.next
            ? state
            : undefined;
        },
        60_000,
        diagnostics,
      );
      assert.notEqual(renewed.current.label, before.current.label);
      if (rootCase.kind === 'tpm') {
        // tpm2-pkcs11 reads its keys once per process: the agent restarted (exit 75) to use the new one.
        assert.ok(agent.restarts() >= 1, 'the TPM agent restarted to load its renewed key');
      }
      await until(
        'renewal reported',
        async () => (await reportKinds()).includes('identity.renewed'),
        30_000,
        diagnostics,
      );
      const seen = (await presence()).lastSeenAt;
      await until(
        'check-in with the renewed pair',
        async () => (await presence()).lastSeenAt !== seen,
        30_000,
        diagnostics,
      );
      const keys = await rootCase.keysInRoot();
      if (rootCase.kind === 'pkcs11') {
        assert.doesNotMatch(
          keys,
          new RegExp(`label:\\s+${before.current.label}\\n`),
          'the old key is destroyed',
        );
      }
    });
  });
}
