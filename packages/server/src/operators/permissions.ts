import type { OperatorRole } from '@palisade/core';

/**
 * What an operator may do. Every operator route declares the one permission it
 * needs (or that it is public or needs only a login); a test walks the route
 * table and checks every route × role pair against this table.
 */
export const PERMISSIONS = [
  'fleet:read',
  'fleet:manage',
  'operators:read',
  'operators:manage',
  'tokens:manage-all',
  'audit:read',
  'pki:manage',
  'siem:read',
  'siem:manage',
  'events:read',
  'alerts:manage',
  'rules:manage',
  'policies:manage',
  // Reference values, attestation profiles and trusted TPM CAs: what decides that a device is intact.
  'attestation:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** `public`: no credential. `authenticated`: any valid credential (own account, own tokens). */
export type RouteAccess = 'public' | 'authenticated' | Permission;

export const ROLE_PERMISSIONS: Readonly<Record<OperatorRole, ReadonlySet<Permission>>> = {
  viewer: new Set(['fleet:read', 'events:read']),
  auditor: new Set(['fleet:read', 'operators:read', 'audit:read', 'siem:read', 'events:read']),
  // Operators triage alerts; writing detection rules (what counts as an attack) stays with admins.
  operator: new Set(['fleet:read', 'fleet:manage', 'events:read', 'alerts:manage']),
  admin: new Set(PERMISSIONS),
};

export function roleAllows(role: OperatorRole, access: RouteAccess): boolean {
  if (access === 'public' || access === 'authenticated') return true;
  return ROLE_PERMISSIONS[role].has(access);
}

/** A role may hand out (in a token) only what it holds itself. */
export function roleCanGrant(granter: OperatorRole, granted: OperatorRole): boolean {
  for (const permission of ROLE_PERMISSIONS[granted]) {
    if (!ROLE_PERMISSIONS[granter].has(permission)) return false;
  }
  return true;
}
