import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { RegistryActor } from '../devices/index.ts';
import { AttestationError } from './attestation-error.ts';

export interface TpmManufacturerCa {
  readonly id: string;
  readonly name: string;
  readonly fingerprint: string;
  readonly subject: string;
  readonly certificatePem: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

interface CaRow {
  id: string;
  name: string;
  fingerprint: string;
  subject: string;
  certificate_pem: string;
  created_by: string;
  created_at: Date;
}

const COLUMNS = 'id, name, fingerprint, subject, certificate_pem, created_by, created_at';

function toCa(row: CaRow): TpmManufacturerCa {
  return {
    id: row.id,
    name: row.name,
    fingerprint: row.fingerprint,
    subject: row.subject,
    certificatePem: row.certificate_pem,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * The TPM manufacturer CAs whose EK certificates the panel trusts (TCG EK
 * Credential Profile): each stored certificate, root or intermediate, is a
 * trust anchor, since a TPM carries only its EK certificate and the
 * manufacturer publishes the rest.
 */
export class TpmManufacturerCas {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => Date;

  constructor(db: Db, audit: AuditLog, now: () => Date) {
    this.#db = db;
    this.#audit = audit;
    this.#now = now;
  }

  /** Trusts a CA certificate (PEM), audited. */
  async trust(
    by: RegistryActor,
    input: { name: string; certificatePem: string },
  ): Promise<TpmManufacturerCa> {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(input.certificatePem);
    } catch (error) {
      throw new AttestationError('TPM_CA_INVALID', 'the TPM CA certificate is not a PEM X.509 certificate', {
        cause: error,
      });
    }
    if (!certificate.ca)
      throw new AttestationError(
        'TPM_CA_INVALID',
        'the TPM CA certificate is not a CA certificate (basicConstraints cA=TRUE)',
      );
    const fingerprint = createHash('sha256').update(certificate.raw).digest('hex');
    return this.#db.transaction(async (tx) => {
      const existing = await tx.query('SELECT 1 FROM tpm_manufacturer_cas WHERE fingerprint = $1', [
        fingerprint,
      ]);
      if (existing.rows.length > 0)
        throw new AttestationError('TPM_CA_EXISTS', `TPM CA ${fingerprint} is already trusted`);
      const result = await tx.query<CaRow>(
        `INSERT INTO tpm_manufacturer_cas (id, name, certificate_pem, fingerprint, subject, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
        [
          randomUUID(),
          input.name,
          certificate.toString(),
          fingerprint,
          certificate.subject,
          by.actor,
          this.#now(),
        ],
      );
      await this.#audit.appendIn(tx, {
        ...by,
        action: 'attestation.tpm-ca.trust',
        target: `tpm-ca:${input.name}`,
        outcome: 'success',
        details: { fingerprint, subject: certificate.subject, ...by.details },
      });
      return toCa(result.rows[0] as CaRow);
    });
  }

  async list(): Promise<TpmManufacturerCa[]> {
    const result = await this.#db.query<CaRow>(
      `SELECT ${COLUMNS} FROM tpm_manufacturer_cas ORDER BY name, id`,
    );
    return result.rows.map(toCa);
  }

  async anchors(): Promise<X509Certificate[]> {
    const result = await this.#db.query<{ certificate_pem: string }>(
      'SELECT certificate_pem FROM tpm_manufacturer_cas',
    );
    return result.rows.map((row) => new X509Certificate(row.certificate_pem));
  }
}
