import type { FieldProblem } from '../errors/palisade-error.ts';
import { isPlainObject, parseRfc3339 } from '../events/untrusted-input.ts';
import { parseDocumentInto } from './parse-policy-document.ts';
import { policyRefusal } from './policy-error.ts';
import type { Report } from './policy-input.ts';
import { integerAt, objectAt, stringAt } from './policy-input.ts';
import { isPolicyKind, POLICY_KINDS } from './policy-kinds.ts';
import { PATTERNS, TEXT_LIMITS } from './policy-patterns.ts';
import type { PolicyPayload } from './signed-policy.ts';
import { POLICY_ID_PATTERN } from './signed-policy.ts';

const POLICY_ID = { pattern: POLICY_ID_PATTERN, maxLength: 36, what: 'a lower-case RFC 9562 UUID' };
const PAYLOAD_MEMBERS = ['kind', 'policyId', 'name', 'version', 'publishedAt', 'document'];

/**
 * Parses a policy payload (what is signed) found at `path`, or throws a
 * PolicyError: POLICY_KIND_UNKNOWN when `kind` is not a policy kind (the
 * document cannot be read without it), POLICY_INVALID naming every problem.
 */
export function parsePolicyPayload(input: unknown, path = ''): PolicyPayload {
  const problems: FieldProblem[] = [];
  const report: Report = (at, message) => {
    problems.push({ path: at, message });
  };
  const { value, report: r } = objectAt(input, path, PAYLOAD_MEMBERS, report);
  if (!isPlainObject(input)) throw policyRefusal('POLICY_INVALID', 'policy payload', problems);
  const kind = value.kind;
  // Without its kind the document cannot be read: name the kind and what else is wrong so far.
  if (!isPolicyKind(kind)) {
    r(`${path}/kind`, kind === undefined ? 'is required' : `must be one of ${POLICY_KINDS.join(', ')}`);
    throw policyRefusal('POLICY_KIND_UNKNOWN', 'policy payload', problems);
  }
  const publishedAt = parsePublishedAt(value.publishedAt, `${path}/publishedAt`, r);
  // The cast: TypeScript cannot tie `document`'s type to `kind` across the union.
  const payload = {
    kind,
    policyId: stringAt(value.policyId, `${path}/policyId`, POLICY_ID, r),
    name: stringAt(
      value.name,
      `${path}/name`,
      { pattern: PATTERNS.text, maxLength: TEXT_LIMITS.name, what: 'text without control characters' },
      r,
    ),
    version: integerAt(value.version, `${path}/version`, { min: 1, max: Number.MAX_SAFE_INTEGER }, r),
    publishedAt,
    document: parseDocumentInto(kind, value.document, `${path}/document`, r),
  } as PolicyPayload;
  if (problems.length > 0) throw policyRefusal('POLICY_INVALID', 'policy payload', problems);
  return payload;
}

function parsePublishedAt(value: unknown, path: string, report: Report): string {
  if (value === undefined) {
    report(path, 'is required');
    return '';
  }
  const ms = typeof value === 'string' ? parseRfc3339(value) : undefined;
  if (ms !== undefined) return new Date(ms).toISOString();
  report(path, 'must be an RFC 3339 date-time, e.g. 2026-03-01T12:00:00.000Z');
  return '';
}
