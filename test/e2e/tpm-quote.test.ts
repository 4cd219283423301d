import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { checkCounters, QuoteError, type VerifyQuoteInput, verifyQuote } from '@palisade/core';
import {
  HANDLES,
  type TpmAttestationHarness as Harness,
  type QuoteFiles,
  SKIP_WITHOUT_TPM_TOOLS,
  TpmAttestationHarness,
  type TpmKey,
} from './tpm-attestation-harness.ts';

/** The attestation profile of these tests: boot PCRs and PCR 16 (debug, extendable by anyone). */
const SELECTION = 'sha256:0,1,2,3,7,16';
const PROFILE = { sha256: [0, 1, 2, 3, 7, 16] };

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof QuoteError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index] = (out[index] ?? 0) ^ 0x01;
  return out;
}

describe('TPM 2.0 quotes from swtpm, verified by verifyQuote and by tpm2_checkquote', {
  skip: SKIP_WITHOUT_TPM_TOOLS,
}, () => {
  let tpm: Harness;
  let akEcc: TpmKey;
  let akRsa: TpmKey;
  let plain: TpmKey;

  const input = (ak: TpmKey, quote: QuoteFiles, nonce: Uint8Array): VerifyQuoteInput => ({
    akPublic: ak.public,
    message: quote.message,
    signature: quote.signature,
    nonce,
    pcrValues: quote.pcrValues,
    expectedSelection: PROFILE,
  });

  before(async () => {
    tpm = await TpmAttestationHarness.start();
    await tpm.createEk('rsa', HANDLES.ekRsa);
    akEcc = await tpm.createAk('ecc', HANDLES.ekRsa, HANDLES.akEcc);
    akRsa = await tpm.createAk('rsa', HANDLES.ekRsa, HANDLES.akRsa);
    plain = await tpm.createPlainSigningKey(HANDLES.plainSigningKey);
    await tpm.tool('tpm2_pcrextend', [`16:sha256=${'5a'.repeat(32)}`]);
  });

  after(async () => {
    await tpm?.[Symbol.asyncDispose]();
  });

  for (const kind of ['ecc', 'rsa'] as const) {
    it(`accepts an ${kind.toUpperCase()} AK quote, as tpm2_checkquote does, with PCR 16 as extended`, async () => {
      const ak = kind === 'ecc' ? akEcc : akRsa;
      const nonce = randomBytes(32);
      const quote = await tpm.quote(ak.handle, nonce, SELECTION);
      assert.equal(await tpm.checkquote(ak.public, quote, nonce, SELECTION), 'valid');
      const verified = verifyQuote(input(ak, quote, nonce));
      const pcrRead = await tpm.tool('tpm2_pcrread', ['sha256:16']);
      assert.match(pcrRead, new RegExp(`0x${verified.pcrs.sha256?.[16]}`, 'i'));
      assert.notEqual(verified.pcrs.sha256?.[16], '00'.repeat(32));
      assert.deepEqual(Object.keys(verified.pcrs.sha256 ?? {}), ['0', '1', '2', '3', '7', '16']);
      assert.deepEqual(verified.akName, ak.name);
    });
  }

  it('refuses a quote for another nonce, as tpm2_checkquote does', async () => {
    const nonce = randomBytes(32);
    const quote = await tpm.quote(akEcc.handle, nonce, SELECTION);
    const other = randomBytes(32);
    assert.equal(await tpm.checkquote(akEcc.public, quote, other, SELECTION), 'invalid');
    assert.equal(
      codeOf(() => verifyQuote(input(akEcc, quote, other))),
      'QUOTE_NONCE_MISMATCH',
    );
  });

  it('refuses a flipped signature byte and a flipped attest byte, as tpm2_checkquote does', async () => {
    const nonce = randomBytes(32);
    for (const ak of [akEcc, akRsa]) {
      const quote = await tpm.quote(ak.handle, nonce, SELECTION);
      const badSignature = { ...quote, signature: flipByte(quote.signature, quote.signature.length - 5) };
      // Byte 50 lies in extraData: the nonce the signature protects.
      const badMessage = { ...quote, message: flipByte(quote.message, 50) };
      for (const bad of [badSignature, badMessage]) {
        assert.equal(await tpm.checkquote(ak.public, bad, nonce, SELECTION), 'invalid');
        assert.equal(
          codeOf(() => verifyQuote(input(ak, bad, nonce))),
          'QUOTE_SIGNATURE_INVALID',
        );
      }
    }
  });

  it('refuses a changed claimed PCR value (digest mismatch), as tpm2_checkquote does', async () => {
    const nonce = randomBytes(32);
    const quote = await tpm.quote(akEcc.handle, nonce, SELECTION);
    // The last 32 bytes are PCR 16: claim it was never extended.
    const pcrValues = quote.pcrValues.slice();
    pcrValues.fill(0, pcrValues.length - 32);
    const lying = { ...quote, pcrValues };
    assert.equal(await tpm.checkquote(akEcc.public, lying, nonce, SELECTION), 'invalid');
    assert.equal(
      codeOf(() => verifyQuote(input(akEcc, lying, nonce))),
      'QUOTE_PCR_DIGEST_MISMATCH',
    );
  });

  it('refuses a quote over a selection other than the profile (PCR 16 left out)', async () => {
    const nonce = randomBytes(32);
    const selection = 'sha256:0,1,2,3,7';
    const quote = await tpm.quote(akEcc.handle, nonce, selection);
    // Valid as a quote: only the profile makes it unacceptable.
    assert.equal(await tpm.checkquote(akEcc.public, quote, nonce, selection), 'valid');
    assert.equal(
      codeOf(() => verifyQuote(input(akEcc, quote, nonce))),
      'QUOTE_PCR_SELECTION_MISMATCH',
    );
  });

  it('refuses a quote checked with another AK', async () => {
    const nonce = randomBytes(32);
    const quote = await tpm.quote(akEcc.handle, nonce, SELECTION);
    const otherEcc = await tpm.createAk('ecc', HANDLES.ekRsa, HANDLES.otherAk);
    assert.equal(await tpm.checkquote(otherEcc.public, quote, nonce, SELECTION), 'invalid');
    assert.equal(
      codeOf(() => verifyQuote(input(otherEcc, quote, nonce))),
      'QUOTE_SIGNATURE_INVALID',
    );
    assert.equal(
      codeOf(() => verifyQuote(input(akRsa, quote, nonce))),
      'QUOTE_SIGNATURE_INVALID',
    );
    await tpm.tool('tpm2_evictcontrol', ['-C', 'o', '-c', HANDLES.otherAk]);
  });

  it('refuses a quote by a plain signing key that tpm2_checkquote accepts: it is not restricted', async () => {
    const nonce = randomBytes(32);
    const quote = await tpm.quote(plain.handle, nonce, SELECTION);
    assert.equal(await tpm.checkquote(plain.public, quote, nonce, SELECTION), 'valid');
    assert.equal(
      codeOf(() => verifyQuote(input(plain, quote, nonce))),
      'AK_NOT_RESTRICTED_SIGNING',
    );
  });

  it('sees the clock advance between two quotes, a reboot after a restart, and a replay as a regression', async () => {
    const quoteNow = async () => {
      const nonce = randomBytes(32);
      return verifyQuote(input(akEcc, await tpm.quote(akEcc.handle, nonce, SELECTION), nonce));
    };
    const first = await quoteNow();
    const second = await quoteNow();
    assert.deepEqual(checkCounters(first, second), { rebooted: false, resumed: false });
    assert.equal(
      codeOf(() => checkCounters(second, first)),
      'QUOTE_COUNTER_REGRESSION',
    );

    await tpm.tpm.restart();
    // PCR 16 is back to zero after the reboot; re-extend so the profile's values are the same shape.
    await tpm.tool('tpm2_pcrextend', [`16:sha256=${'5a'.repeat(32)}`]);
    const rebooted = await quoteNow();
    assert.equal(rebooted.resetCount, second.resetCount + 1);
    assert.deepEqual(checkCounters(second, rebooted), { rebooted: true, resumed: false });
    assert.throws(() => checkCounters(rebooted, second), {
      code: 'QUOTE_COUNTER_REGRESSION',
      message: /resetCount/,
    });
  });
});
