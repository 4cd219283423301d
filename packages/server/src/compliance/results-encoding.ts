/**
 * A device's results as the compliance tables keep them: the digest that
 * tells whether they changed, the controls per status as PostgreSQL array
 * literals, and every result with its reason, remedy and evidence as raw
 * DEFLATE (RFC 1951) of their JSON. Pure, so that a worker thread can do it.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { AchievedLevel, ControlResult, ControlStatus, DeviceCompliance } from '@palisade/core';

export interface EncodedResults {
  readonly deviceId: string;
  readonly achieved: AchievedLevel;
  readonly digest: string;
  /** `{RT-1,RT-2,…}`: every control evaluated, and those not met, unknown, not applicable. */
  readonly controls: string;
  readonly notMet: string;
  readonly unknown: string;
  readonly notApplicable: string;
  /** The compressed results; absent when the caller did not ask for them (nothing to rewrite). */
  readonly results?: Uint8Array;
}

/**
 * 8–10 KB of JSON → under 1 KB. The fastest level, and a 16 KB window (a
 * device's results fit in it) that is quicker to set up than the default:
 * a first pass compresses every device.
 */
export function compressResults(json: string): Buffer {
  return deflateRawSync(json, { level: 1, windowBits: 14, memLevel: 7 });
}

/** Stored results back; the panel wrote them, so they are read as written. */
export function decodeResults(stored: Uint8Array): ControlResult[] {
  return JSON.parse(inflateRawSync(stored).toString('utf8')) as ControlResult[];
}

/** SHA-256 of the achieved level and the results' JSON: equal digests, nothing to rewrite. */
export function resultsDigest(achieved: string, json: string): string {
  return createHash('sha256').update(achieved).update('\n').update(json).digest('hex');
}

function arrayLiteral(results: readonly ControlResult[], status?: ControlStatus): string {
  const controls: string[] = [];
  for (const r of results) if (status === undefined || r.status === status) controls.push(r.control);
  return `{${controls.join(',')}}`;
}

/** Encodes one evaluation; compresses its results only when `compress(digest)` says they must be written. */
export function encodeEvaluation(
  compliance: DeviceCompliance,
  compress: (digest: string) => boolean,
): EncodedResults {
  const json = JSON.stringify(compliance.results);
  const digest = resultsDigest(compliance.achieved, json);
  const { results } = compliance;
  return {
    deviceId: compliance.deviceId,
    achieved: compliance.achieved,
    digest,
    controls: arrayLiteral(results),
    notMet: arrayLiteral(results, 'not_met'),
    unknown: arrayLiteral(results, 'unknown'),
    notApplicable: arrayLiteral(results, 'not_applicable'),
    ...(compress(digest) ? { results: compressResults(json) } : {}),
  };
}
