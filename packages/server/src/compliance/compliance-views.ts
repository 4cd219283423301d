/**
 * What the compliance API shows, read from the stored results: a device
 * control by control, a group's matrix and counts, the fleet with its trend.
 */
import {
  ACHIEVED_LEVELS,
  type AchievedLevel,
  CONTROL_CATALOGUE,
  type ControlStatus,
  controlDefinition,
  controlsRequiredAt,
  type DeviceCompliance,
  type EvidenceRef,
  isControlId,
  levelRank,
  type SecurityLevel,
} from '@palisade/core';
import type { Queryable } from '../db/index.ts';

export type LevelCounts = Record<AchievedLevel, number>;

export interface DeviceComplianceView {
  readonly deviceId: string;
  readonly group: string;
  readonly state: string;
  readonly quarantine: { readonly at: string; readonly reason: string } | null;
  readonly targetLevel: SecurityLevel;
  readonly achievedLevel: AchievedLevel;
  readonly meetsTarget: boolean;
  readonly evaluatedAt: string;
  readonly counts: Readonly<Record<ControlStatus, number>>;
  readonly controls: ReadonlyArray<{
    readonly control: string;
    readonly family: string;
    readonly title: string;
    readonly levels: readonly SecurityLevel[];
    readonly requiredAtTarget: boolean;
    readonly status: ControlStatus;
    readonly reason: string;
    readonly remedy?: string;
    readonly evidence: readonly EvidenceRef[];
    readonly iec62443: readonly string[];
    readonly nist80053: readonly string[];
  }>;
  /** What keeps the device from its target level, each with its remedy. */
  readonly gaps: ReadonlyArray<{
    readonly control: string;
    readonly title: string;
    readonly status: ControlStatus;
    readonly reason: string;
    readonly remedy: string;
  }>;
}

export function deviceView(
  compliance: DeviceCompliance,
  device: { readonly state: string; readonly quarantine: DeviceComplianceView['quarantine'] },
): DeviceComplianceView {
  const required = new Set(controlsRequiredAt(compliance.target).map((c) => c.id));
  const counts: Record<ControlStatus, number> = { met: 0, not_met: 0, unknown: 0, not_applicable: 0 };
  for (const result of compliance.results) counts[result.status] += 1;
  return {
    deviceId: compliance.deviceId,
    group: compliance.group,
    state: device.state,
    quarantine: device.quarantine,
    targetLevel: compliance.target,
    achievedLevel: compliance.achieved,
    meetsTarget: levelRank(compliance.achieved) >= levelRank(compliance.target),
    evaluatedAt: compliance.evaluatedAt,
    counts,
    controls: compliance.results.map((result) => {
      const definition = controlDefinition(result.control);
      return {
        control: result.control,
        family: definition.family,
        title: definition.title,
        levels: definition.levels,
        requiredAtTarget: required.has(result.control),
        status: result.status,
        reason: result.reason,
        ...(result.remedy === undefined ? {} : { remedy: result.remedy }),
        evidence: result.evidence,
        iec62443: definition.iec62443,
        nist80053: definition.nist80053,
      };
    }),
    gaps: compliance.gaps.map((gap) => ({
      control: gap.control,
      title: controlDefinition(gap.control).title,
      status: gap.status,
      reason: gap.reason,
      remedy: gap.remedy ?? '',
    })),
  };
}

function emptyLevels(): LevelCounts {
  return Object.fromEntries(ACHIEVED_LEVELS.map((level) => [level, 0])) as LevelCounts;
}

export interface GroupLevels {
  readonly group: string;
  readonly targetLevel: SecurityLevel;
  /** Devices in service (not decommissioned). */
  readonly devices: number;
  /** Of which evaluated at least once. */
  readonly evaluated: number;
  readonly levels: LevelCounts;
  readonly atTarget: number;
}

/** Counts per achieved level, per group (all groups, or one). */
export async function groupLevels(q: Queryable, group?: string): Promise<GroupLevels[]> {
  const result = await q.query<{
    group_name: string;
    target_level: SecurityLevel;
    achieved_level: AchievedLevel | null;
    n: number;
  }>(
    `SELECT g.name AS group_name, g.target_level, c.achieved_level, count(d.id)::int AS n
       FROM device_groups g
       LEFT JOIN devices d ON d.group_name = g.name AND d.state <> 'decommissioned'
       LEFT JOIN compliance_devices c ON c.device_id = d.id
      WHERE ($1::text IS NULL OR g.name = $1)
      GROUP BY 1, 2, 3 ORDER BY 1`,
    [group ?? null],
  );
  const byGroup = new Map<string, { targetLevel: SecurityLevel; devices: number; levels: LevelCounts }>();
  for (const row of result.rows) {
    const entry = byGroup.get(row.group_name) ?? {
      targetLevel: row.target_level,
      devices: 0,
      levels: emptyLevels(),
    };
    entry.devices += row.n;
    if (row.achieved_level !== null) entry.levels[row.achieved_level] += row.n;
    byGroup.set(row.group_name, entry);
  }
  return [...byGroup.entries()].map(([name, entry]) => ({
    group: name,
    targetLevel: entry.targetLevel,
    devices: entry.devices,
    evaluated: ACHIEVED_LEVELS.reduce((n, level) => n + entry.levels[level], 0),
    levels: entry.levels,
    atTarget: ACHIEVED_LEVELS.filter((level) => levelRank(level) >= levelRank(entry.targetLevel)).reduce(
      (n, level) => n + entry.levels[level],
      0,
    ),
  }));
}

