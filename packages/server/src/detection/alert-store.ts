import type { RuleFiring } from '@palisade/core';
import type { AuditLog } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { type EventRef, EventsError } from '../events/index.ts';

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

/** What an operator needs to judge an alert without leaving it. */
export interface AlertContext {
  readonly group: string | null;
  readonly targetLevel: string | null;
  readonly deviceState: string | null;
  readonly quarantined: boolean;
  readonly lastSeenAt: string | null;
  readonly agentVersion: string | null;
  readonly rootOfTrust: string | null;
  /** The device's latest remote-attestation verdict, or why there is none. */
  readonly lastAttestation:
    | { readonly status: 'unknown'; readonly reason: string }
    | {
        readonly status: 'pass' | 'fail';
        readonly at: string;
        readonly verdictId: string;
        readonly component: string | null;
        readonly code: string | null;
        readonly message: string;
      };
  /** The device's most recent audited changes (certificates, group moves, revocations …). */
  readonly recentChanges: readonly { readonly at: string; readonly action: string; readonly actor: string }[];
  /** For spread rules: the devices that reported. */
  readonly devices?: readonly string[];
}

export interface Alert {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly title: string;
  readonly severity: number;
  readonly controls: readonly string[];
  readonly subject: string;
  readonly deviceId: string | null;
  readonly group: string | null;
  readonly status: AlertStatus;
  readonly events: readonly EventRef[];
  readonly context: AlertContext;
  readonly firstEventAt: string;
  readonly lastEventAt: string;
  readonly raisedAt: string;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly resolvedAt: string | null;
  readonly resolvedBy: string | null;
  readonly note: string | null;
}

interface AlertRow {
  id: string;
  rule_id: string;
  rule_version: number;
  title: string;
  severity: number;
  controls: string[];
  subject: string;
  device_id: string | null;
  group_name: string | null;
  status: AlertStatus;
  events: EventRef[];
  context: AlertContext;
  first_event_at: Date;
  last_event_at: Date;
  raised_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  note: string | null;
}

/** Which lifecycle step may follow which (SI-2): open → acknowledged → resolved, or open → resolved. */
const NEXT: Readonly<Record<'acknowledge' | 'resolve', readonly AlertStatus[]>> = {
  acknowledge: ['open'],
  resolve: ['open', 'acknowledged'],
};

/** Alerts raised by detection rules, with their lifecycle; each operator step is audited. */
export class AlertStore {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => Date;

  constructor(db: Db, audit: AuditLog, now: () => Date) {
    this.#db = db;
    this.#audit = audit;
    this.#now = now;
  }

  /** Records an alert for a firing, inside the worker's transaction. */
  async raiseIn(
    tx: Queryable,
    input: {
      readonly id: string;
      readonly firing: RuleFiring;
      readonly ruleVersion: number;
      readonly deviceId: string | null;
      readonly group: string | null;
      readonly events: readonly EventRef[];
      readonly context: AlertContext;
    },
  ): Promise<void> {
    const { firing } = input;
    await tx.query(
      `INSERT INTO alerts (id, rule_id, rule_version, title, severity, controls, subject, device_id, group_name,
                           status, events, context, first_event_at, last_event_at, raised_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12, $13, $14)`,
      [
        input.id,
        firing.ruleId,
        input.ruleVersion,
        firing.title,
        firing.severity,
        firing.controls,
        firing.key,
        input.deviceId,
        input.group,
        JSON.stringify(input.events),
        JSON.stringify(input.context),
        new Date(firing.firstAt),
        new Date(firing.lastAt),
        this.#now(),
      ],
    );
  }

