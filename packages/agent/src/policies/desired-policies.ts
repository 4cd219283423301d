import { isPolicyKind, type PolicyKind } from '@palisade/core';
import { PolicyApplyError } from './policy-apply-error.ts';

/** One kind's effective policy as desired-state names it: fetch the envelope when it differs from the applied one. */
export interface DesiredPolicy {
  readonly policyId: string;
  readonly version: number;
  /** Lower-case hex SHA-256 of the payload's RFC 8785 canonical JSON (VerifiedPolicy.payloadDigest). */
  readonly digest: string;
}

/** Kinds absent from the map have no policy: what the agent applied for them is removed. */
export type DesiredPolicies = Readonly<Partial<Record<PolicyKind, DesiredPolicy>>>;

export interface ParsedDesiredPolicies {
  readonly policies: DesiredPolicies;
  /** Kinds this agent does not know (a newer panel): logged and left alone. */
  readonly unknownKinds: readonly string[];
}

const POLICY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DIGEST = /^[0-9a-f]{64}$/;
const MAX_KINDS = 64;

/**
 * Parses desired-state's `policies` member. Undefined when the panel sent none
 * (a panel without policies must not make the agent remove anything); a
 * malformed map is refused whole (POLICY_DESIRED_INVALID naming each member),
 * because acting on part of it could remove a policy by mistake.
 */
export function parseDesiredPolicies(input: unknown): ParsedDesiredPolicies | undefined {
  if (input === undefined) return undefined;
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalid(['policies must be a JSON object']);
  const entries = Object.entries(input);
  if (entries.length > MAX_KINDS)
    throw invalid([`policies has ${entries.length} members, limit ${MAX_KINDS}`]);
  const problems: string[] = [];
  const policies: Partial<Record<PolicyKind, DesiredPolicy>> = {};
  const unknownKinds: string[] = [];
  for (const [kind, value] of entries) {
    const at = `policies.${kind.slice(0, 64)}`;
    if (!isPolicyKind(kind)) {
      unknownKinds.push(kind.slice(0, 64));
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${at} must be an object`);
      continue;
    }
    // Other members are a newer panel's business, as unknown kinds are: ignored.
    const { policyId, version, digest } = value as Record<string, unknown>;
    const before = problems.length;
    if (typeof policyId !== 'string' || !POLICY_ID.test(policyId))
      problems.push(`${at}.policyId must be a lower-case UUID`);
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
      problems.push(`${at}.version must be a positive integer`);
    if (typeof digest !== 'string' || !DIGEST.test(digest))
      problems.push(`${at}.digest must be 64 lower-case hex digits`);
    if (problems.length === before)
      policies[kind] = { policyId: policyId as string, version: version as number, digest: digest as string };
  }
  if (problems.length > 0) throw invalid(problems);
  return { policies, unknownKinds };
}

function invalid(problems: readonly string[]): PolicyApplyError {
  return new PolicyApplyError(
    'POLICY_DESIRED_INVALID',
    `desired-state policies refused: ${problems.slice(0, 10).join('; ')}`,
    { details: { problems: problems.slice(0, 50) } },
  );
}

/** Whether the applied policy of a kind is the desired one. */
export function sameDesired(a: DesiredPolicy | undefined, b: DesiredPolicy | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.policyId === b.policyId &&
    a.version === b.version &&
    a.digest === b.digest
  );
}
