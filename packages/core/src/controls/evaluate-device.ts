/**
 * A device's compliance: every control evaluated, the highest level all of
 * whose required controls are met (or not applicable), and the gaps between
 * that and the group's target level, each with its remedy.
 */
import { CONTROL_CATALOGUE, controlsRequiredAt } from './control-catalogue.ts';
import { CONTROL_EVALUATORS } from './control-evaluators.ts';
import { type ControlResult, satisfies } from './control-result.ts';
import type { DeviceEvidence, GroupContext } from './device-evidence.ts';
import { type AchievedLevel, SECURITY_LEVELS, type SecurityLevel } from './security-levels.ts';

export interface DeviceCompliance {
  readonly deviceId: string;
  readonly group: string;
  readonly evaluatedAt: string;
  /** One result per control, in catalogue order. */
  readonly results: readonly ControlResult[];
  readonly achieved: AchievedLevel;
  readonly target: SecurityLevel;
  /** Controls the target level requires that are not met: `not_met` or `unknown`, each with its remedy. */
  readonly gaps: readonly ControlResult[];
}

/** Each level's required controls, computed once: a full pass asks for every device. */
const REQUIRED: Readonly<Record<SecurityLevel, ReadonlySet<string>>> = {
  SLB: new Set(controlsRequiredAt('SLB').map((c) => c.id)),
  SLE: new Set(controlsRequiredAt('SLE').map((c) => c.id)),
  SLC: new Set(controlsRequiredAt('SLC').map((c) => c.id)),
};

/** The highest level whose required controls (and so every lower level's) are all satisfied. */
export function achievedLevel(results: readonly ControlResult[]): AchievedLevel {
  const satisfied = new Set<string>();
  for (const result of results) if (satisfies(result)) satisfied.add(result.control);
  let achieved: AchievedLevel = 'none';
  for (const level of SECURITY_LEVELS) {
    for (const control of REQUIRED[level]) if (!satisfied.has(control)) return achieved;
    achieved = level;
  }
  return achieved;
}

export function gapsTo(target: SecurityLevel, results: readonly ControlResult[]): ControlResult[] {
  return results.filter((r) => REQUIRED[target].has(r.control) && !satisfies(r));
}

export function evaluateDevice(
  evidence: DeviceEvidence,
  targetLevel: SecurityLevel,
  now: Date,
  group: GroupContext,
): DeviceCompliance {
  const results = CONTROL_CATALOGUE.map((control) => CONTROL_EVALUATORS[control.id](evidence, now, group));
  return {
    deviceId: evidence.deviceId,
    group: evidence.group,
    evaluatedAt: now.toISOString(),
    results,
    achieved: achievedLevel(results),
    target: targetLevel,
    gaps: gapsTo(targetLevel, results),
  };
}
