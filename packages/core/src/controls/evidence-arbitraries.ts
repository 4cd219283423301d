/**
 * Test-only fast-check generators of device evidence: every optional part
 * present or absent, states and times drawn freely but never later than
 * NOW (the evaluation time the properties start from).
 */
import fc from 'fast-check';
import type { DeviceEvidence, FleetEvidence, InventoryFact, PolicyEvidence } from './device-evidence.ts';
import { NOW } from './evidence-fixtures.ts';

const DAY_MS = 24 * 3600 * 1000;

/** Up to 120 days before NOW. */
export const pastInstant = fc
  .integer({ min: 0, max: 120 * DAY_MS })
  .map((ms) => new Date(NOW.getTime() - ms).toISOString());

function fact<T>(value: fc.Arbitrary<T>): fc.Arbitrary<InventoryFact<T>> {
  return fc.oneof(
    value.map((v) => ({ known: true as const, value: v })),
    fc.constant({ known: false as const, reason: 'permission denied' }),
  );
}

const policyIds = fc.constantFrom('p-1', 'p-2');
const policy: fc.Arbitrary<PolicyEvidence> = fc.record(
  {
    assigned: fc.record(
      {
        policyId: policyIds,
        name: fc.constant('baseline'),
        version: fc.integer({ min: 1, max: 4 }),
        deviceRules: fc.integer({ min: 0, max: 3 }),
      },
      { requiredKeys: ['policyId', 'name', 'version'] },
    ),
    report: fc.record(
      {
        policyId: policyIds,
        version: fc.integer({ min: 1, max: 4 }),
        state: fc.constantFrom('applied', 'failed', 'rolled_back', 'drifted', 'repaired', 'removed'),
        reportedAt: pastInstant,
        liveStateHash: fc.constant('sha256:ab'),
        message: fc.constant('reported'),
      },
      { requiredKeys: ['policyId', 'version', 'state', 'reportedAt'] },
    ),
  },
  { requiredKeys: [] },
);

const fleet: fc.Arbitrary<FleetEvidence> = fc.record(
  {
    exporters: fc.array(
      fc.record(
        {
          id: fc.uuid(),
          name: fc.constantFrom('soc', 'historian'),
          kind: fc.constantFrom('syslog', 'snmp', 'webhook'),
          enabled: fc.boolean(),
          pending: fc.nat(100),
          oldestPendingAt: pastInstant,
          lastDeliveredAt: pastInstant,
          lastError: fc.constant('connection refused'),
        },
        { requiredKeys: ['id', 'name', 'kind', 'enabled', 'pending'] },
      ),
      { maxLength: 3 },
    ),
    panelRules: fc.nat(20),
    alertsWithContext: fc.boolean(),
    postQuantumGroup: fc.constant('X25519MLKEM768'),
    policySignatureAlgorithms: fc.subarray(['ecdsa-p256-sha256', 'ml-dsa-65']),
  },
  { requiredKeys: ['exporters', 'panelRules', 'alertsWithContext', 'policySignatureAlgorithms'] },
);

export const rootKind = fc.constantFrom('software', 'pkcs11', 'tpm', 'enclave');

export const deviceEvidence: fc.Arbitrary<DeviceEvidence> = fc.record(
  {
    deviceId: fc.constant('gw-1'),
    group: fc.constant('plant-a'),
    state: fc.constantFrom('claimed', 'enrolled', 'revoked'),
    lastContactAt: pastInstant,
    rootOfTrust: fc.record({ kind: rootKind, hardwareBacked: fc.boolean(), reportedAt: pastInstant }),
    certificate: fc
      .record(
        {
          serial: fc.constant('1a2b'),
          issuedVia: fc.constantFrom('simpleenroll', 'simplereenroll', 'serverkeygen'),
          issuedAt: pastInstant,
          lifetimeDays: fc.integer({ min: 1, max: 400 }),
          keyAlgorithm: fc.constant('EC P-256'),
          revokedAt: pastInstant,
          revocationReason: fc.constant('keyCompromise'),
        },
        { requiredKeys: ['serial', 'issuedVia', 'issuedAt', 'lifetimeDays', 'keyAlgorithm'] },
      )
      .map(({ lifetimeDays, ...c }) => ({
        ...c,
        notBefore: c.issuedAt,
        notAfter: new Date(Date.parse(c.issuedAt) + lifetimeDays * DAY_MS).toISOString(),
      })),
    renewals: fc.record(
      { issued: fc.nat(5), reenrollments: fc.nat(4), lastReenrolledAt: pastInstant },
      { requiredKeys: ['issued', 'reenrollments'] },
    ),
    idevid: fc.record(
      { manufacturer: fc.constant('Acme'), serial: fc.constant('ACME-1'), chainStored: fc.boolean() },
      { requiredKeys: ['manufacturer', 'chainStored'] },
    ),
    attestation: fc.record(
      {
        key: fc.record({ id: fc.constant('ak'), boundAt: pastInstant, ekCertified: fc.boolean() }),
        lastVerdict: fc.record(
          {
            id: fc.constant('v'),
            result: fc.constantFrom('pass', 'fail'),
            at: pastInstant,
            component: fc.constantFrom('quote', 'pcr', 'reference'),
            message: fc.constant('verdict'),
            notRun: fc.subarray(['measured_boot', 'reference'] as const),
          },
          { requiredKeys: ['id', 'result', 'at', 'message', 'notRun'] },
        ),
        lastPassAt: pastInstant,
      },
      { requiredKeys: [] },
    ),
    platform: fc.record({
      recordId: fc.constant('inv'),
      reportedAt: pastInstant,
      secureBoot: fact(fc.constantFrom('enabled', 'disabled', 'setup-mode')),
      rootEncrypted: fact(fc.boolean()),
      tpmPresent: fact(fc.boolean()),
    }),
    bootManifest: fc.record(
      { id: fc.constant('m'), verified: fc.boolean(), at: pastInstant, reason: fc.constant('bad signature') },
      { requiredKeys: ['id', 'verified', 'at'] },
    ),
    policies: fc.record(
      {
        crypto: policy,
        firewall: policy,
        monitoring: policy,
        siem: policy,
        attestation: policy,
        config: policy,
      },
      { requiredKeys: [] },
    ),
    cryptoInventory: fc.record({
      scanId: fc.constant('ci'),
      scannedAt: pastInstant,
      fipsMode: fc.boolean(),
      weakFindings: fc.nat(2),
    }),
    monitoring: fc.record(
      {
        fim: fc.record({
          baselineId: fc.constant('b'),
          baselineSigned: fc.boolean(),
          lastScanAt: pastInstant,
          unexplainedChanges: fc.nat(2),
          protectsBoot: fc.boolean(),
        }),
        cryptoScan: fc.record({ scanId: fc.constant('cs'), lastScanAt: pastInstant, violations: fc.nat(2) }),
      },
      { requiredKeys: [] },
    ),
    updates: fc.record(
      {
        lastCheckAt: pastInstant,
        metadataVerified: fc.boolean(),
        lastInstall: fc.record({
          id: fc.constant('u'),
          at: pastInstant,
          verifiedBeforeInstall: fc.boolean(),
          outcome: fc.constantFrom('installed', 'rolled_back', 'failed'),
        }),
      },
      { requiredKeys: ['lastCheckAt', 'metadataVerified'] },
    ),
    fleet,
  },
  { requiredKeys: ['deviceId', 'group', 'state', 'renewals', 'policies', 'fleet'] },
);
