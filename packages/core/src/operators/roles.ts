/**
 * Operator roles, least privilege first. Shared with the dashboard so that the
 * UI and the API agree on names; what each role may do is decided by the
 * server's permission table, never by the client.
 */
export const OPERATOR_ROLES = ['viewer', 'auditor', 'operator', 'admin'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export function isOperatorRole(value: unknown): value is OperatorRole {
  return typeof value === 'string' && (OPERATOR_ROLES as readonly string[]).includes(value);
}
