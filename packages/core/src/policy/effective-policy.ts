/**
 * Which policy of each kind applies to each device (PD-2, SI-1). Policies are
 * assigned to the fleet, a group, a tag or a device; per kind, the most
 * specific assignment wins — device > tag > group > fleet — and documents are
 * never merged. Ties (two tags of a device, or one scope assigned twice) are
 * broken deterministically and reported, so the dashboard can show them.
 *
 * Assignments are indexed by scope first, so the cost is one lookup per level
 * per device (tags: per tag), never devices × assignments; devices without a
 * device or tag assignment share their group's result object.
 */
import type { PolicyKind } from './policy-kinds.ts';
import { POLICY_KINDS } from './policy-kinds.ts';

export type PolicyScope =
  | { readonly type: 'fleet' }
  | { readonly type: 'group'; readonly groupId: string }
  | { readonly type: 'tag'; readonly tag: string }
  | { readonly type: 'device'; readonly deviceId: string };

export interface PolicyAssignment {
  readonly kind: PolicyKind;
  readonly policyId: string;
  readonly scope: PolicyScope;
}

export interface FleetDevice {
  /** Unique within the fleet. */
  readonly id: string;
  readonly groupId: string | null;
  readonly tags: readonly string[];
}

/** A policy and the assignment scope it comes from. */
export interface PolicySource {
  readonly policyId: string;
  readonly scope: PolicyScope;
}

/** The policy of one kind that applies to a device, and why. */
export interface EffectivePolicy extends PolicySource {
  /** Other policies assigned at the same precedence that lost the tie-break; absent when there was no tie. */
  readonly tiedWith?: readonly PolicySource[];
}

/** One device's effective policies; a kind nothing is assigned for is absent. */
export type DevicePolicies = Readonly<Partial<Record<PolicyKind, EffectivePolicy>>>;

export interface PolicyConflict {
  readonly deviceId: string;
  readonly kind: PolicyKind;
  readonly chosen: EffectivePolicy;
}

export interface EffectivePolicies {
  /** Objects are shared between devices with the same result: treat them as immutable. */
  readonly byDevice: ReadonlyMap<string, DevicePolicies>;
  /** Every (device, kind) decided by a tie-break. */
  readonly conflicts: readonly PolicyConflict[];
}

type ByKind = Partial<Record<PolicyKind, EffectivePolicy>>;

/**
 * UTF-16 code-unit order, as RFC 8785 sorts keys: for tag names and policy IDs
 * within the Basic Multilingual Plane (every ASCII name) it is code-point order.
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The effective policy per device per kind. Tie-breaks: among tags, the
 * lowest tag name (compareCodeUnits); within one scope, the lowest policyId.
 *
 * @example
 * const { byDevice, conflicts } = computeEffectivePolicies(devices, assignments);
 * byDevice.get('gw-1')?.firewall; // { policyId, scope: { type: 'tag', tag: 'dmz' } }
 */
export function computeEffectivePolicies(
  devices: Iterable<FleetDevice>,
  assignments: Iterable<PolicyAssignment>,
): EffectivePolicies {
  const index = indexAssignments(assignments);
  const fleet = resolveScope(index.fleet);
  const groupBase = new Map<string | null, DevicePolicies>();
  const baseOf = (groupId: string | null): DevicePolicies => {
    let base = groupBase.get(groupId);
    if (base === undefined) {
      const group = groupId === null ? undefined : index.group.get(groupId);
      base = group === undefined ? fleet : Object.freeze({ ...fleet, ...resolveScope(group) });
      groupBase.set(groupId, base);
    }
    return base;
  };
  const tagChoices = new Map<string, ByKind>();
  const choicesOfTag = (tag: string): ByKind | undefined => {
    const assigned = index.tag.get(tag);
    if (assigned === undefined) return undefined;
    let choices = tagChoices.get(tag);
    if (choices === undefined) {
      choices = resolveScope(assigned);
      tagChoices.set(tag, choices);
    }
    return choices;
  };

  const byDevice = new Map<string, DevicePolicies>();
  const conflicts: PolicyConflict[] = [];
  for (const device of devices) {
    const base = baseOf(device.groupId);
    const own = index.device.get(device.id);
    const tagged: [string, ByKind][] = [];
    for (const tag of device.tags) {
      const choices = choicesOfTag(tag);
      if (choices !== undefined) tagged.push([tag, choices]);
    }
    let result = base;
    if (own !== undefined || tagged.length > 0) {
      const merged: ByKind = {
        ...base,
        ...mergeTags(tagged),
        ...(own === undefined ? {} : resolveScope(own)),
      };
      result = Object.freeze(merged);
    }
    byDevice.set(device.id, result);
    for (const kind of POLICY_KINDS) {
      const chosen = result[kind];
      if (chosen?.tiedWith !== undefined) conflicts.push({ deviceId: device.id, kind, chosen });
    }
  }
  return { byDevice, conflicts };
}

