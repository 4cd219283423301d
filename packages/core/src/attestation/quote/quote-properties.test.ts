import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { makeCredential } from './make-credential.ts';
import { QuoteError } from './quote-error.ts';
import {
  AK_ECC_NAME,
  ECC_QUOTE,
  EK_ECC_PUBLIC,
  EK_RSA_PUBLIC,
  QUOTE_NONCE,
  QUOTE_SELECTION,
  RSA_QUOTE,
} from './quote-fixtures.ts';
import { attestBytes, parseTpmsAttest } from './tpm-attest.ts';
import { parseTpm2bPublic } from './tpm-public.ts';
import { tpmPublicKeyObject } from './tpm-public-key.ts';
import { parseTpmtSignature } from './tpm-signature.ts';
import { flipBit, hex } from './tpm-test-encoders.ts';
import { type VerifyQuoteInput, verifyQuote } from './verify-quote.ts';

/** Runs `decode`; anything thrown must be a QuoteError (with a code of the closed union). */
function decodesOrQuoteError(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof QuoteError)) throw error;
    assert.match(error.code, /^(QUOTE|AK|CREDENTIAL)_[A-Z_]+$/);
  }
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof QuoteError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

const QUOTES = [ECC_QUOTE, RSA_QUOTE];
type Decoder = (bytes: Uint8Array) => unknown;
const decodePublic: Decoder = (bytes) => tpmPublicKeyObject(parseTpm2bPublic(bytes));
const decodeAttest: Decoder = (bytes) => parseTpmsAttest(attestBytes(bytes));
const decodeSignature: Decoder = (bytes) => parseTpmtSignature(bytes);
const decodeEk: Decoder = (bytes) =>
  makeCredential({ ekPublic: bytes, akName: hex(AK_ECC_NAME), secret: new Uint8Array(16) });
const DECODERS = [decodePublic, decodeAttest, decodeSignature, decodeEk];
/** Real structures from swtpm, each with the decoder it is made for. */
const REAL: readonly { readonly bytes: Uint8Array; readonly decode: Decoder }[] = [
  ...QUOTES.flatMap((q) => [
    { bytes: hex(q.akPublic), decode: decodePublic },
    { bytes: hex(q.message), decode: decodeAttest },
    { bytes: hex(q.signature), decode: decodeSignature },
  ]),
  { bytes: hex(EK_RSA_PUBLIC), decode: decodeEk },
  { bytes: hex(EK_ECC_PUBLIC), decode: decodeEk },
];

const quoteInput = (quote: (typeof QUOTES)[number]): VerifyQuoteInput => ({
  akPublic: hex(quote.akPublic),
  message: hex(quote.message),
  signature: hex(quote.signature),
  nonce: hex(QUOTE_NONCE),
  pcrValues: hex(quote.pcrValues),
  expectedSelection: QUOTE_SELECTION,
});

describe('TPM structure decoders (property)', () => {
  it('throw only QuoteError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.constantFrom(...DECODERS), (bytes, decode) => {
        decodesOrQuoteError(() => decode(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('throw only QuoteError on random bytes behind a valid-looking header', () => {
    const headers = [hex('ff5443478018'), hex('00580023000b'), hex('0018000b0020'), hex('013a0001000b')];
    fc.assert(
      fc.property(
        fc.constantFrom(...headers),
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom(...DECODERS),
        (header, tail, decode) => {
          decodesOrQuoteError(() => decode(new Uint8Array(Buffer.concat([header, tail]))));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuse every truncation of a real structure with QUOTE_MALFORMED', () => {
    for (const { bytes, decode } of REAL) {
      for (let length = 0; length < bytes.length; length += 1)
        assert.equal(
          codeOf(() => decode(bytes.subarray(0, length))),
          'QUOTE_MALFORMED',
          `${length}-byte prefix`,
        );
    }
  });

  it('throw only QuoteError on bit flips of real structures', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...REAL),
        fc.nat(),
        fc.constantFrom(...DECODERS),
        ({ bytes }, bit, decode) => {
          decodesOrQuoteError(() => decode(flipBit(bytes, bit % (bytes.length * 8))));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('verifyQuote (property)', () => {
  it('refuses every bit flip of the attest bytes with QUOTE_SIGNATURE_INVALID', () => {
    fc.assert(
      fc.property(fc.constantFrom(...QUOTES), fc.nat(), (quote, bit) => {
        const input = quoteInput(quote);
        const message = flipBit(input.message, bit % (input.message.length * 8));
        assert.equal(
          codeOf(() => verifyQuote({ ...input, message })),
          'QUOTE_SIGNATURE_INVALID',
        );
      }),
      { numRuns: 500 },
    );
  });

  it('refuses every bit flip of the signature', () => {
    fc.assert(
      fc.property(fc.constantFrom(...QUOTES), fc.nat(), (quote, bit) => {
        const input = quoteInput(quote);
        const signature = flipBit(input.signature, bit % (input.signature.length * 8));
        assert.match(
          codeOf(() => verifyQuote({ ...input, signature })),
          /^QUOTE_(SIGNATURE_INVALID|MALFORMED|UNSUPPORTED_ALGORITHM)$/,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('refuses every bit flip of the claimed PCR values with QUOTE_PCR_DIGEST_MISMATCH', () => {
    fc.assert(
      fc.property(fc.constantFrom(...QUOTES), fc.nat(), (quote, bit) => {
        const input = quoteInput(quote);
        const values = input.pcrValues as Uint8Array;
        const pcrValues = flipBit(values, bit % (values.length * 8));
        assert.equal(
          codeOf(() => verifyQuote({ ...input, pcrValues })),
          'QUOTE_PCR_DIGEST_MISMATCH',
        );
      }),
      { numRuns: 500 },
    );
  });

  it('accepts a bit-flipped AK only where the flip leaves its key and scheme intact', () => {
    fc.assert(
      fc.property(fc.constantFrom(...QUOTES), fc.nat(), (quote, bit) => {
        const input = quoteInput(quote);
        const akPublic = flipBit(
          input.akPublic as Uint8Array,
          bit % ((input.akPublic as Uint8Array).length * 8),
        );
        const code = codeOf(() => verifyQuote({ ...input, akPublic }));
        if (code === 'ACCEPTED') {
          const flipped = parseTpm2bPublic(akPublic);
          const original = parseTpm2bPublic(input.akPublic as Uint8Array);
          assert.deepEqual(flipped.unique, original.unique);
          assert.deepEqual(flipped.parameters.scheme, original.parameters.scheme);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('throws only QuoteError for arbitrary JSON PCR maps', () => {
    const hexDigest = fc
      .uint8Array({ minLength: 0, maxLength: 40 })
      .map((b) => Buffer.from(b).toString('hex'));
    const bankMap = fc.dictionary(
      fc.oneof(fc.constantFrom('0', '1', '7', '16', '17', '007'), fc.string()),
      hexDigest,
    );
    const map = fc.dictionary(fc.oneof(fc.constantFrom('sha1', 'sha256', '__proto__'), fc.string()), bankMap);
    fc.assert(
      fc.property(map, (pcrValues) => {
        decodesOrQuoteError(() => verifyQuote({ ...quoteInput(ECC_QUOTE), pcrValues }));
      }),
      { numRuns: 1000 },
    );
  });
});
