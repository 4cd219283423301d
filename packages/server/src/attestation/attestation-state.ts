import type { QuoteCounters } from '@palisade/core';
import type { Queryable } from '../db/index.ts';
import type { Measurements } from './measurements.ts';

/** Per device: the TPM it is bound to, its last counters, and what the last replayed boot measured. */
export interface DeviceAttestationState {
  /** Hex TPM Name of the EK of the active AK. */
  readonly ekName: string | null;
  readonly counters: QuoteCounters | null;
  readonly countersAt: string | null;
  readonly lastVerdictAt: string | null;
  readonly lastPassAt: string | null;
  readonly measurements: (Measurements & { readonly verdictId: string }) | null;
}

interface StateRow {
  ek_name: string | null;
  clock: string | null;
  reset_count: number | null;
  restart_count: number | null;
  counters_at: Date | null;
  last_verdict_at: Date | null;
  last_pass_at: Date | null;
  measurements: Measurements | null;
  measurements_verdict_id: string | null;
}

const EMPTY: DeviceAttestationState = {
  ekName: null,
  counters: null,
  countersAt: null,
  lastVerdictAt: null,
  lastPassAt: null,
  measurements: null,
};

/**
 * The `attestation_device_state` row of a device. Reads made to decide a
 * verdict lock the row (`forUpdate`), so two quotes of one device racing each
 * other cannot both pass the counter check against the same baseline.
 */
export async function readDeviceState(
  tx: Queryable,
  deviceId: string,
  forUpdate = false,
): Promise<DeviceAttestationState> {
  if (forUpdate)
    await tx.query(
      'INSERT INTO attestation_device_state (device_id) VALUES ($1) ON CONFLICT (device_id) DO NOTHING',
      [deviceId],
    );
  const result = await tx.query<StateRow>(
    `SELECT ek_name, clock::text AS clock, reset_count::int AS reset_count, restart_count::int AS restart_count,
            counters_at, last_verdict_at, last_pass_at, measurements, measurements_verdict_id
       FROM attestation_device_state WHERE device_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [deviceId],
  );
  const row = result.rows[0];
  if (!row) return EMPTY;
  return {
    ekName: row.ek_name,
    counters:
      row.clock === null || row.reset_count === null || row.restart_count === null
        ? null
        : { clock: BigInt(row.clock), resetCount: row.reset_count, restartCount: row.restart_count },
    countersAt: row.counters_at?.toISOString() ?? null,
    lastVerdictAt: row.last_verdict_at?.toISOString() ?? null,
    lastPassAt: row.last_pass_at?.toISOString() ?? null,
    measurements:
      row.measurements === null || row.measurements_verdict_id === null
        ? null
        : { ...row.measurements, verdictId: row.measurements_verdict_id },
  };
}

/** After a verdict: new counters (a verified, non-regressing quote), measurements (a replayed log), times. */
export async function updateDeviceState(
  tx: Queryable,
  deviceId: string,
  update: {
    readonly at: Date;
    readonly passed: boolean;
    readonly counters?: QuoteCounters;
    readonly measurements?: { readonly value: Measurements; readonly verdictId: string };
  },
): Promise<void> {
  const { counters, measurements } = update;
  await tx.query(
    `UPDATE attestation_device_state SET last_verdict_at = $2,
       last_pass_at = CASE WHEN $3 THEN $2 ELSE last_pass_at END,
       clock = COALESCE($4::bigint, clock), reset_count = COALESCE($5::bigint, reset_count),
       restart_count = COALESCE($6::bigint, restart_count),
       counters_at = CASE WHEN $4::bigint IS NULL THEN counters_at ELSE $2 END,
       measurements = COALESCE($7::jsonb, measurements),
       measurements_verdict_id = COALESCE($8::uuid, measurements_verdict_id)
     WHERE device_id = $1`,
    [
      deviceId,
      update.at,
      update.passed,
      counters?.clock.toString() ?? null,
      counters?.resetCount ?? null,
      counters?.restartCount ?? null,
      measurements ? JSON.stringify(measurements.value) : null,
      measurements?.verdictId ?? null,
    ],
  );
}

/** A new TPM (another EK) starts a new counter history; the old TPM's counters mean nothing for it. */
export async function bindDeviceStateToEk(tx: Queryable, deviceId: string, ekName: string): Promise<void> {
  await tx.query(
    `INSERT INTO attestation_device_state (device_id, ek_name) VALUES ($1, $2)
     ON CONFLICT (device_id) DO UPDATE SET ek_name = $2,
       clock = CASE WHEN attestation_device_state.ek_name IS DISTINCT FROM $2 THEN NULL ELSE attestation_device_state.clock END,
       reset_count = CASE WHEN attestation_device_state.ek_name IS DISTINCT FROM $2 THEN NULL ELSE attestation_device_state.reset_count END,
       restart_count = CASE WHEN attestation_device_state.ek_name IS DISTINCT FROM $2 THEN NULL ELSE attestation_device_state.restart_count END`,
    [deviceId, ekName],
  );
}
