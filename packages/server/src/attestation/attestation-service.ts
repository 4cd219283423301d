import type { AuditLog } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { DeviceRegistry, RegistryActor } from '../devices/index.ts';
import type { EventPipeline, PanelEvents } from '../events/index.ts';
import { AkBinding, type BindingChallenge, type BindingRequest } from './ak-binding.ts';
import { AttestationError } from './attestation-error.ts';
import { type AttestationKey, AttestationKeys } from './attestation-keys.ts';
import { AttestationNonces } from './attestation-nonces.ts';
import {
  type AttestationProfile,
  type AttestationProfileSource,
  AttestationProfiles,
} from './attestation-profile.ts';
import { readDeviceState, updateDeviceState } from './attestation-state.ts';
import {
  type AttestationVerdict,
  AttestationVerdicts,
  type VerdictEvidence,
} from './attestation-verdicts.ts';
import { base64Bytes, type EvidenceBody } from './evidence.ts';
import { FailureActions } from './failure-actions.ts';
import { learnReferenceValues } from './learn-references.ts';
import { type ReferenceSet, ReferenceStore } from './reference-store.ts';
import { mergeReferenceValues } from './reference-values.ts';
import { TpmManufacturerCas } from './tpm-manufacturer-cas.ts';
import { VerdictRecorder } from './verdict-recorder.ts';
import { asVerdictFailure, type EvidenceOutcome, verifyEvidence } from './verify-evidence.ts';

export interface AttestationServiceDeps {
  readonly db: Db;
  readonly audit: AuditLog;
  readonly devices: DeviceRegistry;
  readonly pipeline: EventPipeline;
  readonly panelEvents: PanelEvents;
  readonly now: () => Date;
  /** Where profiles come from; default: the `attestation_profiles` table (signed policies may replace it). */
  readonly profileSource?: AttestationProfileSource;
}

/** A challenge: the nonce to quote and what to quote. */
export interface AttestationChallenge {
  /** 32 random bytes, base64: `tpm2_quote -q` takes them as hex. */
  readonly nonce: string;
  readonly expiresAt: string;
  /** The SHA-256 PCRs to quote, and the same in tpm2-tools notation (`tpm2_quote -l`). */
  readonly pcrSelection: { readonly sha256: readonly number[] };
  readonly tpm2Selection: string;
  /** When the device should attest next on its own. */
  readonly intervalSeconds: number;
}

/** What operators see of a device's attestation. */
export interface DeviceAttestationView {
  readonly deviceId: string;
  readonly group: string;
  /** `unattested`: never; `failing`: the last verdict failed; `stale`: the last pass is older than maxAge. */
  readonly status: 'passing' | 'failing' | 'stale' | 'unattested';
  readonly profile: AttestationProfile;
  readonly quarantine: { readonly at: string; readonly reason: string } | null;
  readonly keys: readonly AttestationKey[];
  readonly counters: {
    readonly clock: string;
    readonly resetCount: number;
    readonly restartCount: number;
    readonly at: string | null;
  } | null;
  readonly lastPassAt: string | null;
  readonly lastVerdictAt: string | null;
  readonly verdicts: readonly AttestationVerdict[];
}

/**
 * The `attestation` context's one service (RT-2, SB-2, CM-2): binds AKs by
 * credential activation, issues nonces, verifies evidence into verdicts,
 * acts on failures, and keeps profiles, TPM CAs and reference values.
 */
export class AttestationService {
  readonly profiles: AttestationProfiles;
  readonly tpmCas: TpmManufacturerCas;
  readonly references: ReferenceStore;
  readonly #d: AttestationServiceDeps;
  readonly #profileSource: AttestationProfileSource;
  readonly #keys: AttestationKeys;
  readonly #nonces: AttestationNonces;
  readonly #verdicts: AttestationVerdicts;
  readonly #recorder: VerdictRecorder;
  readonly #binding: AkBinding;

