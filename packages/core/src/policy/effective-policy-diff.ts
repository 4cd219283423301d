import type { DevicePolicies, EffectivePolicies, EffectivePolicy } from './effective-policy.ts';
import type { PolicyKind } from './policy-kinds.ts';
import { POLICY_KINDS } from './policy-kinds.ts';

/** A kind whose effective policy differs; `undefined` = none of that kind. */
export interface EffectivePolicyKindChange {
  readonly kind: PolicyKind;
  readonly before: EffectivePolicy | undefined;
  readonly after: EffectivePolicy | undefined;
}

export interface EffectivePolicyChange {
  readonly deviceId: string;
  readonly changes: readonly EffectivePolicyKindChange[];
}

const NONE: DevicePolicies = {};

/**
 * The devices whose effective policy changes between two computations, for
 * "preview before publish" of an assignment change (PD-2). A change is a
 * different policyId (or one appearing or disappearing); the same policy
 * reached through another scope is not a change on the device. Devices only
 * in `before` lose all their policies, devices only in `after` gain theirs.
 * Order: `after`'s devices, then those removed.
 */
export function diffEffectivePolicies(
  before: EffectivePolicies,
  after: EffectivePolicies,
): EffectivePolicyChange[] {
  const changed: EffectivePolicyChange[] = [];
  const compare = (deviceId: string, old: DevicePolicies, now: DevicePolicies): void => {
    if (old === now) return;
    const changes: EffectivePolicyKindChange[] = [];
    for (const kind of POLICY_KINDS) {
      const was = old[kind];
      const is = now[kind];
      if (was?.policyId !== is?.policyId) changes.push({ kind, before: was, after: is });
    }
    if (changes.length > 0) changed.push({ deviceId, changes });
  };
  for (const [deviceId, now] of after.byDevice) compare(deviceId, before.byDevice.get(deviceId) ?? NONE, now);
  for (const [deviceId, old] of before.byDevice)
    if (!after.byDevice.has(deviceId)) compare(deviceId, old, NONE);
  return changed;
}
