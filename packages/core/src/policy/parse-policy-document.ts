import type { FieldProblem } from '../errors/palisade-error.ts';
import { parseAttestationPolicy } from './parse-attestation-policy.ts';
import { parseConfigPolicy } from './parse-config-policy.ts';
import { parseCryptoPolicy } from './parse-crypto-policy.ts';
import { parseFirewallPolicy } from './parse-firewall-policy.ts';
import { parseMonitoringPolicy } from './parse-monitoring-policy.ts';
import { parseSiemPolicy } from './parse-siem-policy.ts';
import { PolicyError, policyRefusal } from './policy-error.ts';
import type { Report } from './policy-input.ts';
import type { PolicyDocument, PolicyDocuments, PolicyKind } from './policy-kinds.ts';
import { isPolicyKind, POLICY_KINDS } from './policy-kinds.ts';

type KindParser<K extends PolicyKind> = (input: unknown, path: string, report: Report) => PolicyDocuments[K];

const PARSERS: { readonly [K in PolicyKind]: KindParser<K> } = {
  crypto: parseCryptoPolicy,
  firewall: parseFirewallPolicy,
  monitoring: parseMonitoringPolicy,
  attestation: parseAttestationPolicy,
  siem: parseSiemPolicy,
  config: parseConfigPolicy,
};

/**
 * Reports the problems of a document of `kind` at pointers under `path` and
 * returns the typed document; for parsers of enclosing structures (payloads).
 */
export function parseDocumentInto<K extends PolicyKind>(
  kind: K,
  input: unknown,
  path: string,
  report: Report,
): PolicyDocuments[K] {
  const parse: KindParser<K> = PARSERS[kind];
  return parse(input, path, report);
}

/**
 * Parses an untrusted policy document of the given kind into its typed form,
 * or throws a PolicyError: POLICY_KIND_UNKNOWN, or POLICY_INVALID naming
 * every failing member (unknown members included) by JSON pointer. The
 * accepted documents are those POLICY_SCHEMAS[kind] accepts, less the few
 * constraints JSON Schema cannot state (see docs/policies.md).
 *
 * @example
 * const policy = parsePolicyDocument('firewall', JSON.parse(body));
 */
export function parsePolicyDocument<K extends PolicyKind>(kind: K, input: unknown): PolicyDocuments[K];
export function parsePolicyDocument(kind: string, input: unknown): PolicyDocument;
export function parsePolicyDocument(kind: string, input: unknown): PolicyDocument {
  if (!isPolicyKind(kind)) {
    throw new PolicyError(
      'POLICY_KIND_UNKNOWN',
      `policy kind unknown; expected one of ${POLICY_KINDS.join(', ')}`,
      [{ path: '', message: 'is not a policy kind' }],
    );
  }
  const problems: FieldProblem[] = [];
  const document = parseDocumentInto(kind, input, '', (path, message) => {
    problems.push({ path, message });
  });
  if (problems.length > 0) throw policyRefusal('POLICY_INVALID', `${kind} policy`, problems);
  return document;
}
