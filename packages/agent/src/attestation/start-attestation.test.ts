import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { RootOfTrust } from '../roots/index.ts';
import { parseAttestationSettings } from './attestation-settings.ts';
import { startAttestation } from './start-attestation.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

const client = {
  json: async () => {
    throw new Error('a root without a TPM never talks to the panel about attestation');
  },
};

describe('startAttestation', () => {
  for (const kind of ['software', 'pkcs11'] as const) {
    it(`skips attestation with a ${kind} root of trust, saying why, and answers the attest push`, async () => {
      const { lines, logger } = capture();
      const session = await startAttestation({
        root: { kind } as RootOfTrust,
        client: client as never,
        deviceId: 'gw-1',
        settings: parseAttestationSettings(undefined, []),
        logger,
        report: async () => assert.fail('nothing to report'),
      });
      await session.run(new AbortController().signal);
      assert.match(
        lines.join(''),
        new RegExp(`remote attestation skipped: the ${kind} root of trust has no TPM`),
      );
      assert.equal(session.handles({ type: 'attest', reason: 'operator-request' }), true);
      assert.equal(session.handles({ type: 'renew-certificate', reason: 'x' }), false);
    });
  }

  it('skips attestation turned off in agent.yaml, even with a TPM root', async () => {
    const { lines, logger } = capture();
    const session = await startAttestation({
      root: { kind: 'tpm' } as RootOfTrust,
      client: client as never,
      deviceId: 'gw-1',
      settings: parseAttestationSettings({ enabled: false }, []),
      logger,
      report: async () => undefined,
    });
    await session.run(new AbortController().signal);
    assert.match(lines.join(''), /remote attestation skipped: attestation is turned off in agent.yaml/);
  });
});
