import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { skipUnlessCommand } from '@palisade/testkit';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import * as pkijs from 'pkijs';
import type { CertificateAuthority } from './ca-hierarchy.ts';
import { type IssuedKeyPair, issueLeafWithNewKey } from './leaf-certificate.ts';
import {
  type CertificateStatus,
  MAX_OCSP_CERT_IDS,
  MAX_OCSP_REQUEST_BYTES,
  OCSP_RESPONSE_STATUS,
  OcspResponder,
  type OcspResponderOptions,
} from './ocsp-responder.ts';
import { issueOcspSigner, type OcspSigner } from './ocsp-signer.ts';
import { countingCrypto, createTestHierarchy, type TestHierarchy } from './test-authority.ts';
import { normalizeSerial } from './x509.ts';

const OPENSSL = { skip: skipUnlessCommand('openssl', ['version']) };
const OID_NONCE = '1.3.6.1.5.5.7.48.1.2';
const REVOKED_AT = new Date('2026-01-02T03:04:05.678Z');

async function tool(
  command: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function parseResponse(der: Uint8Array): { status: number; basic: pkijs.BasicOCSPResponse | undefined } {
  const response = pkijs.OCSPResponse.fromBER(der);
  const bytes = response.responseBytes;
  return {
    status: response.responseStatus.valueBlock.valueDec,
    basic:
      bytes === undefined
        ? undefined
        : pkijs.BasicOCSPResponse.fromBER(bytes.response.valueBlock.valueHexView),
  };
}

/** 0 good, 1 revoked, 2 unknown (the CertStatus CHOICE tag). */
function certStatusTag(single: pkijs.SingleResponse | undefined): number | undefined {
  return (single?.certStatus as asn1js.BaseBlock | undefined)?.idBlock.tagNumber;
}

/** The fields of a revoked CertStatus: revocationTime, then [0] revocationReason if present. */
function revokedInfo(single: pkijs.SingleResponse | undefined): asn1js.AsnType[] {
  assert.ok(single);
  assert.equal(certStatusTag(single), 1);
  return (single.certStatus as asn1js.Constructed).valueBlock.value;
}

/** The text of every GeneralizedTime (tag 0x18) in a DER encoding that looks like one. */
function generalizedTimes(der: Uint8Array): string[] {
  const times: string[] = [];
  for (let i = 0; i + 1 < der.byteLength; i++) {
    const length = der[i + 1] ?? 0;
    if (der[i] !== 0x18 || length < 15 || length > 24) continue;
    const text = Buffer.from(der.subarray(i + 2, i + 2 + length)).toString('latin1');
    if (/^\d{14}/.test(text)) times.push(text);
  }
  return times;
}

function pkijsCertificate(certificate: { rawData: ArrayBuffer }): pkijs.Certificate {
  return pkijs.Certificate.fromBER(new Uint8Array(certificate.rawData));
}

interface RequestOptions {
  readonly hash?: 'SHA-1' | 'SHA-256';
  readonly issuer?: CertificateAuthority;
  /** The nonce extension's whole extnValue. */
  readonly nonceExtnValue?: Uint8Array;
  readonly extensions?: pkijs.Extension[];
}

/** Builds an OCSPRequest with pkijs, for the cases openssl cannot produce. */
async function buildRequest(
  certificates: readonly { rawData: ArrayBuffer }[],
  issuer: CertificateAuthority,
  options: RequestOptions = {},
): Promise<Uint8Array> {
  const request = new pkijs.OCSPRequest();
  for (const certificate of certificates) {
    const reqCert = await pkijs.CertID.create(pkijsCertificate(certificate), {
      hashAlgorithm: options.hash ?? 'SHA-1',
      issuerCertificate: pkijsCertificate((options.issuer ?? issuer).certificate),
    });
    request.tbsRequest.requestList.push(new pkijs.Request({ reqCert }));
  }
  const extensions = [...(options.extensions ?? [])];
  if (options.nonceExtnValue !== undefined) {
    extensions.push(
      new pkijs.Extension({ extnID: OID_NONCE, extnValue: options.nonceExtnValue.slice().buffer }),
    );
  }
  if (extensions.length > 0) request.tbsRequest.requestExtensions = extensions;
  return new Uint8Array(request.toSchema(true).toBER());
}

function wrappedNonce(length: number): Uint8Array {
  return new Uint8Array(new asn1js.OctetString({ valueHex: new Uint8Array(length).fill(0x5a) }).toBER());
}

function nonceOf(basic: pkijs.BasicOCSPResponse | undefined): Uint8Array | undefined {
  const extension = basic?.tbsResponseData.responseExtensions?.find((e) => e.extnID === OID_NONCE);
  return extension?.extnValue.valueBlock.valueHexView;
}

function serialOf(issued: IssuedKeyPair): string {
  return normalizeSerial(issued.certificate.serialNumber);
}

describe('OcspResponder', () => {
  let dir: string;
  let ca: TestHierarchy;
  let other: TestHierarchy;
  let signer: OcspSigner;
  let good: IssuedKeyPair;
  let revoked: IssuedKeyPair;
  let stranger: IssuedKeyPair;
  let lookups: string[];
  const files = {
    issuing: '',
    bundle: '',
    good: '',
    revoked: '',
    stranger: '',
    otherIssuing: '',
    foreign: '',
  };

  const statuses = (): Map<string, CertificateStatus> =>
    new Map<string, CertificateStatus>([
      [serialOf(good), { status: 'good' }],
      [serialOf(revoked), { status: 'revoked', revokedAt: REVOKED_AT, reason: 'keyCompromise' }],
    ]);

  function responder(options: Partial<OcspResponderOptions> = {}): OcspResponder {
    const known = statuses();
    return new OcspResponder({
      issuer: ca.issuing,
      signer,
      lookup: async (serialHex) => {
        lookups.push(serialHex);
        return known.get(serialHex) ?? { status: 'unknown' };
      },
      // Fractional seconds on purpose: the responder must drop them.
      now: () => new Date(Math.floor(Date.now() / 1000) * 1000 + 987),
      ...options,
    });
  }

  /** Runs `openssl ocsp` to make a request, answers it, and returns the paths of both. */
  async function exchange(
    name: string,
    args: string[],
    options: Partial<OcspResponderOptions> = {},
  ): Promise<{ request: string; response: string }> {
    const request = join(dir, `${name}.req.der`);
    const response = join(dir, `${name}.resp.der`);
    const made = await tool('openssl', ['ocsp', ...args, '-reqout', request]);
    assert.equal(made.code, 0, made.stderr);
    await writeFile(response, await responder(options).respond(await readFile(request)));
    return { request, response };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-ocsp-'));
    ca = await createTestHierarchy();
    other = await createTestHierarchy();
    signer = await issueOcspSigner(ca.issuing, { validityDays: 2 });
    good = await issueLeafWithNewKey(ca.issuing, {
      commonName: 'good-device',
      usage: 'client',
      validityDays: 1,
    });
    revoked = await issueLeafWithNewKey(ca.issuing, {
      commonName: 'lost-device',
      usage: 'client',
      validityDays: 1,
    });
    stranger = await issueLeafWithNewKey(ca.issuing, {
      commonName: 'unknown-device',
      usage: 'client',
      validityDays: 1,
    });
    const foreign = await issueLeafWithNewKey(other.issuing, {
      commonName: 'foreign',
      usage: 'client',
      validityDays: 1,
    });
    const write = async (name: string, pem: string) => {
      const path = join(dir, `${name}.pem`);
      await writeFile(path, pem);
      return path;
    };
    files.issuing = await write('issuing', ca.issuing.certificatePem);
    files.bundle = await write('bundle', ca.root.certificatePem + ca.issuing.certificatePem);
    files.good = await write('good', good.certificatePem);
    files.revoked = await write('revoked', revoked.certificatePem);
    files.stranger = await write('stranger', stranger.certificatePem);
    files.otherIssuing = await write('other-issuing', other.issuing.certificatePem);
    files.foreign = await write('foreign', foreign.certificatePem);
  });
  beforeEach(() => {
    lookups = [];
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('#respond, checked by openssl ocsp', () => {
    for (const [label, hashArgs] of [
      ['SHA-1', []],
      ['SHA-256', ['-sha256']],
    ] as const) {
      it(
        `answers good and revoked with its reason for ${label} CertIDs, under a verified signature`,
        OPENSSL,
        async () => {
          const certArgs = [
            '-issuer',
            files.issuing,
            ...hashArgs,
            '-cert',
            files.good,
            '-cert',
            files.revoked,
          ];
          const { response } = await exchange(`statuses-${label}`, [...certArgs, '-no_nonce']);
          const result = await tool('openssl', [
            'ocsp',
            '-respin',
            response,
            '-CAfile',
            files.bundle,
            '-no_nonce',
            ...certArgs,
            '-resp_text',
          ]);
          assert.equal(result.code, 0, result.stdout + result.stderr);
          assert.match(result.stderr, /Response verify OK/);
          assert.match(
            result.stdout,
            new RegExp(`Hash Algorithm: ${label.replace('-', '').toLowerCase()}\\n`),
          );
          assert.match(result.stdout, /good\.pem: good\n/);
          assert.match(
            result.stdout,
            /revoked\.pem: revoked\n[\s\S]*Reason: keyCompromise\n\s+Revocation Time: Jan {2}2 03:04:05 2026 GMT/,
          );
          assert.match(result.stdout, /Responder Id: [0-9A-F]{40}\n/);
        },
      );
    }

    it('echoes the nonce, so that openssl checks it against the request', OPENSSL, async () => {
      const { request, response } = await exchange('nonce', ['-issuer', files.issuing, '-cert', files.good]);
      // With -reqin (and no -cert, which would make a new request) openssl compares the nonces.
      const result = await tool('openssl', [
        'ocsp',
        '-reqin',
        request,
        '-respin',
        response,
        '-CAfile',
        files.bundle,
        '-resp_text',
      ]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stderr, /Response verify OK/);
      assert.doesNotMatch(result.stderr, /Nonce Verify error|no nonce/i);
      assert.match(result.stdout, /OCSP Nonce: \n\s+0410[0-9A-F]{32}\n/);
    });

    it('adds no nonce when the request has none', OPENSSL, async () => {
      const { request, response } = await exchange('no-nonce', [
        '-issuer',
        files.issuing,
        '-cert',
        files.good,
        '-no_nonce',
      ]);
      const result = await tool('openssl', [
        'ocsp',
        '-reqin',
        request,
        '-respin',
        response,
        '-CAfile',
        files.bundle,
        '-resp_text',
      ]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stderr, /Response verify OK/);
      assert.doesNotMatch(result.stdout, /OCSP Nonce/);
    });

    it('answers unknown for a serial the lookup does not know', OPENSSL, async () => {
      const args = ['-issuer', files.issuing, '-cert', files.stranger, '-no_nonce'];
      const { response } = await exchange('unknown', args);
      const result = await tool('openssl', ['ocsp', '-respin', response, '-CAfile', files.bundle, ...args]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stderr, /Response verify OK/);
      assert.match(result.stdout, /stranger\.pem: unknown\n/);
      assert.deepEqual(lookups, [serialOf(stranger)]);
    });

    it('answers unknown, without a lookup, for a certificate of another issuer', OPENSSL, async () => {
      const args = ['-issuer', files.otherIssuing, '-cert', files.foreign, '-no_nonce'];
      const { response } = await exchange('foreign', args);
      assert.deepEqual(lookups, []);
      const { status, basic } = parseResponse(await readFile(response));
      assert.equal(status, OCSP_RESPONSE_STATUS.successful);
      assert.equal(certStatusTag(basic?.tbsResponseData.responses[0]), 2);
    });

    it('sends garbage a response that openssl reads as malformedrequest', OPENSSL, async () => {
      const response = join(dir, 'garbage.resp.der');
      await writeFile(
        response,
        await responder().respond(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')),
      );
      const result = await tool('openssl', ['ocsp', '-respin', response, '-resp_text', '-noverify']);
      assert.match(result.stdout + result.stderr, /Responder Error: malformedrequest \(1\)/);
    });
  });

  describe('#respond', () => {
    it('answers every CertID of a request, in order, echoing each CertID', async () => {
      const request = await buildRequest(
        [revoked.certificate, stranger.certificate, good.certificate],
        ca.issuing,
        { hash: 'SHA-256' },
      );
      const { status, basic } = parseResponse(await responder().respond(request));
      assert.equal(status, OCSP_RESPONSE_STATUS.successful);
      const responses = basic?.tbsResponseData.responses ?? [];
      assert.deepEqual(
        responses.map((r) => certStatusTag(r)),
        [1, 2, 0],
      );
      const asked = pkijs.OCSPRequest.fromBER(request).tbsRequest.requestList;
      responses.forEach((single, i) => {
        assert.ok(single.certID.isEqual(asked[i]?.reqCert as pkijs.CertID));
      });
      assert.deepEqual(lookups, [serialOf(revoked), serialOf(stranger), serialOf(good)]);
    });

    for (const hash of ['SHA-1', 'SHA-256'] as const) {
      it(`answers unknown for a ${hash} CertID whose issuer hashes are not ours (RFC 6960 §2.2)`, async () => {
        // Right serial, wrong issuer: must not leak the status of our certificate with that serial.
        const request = await buildRequest([good.certificate], ca.issuing, { hash, issuer: other.issuing });
        const { basic } = parseResponse(await responder().respond(request));
        assert.equal(certStatusTag(basic?.tbsResponseData.responses[0]), 2);
        assert.deepEqual(lookups, []);
      });
    }

    it('asks the lookup for the serial as normalizeSerial spells it, and never for impossible ones', async () => {
      // INTEGER contents: 1, 0x0abc, 0x80 (with its sign octet), 0, a negative one, a non-minimal one.
      const serials = [[0x01], [0x0a, 0xbc], [0x00, 0x80], [0x00], [0xff, 0x01], [0x00, 0x01]];
      const request = pkijs.OCSPRequest.fromBER(await buildRequest([good.certificate], ca.issuing));
      const template = request.tbsRequest.requestList[0]?.reqCert;
      assert.ok(template);
      request.tbsRequest.requestList = serials.map(
        (octets) =>
          new pkijs.Request({
            reqCert: new pkijs.CertID({
              hashAlgorithm: template.hashAlgorithm,
              issuerNameHash: template.issuerNameHash,
              issuerKeyHash: template.issuerKeyHash,
              serialNumber: new asn1js.Integer({ valueHex: new Uint8Array(octets) }),
            }),
          }),
      );
      const { status, basic } = parseResponse(
        await responder().respond(new Uint8Array(request.toSchema(true).toBER())),
      );
      assert.equal(status, OCSP_RESPONSE_STATUS.successful);
      assert.equal(basic?.tbsResponseData.responses.length, 6);
      assert.deepEqual(lookups, ['1', 'abc', '80', '0']);
    });

    it('identifies the responder by key hash, includes its certificate and signs with it', async () => {
      const { basic } = parseResponse(
        await responder().respond(await buildRequest([good.certificate], ca.issuing)),
      );
      assert.ok(basic);
      const responderId = basic.tbsResponseData.responderID as asn1js.OctetString;
      assert.ok(responderId instanceof asn1js.OctetString);
      const signerKey = pkijsCertificate(signer.certificate).subjectPublicKeyInfo.subjectPublicKey.valueBlock
        .valueHexView;
      assert.deepEqual(
        Buffer.from(responderId.valueBlock.valueHexView),
        createHash('sha1').update(signerKey).digest(),
      );
      assert.equal(basic.certs?.length, 1);
      assert.deepEqual(
        Buffer.from(basic.certs?.[0]?.toSchema().toBER() ?? new ArrayBuffer(0)),
        Buffer.from(signer.certificate.rawData),
      );
      assert.equal(basic.signatureAlgorithm.algorithmId, '1.2.840.10045.4.3.2'); // ecdsa-with-SHA256
      const trusted = [pkijsCertificate(ca.root.certificate), pkijsCertificate(ca.issuing.certificate)];
      assert.equal(await basic.verify({ trustedCerts: trusted }), true);
    });

    it('writes producedAt, thisUpdate, nextUpdate and revocationTime in whole seconds', async () => {
      const second = Math.floor(Date.now() / 1000) * 1000;
      const now = new Date(second + 999);
      const der = await responder({ now: () => now, nextUpdateSeconds: 600 }).respond(
        await buildRequest([revoked.certificate, good.certificate], ca.issuing),
      );
      const { basic } = parseResponse(der);
      assert.ok(basic);
      assert.equal(basic.tbsResponseData.producedAt.getTime(), second);
      for (const single of basic.tbsResponseData.responses) {
        assert.equal(single.thisUpdate.getTime(), second);
        assert.equal(single.nextUpdate?.getTime(), second + 600_000);
      }
      // No GeneralizedTime anywhere carries a fraction: producedAt, 2 × (this, next), revocationTime.
      assert.deepEqual(
        generalizedTimes(der).map((time) => /^\d{14}Z$/.test(time)),
        [true, true, true, true, true, true],
      );
      const revocationTime = revokedInfo(basic.tbsResponseData.responses[0])[0] as asn1js.GeneralizedTime;
      assert.equal(revocationTime.toDate().toISOString(), '2026-01-02T03:04:05.000Z');
    });

    it('gives no revocationReason for unspecified, and the code otherwise', async () => {
      const reasons: CertificateStatus[] = [
        { status: 'revoked', revokedAt: REVOKED_AT, reason: 'unspecified' },
        { status: 'revoked', revokedAt: REVOKED_AT, reason: 'cessationOfOperation' },
      ];
      for (const [i, answer] of reasons.entries()) {
        const { basic } = parseResponse(
          await responder({ lookup: async () => answer }).respond(
            await buildRequest([good.certificate], ca.issuing),
          ),
        );
        const info = revokedInfo(basic?.tbsResponseData.responses[0]);
        if (i === 0) {
          assert.equal(info.length, 1);
        } else {
          const reason = (info[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.Enumerated;
          assert.equal(reason.valueBlock.valueDec, 5);
        }
      }
    });

    it('echoes a 32-octet nonce and a bare (unwrapped) nonce byte for byte', async () => {
      const bare = new Uint8Array(16).fill(0x11);
      for (const nonce of [wrappedNonce(32), wrappedNonce(1), bare]) {
        const der = await responder().respond(
          await buildRequest([good.certificate], ca.issuing, { nonceExtnValue: nonce }),
        );
        const { status, basic } = parseResponse(der);
        assert.equal(status, OCSP_RESPONSE_STATUS.successful);
        assert.deepEqual(nonceOf(basic), nonce);
      }
    });

    it('reads a request from a view into a larger buffer, as HTTP bodies can be', async () => {
      const request = await buildRequest([revoked.certificate], ca.issuing);
      const pool = Buffer.concat([Buffer.from('xxxxxxx'), request, Buffer.from('yyy')]);
      const view = new Uint8Array(pool.buffer, pool.byteOffset + 7, request.byteLength);
      const { status, basic } = parseResponse(await responder().respond(view));
      assert.equal(status, OCSP_RESPONSE_STATUS.successful);
      assert.equal(certStatusTag(basic?.tbsResponseData.responses[0]), 1);
    });

    it('answers requests up to the size and CertID limits', async () => {
      const padding = new pkijs.Extension({
        extnID: '1.3.6.1.4.1.99999.1',
        extnValue: new Uint8Array(MAX_OCSP_REQUEST_BYTES - 400).buffer,
      });
      const big = await buildRequest([good.certificate], ca.issuing, { extensions: [padding] });
      assert.ok(big.byteLength <= MAX_OCSP_REQUEST_BYTES);
      assert.equal(parseResponse(await responder().respond(big)).status, OCSP_RESPONSE_STATUS.successful);
      const many = await buildRequest(Array(MAX_OCSP_CERT_IDS).fill(good.certificate), ca.issuing);
      const { status, basic } = parseResponse(await responder().respond(many));
      assert.equal(status, OCSP_RESPONSE_STATUS.successful);
      assert.equal(basic?.tbsResponseData.responses.length, MAX_OCSP_CERT_IDS);
    });

    it('answers malformedRequest, without any lookup, to requests it cannot use', async () => {
      const valid = await buildRequest([good.certificate], ca.issuing);
      const unknownCritical = new pkijs.Extension({
        extnID: '1.3.6.1.4.1.99999.2',
        critical: true,
        extnValue: new Uint8Array([0x05, 0x00]).buffer,
      });
      const emptyList = new pkijs.OCSPRequest();
      const cases: Record<string, Uint8Array> = {
        empty: new Uint8Array(0),
        garbage: new TextEncoder().encode('not an OCSP request at all'),
        truncated: valid.subarray(0, valid.byteLength - 3),
        'trailing bytes': Buffer.concat([valid, Buffer.from([0x00])]),
        'a certificate instead of a request': new Uint8Array(good.certificate.rawData),
        'over 64 KiB': await buildRequest([good.certificate], ca.issuing, {
          extensions: [
            new pkijs.Extension({
              extnID: '1.3.6.1.4.1.99999.1',
              extnValue: new Uint8Array(MAX_OCSP_REQUEST_BYTES).buffer,
            }),
          ],
        }),
        'no CertID': new Uint8Array(emptyList.toSchema(true).toBER()),
        'too many CertIDs': await buildRequest(
          Array(MAX_OCSP_CERT_IDS + 1).fill(good.certificate),
          ca.issuing,
        ),
        'unknown critical extension': await buildRequest([good.certificate], ca.issuing, {
          extensions: [unknownCritical],
        }),
        'nonce of 33 octets (RFC 8954)': await buildRequest([good.certificate], ca.issuing, {
          nonceExtnValue: wrappedNonce(33),
        }),
        'empty nonce': await buildRequest([good.certificate], ca.issuing, {
          nonceExtnValue: wrappedNonce(0),
        }),
        'two nonces': await buildRequest([good.certificate], ca.issuing, {
          nonceExtnValue: wrappedNonce(16),
          extensions: [
            new pkijs.Extension({ extnID: OID_NONCE, extnValue: wrappedNonce(16).slice().buffer }),
          ],
        }),
      };
      for (const [name, request] of Object.entries(cases)) {
        const der = await responder().respond(request);
        const { status, basic } = parseResponse(der);
        assert.equal(status, OCSP_RESPONSE_STATUS.malformedRequest, name);
        assert.equal(basic, undefined, name);
        assert.deepEqual([...der], [0x30, 0x03, 0x0a, 0x01, 0x01], name);
      }
      assert.deepEqual(lookups, []);
    });

    it('answers internalError when the lookup fails, and reports the failure', async () => {
      const failure = new Error('database unavailable');
      const reported: unknown[] = [];
      const der = await responder({
        lookup: async () => {
          throw failure;
        },
        onInternalError: (error) => reported.push(error),
      }).respond(await buildRequest([good.certificate], ca.issuing));
      assert.equal(parseResponse(der).status, OCSP_RESPONSE_STATUS.internalError);
      assert.deepEqual(reported, [failure]);
    });

    it('answers internalError rather than sign with an expired signer certificate', async () => {
      const reported: unknown[] = [];
      const der = await responder({
        now: () => new Date(signer.certificate.notAfter.getTime() + 1000),
        onInternalError: (error) => reported.push(error),
      }).respond(await buildRequest([good.certificate], ca.issuing));
      assert.equal(parseResponse(der).status, OCSP_RESPONSE_STATUS.internalError);
      assert.equal(reported.length, 1);
      assert.match(String(reported[0]), /signer certificate is not valid/);
    });

    it('signs through the signer crypto, once per response', async () => {
      const spy = countingCrypto();
      const spied = { ...signer, crypto: spy.crypto };
      await responder({ signer: spied }).respond(
        await buildRequest([good.certificate, revoked.certificate], ca.issuing),
      );
      assert.equal(spy.signatures(), 1);
    });

    it('may be signed by the issuing CA itself', async () => {
      const { status, basic } = parseResponse(
        await responder({ signer: ca.issuing }).respond(await buildRequest([good.certificate], ca.issuing)),
      );
      assert.equal(status, OCSP_RESPONSE_STATUS.successful);
      assert.equal(await basic?.verify({ trustedCerts: [pkijsCertificate(ca.root.certificate)] }), true);
    });

    it('refuses a signer the issuer has not authorized (RFC 6960 §4.2.2.2)', async () => {
      const foreignSigner = await issueOcspSigner(other.issuing, { validityDays: 1 });
      const leaf: OcspSigner = {
        certificate: good.certificate,
        certificatePem: good.certificatePem,
        privateKey: signer.privateKey,
        crypto: signer.crypto,
      };
      assert.throws(() => responder({ signer: foreignSigner }), TypeError);
      assert.throws(() => responder({ signer: leaf }), TypeError);
      assert.throws(() => responder({ signer: ca.root }), TypeError);
    });

    it('rejects a nextUpdateSeconds that is not a positive integer', () => {
      for (const nextUpdateSeconds of [0, -5, 1.5, Number.NaN]) {
        assert.throws(() => responder({ nextUpdateSeconds }), RangeError);
      }
    });

    it('never throws on random bytes, and always answers with an OCSPResponse', async () => {
      const r = responder();
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
          const { status } = parseResponse(await r.respond(bytes));
          assert.ok(
            status === OCSP_RESPONSE_STATUS.malformedRequest || status === OCSP_RESPONSE_STATUS.successful,
          );
        }),
        { numRuns: 500 },
      );
    });

    it('never throws on a valid request with bytes changed, dropped or appended', async () => {
      const r = responder();
      const valid = await buildRequest([good.certificate, revoked.certificate], ca.issuing, {
        hash: 'SHA-256',
        nonceExtnValue: wrappedNonce(16),
      });
      const edit = fc.record({
        at: fc.nat({ max: valid.byteLength - 1 }),
        value: fc.integer({ min: 0, max: 255 }),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(edit, { minLength: 1, maxLength: 8 }),
          fc.nat({ max: 8 }),
          async (edits, cut) => {
            const bytes = valid.slice(0, valid.byteLength - cut);
            for (const { at, value } of edits) if (at < bytes.byteLength) bytes[at] = value;
            const { status } = parseResponse(await r.respond(bytes));
            assert.ok(
              status === OCSP_RESPONSE_STATUS.malformedRequest || status === OCSP_RESPONSE_STATUS.successful,
            );
          },
        ),
        { numRuns: 500 },
      );
    });
  });
});
