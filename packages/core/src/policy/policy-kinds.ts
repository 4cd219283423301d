import type { AttestationPolicy } from './attestation-policy.ts';
import type { ConfigPolicy } from './config-policy.ts';
import type { CryptoPolicy } from './crypto-policy.ts';
import type { FirewallPolicy } from './firewall-policy.ts';
import type { MonitoringPolicy } from './monitoring-policy.ts';
import type { SiemPolicy } from './siem-policy.ts';

/** The kinds of policy document; a device has at most one effective policy of each. */
export const POLICY_KINDS = ['crypto', 'firewall', 'monitoring', 'attestation', 'siem', 'config'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** The document type of each kind. */
export interface PolicyDocuments {
  readonly crypto: CryptoPolicy;
  readonly firewall: FirewallPolicy;
  readonly monitoring: MonitoringPolicy;
  readonly attestation: AttestationPolicy;
  readonly siem: SiemPolicy;
  readonly config: ConfigPolicy;
}

export type PolicyDocument = PolicyDocuments[PolicyKind];

export function isPolicyKind(value: unknown): value is PolicyKind {
  return typeof value === 'string' && (POLICY_KINDS as readonly string[]).includes(value);
}
