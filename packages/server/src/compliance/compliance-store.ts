/**
 * The compliance tables: per device, the level achieved, which controls are
 * not met, unknown or not applicable (for SQL aggregation), and every result
 * with reason, remedy and evidence references, compressed. A device's row is
 * rewritten only when one of its results changed (compared by digest, under a
 * row lock); otherwise only its evaluation time moves.
 */
import type { ControlResult } from '@palisade/core';
import type { Queryable } from '../db/index.ts';
import { decodeResults, type EncodedResults } from './results-encoding.ts';

export interface SaveOutcome {
  /** Devices whose results changed (and whose row was rewritten). */
  readonly changed: readonly string[];
  /** Devices left alone because a later evaluation had already been stored. */
  readonly superseded: readonly string[];
}

function byDeviceId(a: EncodedResults, b: EncodedResults): number {
  return a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0;
}

/**
 * Stores the evaluations of distinct devices, all made at `at`. Inside the
 * transaction: the stored rows are locked first, so two evaluations of one
 * device (a full pass and a re-evaluation) never interleave, and an older
 * evaluation never overwrites a newer one. A device whose results changed
 * but came without them compressed is completed through `withResults`.
 */
export async function saveEvaluations(
  tx: Queryable,
  encoded: readonly EncodedResults[],
  at: Date,
  withResults: (deviceId: string) => EncodedResults | undefined,
): Promise<SaveOutcome> {
  if (encoded.length === 0) return { changed: [], superseded: [] };
  // One lock order for every writer: by device ID.
  const sorted = [...encoded].sort(byDeviceId);
  const stored = await tx.query<{ device_id: string; results_digest: string; evaluated_at: Date }>(
    `SELECT device_id, results_digest, evaluated_at FROM compliance_devices
      WHERE device_id = ANY($1::text[]) ORDER BY device_id FOR UPDATE`,
    [sorted.map((e) => e.deviceId)],
  );
  const previous = new Map(stored.rows.map((row) => [row.device_id, row]));
  const changed: Array<EncodedResults & { readonly results: Uint8Array }> = [];
  const unchanged: string[] = [];
  const superseded: string[] = [];
  for (const device of sorted) {
    const before = previous.get(device.deviceId);
    if (before && before.evaluated_at.getTime() > at.getTime()) superseded.push(device.deviceId);
    else if (before?.results_digest === device.digest) unchanged.push(device.deviceId);
    else {
      const full = device.results ? device : withResults(device.deviceId);
      if (full?.results) changed.push({ ...full, results: full.results });
      else superseded.push(device.deviceId);
    }
  }
  if (changed.length > 0)
    await tx.query(
      `INSERT INTO compliance_devices (device_id, achieved_level, controls, not_met, unknown, not_applicable, results,
         results_digest, evaluated_at, changed_at)
       SELECT u.device_id, u.achieved_level, u.controls::text[], u.not_met::text[], u.unknown::text[],
              u.not_applicable::text[], u.results, u.digest, $9, $9
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::text[])
           AS u (device_id, achieved_level, controls, not_met, unknown, not_applicable, results, digest)
       ON CONFLICT (device_id) DO UPDATE SET achieved_level = EXCLUDED.achieved_level, controls = EXCLUDED.controls,
         not_met = EXCLUDED.not_met, unknown = EXCLUDED.unknown, not_applicable = EXCLUDED.not_applicable,
         results = EXCLUDED.results, results_digest = EXCLUDED.results_digest, evaluated_at = EXCLUDED.evaluated_at,
         changed_at = EXCLUDED.changed_at`,
      [
        changed.map((c) => c.deviceId),
        changed.map((c) => c.achieved),
        changed.map((c) => c.controls),
        changed.map((c) => c.notMet),
        changed.map((c) => c.unknown),
        changed.map((c) => c.notApplicable),
        // From a worker the bytes arrive as a Uint8Array; the driver encodes Buffers as bytea.
        changed.map((c) => Buffer.from(c.results.buffer, c.results.byteOffset, c.results.byteLength)),
        changed.map((c) => c.digest),
        at,
      ],
    );
  if (unchanged.length > 0)
    await tx.query('UPDATE compliance_devices SET evaluated_at = $2 WHERE device_id = ANY($1::text[])', [
      unchanged,
      at,
    ]);
  return { changed: changed.map((c) => c.deviceId), superseded };
}

/** The digests stored for some devices, read without a lock (to compress only what changed). */
export async function storedDigests(
  q: Queryable,
  deviceIds: readonly string[],
): Promise<Map<string, string>> {
  const rows = await q.query<{ device_id: string; results_digest: string }>(
    'SELECT device_id, results_digest FROM compliance_devices WHERE device_id = ANY($1::text[])',
    [deviceIds],
  );
  return new Map(rows.rows.map((row) => [row.device_id, row.results_digest]));
}

/** The stored results of some devices, by device (those never evaluated are absent). */
export async function storedResults(
  q: Queryable,
  deviceIds: readonly string[],
): Promise<Map<string, { readonly evaluatedAt: string; readonly results: ControlResult[] }>> {
  const rows = await q.query<{ device_id: string; evaluated_at: Date; results: Uint8Array }>(
    'SELECT device_id, evaluated_at, results FROM compliance_devices WHERE device_id = ANY($1::text[])',
    [deviceIds],
  );
  return new Map(
    rows.rows.map((row) => [
      row.device_id,
      { evaluatedAt: row.evaluated_at.toISOString(), results: decodeResults(row.results) },
    ]),
  );
}

/** Removes what is stored for devices that are no longer evaluated (decommissioned). */
export async function forgetDevices(tx: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.query('DELETE FROM compliance_devices WHERE device_id = ANY($1::text[])', [ids]);
}

/** After a full pass: decommissioned devices leave the compliance tables. */
export async function forgetDecommissioned(tx: Queryable): Promise<void> {
  await tx.query(
    `DELETE FROM compliance_devices c USING devices d WHERE d.id = c.device_id AND d.state = 'decommissioned'`,
  );
}
