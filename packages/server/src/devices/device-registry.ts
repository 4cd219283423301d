import type { AuditLog } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { DeviceError } from './device-errors.ts';
import type { Device, DeviceCertificate, DeviceGroup, DeviceState } from './device-types.ts';

/** Who acts on the registry, in the audit log's words (`operator:alice`, `device:gw-1`, `system`). */
export interface RegistryActor {
  readonly actor: string;
  readonly source?: string | undefined;
  readonly details?: Readonly<Record<string, unknown>>;
}

interface DeviceRow {
  id: string;
  group_name: string;
  state: DeviceState;
  idevid_serial: string | null;
  idevid_fingerprint: string | null;
  manufacturer: string | null;
  manufacturer_id: string | null;
  created_at: Date;
  updated_at: Date;
}

interface CertificateRow {
  serial: string;
  device_id: string;
  subject: string;
  not_before: Date;
  not_after: Date;
  issued_via: DeviceCertificate['issuedVia'];
  key_algorithm: string;
  revoked_at: Date | null;
  revocation_reason: string | null;
  certificate_pem: string;
}

const DEVICE_SELECT = `SELECT d.id, d.group_name, d.state, d.idevid_serial, d.idevid_fingerprint, m.name AS manufacturer,
  d.manufacturer_id, d.created_at, d.updated_at FROM devices d LEFT JOIN manufacturers m ON m.id = d.manufacturer_id`;

function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    group: row.group_name,
    state: row.state,
    idevidSerial: row.idevid_serial,
    idevidFingerprint: row.idevid_fingerprint,
    manufacturer: row.manufacturer,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function toCertificate(row: CertificateRow): DeviceCertificate {
  return {
    serial: row.serial,
    deviceId: row.device_id,
    subject: row.subject,
    notBefore: row.not_before.toISOString(),
    notAfter: row.not_after.toISOString(),
    issuedVia: row.issued_via,
    keyAlgorithm: row.key_algorithm,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    revocationReason: row.revocation_reason,
    certificatePem: row.certificate_pem,
  };
}

export interface NewDevice {
  readonly id: string;
  readonly group?: string | undefined;
  readonly idevidSerial?: string | undefined;
  readonly idevidFingerprint?: string | undefined;
  readonly manufacturerId?: string | undefined;
}

export interface IssuedCertificateRecord {
  readonly serial: string;
  readonly certificatePem: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly issuedVia: DeviceCertificate['issuedVia'];
  readonly keyAlgorithm: string;
  /** The serial of the issuing CA that signed it (lower-case hex, no leading zeros). */
  readonly issuerSerial: string;
}

/** Told after a revocation commits, so the CRL is reissued and live connections close. */
export type RevocationListener = (
  revoked: ReadonlyArray<{ serial: string; deviceId: string }>,
) => Promise<void>;

/**
 * Told inside the transaction that records a newly issued certificate, before
 * it commits (a NOTIFY sent on `tx` is delivered at commit, never for a rollback).
 */
export type CertificateListener = (tx: Queryable, deviceId: string) => Promise<void>;

/**
 * The device registry: which devices exist, in which group and lifecycle
 * state (claimed → enrolled → revoked | decommissioned), and the certificates
 * issued to them.
 */
export class DeviceRegistry {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #revocationListeners: RevocationListener[] = [];
  readonly #certificateListeners: CertificateListener[] = [];

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  onRevocation(listener: RevocationListener): void {
    this.#revocationListeners.push(listener);
  }

  onCertificateRecorded(listener: CertificateListener): void {
    this.#certificateListeners.push(listener);
  }

  async group(name: string, tx: Queryable = this.#db): Promise<DeviceGroup> {
    const result = await tx.query<{
      name: string;
      target_level: DeviceGroup['targetLevel'];
      require_channel_binding: boolean;
      manual_approval: boolean;
      certificate_validity_days: number;
    }>(
      'SELECT name, target_level, require_channel_binding, manual_approval, certificate_validity_days FROM device_groups WHERE name = $1',
      [name],
    );
    const row = result.rows[0];
    if (!row) throw new DeviceError('GROUP_NOT_FOUND', `no device group ${name}`);
    return {
      name: row.name,
      targetLevel: row.target_level,
      requireChannelBinding: row.require_channel_binding,
      manualApproval: row.manual_approval,
      certificateValidityDays: row.certificate_validity_days,
    };
  }

