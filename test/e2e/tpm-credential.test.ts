import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { makeCredential, parseTpm2bPublic, tpmName } from '@palisade/core';
import {
  HANDLES,
  type TpmAttestationHarness as Harness,
  SKIP_WITHOUT_TPM_TOOLS,
  TpmAttestationHarness,
  type TpmKey,
} from './tpm-attestation-harness.ts';

/** Where swtpm_setup persists the RSA EK its EK certificate certifies (TCG Provisioning Guidance). */
const PROVISIONED_RSA_EK = '0x81010001';

describe('makeCredential, activated by a real TPM (swtpm + tpm2_activatecredential)', {
  skip: SKIP_WITHOUT_TPM_TOOLS,
}, () => {
  let tpm: Harness;
  const ek: Record<'rsa' | 'ecc', { handle: string; public: Uint8Array }> = {
    rsa: { handle: HANDLES.ekRsa, public: new Uint8Array() },
    ecc: { handle: HANDLES.ekEcc, public: new Uint8Array() },
  };
  let akEcc: TpmKey;
  let akRsa: TpmKey;

  before(async () => {
    tpm = await TpmAttestationHarness.start();
    ek.rsa.public = await tpm.createEk('rsa', HANDLES.ekRsa);
    ek.ecc.public = await tpm.createEk('ecc', HANDLES.ekEcc);
    akEcc = await tpm.createAk('ecc', HANDLES.ekRsa, HANDLES.akEcc);
    akRsa = await tpm.createAk('rsa', HANDLES.ekEcc, HANDLES.akRsa);
  });

  after(async () => {
    await tpm?.[Symbol.asyncDispose]();
  });

  for (const kind of ['rsa', 'ecc'] as const) {
    it(`releases exactly our secret through the ${kind.toUpperCase()} EK, for the AK whose Name we computed`, async () => {
      for (const ak of [akEcc, akRsa]) {
        // The Name from our decoder, not from the tool: the binding must hold for what the panel computes.
        const akName = tpmName(parseTpm2bPublic(ak.public));
        assert.deepEqual(akName, ak.name);
        const secret = randomBytes(32);
        const { tpm2ToolsFile } = makeCredential({ ekPublic: ek[kind].public, akName, secret });
        assert.deepEqual(
          await tpm.activateCredential(ak.handle, ek[kind].handle, tpm2ToolsFile),
          new Uint8Array(secret),
        );
      }
    });

    it(`refuses activation through the ${kind.toUpperCase()} EK by an AK other than the one named`, async () => {
      const { tpm2ToolsFile } = makeCredential({
        ekPublic: ek[kind].public,
        akName: akRsa.name,
        secret: randomBytes(32),
      });
      // TPM_RC_INTEGRITY: the outer HMAC covers the name, so the TPM refuses before decrypting.
      await assert.rejects(
        tpm.activateCredential(akEcc.handle, ek[kind].handle, tpm2ToolsFile),
        /integrity/i,
      );
    });
  }

  it('releases a short secret, and one for the EK swtpm_setup provisioned with its certificate', async () => {
    const provisioned = tpm.file('provisioned-ek.pub');
    await tpm.tool('tpm2_readpublic', ['-c', PROVISIONED_RSA_EK, '-o', provisioned]);
    const secret = randomBytes(16);
    const { tpm2ToolsFile } = makeCredential({
      ekPublic: await tpm.read(provisioned),
      akName: akEcc.name,
      secret,
    });
    assert.deepEqual(
      await tpm.activateCredential(akEcc.handle, PROVISIONED_RSA_EK, tpm2ToolsFile),
      new Uint8Array(secret),
    );
  });

  it("matches tpm2_makecredential -T none: its output activates the same way and has our file's shape", async () => {
    for (const kind of ['rsa', 'ecc'] as const) {
      const secret = randomBytes(32);
      const theirs = await tpm.makeCredentialOffline(ek[kind].public, akEcc.name, secret);
      assert.deepEqual(
        await tpm.activateCredential(akEcc.handle, ek[kind].handle, theirs),
        new Uint8Array(secret),
      );
      const ours = makeCredential({ ekPublic: ek[kind].public, akName: akEcc.name, secret }).tpm2ToolsFile;
      assert.equal(ours.length, theirs.length);
      assert.deepEqual(ours.subarray(0, 10), theirs.subarray(0, 10));
    }
  });
});
