/**
 * The per-device evidence of a set of devices, read in five set-based
 * queries whatever the number of devices (never one query per device).
 *
 * Read-only queries on other contexts' tables, because their services have
 * no bulk read (each is noted): the registry's devices and certificates,
 * channel presence, the latest inventory, attestation state, keys and
 * verdicts, and the devices' policy acknowledgements.
 */
import type { Queryable } from '../db/index.ts';

/**
 * A timestamp as RFC 3339 UTC with milliseconds, the way toISOString writes
 * it: a full pass reads hundreds of thousands of them, and parsing each into
 * a Date only to print it again costs more than the query.
 */
function iso(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** Which devices: these IDs, or the page after `after` (by ID) of at most `limit`. */
export type DeviceSelection =
  | { readonly ids: readonly string[] }
  | { readonly after: string | undefined; readonly limit: number };

export interface DeviceRow {
  id: string;
  group_name: string;
  tags: string[];
  state: 'claimed' | 'enrolled' | 'revoked';
  quarantined_at: string | null;
  quarantine_reason: string | null;
  idevid_serial: string | null;
  chain_stored: boolean;
  manufacturer: string | null;
  last_seen_at: string | null;
  root_of_trust: string | null;
  hardware_backed: boolean | null;
  inventory_record: string | null;
  inventory_at: string | null;
  secure_boot: unknown;
  disk_encryption: unknown;
  tpm: unknown;
}

export interface CertificateRow {
  device_id: string;
  serial: string;
  issued_via: 'simpleenroll' | 'simplereenroll' | 'serverkeygen';
  issued_at: string;
  not_before: string;
  not_after: string;
  key_algorithm: string;
  revoked_at: string | null;
  revocation_reason: string | null;
  issued: number;
  reenrollments: number;
  last_reenrolled_at: string | null;
}

export interface AttestationRow {
  device_id: string;
  last_pass_at: string | null;
  key_id: string | null;
  key_activated_at: string | null;
  ek_trust: 'certificate' | 'uncertified' | null;
  verdict_id: string | null;
  result: 'pass' | 'fail' | null;
  component: string | null;
  code: string | null;
  message: string | null;
  not_run: string[] | null;
  verdict_at: string | null;
}

export interface PolicyStatusRow {
  device_id: string;
  kind: string;
  policy_id: string;
  version: number;
  state: 'applied' | 'failed' | 'rolled_back' | 'drifted' | 'repaired' | 'removed';
  live_hash: string | null;
  message: string | null;
  reported_at: string;
}

// DeviceRegistry.list has no presence, inventory or provenance: one read joins them.
// The inventory's volume list can be long and is not needed: only the three facts leave the database.
const DEVICE_COLUMNS = `SELECT d.id, d.group_name, d.tags, d.state, ${iso('d.quarantined_at')} AS quarantined_at,
    d.quarantine_reason, d.idevid_serial, d.idevid_chain_pem IS NOT NULL AS chain_stored, m.name AS manufacturer,
    ${iso('p.last_seen_at')} AS last_seen_at, p.root_of_trust, p.hardware_backed,
    i.record_id AS inventory_record, ${iso('i.reported_at')} AS inventory_at,
    i.inventory -> 'secureBoot' AS secure_boot,
    (i.inventory -> 'diskEncryption') #- '{value,volumes}' AS disk_encryption,
    i.inventory -> 'tpm' AS tpm
  FROM devices d
  LEFT JOIN manufacturers m ON m.id = d.manufacturer_id
  LEFT JOIN device_presence p ON p.device_id = d.id
  LEFT JOIN device_inventory i ON i.device_id = d.id`;

export async function selectDevices(q: Queryable, selection: DeviceSelection): Promise<DeviceRow[]> {
  const result =
    'ids' in selection
      ? await q.query<DeviceRow>(
          `${DEVICE_COLUMNS} WHERE d.id = ANY($1::text[]) AND d.state <> 'decommissioned' ORDER BY d.id`,
          [selection.ids],
        )
      : await q.query<DeviceRow>(
          `${DEVICE_COLUMNS} WHERE ($1::text IS NULL OR d.id > $1) AND d.state <> 'decommissioned'
            ORDER BY d.id LIMIT $2`,
          [selection.after ?? null, selection.limit],
        );
  return result.rows;
}

/** The newest certificate of each device with its issuance history (DeviceRegistry.certificates is per device). */
export async function selectCertificates(q: Queryable, ids: readonly string[]): Promise<CertificateRow[]> {
  const result = await q.query<CertificateRow>(
    `SELECT DISTINCT ON (device_id) device_id, serial, issued_via, ${iso('issued_at')} AS issued_at,
        ${iso('not_before')} AS not_before, ${iso('not_after')} AS not_after, key_algorithm,
        ${iso('revoked_at')} AS revoked_at, revocation_reason,
        count(*) OVER w AS issued,
        count(*) FILTER (WHERE issued_via = 'simplereenroll') OVER w AS reenrollments,
        ${iso("max(issued_at) FILTER (WHERE issued_via = 'simplereenroll') OVER w")} AS last_reenrolled_at
       FROM device_certificates WHERE device_id = ANY($1::text[])
     WINDOW w AS (PARTITION BY device_id)
     ORDER BY device_id, issued_at DESC, serial`,
    [ids],
  );
  return result.rows.map((row) => ({
    ...row,
    issued: Number(row.issued),
    reenrollments: Number(row.reenrollments),
  }));
}

/**
 * The active attestation key, the last pass and the last verdict of each
 * device (AttestationService.overview is per device and reads much more).
 */
export async function selectAttestation(q: Queryable, ids: readonly string[]): Promise<AttestationRow[]> {
  const result = await q.query<AttestationRow>(
    `SELECT ids.device_id, ${iso('s.last_pass_at')} AS last_pass_at, k.id::text AS key_id,
        ${iso('k.activated_at')} AS key_activated_at, k.ek_trust, v.id::text AS verdict_id, v.result, v.component,
        v.code, v.message, v.not_run, ${iso('v.created_at')} AS verdict_at
       FROM unnest($1::text[]) AS ids (device_id)
       LEFT JOIN attestation_device_state s ON s.device_id = ids.device_id
       LEFT JOIN attestation_keys k ON k.device_id = ids.device_id AND k.status = 'active'
       LEFT JOIN LATERAL (
         SELECT id, result, component, code, message, not_run, created_at FROM attestation_verdicts
          WHERE device_id = ids.device_id ORDER BY created_at DESC, id DESC LIMIT 1
       ) v ON true
      WHERE s.device_id IS NOT NULL OR k.id IS NOT NULL OR v.id IS NOT NULL`,
    [ids],
  );
  return result.rows;
}

/** What each device last reported per policy kind (PolicyDelivery.statuses is per device). */
export async function selectPolicyStatuses(q: Queryable, ids: readonly string[]): Promise<PolicyStatusRow[]> {
  const result = await q.query<PolicyStatusRow>(
    `SELECT device_id, kind, policy_id::text AS policy_id, version, state, live_hash, message,
        ${iso('reported_at')} AS reported_at
       FROM device_policy_status WHERE device_id = ANY($1::text[])`,
    [ids],
  );
  return result.rows;
}
