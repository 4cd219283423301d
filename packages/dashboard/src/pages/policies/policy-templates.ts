/**
 * Starting documents for a new policy, per kind: the demo's crypto baseline
 * and substation firewall (packages/cli/src/demo-content.ts); other kinds
 * start empty and the panel's problems say what they need.
 */
export const POLICY_TEMPLATES: Readonly<Record<string, unknown>> = {
  crypto: {
    tls: {
      minVersion: 'TLSv1.2',
      cipherSuites: ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'],
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
  },
  firewall: {
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
    ],
  },
};

/** "10, 50, 100" → [10, 50, 100]; empty → no staged rollout (all devices at once). */
export function parsePhases(text: string): number[] | undefined | 'invalid' {
  const parts = text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  const phases = parts.map(Number);
  if (phases.some((p) => !Number.isInteger(p) || p < 1 || p > 100)) return 'invalid';
  if (phases.at(-1) !== 100 || phases.some((p, i) => i > 0 && p <= (phases[i - 1] ?? 0))) return 'invalid';
  return phases;
}
