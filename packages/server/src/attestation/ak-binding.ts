import { randomBytes } from 'node:crypto';
import {
  assertRestrictedSigningKey,
  makeCredential,
  parseTpm2bPublic,
  QuoteError,
  type TpmPublic,
  tpmName,
} from '@palisade/core';
import type { AuditLog } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { DeviceRegistry } from '../devices/index.ts';
import { AttestationError } from './attestation-error.ts';
import type { AttestationKeys } from './attestation-keys.ts';
import type { AttestationProfileSource } from './attestation-profile.ts';
import { bindDeviceStateToEk, readDeviceState } from './attestation-state.ts';
import { type CertifiedEk, verifyEkCertificate } from './ek-certificate.ts';
import type { TpmManufacturerCas } from './tpm-manufacturer-cas.ts';
import { VerdictFailure } from './verdict-failure.ts';
import type { RecordedVerdict, VerdictRecorder } from './verdict-recorder.ts';
import { asVerdictFailure } from './verify-evidence.ts';

/** What a device presents to bind an attestation key. */
export interface BindingRequest {
  /** TPM2B_PUBLIC of the EK (`tpm2_createek -u`, `tpm2_readpublic -o`). */
  readonly ekPublic: Uint8Array;
  /** The EK certificate from the TPM's NV, PEM or base64 DER, when it has one. */
  readonly ekCertificatePem?: string;
  /** TPM2B_PUBLIC of the AK (`tpm2_createak -u`). */
  readonly akPublic: Uint8Array;
}

/** The panel's answer: already bound, or a credential to activate. */
export type BindingChallenge =
  | { readonly keyId: string; readonly status: 'active' }
  | {
      readonly keyId: string;
      readonly status: 'pending';
      /** `tpm2_activatecredential -i` input (tpm2-tools credential file), base64. */
      readonly credential: string;
      readonly expiresAt: string;
    };

export interface AkBindingDeps {
  readonly db: Db;
  readonly audit: AuditLog;
  readonly devices: DeviceRegistry;
  readonly keys: AttestationKeys;
  readonly profiles: AttestationProfileSource;
  readonly tpmCas: TpmManufacturerCas;
  readonly recorder: VerdictRecorder;
  readonly now: () => Date;
}

const CREDENTIAL_SECRET_BYTES = 32;

/**
 * Binding an AK to a device's TPM (RT-2; Keylime CVE-2022-1053): the EK is
 * vouched for by its certificate, then TPM2_MakeCredential, done here, seals
 * a fresh secret to the EK and the AK's Name; only that TPM, holding that
 * AK, can return it (TPM2_ActivateCredential). A failure is a failing verdict
 * (component `binding`) with its event and action, as well as a refusal.
 */
export class AkBinding {
  readonly #d: AkBindingDeps;

  constructor(deps: AkBindingDeps) {
    this.#d = deps;
  }

  async begin(deviceId: string, request: BindingRequest): Promise<BindingChallenge> {
    const d = this.#d;
    const at = d.now();
    const ek = decodePublic(request.ekPublic, 'EK');
    const ak = decodePublic(request.akPublic, 'AK');
    try {
      assertRestrictedSigningKey(ak);
    } catch (error) {
      throw invalidPublic('AK', error);
    }
    const akName = tpmName(ak);
    const secret = randomBytes(CREDENTIAL_SECRET_BYTES);
    let credential: Uint8Array;
    try {
      credential = makeCredential({ ekPublic: ek, akName, secret }).tpm2ToolsFile;
    } catch (error) {
      throw invalidPublic('EK', error);
    }
    const device = await d.devices.get(deviceId);
    const profile = await d.profiles.profileFor(device.group);
    const certified = await this.#certify(request.ekCertificatePem, ek, profile.ekCertificate, at);
    const ekName = hex(tpmName(ek));
    const akNameHex = hex(akName);

    const outcome = await d.db.transaction(async (tx) => {
      if (certified instanceof VerdictFailure) {
        const recorded = await d.recorder.recordIn(
          tx,
          {
            deviceId,
            keyId: null,
            failure: certified,
            notRun: [],
            evidence: { ekName, akName: akNameHex },
            at,
          },
          profile,
        );
        return { refused: recorded };
      }
      const active = await d.keys.activeIn(tx, deviceId);
      // The same AK in the same TPM was proven before: nothing to prove again.
      if (active && active.akName === akNameHex && active.ekName === ekName)
        return { challenge: { keyId: active.id, status: 'active' } as const };
      const bound = (await readDeviceState(tx, deviceId)).ekName ?? active?.ekName ?? null;
      const pending = await d.keys.addPendingIn(tx, {
        deviceId,
        ekPublic: request.ekPublic,
        ekName,
        ekCertificate: certified,
        akPublic: request.akPublic,
        akName: akNameHex,
        secret,
        ekChanged: bound !== null && bound !== ekName,
        at,
      });
      return {
        challenge: {
          keyId: pending.id,
          status: 'pending',
          credential: Buffer.from(credential).toString('base64'),
          expiresAt: pending.expiresAt.toISOString(),
        } as const,
      };
    });
    if ('refused' in outcome) throw await this.#refusal(outcome.refused, 'EK_CERTIFICATE_UNTRUSTED');
    return outcome.challenge;
  }

