import { createHash, randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import { x509 } from '../pki/index.ts';
import { DeviceError } from './device-errors.ts';
import type { RegistryActor } from './device-registry.ts';
import type { Manufacturer } from './device-types.ts';

interface ManufacturerRow {
  id: string;
  name: string;
  fingerprint: string;
  auto_claim: boolean;
  default_group: string;
  certificate_pem: string;
  created_at: Date;
}

function toManufacturer(row: ManufacturerRow): Manufacturer {
  return {
    id: row.id,
    name: row.name,
    fingerprint: row.fingerprint,
    autoClaim: row.auto_claim,
    defaultGroup: row.default_group,
    certificatePem: row.certificate_pem,
    createdAt: row.created_at.toISOString(),
  };
}

export function derFingerprint(der: ArrayBuffer | Uint8Array): string {
  return createHash('sha256').update(new Uint8Array(der)).digest('hex');
}

/**
 * Manufacturer CAs whose IDevIDs the operator trusts (ID-3). Their
 * certificates become trust anchors of the device listener for EST
 * bootstrap only; every other route requires a panel-issued LDevID.
 */
export class ManufacturerTrust {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #listeners: Array<() => Promise<void>> = [];

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  /** Told when the set of trusted manufacturers changes (the listener reloads its trust anchors). */
  onChange(listener: () => Promise<void>): void {
    this.#listeners.push(listener);
  }

  async trust(
    by: RegistryActor,
    input: { name: string; certificatePem: string; autoClaim: boolean; defaultGroup: string },
  ): Promise<Manufacturer> {
    let certificate: x509.X509Certificate;
    try {
      certificate = new x509.X509Certificate(input.certificatePem);
    } catch (error) {
      throw new DeviceError(
        'MANUFACTURER_CERTIFICATE_INVALID',
        'the manufacturer certificate is not a PEM or DER X.509 certificate',
        { cause: error },
      );
    }
    const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
    if (!constraints?.ca) {
      throw new DeviceError(
        'MANUFACTURER_CERTIFICATE_INVALID',
        'the manufacturer certificate is not a CA certificate (basicConstraints cA=TRUE)',
      );
    }
    const fingerprint = derFingerprint(certificate.rawData);
    const created = await this.#db.transaction(async (tx) => {
      const existing = await tx.query('SELECT 1 FROM manufacturers WHERE fingerprint = $1', [fingerprint]);
      if (existing.rows.length > 0)
        throw new DeviceError('MANUFACTURER_EXISTS', `manufacturer CA ${fingerprint} is already trusted`);
      const group = await tx.query('SELECT 1 FROM device_groups WHERE name = $1', [input.defaultGroup]);
      if (group.rows.length === 0)
        throw new DeviceError('GROUP_NOT_FOUND', `no device group ${input.defaultGroup}`);
      const result = await tx.query<ManufacturerRow>(
        `INSERT INTO manufacturers (id, name, certificate_pem, fingerprint, auto_claim, default_group) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, name, fingerprint, auto_claim, default_group, certificate_pem, created_at`,
        [
          randomUUID(),
          input.name,
          `${certificate.toString('pem')}\n`,
          fingerprint,
          input.autoClaim,
          input.defaultGroup,
        ],
      );
      await this.#audit.appendIn(tx, {
        ...by,
        action: 'manufacturer.trust',
        target: `manufacturer:${input.name}`,
        outcome: 'success',
        details: { fingerprint, subject: certificate.subject, autoClaim: input.autoClaim, ...by.details },
      });
      return toManufacturer(result.rows[0] as ManufacturerRow);
    });
    for (const listener of this.#listeners) await listener();
    return created;
  }

  async list(): Promise<Manufacturer[]> {
    const result = await this.#db.query<ManufacturerRow>(
      'SELECT id, name, fingerprint, auto_claim, default_group, certificate_pem, created_at FROM manufacturers ORDER BY name',
    );
    return result.rows.map(toManufacturer);
  }

  /** The trusted manufacturer whose CA certificate appears in a verified IDevID chain. */
  async findInChain(chainDer: readonly Uint8Array[]): Promise<Manufacturer | undefined> {
    const fingerprints = chainDer.map(derFingerprint);
    if (fingerprints.length === 0) return undefined;
    const result = await this.#db.query<ManufacturerRow>(
      `SELECT id, name, fingerprint, auto_claim, default_group, certificate_pem, created_at FROM manufacturers
       WHERE fingerprint = ANY($1::text[])`,
      [fingerprints],
    );
    const row = result.rows[0];
    return row ? toManufacturer(row) : undefined;
  }
}