  /** The device's context when an alert is raised about it. */
  async contextIn(tx: Queryable, deviceId: string | null, group: string | null): Promise<AlertContext> {
    const unknownAttestation = {
      status: 'unknown',
      reason: 'remote attestation is not configured for this device',
    } as const;
    if (deviceId === null) {
      const level = group
        ? (
            await tx.query<{ target_level: string }>(
              'SELECT target_level FROM device_groups WHERE name = $1',
              [group],
            )
          ).rows[0]?.target_level
        : undefined;
      return {
        group,
        targetLevel: level ?? null,
        deviceState: null,
        quarantined: false,
        lastSeenAt: null,
        agentVersion: null,
        rootOfTrust: null,
        lastAttestation: unknownAttestation,
        recentChanges: [],
      };
    }
    const device = await tx.query<{
      group_name: string;
      state: string;
      quarantined_at: Date | null;
      target_level: string;
      last_seen_at: Date | null;
      agent_version: string | null;
      root_of_trust: string | null;
    }>(
      `SELECT d.group_name, d.state, d.quarantined_at, g.target_level, p.last_seen_at, p.agent_version, p.root_of_trust
         FROM devices d JOIN device_groups g ON g.name = d.group_name
         LEFT JOIN device_presence p ON p.device_id = d.id WHERE d.id = $1`,
      [deviceId],
    );
    const verdict = await tx.query<{
      id: string;
      result: 'pass' | 'fail';
      component: string | null;
      code: string | null;
      message: string;
      created_at: Date;
    }>(
      `SELECT id, result, component, code, message, created_at FROM attestation_verdicts
        WHERE device_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [deviceId],
    );
    const last = verdict.rows[0];
    const changes = await tx.query<{ at: Date; action: string; actor: string }>(
      `SELECT at, action, actor FROM audit_log WHERE target = $1 ORDER BY seq DESC LIMIT 5`,
      [`device:${deviceId}`],
    );
    const row = device.rows[0];
    return {
      group: row?.group_name ?? group,
      targetLevel: row?.target_level ?? null,
      deviceState: row?.state ?? null,
      quarantined: row?.quarantined_at != null,
      lastSeenAt: row?.last_seen_at?.toISOString() ?? null,
      agentVersion: row?.agent_version ?? null,
      rootOfTrust: row?.root_of_trust ?? null,
      lastAttestation: last
        ? {
            status: last.result,
            at: last.created_at.toISOString(),
            verdictId: last.id,
            component: last.component,
            code: last.code,
            message: last.message,
          }
        : {
            status: 'unknown',
            reason: 'this device has no attestation verdict (no TPM, or it has not attested yet)',
          },
      recentChanges: changes.rows.map((c) => ({ at: c.at.toISOString(), action: c.action, actor: c.actor })),
    };
  }

  async list(filter: { status?: AlertStatus; deviceId?: string; limit: number }): Promise<Alert[]> {
    const result = await this.#db.query<AlertRow>(
      `SELECT * FROM alerts WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR device_id = $2)
        ORDER BY raised_at DESC, id LIMIT $3`,
      [filter.status ?? null, filter.deviceId ?? null, filter.limit],
    );
    return result.rows.map(alertOfRow);
  }

  async get(id: string): Promise<Alert> {
    const result = await this.#db.query<AlertRow>('SELECT * FROM alerts WHERE id::text = $1', [id]);
    const row = result.rows[0];
    if (!row) throw new EventsError('ALERT_NOT_FOUND', `no alert ${id}`);
    return alertOfRow(row);
  }

  /** Moves an alert one lifecycle step; ALERT_STATE_CONFLICT when its status does not allow it. */
  async transition(
    id: string,
    step: 'acknowledge' | 'resolve',
    by: { readonly actor: string; readonly source?: string; readonly note?: string },
  ): Promise<Alert> {
    return this.#db.transaction(async (tx) => {
      const current = await tx.query<{ status: AlertStatus }>(
        'SELECT status FROM alerts WHERE id::text = $1 FOR UPDATE',
        [id],
      );
      const status = current.rows[0]?.status;
      if (!status) throw new EventsError('ALERT_NOT_FOUND', `no alert ${id}`);
      if (!NEXT[step].includes(status))
        throw new EventsError('ALERT_STATE_CONFLICT', `the alert is ${status}; it cannot be ${step}d`);
      const at = this.#now();
      const result = await tx.query<AlertRow>(
        step === 'acknowledge'
          ? `UPDATE alerts SET status = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3,
               note = COALESCE($4, note) WHERE id::text = $1 RETURNING *`
          : `UPDATE alerts SET status = 'resolved', resolved_at = $2, resolved_by = $3,
               note = COALESCE($4, note) WHERE id::text = $1 RETURNING *`,
        [id, at, by.actor, by.note ?? null],
      );
      await this.#audit.appendIn(tx, {
        actor: by.actor,
        action: `alert.${step}`,
        target: `alert:${id}`,
        outcome: 'success',
        ...(by.source !== undefined ? { source: by.source } : {}),
        details: { from: status, ...(by.note !== undefined ? { note: by.note } : {}) },
      });
      const row = result.rows[0];
      if (!row) throw new EventsError('ALERT_NOT_FOUND', `no alert ${id}`);
      return alertOfRow(row);
    });
  }
}

function alertOfRow(row: AlertRow): Alert {
  return {
    id: row.id,
    ruleId: row.rule_id,
    ruleVersion: row.rule_version,
    title: row.title,
    severity: row.severity,
    controls: row.controls,
    subject: row.subject,
    deviceId: row.device_id,
    group: row.group_name,
    status: row.status,
    events: row.events,
    context: row.context,
    firstEventAt: row.first_event_at.toISOString(),
    lastEventAt: row.last_event_at.toISOString(),
    raisedAt: row.raised_at.toISOString(),
    acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    resolvedBy: row.resolved_by,
    note: row.note,
  };
}
