import type { OperatorRole } from '@palisade/core';
import type { Permission } from './permissions.ts';

/** An authenticated operator, as established from a session or an API token. */
export interface Principal {
  readonly operatorId: string;
  readonly username: string;
  /** The operator's role (session) or the token's scoped role (API token). */
  readonly role: OperatorRole;
  /** What this credential may do: for a token, its role's permissions bounded by its owner's. */
  readonly permissions: ReadonlySet<Permission>;
  readonly credential: { readonly kind: 'session' | 'token'; readonly id: string };
  readonly mustChangePassword: boolean;
  /** SHA-256 of the session's CSRF token; sessions only. */
  readonly csrfHash?: Uint8Array;
}

/** The audit log's name for whoever acted. */
export function actorOf(principal: Principal | 'system'): string {
  return principal === 'system' ? 'system' : `operator:${principal.username}`;
}

export function credentialOf(principal: Principal | 'system'): Record<string, string> {
  return principal === 'system'
    ? {}
    : { credential: `${principal.credential.kind}:${principal.credential.id}` };
}
