/**
 * Test-only: a panel (with EST, so devices can be really enrolled and
 * revoked), swtpm's local CA trusted for EK certificates, and the device side
 * of binding and attesting driven through the attestation service.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { PalisadeError } from '@palisade/core';
import type { BuiltEventLog } from '@palisade/testkit';
import { EstBench } from '../est/est-test-support.ts';
import type { AttestationProfile } from './attestation-profile.ts';
import type { AttestationService } from './attestation-service.ts';
import type { AttestationVerdict } from './attestation-verdicts.ts';
import type { EvidenceBody } from './evidence.ts';
import { AK_HANDLE, type TestQuote, type TestTpm } from './test-tpm.ts';

/** swtpm_setup's local CA: the intermediate that signs every swtpm EK certificate on this machine. */
export const SWTPM_LOCAL_CA = '/var/lib/swtpm-localca/issuercert.pem';

export const ADMIN = { actor: 'operator:admin' } as const;

export interface StoredAttestationEvent {
  readonly type: string;
  readonly severity: number;
  readonly fields: Record<string, unknown>;
}

export class AttestationBench {
  readonly est: EstBench;
  readonly service: AttestationService;

  private constructor(est: EstBench) {
    this.est = est;
    this.service = est.t.panel.services.attestation;
  }

  static async start(): Promise<AttestationBench> {
    const bench = new AttestationBench(await EstBench.start());
    await bench.service.tpmCas.trust(ADMIN, {
      name: 'swtpm-localca',
      certificatePem: await readFile(SWTPM_LOCAL_CA, 'utf8'),
    });
    return bench;
  }

  async close(): Promise<void> {
    await this.est.close();
  }

  /** A group with an attestation profile (PCRs 0–7 unless given). */
  async group(name: string, profile: Partial<AttestationProfile> = {}): Promise<void> {
    await this.est.group(name, { targetLevel: 'SLE' });
    await this.service.profiles.set(ADMIN, name, {
      pcrSelection: [0, 1, 2, 3, 4, 5, 6, 7],
      intervalSeconds: 60,
      maxAgeSeconds: 600,
      actionOnFailure: 'alert',
      ekCertificate: 'required',
      ...profile,
    });
  }

  /** Creates an AK in `tpm` and binds it to `deviceId` through credential activation. */
  async bind(
    deviceId: string,
    tpm: TestTpm,
    akHandle = AK_HANDLE,
  ): Promise<{ keyId: string; ekChanged: boolean }> {
    const akPublic = await tpm.createAk(akHandle);
    const challenge = await this.service.beginBinding(deviceId, {
      ekPublic: await tpm.ekPublic(),
      ekCertificatePem: await tpm.ekCertificatePem(),
      akPublic,
    });
    assert.equal(challenge.status, 'pending');
    if (challenge.status !== 'pending') throw new Error('unreachable');
    const secret = await tpm.activate(Buffer.from(challenge.credential, 'base64'), akHandle);
    return this.service.activateBinding(deviceId, challenge.keyId, secret);
  }

  /** A challenge for `deviceId` and the quote `tpm` makes for it. */
  async quote(
    deviceId: string,
    tpm: TestTpm,
    akHandle = AK_HANDLE,
  ): Promise<{ nonce: string; quote: TestQuote }> {
    const challenge = await this.service.challenge(deviceId);
    const quote = await tpm.quote(Buffer.from(challenge.nonce, 'base64'), challenge.tpm2Selection, akHandle);
    return { nonce: challenge.nonce, quote };
  }

  static body(nonce: string, quote: TestQuote, log?: BuiltEventLog | string): EvidenceBody {
    return {
      nonce,
      message: Buffer.from(quote.message).toString('base64'),
      signature: Buffer.from(quote.signature).toString('base64'),
      pcrValues: Buffer.from(quote.pcrValues).toString('base64'),
      ...(log === undefined
        ? {}
        : { eventLog: typeof log === 'string' ? log : Buffer.from(log.bytes).toString('base64') }),
    };
  }

  /** Challenge, quote, evidence: the verdict. */
  async attest(deviceId: string, tpm: TestTpm, log?: BuiltEventLog): Promise<AttestationVerdict> {
    const { nonce, quote } = await this.quote(deviceId, tpm);
    return this.service.submitEvidence(deviceId, AttestationBench.body(nonce, quote, log));
  }

  /** The panel's `attestation.failed` events about `deviceId`, oldest first. */
  async failures(deviceId: string): Promise<StoredAttestationEvent[]> {
    const result = await this.est.t.panel.services.db.query<StoredAttestationEvent>(
      `SELECT type, severity, fields FROM security_events WHERE device_id = $1 AND type = 'attestation.failed'
        ORDER BY occurred_at, id`,
      [deviceId],
    );
    return result.rows;
  }

  async quarantine(deviceId: string): Promise<string | null> {
    const result = await this.est.t.panel.services.db.query<{ quarantine_reason: string | null }>(
      'SELECT quarantine_reason FROM devices WHERE id = $1',
      [deviceId],
    );
    return result.rows[0]?.quarantine_reason ?? null;
  }
}

/** The code a promise rejects with (a PalisadeError), or ACCEPTED. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PalisadeError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}
