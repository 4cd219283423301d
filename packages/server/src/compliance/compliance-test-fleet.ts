/**
 * TEST-ONLY: a small fleet with known evidence, recorded through the owning
 * contexts' services where they offer a way (registry, presence, ingest,
 * policies) and as rows where only a device could produce it (an
 * attestation verdict needs a TPM quote; a trusted manufacturer needs a CA).
 *
 * plant-a (target SLE):
 * - gw-tpm-1: TPM 2.0, IDevID enrollment, attested, encrypted, Secure Boot on, monitoring profile applied;
 * - gw-soft-1: software RoT, token enrollment, Secure Boot off, no encryption, no TPM;
 * - gw-new-1: claimed, never enrolled.
 */
import { randomUUID } from 'node:crypto';
import type { PanelServices } from '../panel/index.ts';
import { IMMEDIATE_ROLLOUT } from '../policies/index.ts';

export const GROUP = 'plant-a';
export const TPM_DEVICE = 'gw-tpm-1';
export const SOFT_DEVICE = 'gw-soft-1';
export const NEW_DEVICE = 'gw-new-1';

const BY = { actor: 'operator:compliance-test' };
const DAY_MS = 24 * 3600 * 1000;

export const MONITORING_DOCUMENT = {
  protectedPaths: [{ path: '/boot', class: 'boot', response: 'alert', recursive: true }],
  scanIntervalSeconds: 300,
  fullVerifyIntervalSeconds: 86_400,
  cryptoScan: {
    intervalSeconds: 86_400,
    certificateDirs: ['/etc/ssl/certs'],
    tlsPorts: 'listening',
    expiryWarningDays: 30,
  },
};

export function inventory(facts: { secureBoot: string; rootEncrypted: boolean; tpm: boolean }) {
  return {
    agentVersion: '0.1.0',
    collectedAt: new Date().toISOString(),
    secureBoot: { known: true, value: facts.secureBoot },
    diskEncryption: {
      known: true,
      value: { volumes: [], rootEncrypted: { known: true, value: facts.rootEncrypted } },
    },
    tpm: { known: true, value: facts.tpm ? { present: true } : { present: false } },
  };
}

/** Records an operational certificate as EST would, inside a transaction of the registry. */
export async function issueCertificate(
  services: PanelServices,
  deviceId: string,
  options: {
    readonly via?: 'simpleenroll' | 'simplereenroll';
    readonly idevid?: { chainPem: string; manufacturerId: string };
  } = {},
): Promise<string> {
  const serial = randomUUID().replaceAll('-', '').replace(/^0+/, '');
  const now = Date.now();
  await services.db.transaction((tx) =>
    services.devices.recordCertificate(
      tx,
      BY,
      deviceId,
      {
        serial,
        certificatePem: '-----BEGIN CERTIFICATE-----\n(test)\n-----END CERTIFICATE-----\n',
        subject: `CN=${deviceId}`,
        notBefore: new Date(now - DAY_MS),
        notAfter: new Date(now + 89 * DAY_MS),
        issuedVia: options.via ?? 'simpleenroll',
        keyAlgorithm: 'EC P-256',
        issuerSerial: '1',
      },
      options.idevid,
    ),
  );
  return serial;
}

export async function reportInventory(
  services: PanelServices,
  deviceId: string,
  body: unknown,
): Promise<void> {
  await services.ingest.ingest(deviceId, [
    { id: randomUUID(), kind: 'inventory', severity: 0, createdAt: new Date().toISOString(), body },
  ]);
}

export async function seedFleet(services: PanelServices): Promise<void> {
  const { db, devices, presence } = services;
  await devices.upsertGroup(BY, {
    name: GROUP,
    targetLevel: 'SLE',
    requireChannelBinding: false,
    manualApproval: false,
    certificateValidityDays: 90,
  });
  const manufacturerId = randomUUID();
  await db.query(
    `INSERT INTO manufacturers (id, name, certificate_pem, fingerprint) VALUES ($1, 'Acme Devices', '(test)', $2)`,
    [manufacturerId, randomUUID().replaceAll('-', '')],
  );
  await devices.create(BY, { id: TPM_DEVICE, group: GROUP, idevidSerial: 'ACME-0042', manufacturerId });
  await devices.create(BY, { id: SOFT_DEVICE, group: GROUP });
  await devices.create(BY, { id: NEW_DEVICE, group: GROUP });

  await issueCertificate(services, TPM_DEVICE, { idevid: { chainPem: '(chain)', manufacturerId } });
  await issueCertificate(services, SOFT_DEVICE);
  await presence.checkIn(TPM_DEVICE, {
    agentVersion: '0.1.0',
    rootOfTrust: 'tpm',
    hardwareBacked: true,
    address: '192.0.2.10',
  });
  await presence.checkIn(SOFT_DEVICE, {
    agentVersion: '0.1.0',
    rootOfTrust: 'software',
    hardwareBacked: false,
    address: '192.0.2.11',
  });
  await reportInventory(
    services,
    TPM_DEVICE,
    inventory({ secureBoot: 'enabled', rootEncrypted: true, tpm: true }),
  );
  await reportInventory(
    services,
    SOFT_DEVICE,
    inventory({ secureBoot: 'disabled', rootEncrypted: false, tpm: false }),
  );

  // What the attestation context records after a verified quote with a replayed, matched event log.
  const keyId = randomUUID();
  const at = new Date();
  await db.query(
    `INSERT INTO attestation_keys (id, device_id, status, ek_public, ek_name, ek_trust, ak_public, ak_name,
       challenge_expires_at, created_at, activated_at)
     VALUES ($1, $2, 'active', '\\x00', 'ek', 'certificate', '\\x00', 'ak', $3, $3, $3)`,
    [keyId, TPM_DEVICE, at],
  );
  await db.query(
    `INSERT INTO attestation_verdicts (id, device_id, key_id, result, message, severity, recoverable, evidence, created_at)
     VALUES ($1, $2, $3, 'pass', 'attestation passed', 1, true, '{}', $4)`,
    [randomUUID(), TPM_DEVICE, keyId, at],
  );
  await db.query(
    'INSERT INTO attestation_device_state (device_id, last_verdict_at, last_pass_at) VALUES ($1, $2, $2)',
    [TPM_DEVICE, at],
  );

  const published = await services.policies.create(
    {
      kind: 'monitoring',
      name: 'plant-monitoring',
      document: MONITORING_DOCUMENT,
      rollout: IMMEDIATE_ROLLOUT,
    },
    BY,
  );
  await services.policyAssignments.assign(
    { kind: 'monitoring', scope: { type: 'group', groupId: GROUP }, policyId: published.policyId },
    BY,
  );
  await services.policyDelivery.report(TPM_DEVICE, 'monitoring', {
    policyId: published.policyId,
    version: published.version,
    state: 'applied',
  });
}
