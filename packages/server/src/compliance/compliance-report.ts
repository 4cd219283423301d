/**
 * What a compliance report says about one group, whatever its format:
 * the group's matrix (per control, how many devices meet it) and, per
 * device, control by control, status, evidence and comment.
 */
import {
  ACHIEVED_LEVELS,
  type AchievedLevel,
  CONTROL_CATALOGUE,
  type ControlFamily,
  type ControlResult,
  type ControlStatus,
  controlsRequiredAt,
  type DeviceCompliance,
  levelRank,
  type SecurityLevel,
} from '@palisade/core';

export const REPORT_FORMATS = ['json', 'csv', 'html', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportControl {
  readonly id: string;
  readonly family: ControlFamily;
  readonly title: string;
  readonly requirement: string;
  readonly levels: readonly SecurityLevel[];
  readonly requiredAtTarget: boolean;
  readonly iec62443: readonly string[];
  readonly nist80053: readonly string[];
  readonly evidence: string;
  readonly counts: Readonly<Record<ControlStatus, number>>;
  /** The most frequent reason among the devices that do not meet it. */
  readonly commonGap?: { readonly reason: string; readonly remedy: string; readonly devices: number };
}

export interface ReportDevice {
  readonly id: string;
  readonly state: string;
  readonly achieved: AchievedLevel;
  readonly meetsTarget: boolean;
  readonly evaluatedAt: string;
  readonly results: readonly ControlResult[];
}

export interface ComplianceReport {
  readonly id: string;
  readonly generatedAt: string;
  readonly generatedBy: string;
  readonly organization: string;
  readonly group: { readonly name: string; readonly targetLevel: SecurityLevel };
  readonly summary: {
    readonly devices: number;
    readonly levels: Readonly<Record<AchievedLevel, number>>;
    readonly atTarget: number;
  };
  readonly controls: readonly ReportControl[];
  readonly devices: readonly ReportDevice[];
}

export interface ReportInput {
  readonly id: string;
  readonly generatedAt: Date;
  readonly generatedBy: string;
  readonly organization: string;
  readonly group: { readonly name: string; readonly targetLevel: SecurityLevel };
  readonly devices: ReadonlyArray<{ readonly state: string; readonly compliance: DeviceCompliance }>;
}

function emptyCounts(): Record<ControlStatus, number> {
  return { met: 0, not_met: 0, unknown: 0, not_applicable: 0 };
}

export function buildReport(input: ReportInput): ComplianceReport {
  const target = input.group.targetLevel;
  const required = new Set(controlsRequiredAt(target).map((c) => c.id));
  const levels = Object.fromEntries(ACHIEVED_LEVELS.map((l) => [l, 0])) as Record<AchievedLevel, number>;
  const devices: ReportDevice[] = input.devices.map(({ state, compliance }) => {
    levels[compliance.achieved] += 1;
    return {
      id: compliance.deviceId,
      state,
      achieved: compliance.achieved,
      meetsTarget: levelRank(compliance.achieved) >= levelRank(target),
      evaluatedAt: compliance.evaluatedAt,
      results: compliance.results,
    };
  });
  const controls = CONTROL_CATALOGUE.map((definition): ReportControl => {
    const counts = emptyCounts();
    const gaps = new Map<string, { reason: string; remedy: string; devices: number }>();
    for (const device of devices) {
      const result = device.results.find((r) => r.control === definition.id);
      if (!result) continue;
      counts[result.status] += 1;
      if (result.remedy === undefined) continue;
      const gap = gaps.get(result.reason) ?? { reason: result.reason, remedy: result.remedy, devices: 0 };
      gap.devices += 1;
      gaps.set(result.reason, gap);
    }
    const commonGap = [...gaps.values()].sort((a, b) => b.devices - a.devices)[0];
    return {
      id: definition.id,
      family: definition.family,
      title: definition.title,
      requirement: definition.requirement,
      levels: definition.levels,
      requiredAtTarget: required.has(definition.id),
      iec62443: definition.iec62443,
      nist80053: definition.nist80053,
      evidence: definition.evidence,
      counts,
      ...(commonGap ? { commonGap } : {}),
    };
  });
  return {
    id: input.id,
    generatedAt: input.generatedAt.toISOString(),
    generatedBy: input.generatedBy,
    organization: input.organization,
    group: input.group,
    summary: { devices: devices.length, levels, atTarget: devices.filter((d) => d.meetsTarget).length },
    controls,
    devices,
  };
}

/** `palisade-compliance-plant-a-2026-03-01.html` */
export function reportFileName(
  report: { readonly group: { readonly name: string }; readonly generatedAt: string },
  format: ReportFormat,
): string {
  return `palisade-compliance-${report.group.name}-${report.generatedAt.slice(0, 10)}.${format}`;
}
