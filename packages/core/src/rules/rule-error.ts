import type { FieldProblem } from '../errors/palisade-error.ts';
import { PalisadeError } from '../errors/palisade-error.ts';

export type RuleErrorCode =
  /** A member is missing, malformed, out of range or unknown; `problems` names each by JSON pointer. */
  | 'RULE_INVALID'
  /** The rule is well-formed but over a cost limit (size, depth, leaves, list length, steps): RULE_LIMITS. */
  | 'RULE_TOO_COMPLEX'
  /** A Sigma rule uses a feature Palisade does not evaluate (`|re`, aggregation, keywords …); the message names it. */
  | 'SIGMA_UNSUPPORTED'
  /** The input is not a Sigma rule: required members missing, wrong types, undefined search identifiers. */
  | 'SIGMA_INVALID';

/** Refusals of detection rules: parsing rule documents and importing Sigma rules (SI-2). */
export class RuleError extends PalisadeError<RuleErrorCode> {
  /** Every failing member, by JSON pointer (RFC 6901) into the rule document or the Sigma rule. */
  readonly problems: readonly FieldProblem[];

  constructor(code: RuleErrorCode, message: string, problems: readonly FieldProblem[] = []) {
    super(code, message, { details: { problems } });
    this.problems = problems;
  }
}
