import { ATTESTATION_POLICY_SCHEMA } from './attestation-policy-schema.ts';
import { CONFIG_POLICY_SCHEMA } from './config-policy-schema.ts';
import { CRYPTO_POLICY_SCHEMA } from './crypto-policy-schema.ts';
import { FIREWALL_POLICY_SCHEMA } from './firewall-policy-schema.ts';
import { MONITORING_POLICY_SCHEMA } from './monitoring-policy-schema.ts';
import type { PolicyKind } from './policy-kinds.ts';
import type { JsonSchema } from './schema-fragments.ts';
import { SIEM_POLICY_SCHEMA } from './siem-policy-schema.ts';

/**
 * The published JSON Schema (draft 2020-12) of each policy kind, as data, with
 * `$id` https://palisade.dev/schemas/policy/<kind>.json: for editors, CI of
 * policy-as-code repositories and the dashboard's forms. parsePolicyDocument
 * accepts exactly what these accept, less the constraints listed in each
 * schema's `$comment`s that JSON Schema cannot express (a test keeps the two
 * in agreement).
 */
export const POLICY_SCHEMAS: { readonly [K in PolicyKind]: JsonSchema } = {
  crypto: CRYPTO_POLICY_SCHEMA,
  firewall: FIREWALL_POLICY_SCHEMA,
  monitoring: MONITORING_POLICY_SCHEMA,
  attestation: ATTESTATION_POLICY_SCHEMA,
  siem: SIEM_POLICY_SCHEMA,
  config: CONFIG_POLICY_SCHEMA,
};
