import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AgentError } from '../agent-error.ts';
import { parseAttestationSettings } from './attestation-settings.ts';
import { parseBinding, parseChallenge, parseVerdict } from './panel-answers.ts';

const KEY_ID = '0b3c2f9e-6c1d-4d7e-9a55-0e2b8f3c1a77';
const NONCE = Buffer.alloc(32, 7).toString('base64');

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof AgentError, String(error));
    return error.code;
  }
  return 'ACCEPTED';
}

describe('panel answers to the attestation client', () => {
  it('parses a binding that is active or carries a credential', () => {
    assert.deepEqual(parseBinding({ keyId: KEY_ID, status: 'active' }), { status: 'active', keyId: KEY_ID });
    const pending = parseBinding({ keyId: KEY_ID, status: 'pending', credential: 'AQID' });
    assert.deepEqual(pending, { status: 'pending', keyId: KEY_ID, credential: Uint8Array.of(1, 2, 3) });
    assert.equal(
      refusal(() => parseBinding({ keyId: '../../x', status: 'active' })),
      'PANEL_ANSWER_INVALID',
    );
    assert.equal(
      refusal(() => parseBinding({ keyId: KEY_ID, status: 'pending' })),
      'PANEL_ANSWER_INVALID',
    );
  });

  it('parses a challenge only with a 16–64 byte nonce and a SHA-256 selection of PCRs 0–23', () => {
    const good = { nonce: NONCE, tpm2Selection: 'sha256:0,1,2,3,4,5,6,7', intervalSeconds: 60 };
    assert.equal(parseChallenge(good).nonce.length, 32);
    for (const bad of [
      { ...good, nonce: Buffer.alloc(8).toString('base64') },
      { ...good, tpm2Selection: 'sha1:0,1' },
      { ...good, tpm2Selection: 'sha256:0,24' },
      // A selection that would smuggle another tpm2_quote argument.
      { ...good, tpm2Selection: 'sha256:0 -o /etc/passwd' },
      { ...good, intervalSeconds: 0 },
      { ...good, intervalSeconds: 1.5 },
    ])
      assert.equal(
        refusal(() => parseChallenge(bad)),
        'PANEL_ANSWER_INVALID',
        JSON.stringify(bad),
      );
  });

  it('parses a verdict, dropping what is not the expected shape', () => {
    const verdict = parseVerdict({
      verdict: {
        id: 'v1',
        result: 'fail',
        code: 'REFERENCE_PCR_MISMATCH',
        message: 'PCR 4',
        pcr: 4,
        notRun: ['x', 3],
      },
    });
    assert.deepEqual(verdict, {
      id: 'v1',
      result: 'fail',
      code: 'REFERENCE_PCR_MISMATCH',
      component: null,
      message: 'PCR 4',
      pcr: 4,
      notRun: ['x'],
    });
    assert.equal(parseVerdict({ verdict: { id: 'v', result: 'pass', code: 'not a code' } }).code, null);
    assert.equal(
      refusal(() => parseVerdict({ verdict: { id: 'v', result: 'maybe' } })),
      'PANEL_ANSWER_INVALID',
    );
  });

  it('never throws anything but PANEL_ANSWER_INVALID, whatever the panel sends', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const parse of [parseBinding, parseChallenge, parseVerdict]) {
          const code = refusal(() => parse(value));
          assert.ok(code === 'ACCEPTED' || code === 'PANEL_ANSWER_INVALID');
        }
      }),
    );
  });
});

describe('parseAttestationSettings', () => {
  it('defaults to on, the securityfs log, the DMI BIOS version and AK handle 0x81000020', () => {
    const problems: Array<{ field: string; message: string }> = [];
    assert.deepEqual(parseAttestationSettings(undefined, problems), {
      enabled: true,
      eventLogPath: '/sys/kernel/security/tpm0/binary_bios_measurements',
      firmwareVersionPath: '/sys/class/dmi/id/bios_version',
      akHandle: 0x81000020,
    });
    assert.deepEqual(problems, []);
  });

  it('names every bad field', () => {
    const problems: Array<{ field: string; message: string }> = [];
    parseAttestationSettings(
      { enabled: 'yes', eventLogPath: 'relative/log', akHandle: '0x01000000', interval: 5 },
      problems,
    );
    assert.deepEqual(problems.map((p) => p.field).sort(), [
      'attestation.akHandle',
      'attestation.enabled',
      'attestation.eventLogPath',
      'attestation.interval',
    ]);
  });
});