interface AssignmentIndex {
  readonly fleet: PolicySource[][];
  readonly group: Map<string, PolicySource[][]>;
  readonly tag: Map<string, PolicySource[][]>;
  readonly device: Map<string, PolicySource[][]>;
}

const KIND_INDEX = new Map(POLICY_KINDS.map((kind, i) => [kind, i]));

/** Assignments by scope, then by kind (position in POLICY_KINDS). */
function indexAssignments(assignments: Iterable<PolicyAssignment>): AssignmentIndex {
  const perKind = (): PolicySource[][] => POLICY_KINDS.map(() => []);
  const index: AssignmentIndex = { fleet: perKind(), group: new Map(), tag: new Map(), device: new Map() };
  const slot = (map: Map<string, PolicySource[][]>, key: string): PolicySource[][] => {
    let found = map.get(key);
    if (found === undefined) {
      found = perKind();
      map.set(key, found);
    }
    return found;
  };
  for (const { kind, policyId, scope } of assignments) {
    const k = KIND_INDEX.get(kind);
    if (k === undefined) continue;
    const source: PolicySource = { policyId, scope };
    const target =
      scope.type === 'fleet'
        ? index.fleet
        : scope.type === 'group'
          ? slot(index.group, scope.groupId)
          : scope.type === 'tag'
            ? slot(index.tag, scope.tag)
            : slot(index.device, scope.deviceId);
    target[k]?.push(source);
  }
  return index;
}

/** The choice per kind within one scope: lowest policyId, the others (distinct) as tiedWith. */
function resolveScope(sources: readonly PolicySource[][]): ByKind {
  const choices: ByKind = {};
  sources.forEach((candidates, k) => {
    const kind = POLICY_KINDS[k];
    if (kind === undefined || candidates.length === 0) return;
    choices[kind] = choose(candidates.toSorted((a, b) => compareCodeUnits(a.policyId, b.policyId)));
  });
  return Object.freeze(choices);
}

/** The first source wins; the others with a different policyId are reported as tied with it. */
function choose(ordered: readonly PolicySource[]): EffectivePolicy {
  const [winner, ...rest] = ordered as [PolicySource, ...PolicySource[]];
  const seen = new Set([winner.policyId]);
  const tiedWith: PolicySource[] = [];
  for (const source of rest) {
    if (seen.has(source.policyId)) continue;
    seen.add(source.policyId);
    tiedWith.push(source);
  }
  return Object.freeze(tiedWith.length === 0 ? { ...winner } : { ...winner, tiedWith });
}

/** Per kind, the choice of the lowest tag that assigns that kind; the other tags' choices tie with it. */
function mergeTags(tagged: [string, ByKind][]): ByKind {
  if (tagged.length === 0) return {};
  if (tagged.length === 1) return tagged[0]?.[1] ?? {};
  tagged.sort(([a], [b]) => compareCodeUnits(a, b));
  const merged: ByKind = {};
  for (const kind of POLICY_KINDS) {
    const sources: PolicySource[] = [];
    for (const [, choices] of tagged) {
      const choice = choices[kind];
      if (choice === undefined) continue;
      sources.push({ policyId: choice.policyId, scope: choice.scope }, ...(choice.tiedWith ?? []));
    }
    if (sources.length > 0)
      merged[kind] = sources.length === 1 ? (firstChoice(tagged, kind) ?? choose(sources)) : choose(sources);
  }
  return merged;
}

function firstChoice(tagged: [string, ByKind][], kind: PolicyKind): EffectivePolicy | undefined {
  for (const [, choices] of tagged) if (choices[kind] !== undefined) return choices[kind];
  return undefined;
}