  /** The device's answer: the secret its TPM released. */
  async activate(
    deviceId: string,
    keyId: string,
    answer: Uint8Array,
  ): Promise<{ keyId: string; status: 'active'; ekChanged: boolean }> {
    const d = this.#d;
    const at = d.now();
    const device = await d.devices.get(deviceId);
    const profile = await d.profiles.profileFor(device.group);
    const outcome = await d.db.transaction(async (tx) => {
      const checked = await d.keys.activateIn(tx, deviceId, keyId, answer, at);
      if (!checked) return { missing: true } as const;
      const { key } = checked;
      const evidence = { ekName: key.ekName, akName: key.akName };
      if (checked.outcome !== 'activated') {
        const failure = new VerdictFailure(
          'CREDENTIAL_ACTIVATION_FAILED',
          checked.outcome === 'late'
            ? 'the credential was answered after it expired'
            : 'the secret returned is not the one the credential protected: the AK is not in the TPM of the EK',
        );
        return {
          refused: await d.recorder.recordIn(
            tx,
            { deviceId, keyId, failure, notRun: [], evidence, at },
            profile,
          ),
        };
      }
      await bindDeviceStateToEk(tx, deviceId, key.ekName);
      await d.audit.appendIn(tx, {
        actor: `device:${deviceId}`,
        action: 'attestation.ak.bind',
        target: `device:${deviceId}`,
        outcome: 'success',
        details: {
          keyId,
          akName: key.akName,
          ekName: key.ekName,
          ekTrust: key.ekTrust,
          ekChanged: key.ekChanged,
        },
      });
      if (!key.ekChanged) return { ekChanged: false } as const;
      const failure = new VerdictFailure(
        'EK_CHANGED',
        `the new attestation key lives in a different TPM (EK ${key.ekName.slice(0, 20)}…) than the one bound before`,
      );
      return {
        ekChanged: true,
        changed: await d.recorder.recordIn(
          tx,
          { deviceId, keyId, failure, notRun: [], evidence, at },
          profile,
        ),
      } as const;
    });
    if ('missing' in outcome)
      throw new AttestationError(
        'AK_BINDING_NOT_FOUND',
        `no pending attestation-key binding ${keyId} for this device`,
      );
    if ('refused' in outcome) throw await this.#refusal(outcome.refused, 'CREDENTIAL_ACTIVATION_FAILED');
    if (outcome.changed) await d.recorder.settle(outcome.changed);
    return { keyId, status: 'active', ekChanged: outcome.ekChanged };
  }

  /** The certificate's verdict: certified, uncertified (tolerated by the profile), or a failure. */
  async #certify(
    pem: string | undefined,
    ek: TpmPublic,
    policy: 'required' | 'optional',
    at: Date,
  ): Promise<CertifiedEk | undefined | VerdictFailure> {
    if (pem === undefined)
      return policy === 'optional'
        ? undefined
        : new VerdictFailure(
            'EK_CERTIFICATE_UNTRUSTED',
            'the group requires an EK certificate and the device sent none',
          );
    try {
      return verifyEkCertificate(pem, ek, await this.#d.tpmCas.anchors(), at);
    } catch (error) {
      const failure = asVerdictFailure(error);
      return policy === 'optional' && failure.details?.problem !== 'not-this-ek' ? undefined : failure;
    }
  }

  async #refusal(
    recorded: RecordedVerdict,
    code: 'EK_CERTIFICATE_UNTRUSTED' | 'CREDENTIAL_ACTIVATION_FAILED',
  ) {
    const verdict = await this.#d.recorder.settle(recorded);
    return new AttestationError(code, verdict.message, { details: { verdictId: verdict.id } });
  }
}

function decodePublic(bytes: Uint8Array, which: 'EK' | 'AK'): TpmPublic {
  try {
    return parseTpm2bPublic(bytes);
  } catch (error) {
    throw invalidPublic(which, error);
  }
}

function invalidPublic(which: 'EK' | 'AK', error: unknown): AttestationError {
  if (!(error instanceof QuoteError)) throw error;
  return new AttestationError('TPM_PUBLIC_INVALID', `${which} public area: ${error.message}`, {
    details: { reason: error.code },
  });
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
