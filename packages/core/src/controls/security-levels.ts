/**
 * The IIC endpoint-security levels (IIC:WHT:IN17:V1.0 §4), in increasing
 * order; each maps onto an IEC 62443-3-3 security level (SLB = SL 2,
 * SLE = SL 3, SLC = SL 4). A device group targets one of them.
 */
export const SECURITY_LEVELS = ['SLB', 'SLE', 'SLC'] as const;
export type SecurityLevel = (typeof SECURITY_LEVELS)[number];

/** What a device achieves: a level, or `none` when not every SLB control is met. */
export type AchievedLevel = SecurityLevel | 'none';

export const ACHIEVED_LEVELS: readonly AchievedLevel[] = ['none', ...SECURITY_LEVELS];

/** The IEC 62443-3-3 security level each IIC level maps onto (REQUIREMENTS.md, first table). */
export const IEC_62443_SECURITY_LEVEL: Readonly<Record<SecurityLevel, number>> = { SLB: 2, SLE: 3, SLC: 4 };

export function isSecurityLevel(value: unknown): value is SecurityLevel {
  return typeof value === 'string' && (SECURITY_LEVELS as readonly string[]).includes(value);
}

/** Position in the order none < SLB < SLE < SLC. */
export function levelRank(level: AchievedLevel): number {
  return ACHIEVED_LEVELS.indexOf(level);
}
