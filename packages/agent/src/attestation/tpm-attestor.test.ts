import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeCredential, parseTpm2bPublic, tpmName, verifyQuote } from '@palisade/core';
import { type Swtpm, skipUnlessCommand, startSwtpm } from '@palisade/testkit';
import { RootOfTrustError } from '../roots/root-of-trust-error.ts';
import { TpmTools } from '../roots/tpm-tools.ts';
import { isAttestationKey } from './panel-answers.ts';
import { TpmAttestor } from './tpm-attestor.ts';

const SKIP = skipUnlessCommand('swtpm', ['--version']) || skipUnlessCommand('tpm2_quote', ['--version']);

describe('TpmAttestor against swtpm (no resource manager)', { skip: SKIP }, () => {
  let tpm: Swtpm;
  let tools: TpmTools;
  let attestor: TpmAttestor;

  /** Without a resource manager, anything a step leaves loaded would starve the next one. */
  async function assertNothingLoaded(): Promise<void> {
    assert.equal((await tools.text('tpm2_getcap', ['handles-transient'])).trim(), '');
    assert.equal((await tools.text('tpm2_getcap', ['handles-loaded-session'])).trim(), '');
  }

  before(async () => {
    tpm = await startSwtpm();
    tools = new TpmTools(tpm.tcti, 30_000);
    attestor = new TpmAttestor(tools);
  });

  after(async () => {
    await tpm?.[Symbol.asyncDispose]();
  });

  it('reads the persisted EK, and recreates the same key when the platform did not persist it', async () => {
    const persisted = await attestor.endorsementKey();
    await tools.text('tpm2_evictcontrol', ['-C', 'o', '-c', '0x81010001']);
    const recreated = await attestor.endorsementKey();
    assert.deepEqual(recreated, persisted, 'the EK derives from the endorsement seed');
    assert.ok((await tools.persistentHandles()).has(0x81010001));
    await assertNothingLoaded();
  });

  it('makes a restricted signing AK at its handle, and will not overwrite a key it did not make', async () => {
    assert.equal(await attestor.existingAk(), undefined);
    const ak = await attestor.createAk(false);
    assert.ok(isAttestationKey(ak));
    assert.deepEqual(await attestor.existingAk(), ak);
    await assertNothingLoaded();
    await assert.rejects(
      attestor.createAk(false),
      (error: unknown) => error instanceof RootOfTrustError && error.code === 'ROT_CONFIG_INVALID',
    );
    const replaced = await attestor.createAk(true);
    assert.notDeepEqual(replaced, ak);
  });

  it("releases the secret of a credential made for its EK and AK (the panel's TPM2_MakeCredential)", async () => {
    const ak = parseTpm2bPublic((await attestor.existingAk()) ?? new Uint8Array());
    const secret = randomBytes(32);
    const credential = makeCredential({
      ekPublic: await attestor.endorsementKey(),
      akName: tpmName(ak),
      secret,
    });
    assert.deepEqual(Buffer.from(await attestor.activateCredential(credential.tpm2ToolsFile)), secret);
    await assertNothingLoaded();
    const forOther = makeCredential({
      ekPublic: await attestor.endorsementKey(),
      akName: Uint8Array.of(0, 0x0b, ...randomBytes(32)),
      secret,
    });
    await assert.rejects(attestor.activateCredential(forOther.tpm2ToolsFile), RootOfTrustError);
    await assertNothingLoaded();
  });

  it('quotes the selected PCRs over the nonce, verifiable with the AK', async () => {
    const nonce = randomBytes(32);
    const quote = await attestor.quote(nonce, 'sha256:0,1,2,3,4,5,6,7');
    const verified = verifyQuote({
      akPublic: (await attestor.existingAk()) ?? new Uint8Array(),
      message: quote.message,
      signature: quote.signature,
      nonce,
      pcrValues: quote.pcrValues,
      expectedSelection: { sha256: [0, 1, 2, 3, 4, 5, 6, 7] },
    });
    assert.deepEqual(Object.keys(verified.pcrs.sha256 ?? {}), ['0', '1', '2', '3', '4', '5', '6', '7']);
    await assertNothingLoaded();
  });
});

/**
 * Regression: a fallback that flushed "all sessions" after making the AK also
 * flushed, through the resource manager, the session tpm2-pkcs11 signs the
 * agent's TLS handshakes with; the next handshake (a renewal) failed with
 * TPM_RC_REFERENCE_S0.
 */
describe('TpmAttestor behind a resource manager', { skip: SKIP }, () => {
  it("leaves other clients' sessions alone while it makes an AK, activates and quotes", async () => {
    await using tpm = await startSwtpm({ resourceManager: true });
    const tools = new TpmTools(tpm.tcti, 30_000);
    const attestor = new TpmAttestor(tools);
    const dir = await mkdtemp(join(tmpdir(), 'palisade-other-client-'));
    try {
      await tools.text('tpm2_startauthsession', ['-S', join(dir, 'other.ctx')]);
      const before = (await tools.text('tpm2_getcap', ['handles-saved-session'])).trim();
      assert.notEqual(before, '', "the other client's session is there");
      const ak = parseTpm2bPublic(await attestor.createAk(false));
      const secret = randomBytes(32);
      const credential = makeCredential({
        ekPublic: await attestor.endorsementKey(),
        akName: tpmName(ak),
        secret,
      });
      assert.deepEqual(Buffer.from(await attestor.activateCredential(credential.tpm2ToolsFile)), secret);
      await attestor.quote(randomBytes(32), 'sha256:0,7');
      assert.equal((await tools.text('tpm2_getcap', ['handles-saved-session'])).trim(), before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