export interface FailingControl {
  readonly control: string;
  readonly title: string;
  readonly notMet: number;
  readonly unknown: number;
}

/** Controls by how many devices do not meet them (not met first, then unknown). */
export async function failingControls(
  q: Queryable,
  group: string | undefined,
  limit: number,
): Promise<FailingControl[]> {
  const result = await q.query<{ control: string; not_met: number; unknown: number }>(
    `SELECT f.control, count(*) FILTER (WHERE f.status = 'not_met')::int AS not_met,
            count(*) FILTER (WHERE f.status = 'unknown')::int AS unknown
       FROM compliance_devices c JOIN devices d ON d.id = c.device_id
       CROSS JOIN LATERAL (
         SELECT control, 'not_met' AS status FROM unnest(c.not_met) AS control
         UNION ALL SELECT control, 'unknown' FROM unnest(c.unknown) AS control
       ) f
      WHERE d.state <> 'decommissioned' AND ($1::text IS NULL OR d.group_name = $1)
      GROUP BY f.control ORDER BY 2 DESC, 3 DESC, 1 LIMIT $2`,
    [group ?? null, limit],
  );
  return result.rows.flatMap((row) =>
    isControlId(row.control)
      ? [
          {
            control: row.control,
            title: controlDefinition(row.control).title,
            notMet: row.not_met,
            unknown: row.unknown,
          },
        ]
      : [],
  );
}

export interface MatrixPage {
  /** The column order of every row's `statuses`. */
  readonly controls: readonly string[];
  readonly rows: ReadonlyArray<{
    readonly deviceId: string;
    readonly achievedLevel: AchievedLevel | null;
    readonly evaluatedAt: string | null;
    /** null: not evaluated yet. */
    readonly statuses: ReadonlyArray<ControlStatus | null>;
  }>;
  readonly nextAfter?: string;
}

export async function groupMatrix(
  q: Queryable,
  group: string,
  page: { readonly after?: string | undefined; readonly limit: number },
): Promise<MatrixPage> {
  const devices = await q.query<{
    id: string;
    achieved_level: AchievedLevel | null;
    evaluated_at: Date | null;
    controls: string[] | null;
    not_met: string[] | null;
    unknown: string[] | null;
    not_applicable: string[] | null;
  }>(
    `SELECT d.id, c.achieved_level, c.evaluated_at, c.controls, c.not_met, c.unknown, c.not_applicable
       FROM devices d LEFT JOIN compliance_devices c ON c.device_id = d.id
      WHERE d.group_name = $1 AND d.state <> 'decommissioned' AND ($2::text IS NULL OR d.id > $2)
      ORDER BY d.id LIMIT $3`,
    [group, page.after ?? null, page.limit + 1],
  );
  const rows = devices.rows.slice(0, page.limit);
  const controls = CONTROL_CATALOGUE.map((c) => c.id);
  const statusOf = (row: (typeof rows)[number], control: string): ControlStatus | null => {
    if (!row.controls?.includes(control)) return null;
    if (row.not_met?.includes(control)) return 'not_met';
    if (row.unknown?.includes(control)) return 'unknown';
    if (row.not_applicable?.includes(control)) return 'not_applicable';
    return 'met';
  };
  const last = rows.at(-1);
  return {
    controls,
    rows: rows.map((row) => ({
      deviceId: row.id,
      achievedLevel: row.achieved_level,
      evaluatedAt: row.evaluated_at?.toISOString() ?? null,
      statuses: controls.map((control) => statusOf(row, control)),
    })),
    ...(devices.rows.length > page.limit && last ? { nextAfter: last.id } : {}),
  };
}

export interface TrendPoint {
  readonly day: string;
  readonly group: string;
  readonly targetLevel: SecurityLevel;
  readonly devices: number;
  readonly atTarget: number;
  readonly levels: Partial<LevelCounts>;
  readonly notMet: Readonly<Record<string, number>>;
  readonly unknown: Readonly<Record<string, number>>;
}

export async function trend(q: Queryable, since: Date): Promise<TrendPoint[]> {
  const result = await q.query<{
    day: string;
    group_name: string;
    target_level: SecurityLevel;
    devices: number;
    at_target: number;
    levels: Partial<LevelCounts>;
    not_met: Record<string, number>;
    unknown: Record<string, number>;
  }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, group_name, target_level, devices, at_target, levels, not_met, unknown
       FROM compliance_daily WHERE day >= $1::date ORDER BY day, group_name`,
    [since.toISOString().slice(0, 10)],
  );
  return result.rows.map((row) => ({
    day: row.day,
    group: row.group_name,
    targetLevel: row.target_level,
    devices: row.devices,
    atTarget: row.at_target,
    levels: row.levels,
    notMet: row.not_met,
    unknown: row.unknown,
  }));
}

export interface PassSummary {
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly devices: number | null;
  readonly changed: number | null;
  readonly durationMs: number | null;
}

export async function lastFullPass(q: Queryable): Promise<PassSummary | null> {
  const result = await q.query<{
    started_at: Date;
    finished_at: Date | null;
    devices: number | null;
    changed: number | null;
    duration_ms: number | null;
  }>(
    'SELECT started_at, finished_at, devices, changed, duration_ms FROM compliance_passes ORDER BY started_at DESC LIMIT 1',
  );
  const row = result.rows[0];
  return row
    ? {
        startedAt: row.started_at.toISOString(),
        finishedAt: row.finished_at?.toISOString() ?? null,
        devices: row.devices,
        changed: row.changed,
        durationMs: row.duration_ms,
      }
    : null;
}
