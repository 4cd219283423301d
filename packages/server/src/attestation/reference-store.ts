import type { AuditLog } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { DeviceError, type RegistryActor } from '../devices/index.ts';
import { parseReferenceValues, type ReferenceValues, referenceValuesJson } from './reference-values.ts';

/** One group's reference values for one firmware version ('' = any version without its own set). */
export interface ReferenceSet {
  readonly group: string;
  readonly firmwareVersion: string;
  readonly version: number;
  readonly referenceValues: ReferenceValues;
  readonly updatedBy: string;
  readonly updatedAt: string;
}

interface SetRow {
  group_name: string;
  firmware_version: string;
  document: unknown;
  version: number;
  updated_by: string;
  updated_at: Date;
}

const COLUMNS = 'group_name, firmware_version, document, version, updated_by, updated_at';

function toSet(row: SetRow): ReferenceSet {
  return {
    group: row.group_name,
    firmwareVersion: row.firmware_version,
    version: row.version,
    referenceValues: parseReferenceValues(row.document),
    updatedBy: row.updated_by,
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Reference values per group and firmware version; every change is audited (an operator accepting new values). */
export class ReferenceStore {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => Date;

  constructor(db: Db, audit: AuditLog, now: () => Date) {
    this.#db = db;
    this.#audit = audit;
    this.#now = now;
  }

  async list(group: string): Promise<ReferenceSet[]> {
    await this.#requireGroup(this.#db, group);
    const result = await this.#db.query<SetRow>(
      `SELECT ${COLUMNS} FROM attestation_reference_values WHERE group_name = $1 ORDER BY firmware_version`,
      [group],
    );
    return result.rows.map(toSet);
  }

  /** The set that applies to a device: its firmware version's own, else the group's ''. */
  async forDevice(
    tx: Queryable,
    group: string,
    firmwareVersion: string | undefined,
  ): Promise<ReferenceSet | undefined> {
    const result = await tx.query<SetRow>(
      `SELECT ${COLUMNS} FROM attestation_reference_values
        WHERE group_name = $1 AND firmware_version IN ($2, '') ORDER BY firmware_version DESC LIMIT 1`,
      [group, firmwareVersion ?? ''],
    );
    const row = result.rows[0];
    return row ? toSet(row) : undefined;
  }

  /**
   * Replaces (or, with `merge`, widens) one set. `action` names the audit
   * entry; `details` say where the values came from (a device's verdict for
   * "record golden values").
   */
  async put(
    by: RegistryActor,
    input: {
      readonly group: string;
      readonly firmwareVersion: string;
      readonly referenceValues: ReferenceValues;
      readonly action: string;
      readonly merge?: (existing: ReferenceValues) => ReferenceValues;
      readonly details?: Readonly<Record<string, unknown>>;
    },
  ): Promise<ReferenceSet> {
    return this.#db.transaction(async (tx) => {
      await this.#requireGroup(tx, input.group);
      const existing = await tx.query<SetRow>(
        `SELECT ${COLUMNS} FROM attestation_reference_values WHERE group_name = $1 AND firmware_version = $2 FOR UPDATE`,
        [input.group, input.firmwareVersion],
      );
      const previous = existing.rows[0] ? toSet(existing.rows[0]) : undefined;
      const values = previous && input.merge ? input.merge(previous.referenceValues) : input.referenceValues;
      const version = (previous?.version ?? 0) + 1;
      const result = await tx.query<SetRow>(
        `INSERT INTO attestation_reference_values (group_name, firmware_version, document, version, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (group_name, firmware_version) DO UPDATE SET document = $3, version = $4, updated_by = $5,
           updated_at = $6
         RETURNING ${COLUMNS}`,
        [
          input.group,
          input.firmwareVersion,
          JSON.stringify(referenceValuesJson(values)),
          version,
          by.actor,
          this.#now(),
        ],
      );
      await this.#audit.appendIn(tx, {
        ...by,
        action: input.action,
        target: `group:${input.group}`,
        outcome: 'success',
        details: {
          firmwareVersion: input.firmwareVersion,
          version,
          pcrs: Object.keys(values.pcrs).map(Number),
          eventRules: values.events.length,
          requireSecureBoot: values.requireSecureBoot,
          ...input.details,
          ...by.details,
        },
      });
      return toSet(result.rows[0] as SetRow);
    });
  }

  async #requireGroup(tx: Queryable, group: string): Promise<void> {
    const exists = await tx.query('SELECT 1 FROM device_groups WHERE name = $1', [group]);
    if (exists.rows.length === 0) throw new DeviceError('GROUP_NOT_FOUND', `no device group ${group}`);
  }
}
