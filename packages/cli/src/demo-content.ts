import { PalisadeError } from '@palisade/core';
import type { RunningPanel } from '@palisade/server';

const BY = { actor: 'system:demo-fleet', source: 'npm start' };

/** A crypto baseline for the whole demo fleet: TLS 1.2+ with forward secrecy, post-quantum hybrid first. */
const DEMO_CRYPTO = {
  tls: {
    minVersion: 'TLSv1.2',
    cipherSuites: [
      'TLS_AES_256_GCM_SHA384',
      'TLS_AES_128_GCM_SHA256',
      'TLS_CHACHA20_POLY1305_SHA256',
      'ECDHE-ECDSA-AES256-GCM-SHA384',
      'ECDHE-ECDSA-AES128-GCM-SHA256',
    ],
    groups: ['X25519MLKEM768', 'X25519', 'P-256'],
    signatureAlgorithms: [
      'ecdsa_secp256r1_sha256',
      'ecdsa_secp384r1_sha384',
      'rsa_pss_rsae_sha256',
      'ed25519',
    ],
    requirePostQuantumGroup: false,
  },
  keys: { minRsaBits: 2048, minEcBits: 256, allowedCurves: ['P-256', 'P-384', 'Ed25519'] },
  hashes: { allowed: ['SHA-256', 'SHA-384', 'SHA-512'] },
  fipsProviderRequired: false,
  updates: { requireHybridSignatures: false },
};

/** The substation's devices accept only SSH and Modbus/TCP from the control network. */
const DEMO_FIREWALL = {
  defaultIngress: 'drop',
  defaultEgress: 'accept',
  logDrops: true,
  rules: [
    {
      direction: 'ingress',
      action: 'accept',
      protocol: 'tcp',
      ports: [{ from: 22, to: 22 }],
      comment: 'ssh',
    },
    {
      direction: 'ingress',
      action: 'accept',
      protocol: 'tcp',
      ports: [{ from: 502, to: 502 }],
      addresses: ['10.20.0.0/16'],
      comment: 'modbus from the control network',
    },
  ],
};

/** Five failed logins on one device within two minutes: the demo's event mix trips it now and then. */
const DEMO_RULE = {
  id: 'demo-repeated-login-failures',
  title: 'Repeated failed logins on a device',
  description: 'Five auth.login-failed events from one device within two minutes (demo rule).',
  enabled: true,
  severity: 7,
  controls: ['SI-2'],
  match: { field: 'type', op: 'eq', value: 'auth.login-failed' },
  detect: { kind: 'threshold', count: 5, windowSeconds: 120, per: 'device' },
  actions: [{ type: 'alert' }],
};

/**
 * What the demo panel shows besides devices: a crypto policy for the fleet, a
 * firewall policy for the substation, and a detection rule. Created once;
 * later starts leave whatever the operator changed alone.
 */
export async function seedDemoContent(panel: RunningPanel): Promise<void> {
  const { policies, policyAssignments, rules } = panel.services;
  const existing = new Set((await policies.list()).map((p) => `${p.kind}/${p.name}`));
  if (!existing.has('crypto/demo-baseline')) {
    const crypto = await policies.create(
      { kind: 'crypto', name: 'demo-baseline', document: DEMO_CRYPTO },
      BY,
    );
    await policyAssignments.assign(
      { kind: 'crypto', scope: { type: 'fleet' }, policyId: crypto.policyId },
      BY,
    );
  }
  if (!existing.has('firewall/demo-substation')) {
    const firewall = await policies.create(
      { kind: 'firewall', name: 'demo-substation', document: DEMO_FIREWALL },
      BY,
    );
    await policyAssignments.assign(
      { kind: 'firewall', scope: { type: 'group', groupId: 'substation-7' }, policyId: firewall.policyId },
      BY,
    );
  }
  try {
    await rules.create(DEMO_RULE, BY);
  } catch (error) {
    if (!(error instanceof PalisadeError && error.code === 'RULE_EXISTS')) throw error;
  }
}