  async groups(): Promise<DeviceGroup[]> {
    const result = await this.#db.query<{ name: string }>('SELECT name FROM device_groups ORDER BY name');
    return Promise.all(result.rows.map((row) => this.group(row.name)));
  }

  async upsertGroup(by: RegistryActor, group: DeviceGroup): Promise<DeviceGroup> {
    return this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO device_groups (name, target_level, require_channel_binding, manual_approval, certificate_validity_days)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET target_level = $2, require_channel_binding = $3, manual_approval = $4,
           certificate_validity_days = $5`,
        [
          group.name,
          group.targetLevel,
          group.requireChannelBinding,
          group.manualApproval,
          group.certificateValidityDays,
        ],
      );
      await this.#audit.appendIn(tx, {
        ...by,
        action: 'group.upsert',
        target: `group:${group.name}`,
        outcome: 'success',
        details: { ...group, ...by.details },
      });
      return this.group(group.name, tx);
    });
  }

  async create(by: RegistryActor, input: NewDevice, tx?: Queryable): Promise<Device> {
    const run = async (q: Queryable) => {
      const group = input.group ?? 'default';
      await this.group(group, q);
      const clash = await q.query<{ id: string }>(
        'SELECT id FROM devices WHERE id = $1 OR idevid_serial = $2 OR idevid_fingerprint = $3',
        [input.id, input.idevidSerial ?? null, input.idevidFingerprint ?? null],
      );
      if (clash.rows.length > 0) {
        throw new DeviceError(
          'DEVICE_EXISTS',
          `a device with id ${input.id} or the same IDevID is already registered`,
        );
      }
      await q.query(
        `INSERT INTO devices (id, group_name, state, idevid_serial, idevid_fingerprint, manufacturer_id)
         VALUES ($1, $2, 'claimed', $3, $4, $5)`,
        [
          input.id,
          group,
          input.idevidSerial ?? null,
          input.idevidFingerprint ?? null,
          input.manufacturerId ?? null,
        ],
      );
      await this.#audit.appendIn(q, {
        ...by,
        action: input.idevidSerial || input.idevidFingerprint ? 'device.claim' : 'device.create',
        target: `device:${input.id}`,
        outcome: 'success',
        details: {
          group,
          ...(input.idevidSerial ? { idevidSerial: input.idevidSerial } : {}),
          ...(input.idevidFingerprint ? { idevidFingerprint: input.idevidFingerprint } : {}),
          ...by.details,
        },
      });
      return this.get(input.id, q);
    };
    return tx ? run(tx) : this.#db.transaction(run);
  }

  async get(id: string, tx: Queryable = this.#db): Promise<Device> {
    const result = await tx.query<DeviceRow>(`${DEVICE_SELECT} WHERE d.id = $1`, [id]);
    const row = result.rows[0];
    if (!row) throw new DeviceError('DEVICE_NOT_FOUND', `no device ${id}`);
    return toDevice(row);
  }

  /**
   * The device claimed for an IDevID (by fingerprint or subject serialNumber), with the
   * manufacturer whose IDevID it is bound to (set at its first IDevID enrollment, or by auto-claim).
   */
  async findByIdevid(
    serial: string | undefined,
    fingerprint: string,
  ): Promise<(Device & { readonly manufacturerId: string | null }) | undefined> {
    const result = await this.#db.query<DeviceRow>(
      `${DEVICE_SELECT} WHERE d.idevid_fingerprint = $1 OR d.idevid_serial = $2 LIMIT 1`,
      [fingerprint, serial ?? null],
    );
    const row = result.rows[0];
    return row ? { ...toDevice(row), manufacturerId: row.manufacturer_id } : undefined;
  }

  async list(filter: {
    group?: string | undefined;
    state?: DeviceState | undefined;
    limit: number;
    after?: string | undefined;
  }): Promise<Device[]> {
    const result = await this.#db.query<DeviceRow>(
      `${DEVICE_SELECT} WHERE ($1::text IS NULL OR d.group_name = $1) AND ($2::text IS NULL OR d.state = $2)
         AND ($3::text IS NULL OR d.id > $3) ORDER BY d.id LIMIT $4`,
      [filter.group ?? null, filter.state ?? null, filter.after ?? null, filter.limit],
    );
    return result.rows.map(toDevice);
  }

  async certificates(deviceId: string): Promise<DeviceCertificate[]> {
    await this.get(deviceId);
    const result = await this.#db.query<CertificateRow>(
      `SELECT serial, device_id, subject, not_before, not_after, issued_via, key_algorithm, revoked_at, revocation_reason,
              certificate_pem
       FROM device_certificates WHERE device_id = $1 ORDER BY issued_at DESC`,
      [deviceId],
    );
    return result.rows.map(toCertificate);
  }

  /**
   * One certificate by serial, with its device's state and the serial of the
   * issuing CA that signed it (null: issued before issuers were recorded, by
   * the issuing CA that was current until the first rotation).
   */
  async certificate(
    serial: string,
  ): Promise<(DeviceCertificate & { deviceState: DeviceState; issuerSerial: string | null }) | undefined> {
    const result = await this.#db.query<
      CertificateRow & { device_state: DeviceState; issuer_serial: string | null }
    >(
      `SELECT c.serial, c.device_id, c.subject, c.not_before, c.not_after, c.issued_via, c.key_algorithm, c.revoked_at,
              c.revocation_reason, c.certificate_pem, c.issuer_serial, d.state AS device_state
       FROM device_certificates c JOIN devices d ON d.id = c.device_id WHERE c.serial = $1`,
      [serial],
    );
    const row = result.rows[0];
    return row
      ? { ...toCertificate(row), deviceState: row.device_state, issuerSerial: row.issuer_serial }
      : undefined;
  }

  /**
   * Every revoked certificate of one issuing CA that has not yet expired: what
   * its CRL must list. `includeUnrecorded` adds the certificates whose issuer
   * was not recorded (see `certificate`): true for the current issuing CA
   * until a rotation attributes them.
   */
  async revokedUnexpired(
    now: Date,
    tx: Queryable,
    issuer: { readonly serial: string; readonly includeUnrecorded: boolean },
  ): Promise<Array<{ serial: string; revokedAt: Date; reason: string }>> {
    const result = await tx.query<{ serial: string; revoked_at: Date; revocation_reason: string }>(
      `SELECT serial, revoked_at, revocation_reason FROM device_certificates
       WHERE revoked_at IS NOT NULL AND not_after > $1 AND (issuer_serial = $2 OR ($3 AND issuer_serial IS NULL))
       ORDER BY revoked_at`,
      [now, issuer.serial, issuer.includeUnrecorded],
    );
    return result.rows.map((r) => ({
      serial: r.serial,
      revokedAt: r.revoked_at,
      reason: r.revocation_reason,
    }));
  }

  /** Records a certificate issued through EST and marks the device enrolled, inside the issuing transaction. */
  async recordCertificate(
    tx: Queryable,
    by: RegistryActor,
    deviceId: string,
    issued: IssuedCertificateRecord,
    idevid?: { readonly chainPem: string; readonly manufacturerId: string },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO device_certificates (serial, device_id, certificate_pem, subject, not_before, not_after, issued_via,
         key_algorithm, issuer_serial)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        issued.serial,
        deviceId,
        issued.certificatePem,
        issued.subject,
        issued.notBefore,
        issued.notAfter,
        issued.issuedVia,
        issued.keyAlgorithm,
        issued.issuerSerial,
      ],
    );
    await tx.query(
      // Provenance (ID-3): the chain as presented, and the manufacturer the device is bound to from now on.
      `UPDATE devices SET state = 'enrolled', updated_at = now(), idevid_chain_pem = COALESCE($2, idevid_chain_pem),
         manufacturer_id = COALESCE(manufacturer_id, $3) WHERE id = $1`,
      [deviceId, idevid?.chainPem ?? null, idevid?.manufacturerId ?? null],
    );
    await this.#audit.appendIn(tx, {
      ...by,
      action: `device.${issued.issuedVia}`,
      target: `device:${deviceId}`,
      outcome: 'success',
      details: {
        serial: issued.serial,
        notAfter: issued.notAfter.toISOString(),
        keyAlgorithm: issued.keyAlgorithm,
        ...by.details,
      },
    });
    for (const listener of this.#certificateListeners) await listener(tx, deviceId);
  }

  /**
   * At an issuing CA rotation, inside its transaction: certificates issued
   * before issuers were recorded are the outgoing issuing CA's, and say so from now on.
   */
  async attributeUnrecordedCertificates(tx: Queryable, issuerSerial: string): Promise<number> {
    const result = await tx.query(
      'UPDATE device_certificates SET issuer_serial = $1 WHERE issuer_serial IS NULL',
      [issuerSerial],
    );
    return result.rowCount;
  }

  /** Replaces the device's tags (policies can be assigned per tag), audited. */
  async setTags(deviceId: string, tags: readonly string[], by: RegistryActor): Promise<void> {
    const sorted = [...new Set(tags)].sort();
    await this.#db.transaction(async (tx) => {
      const result = await tx.query<{ tags: string[] }>(
        'UPDATE devices SET tags = $2, updated_at = now() WHERE id = $1 RETURNING tags',
        [deviceId, sorted],
      );
      if (result.rowCount === 0) throw new DeviceError('DEVICE_NOT_FOUND', `no device ${deviceId}`);
      await this.#audit.appendIn(tx, {
        actor: by.actor,
        action: 'device.tags',
        target: `device:${deviceId}`,
        outcome: 'success',
        ...(by.source !== undefined ? { source: by.source } : {}),
        details: { tags: sorted },
      });
    });
  }

  /** Revokes every valid certificate of the device; the device can no longer connect. */
  async revoke(by: RegistryActor, deviceId: string, reason: string): Promise<Device> {
    return this.#endDevice(by, deviceId, reason, 'revoked');
  }

  /** Takes the device out of service for good: certificates revoked (cessationOfOperation), no re-enrollment. */
  async decommission(by: RegistryActor, deviceId: string): Promise<Device> {
    return this.#endDevice(by, deviceId, 'cessationOfOperation', 'decommissioned');
  }

  async #endDevice(
    by: RegistryActor,
    deviceId: string,
    reason: string,
    state: 'revoked' | 'decommissioned',
  ): Promise<Device> {
    const { device, serials } = await this.#db.transaction(async (tx) => {
      const locked = await tx.query<{ state: DeviceState }>(
        'SELECT state FROM devices WHERE id = $1 FOR UPDATE',
        [deviceId],
      );
      const current = locked.rows[0]?.state;
      if (!current) throw new DeviceError('DEVICE_NOT_FOUND', `no device ${deviceId}`);
      if (current === 'decommissioned')
        throw new DeviceError('DEVICE_STATE_CONFLICT', `device ${deviceId} is decommissioned`);
      const revoked = await tx.query<{ serial: string }>(
        `UPDATE device_certificates SET revoked_at = now(), revocation_reason = $2
         WHERE device_id = $1 AND revoked_at IS NULL RETURNING serial`,
        [deviceId, reason],
      );
      await tx.query(`UPDATE enrollment_tokens SET used_at = COALESCE(used_at, now()) WHERE device_id = $1`, [
        deviceId,
      ]);
      await tx.query('UPDATE devices SET state = $2, updated_at = now() WHERE id = $1', [deviceId, state]);
      const serials = revoked.rows.map((r) => r.serial);
      await this.#audit.appendIn(tx, {
        ...by,
        action: state === 'revoked' ? 'device.revoke' : 'device.decommission',
        target: `device:${deviceId}`,
        outcome: 'success',
        details: { reason, serials, ...by.details },
      });
      return { device: await this.get(deviceId, tx), serials };
    });
    const revoked = serials.map((serial) => ({ serial, deviceId }));
    for (const listener of this.#revocationListeners) await listener(revoked);
    return device;
  }
}
