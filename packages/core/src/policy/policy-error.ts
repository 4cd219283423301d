import type { FieldProblem } from '../errors/palisade-error.ts';
import { PalisadeError } from '../errors/palisade-error.ts';

export type PolicyErrorCode =
  /** A document, payload or envelope member is missing, malformed, out of range or unknown; `problems` names each. */
  | 'POLICY_INVALID'
  /** The kind is not one of POLICY_KINDS. */
  | 'POLICY_KIND_UNKNOWN'
  /** A verified policy is of another kind than the one the caller asked for. */
  | 'POLICY_KIND_MISMATCH'
  /** A firewall document states the opposite of the panel-reachability invariant; `problems` names the rules. */
  | 'POLICY_LOCKS_OUT_PANEL'
  /** No signature at all, or none by a trusted key with an algorithm the trust requires. */
  | 'POLICY_UNSIGNED'
  /** A signature by a trusted key does not verify over the payload (tampering, or the wrong key). */
  | 'POLICY_SIGNATURE_INVALID'
  /** Signatures are present, but none by a key the trust knows. */
  | 'POLICY_SIGNER_UNKNOWN'
  /** The version is not above the last accepted one of the same policy (a rollback or a replay). */
  | 'POLICY_VERSION_REPLAYED'
  /** A trust entry or signer does not fit its algorithm or key ID: a configuration mistake, not an attack. */
  | 'POLICY_KEY_INVALID';

/** Refusals of the policy model (CR-4, SC-2, PD-1, PD-2, SI-1): parsing, authoring checks, signatures. */
export class PolicyError extends PalisadeError<PolicyErrorCode> {
  /** Every failing member, by JSON pointer (RFC 6901) into the document, payload or envelope. */
  readonly problems: readonly FieldProblem[];

  constructor(code: PolicyErrorCode, message: string, problems: readonly FieldProblem[] = []) {
    super(code, message, { details: { problems } });
    this.problems = problems;
  }
}

const MAX_PROBLEMS = 50;

/** A PolicyError listing at most 50 problems (and how many more), the message naming the first ten pointers. */
export function policyRefusal(
  code: PolicyErrorCode,
  subject: string,
  problems: readonly FieldProblem[],
): PolicyError {
  const shown = problems.slice(0, MAX_PROBLEMS);
  if (problems.length > MAX_PROBLEMS)
    shown.push({ path: '', message: `and ${problems.length - MAX_PROBLEMS} more problems` });
  const where = shown.map((p) => p.path || '(document)').slice(0, 10);
  return new PolicyError(
    code,
    `${subject} rejected: ${problems.length} problem(s) at ${where.join(', ')}`,
    shown,
  );
}