  constructor(deps: AttestationServiceDeps) {
    this.#d = deps;
    this.profiles = new AttestationProfiles(deps.db, deps.audit, deps.now);
    this.#profileSource = deps.profileSource ?? this.profiles;
    this.tpmCas = new TpmManufacturerCas(deps.db, deps.audit, deps.now);
    this.references = new ReferenceStore(deps.db, deps.audit, deps.now);
    this.#keys = new AttestationKeys(deps.db);
    this.#nonces = new AttestationNonces(deps.db, deps.now);
    this.#verdicts = new AttestationVerdicts(deps.db);
    this.#recorder = new VerdictRecorder(
      this.#verdicts,
      new FailureActions(deps.pipeline, deps.panelEvents, deps.devices, deps.audit),
    );
    this.#binding = new AkBinding({
      db: deps.db,
      audit: deps.audit,
      devices: deps.devices,
      keys: this.#keys,
      profiles: this.#profileSource,
      tpmCas: this.tpmCas,
      recorder: this.#recorder,
      now: deps.now,
    });
  }

  beginBinding(deviceId: string, request: BindingRequest): Promise<BindingChallenge> {
    return this.#binding.begin(deviceId, request);
  }

  activateBinding(deviceId: string, keyId: string, secret: Uint8Array) {
    return this.#binding.activate(deviceId, keyId, secret);
  }

  async challenge(deviceId: string): Promise<AttestationChallenge> {
    const device = await this.#d.devices.get(deviceId);
    const profile = await this.#profileSource.profileFor(device.group);
    const { nonce, expiresAt } = await this.#nonces.issue(deviceId);
    return {
      nonce: nonce.toString('base64'),
      expiresAt: expiresAt.toISOString(),
      pcrSelection: { sha256: profile.pcrSelection },
      tpm2Selection: `sha256:${profile.pcrSelection.join(',')}`,
      intervalSeconds: profile.intervalSeconds,
    };
  }

  /**
   * Verifies evidence (the schema already bounded it) into a verdict, in one
   * transaction with the nonce it spends, the counters it advances and what
   * the verdict triggers; revocation follows the commit.
   */
  async submitEvidence(deviceId: string, body: EvidenceBody): Promise<AttestationVerdict> {
    const d = this.#d;
    const at = d.now();
    const nonce = base64Bytes(body.nonce);
    const recorded = await d.db.transaction(async (tx) => {
      const device = await d.devices.get(deviceId, tx);
      const profile = await this.#profileSource.profileFor(device.group, tx);
      const state = await readDeviceState(tx, deviceId, true);
      const key = await this.#keys.activeIn(tx, deviceId);
      let outcome: EvidenceOutcome;
      let referenceVersion: number | undefined;
      try {
        await this.#nonces.consumeIn(tx, deviceId, nonce);
        const references = await this.references.forDevice(tx, device.group, body.firmwareVersion);
        referenceVersion = references?.version;
        outcome = verifyEvidence(body, {
          nonce,
          akPublic: key?.akPublic,
          profile,
          previousCounters: state.counters ?? undefined,
          references: references?.referenceValues,
        });
      } catch (error) {
        outcome = { notRun: [], failure: asVerdictFailure(error) };
      }
      const result = await this.#recorder.recordIn(
        tx,
        {
          deviceId,
          keyId: key?.id ?? null,
          failure: outcome.failure,
          notRun: outcome.notRun,
          evidence: evidenceOf(body, outcome, key?.akName, referenceVersion),
          at,
        },
        profile,
      );
      const { quote, measurements } = outcome;
      await updateDeviceState(tx, deviceId, {
        at,
        passed: result.verdict.result === 'pass',
        ...(quote ? { counters: quote } : {}),
        // Golden values are learned only from a boot whose log explains the quoted PCRs.
        ...(measurements?.events
          ? { measurements: { value: measurements, verdictId: result.verdict.id } }
          : {}),
      });
      return result;
    });
    return this.#recorder.settle(recorded);
  }

  async overview(deviceId: string, verdictLimit = 20): Promise<DeviceAttestationView> {
    const d = this.#d;
    const device = await d.devices.get(deviceId);
    const profile = await this.#profileSource.profileFor(device.group);
    const state = await readDeviceState(d.db, deviceId);
    const quarantine = await d.db.query<{ quarantined_at: Date | null; quarantine_reason: string | null }>(
      'SELECT quarantined_at, quarantine_reason FROM devices WHERE id = $1',
      [deviceId],
    );
    const q = quarantine.rows[0];
    const verdicts = await this.#verdicts.recent(deviceId, verdictLimit);
    const last = verdicts[0];
    const stale =
      state.lastPassAt === null ||
      d.now().getTime() - new Date(state.lastPassAt).getTime() > profile.maxAgeSeconds * 1000;
    return {
      deviceId,
      group: device.group,
      status:
        last === undefined ? 'unattested' : last.result === 'fail' ? 'failing' : stale ? 'stale' : 'passing',
      profile,
      quarantine: q?.quarantined_at
        ? { at: q.quarantined_at.toISOString(), reason: q.quarantine_reason ?? '' }
        : null,
      keys: await this.#keys.list(deviceId),
      counters: state.counters
        ? {
            clock: state.counters.clock.toString(),
            resetCount: state.counters.resetCount,
            restartCount: state.counters.restartCount,
            at: state.countersAt,
          }
        : null,
      lastPassAt: state.lastPassAt,
      lastVerdictAt: state.lastVerdictAt,
      verdicts,
    };
  }

  /**
   * "Record golden values": the device's group learns, as reference values,
   * what the device's last verdict with a replayed event log measured
   * (replacing that firmware version's set, or widening it with `merge`). Audited.
   */
  async recordGolden(
    by: RegistryActor,
    deviceId: string,
    options: { readonly merge?: boolean; readonly firmwareVersion?: string } = {},
  ): Promise<
    ReferenceSet & { readonly learnedFrom: { readonly deviceId: string; readonly verdictId: string } }
  > {
    const device = await this.#d.devices.get(deviceId);
    const measured = (await readDeviceState(this.#d.db, deviceId)).measurements;
    if (!measured?.events)
      throw new AttestationError(
        'GOLDEN_EVIDENCE_MISSING',
        `device ${deviceId} has no verdict whose event log replayed to its quote`,
      );
    const learned = learnReferenceValues(measured);
    const set = await this.references.put(by, {
      group: device.group,
      firmwareVersion: options.firmwareVersion ?? '',
      referenceValues: learned,
      action: 'attestation.reference-values.record-golden',
      ...(options.merge ? { merge: (existing) => mergeReferenceValues(existing, learned) } : {}),
      details: { deviceId, verdictId: measured.verdictId, merge: options.merge === true },
    });
    return { ...set, learnedFrom: { deviceId, verdictId: measured.verdictId } };
  }
}

function evidenceOf(
  body: EvidenceBody,
  outcome: EvidenceOutcome,
  akName: string | undefined,
  referenceVersion: number | undefined,
): VerdictEvidence {
  const { quote } = outcome;
  return {
    nonce: Buffer.from(base64Bytes(body.nonce)).toString('hex'),
    quote: { message: body.message, signature: body.signature },
    ...(quote
      ? {
          pcrs: Object.fromEntries(Object.entries(quote.pcrs.sha256 ?? {})),
          counters: {
            clock: quote.clock.toString(),
            resetCount: quote.resetCount,
            restartCount: quote.restartCount,
          },
        }
      : {}),
    ...(outcome.progress ? { rebooted: outcome.progress.rebooted } : {}),
    ...(outcome.eventLogSha256 ? { eventLogSha256: outcome.eventLogSha256 } : {}),
    ...(body.firmwareVersion ? { firmwareVersion: body.firmwareVersion } : {}),
    ...(akName ? { akName } : {}),
    ...(referenceVersion === undefined ? {} : { referenceVersion }),
  };
}
