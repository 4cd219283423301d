/**
 * Test-only evidence: a device that meets every control at SLC (with the
 * capabilities Palisade does not have yet filled in as they will look), and a
 * device as Palisade can evidence it today. Fixed times, so that expected
 * results can be spelled out.
 */
import type { DeviceEvidence, FleetEvidence, GroupContext } from './device-evidence.ts';

export const NOW = new Date('2026-03-01T12:00:00.000Z');

/** `minutes` before NOW, as RFC 3339. */
export function ago(minutes: number): string {
  return new Date(NOW.getTime() - minutes * 60_000).toISOString();
}

export const GROUP: GroupContext = {
  name: 'substation-7',
  attestationMaxAgeSeconds: 7200,
  attestationActionOnFailure: 'quarantine',
};

export const FLEET: FleetEvidence = {
  exporters: [
    {
      id: '0190b6f2-0000-7000-8000-000000000001',
      name: 'soc-syslog',
      kind: 'syslog',
      enabled: true,
      pending: 0,
      lastDeliveredAt: ago(1),
    },
  ],
  panelRules: 12,
  alertsWithContext: true,
  postQuantumGroup: 'X25519MLKEM768',
  policySignatureAlgorithms: ['ecdsa-p256-sha256', 'ml-dsa-65'],
};

function applied(kind: string, version: number, extra: { deviceRules?: number; hash?: string } = {}) {
  const policyId = `00000000-0000-4000-8000-00000000000${version}`;
  return {
    assigned: {
      policyId: `${policyId}-${kind}`,
      name: `${kind}-baseline`,
      version,
      ...(extra.deviceRules === undefined ? {} : { deviceRules: extra.deviceRules }),
    },
    report: {
      policyId: `${policyId}-${kind}`,
      version,
      state: 'applied' as const,
      reportedAt: ago(600),
      ...(extra.hash === undefined ? {} : { liveStateHash: extra.hash }),
    },
  };
}

/** Every control met: a TPM device, attested, with every capability's evidence present and fresh. */
export function slcDevice(): DeviceEvidence {
  return {
    deviceId: 'gw-berlin-07',
    group: GROUP.name,
    state: 'enrolled',
    lastContactAt: ago(1),
    rootOfTrust: { kind: 'tpm', hardwareBacked: true, reportedAt: ago(1) },
    certificate: {
      serial: '3f2a9c',
      issuedVia: 'simplereenroll',
      issuedAt: ago(10 * 24 * 60),
      notBefore: ago(10 * 24 * 60),
      notAfter: ago(-80 * 24 * 60),
      keyAlgorithm: 'EC P-256',
    },
    renewals: { issued: 3, reenrollments: 2, lastReenrolledAt: ago(10 * 24 * 60) },
    idevid: { manufacturer: 'Acme Devices', serial: 'ACME-0042', chainStored: true },
    attestation: {
      key: { id: 'ak-1', boundAt: ago(30 * 24 * 60), ekCertified: true },
      lastVerdict: {
        id: 'verdict-9',
        result: 'pass',
        at: ago(20),
        message: 'attestation passed',
        notRun: [],
      },
      lastPassAt: ago(20),
    },
    platform: {
      recordId: 'inv-5',
      reportedAt: ago(3 * 24 * 60),
      secureBoot: { known: true, value: 'enabled' },
      rootEncrypted: { known: true, value: true },
      tpmPresent: { known: true, value: true },
    },
    bootManifest: { id: 'manifest-3', verified: true, at: ago(3 * 24 * 60) },
    policies: {
      crypto: applied('crypto', 3),
      firewall: applied('firewall', 2, { hash: 'sha256:9f1c' }),
      monitoring: applied('monitoring', 1),
      siem: applied('siem', 4, { deviceRules: 5 }),
    },
    cryptoInventory: { scanId: 'inventory-8', scannedAt: ago(60), fipsMode: true, weakFindings: 0 },
    monitoring: {
      fim: {
        baselineId: 'baseline-2',
        baselineSigned: true,
        lastScanAt: ago(30),
        unexplainedChanges: 0,
        protectsBoot: true,
      },
      cryptoScan: { scanId: 'scan-7', lastScanAt: ago(90), violations: 0 },
    },
    updates: {
      lastCheckAt: ago(120),
      metadataVerified: true,
      lastInstall: {
        id: 'update-12',
        at: ago(5 * 24 * 60),
        verifiedBeforeInstall: true,
        outcome: 'installed',
      },
    },
    fleet: FLEET,
  };
}

/** The same device as Palisade can evidence it today: no boot manifests, updates, FIM or crypto scans. */
export function todayDevice(): DeviceEvidence {
  const { bootManifest, cryptoInventory, monitoring, updates, ...rest } = slcDevice();
  return rest;
}
