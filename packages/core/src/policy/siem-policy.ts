/**
 * The `siem` policy kind (SI-2, SI-4): which of a device's events its agent
 * forwards to the panel (and so to the SIEM exporters), and the detection
 * rules the agent evaluates on the device itself.
 */
import type { RuleDocument } from '../rules/rule-document.ts';

export interface SiemPolicy {
  readonly forward: EventForwarding;
  /** Device-evaluable detection rules (`deviceEvaluable`), ids unique. */
  readonly rules: readonly RuleDocument[];
}

export interface EventForwarding {
  /** Events below this severity (0–10) stay in the device's local log. */
  readonly minSeverity: number;
  /** Only these types (`fim.modified`) or prefixes (`fim.*`); absent = every type. */
  readonly includeTypes?: readonly string[];
  /** Never these types or prefixes; applied after includeTypes. */
  readonly excludeTypes?: readonly string[];
}

export const SIEM_LIMITS = {
  typeFilters: 64,
  rules: 128,
} as const;
