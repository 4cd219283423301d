/**
 * Untrusted evidence: whatever event log or quote bytes a device sends with
 * a genuine quote, verification ends in a failing verdict with the component
 * at fault, never a pass, never an exception; and EK certificates are
 * refused for each way they can be wrong.
 */
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { EventLogError, parseTpm2bPublic } from '@palisade/core';
import fc from 'fast-check';
import { DEFAULT_ATTESTATION_PROFILE } from './attestation-profile.ts';
import { SWTPM_LOCAL_CA } from './attestation-test-bench.ts';
import { verifyEkCertificate } from './ek-certificate.ts';
import { decodeEventLog, EVIDENCE_LIMITS, type EvidenceBody } from './evidence.ts';
import { bootLog } from './test-boot-log.ts';
import { SKIP_WITHOUT_TPM, type TestQuote, TestTpm } from './test-tpm.ts';
import { VerdictFailure } from './verdict-failure.ts';
import { type EvidenceContext, verifyEvidence } from './verify-evidence.ts';

const SELECTION = 'sha256:0,1,2,3,4,5,6,7';

describe('verifyEvidence on untrusted bytes (a genuine swtpm quote)', { skip: SKIP_WITHOUT_TPM }, () => {
  let tpm: TestTpm;
  let quote: TestQuote;
  let context: EvidenceContext;
  let goodLog: Uint8Array;

  const evidence = (overrides: Partial<EvidenceBody> = {}): EvidenceBody => ({
    nonce: Buffer.from(context.nonce).toString('base64'),
    message: Buffer.from(quote.message).toString('base64'),
    signature: Buffer.from(quote.signature).toString('base64'),
    pcrValues: Buffer.from(quote.pcrValues).toString('base64'),
    ...overrides,
  });

  before(async () => {
    tpm = await TestTpm.start();
    const akPublic = await tpm.createAk();
    const log = bootLog().build();
    await tpm.extendLog(log);
    goodLog = log.bytes;
    const nonce = randomBytes(32);
    quote = await tpm.quote(nonce, SELECTION);
    context = {
      nonce,
      akPublic,
      profile: DEFAULT_ATTESTATION_PROFILE,
      previousCounters: undefined,
      references: undefined,
    };
  });

  after(async () => {
    await tpm?.[Symbol.asyncDispose]();
  });

  it('passes the genuine quote with its genuine log (the baseline the properties perturb)', () => {
    const outcome = verifyEvidence(evidence({ eventLog: Buffer.from(goodLog).toString('base64') }), context);
    assert.equal(outcome.failure, undefined);
    assert.deepEqual(outcome.notRun, ['reference']);
  });

  it('fails any other event log in the measured-boot component, without throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          // Mutations of the genuine log: flipped bytes, cut short, extended.
          fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => {
            const copy = goodLog.slice();
            const index = at % copy.length;
            copy[index] = (copy[index] ?? 0) ^ xor;
            return copy;
          }),
          fc.nat().map((cut) => goodLog.slice(0, cut % goodLog.length)),
          fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => Buffer.concat([goodLog, tail])),
        ),
        (bytes) => {
          const outcome = verifyEvidence(
            evidence({ eventLog: Buffer.from(bytes).toString('base64') }),
            context,
          );
          // A flip inside an event's data (not its digest) leaves the replay intact: still a genuine boot.
          if (outcome.failure === undefined) return;
          assert.equal(outcome.failure.component, 'measured_boot', outcome.failure.message);
          assert.ok(outcome.quote, 'the quote itself verified');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fails any flipped byte of the quote message or signature in the quote or pcr component', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('message', 'signature', 'pcrValues'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (field, at, xor) => {
          const bytes = quote[field].slice();
          const index = at % bytes.length;
          bytes[index] = (bytes[index] ?? 0) ^ xor;
          const outcome = verifyEvidence(
            evidence({ [field]: Buffer.from(bytes).toString('base64') }),
            context,
          );
          assert.ok(outcome.failure instanceof VerdictFailure, `${field}[${index}] ^ ${xor} passed`);
          assert.ok(['quote', 'pcr'].includes(outcome.failure.component));
          assert.equal(outcome.quote, undefined);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('caps the event log before decoding it: EVENT_LOG_TOO_LARGE for anything over the limit', () => {
    const limit = Math.ceil(EVIDENCE_LIMITS.maxEventLogBytes / 3) * 4;
    assert.equal(decodeEventLog('A'.repeat(limit)).length, (limit / 4) * 3);
    assert.throws(
      () => decodeEventLog('A'.repeat(limit + 4)),
      (error: unknown) => error instanceof EventLogError && error.code === 'EVENT_LOG_TOO_LARGE',
    );
    // Regression: "AB==" passed the alphabet check and decoded as "AA==" (found by this property).
    assert.throws(
      () => decodeEventLog('AB=='),
      (error: unknown) => error instanceof EventLogError && error.code === 'EVENT_LOG_MALFORMED',
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          const bytes = decodeEventLog(text);
          assert.equal(Buffer.from(bytes).toString('base64'), text, 'only canonical base64 decodes');
        } catch (error) {
          assert.ok(error instanceof EventLogError && error.code === 'EVENT_LOG_MALFORMED');
        }
      }),
    );
  });

  describe('verifyEkCertificate', () => {
    let anchors: X509Certificate[];
    let pem: string;
    let ek: ReturnType<typeof parseTpm2bPublic>;

    before(async () => {
      anchors = [new X509Certificate(await readFile(SWTPM_LOCAL_CA))];
      pem = await tpm.ekCertificatePem();
      ek = parseTpm2bPublic(await tpm.ekPublic());
    });

    const problem = (run: () => unknown): unknown => {
      try {
        run();
      } catch (error) {
        assert.ok(error instanceof VerdictFailure);
        assert.equal(error.code, 'EK_CERTIFICATE_UNTRUSTED');
        return error.details?.problem;
      }
      return 'ACCEPTED';
    };

    it('accepts the EK certificate the trusted swtpm CA issued for this EK, as PEM or base64 DER', () => {
      const certified = verifyEkCertificate(pem, ek, anchors, new Date());
      assert.match(certified.issuer, /CN=swtpm-localca/);
      const der = Buffer.from(new X509Certificate(pem).raw).toString('base64');
      assert.deepEqual(verifyEkCertificate(der, ek, anchors, new Date()), certified);
    });

    it('refuses it without the issuing CA among the anchors (its root alone is not enough)', async () => {
      const root = new X509Certificate(
        await readFile('/var/lib/swtpm-localca/swtpm-localca-rootca-cert.pem'),
      );
      assert.equal(
        problem(() => verifyEkCertificate(pem, ek, [], new Date())),
        'chain',
      );
      assert.equal(
        problem(() => verifyEkCertificate(pem, ek, [root], new Date())),
        'chain',
      );
    });

    it('refuses it outside its validity period, and bytes that are no certificate', () => {
      assert.equal(
        problem(() => verifyEkCertificate(pem, ek, anchors, new Date('2001-01-01'))),
        'chain',
      );
      assert.equal(
        problem(() => verifyEkCertificate('-----BEGIN CERTIFICATE-----\nAAAA', ek, anchors, new Date())),
        'unreadable',
      );
    });
  });
});
