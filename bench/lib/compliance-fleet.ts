/**
 * The compliance benchmarks' fleet: an in-process panel on the benchmark
 * database, and N devices with a realistic mix of evidence written as rows
 * in a few set-based statements (what the registry, presence, ingest,
 * attestation and policies contexts would have stored after months of
 * operation). Deterministic: device i always gets the same evidence.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type Db, defaultPanelConfig, openPostgresDb, type RunningPanel, startPanel } from '@palisade/server';
import type { BenchDatabase } from './bench-database.ts';
import { DETECTION_RULE_MIX } from './detection-rule-mix.ts';
import { benchSecrets } from './panel-process.ts';

export const GROUPS = 100;
const BY = { actor: 'operator:bench' };

/** `dev-000042`: IDs sort in creation order. */
export function deviceId(i: number): string {
  return `dev-${String(i).padStart(6, '0')}`;
}

/** Every 200th device is only claimed (never enrolled): no certificate, no presence. */
export function isClaimed(i: number): boolean {
  return i % 200 === 0;
}

export interface BenchPanel extends AsyncDisposable {
  readonly panel: RunningPanel;
  readonly db: Db;
}

/** The panel in this process (its logs at warn, to stderr), on the benchmark database. */
export async function startBenchPanel(database: BenchDatabase, workDir: string): Promise<BenchPanel> {
  const db = database.url ? await openPostgresDb(database.url, { max: 8 }) : undefined;
  const secrets = benchSecrets();
  const panel = await startPanel({
    config: defaultPanelConfig({
      dataDir: join(workDir, 'data'),
      operatorPort: 0,
      devicePort: 0,
      httpPort: 0,
      bind: '127.0.0.1',
      logLevel: 'warn',
    }),
    secrets: { keyPassphrase: secrets.keyPassphrase, bootstrapAdminPassword: secrets.adminPassword },
    ...(db ? { db } : {}),
    logDestination: { write: (line: string) => void process.stderr.write(line) },
    announce: () => undefined,
  });
  return {
    panel,
    db: panel.services.db,
    async [Symbol.asyncDispose]() {
      await panel.close();
      await db?.close();
    },
  };
}

/** Writes the fleet's evidence; answers how many devices are in service. */
export async function seedComplianceFleet(panel: RunningPanel, devices: number): Promise<number> {
  const { db } = panel.services;
  await db.query(
    `INSERT INTO device_groups (name, target_level)
     SELECT 'group-' || g, (ARRAY['SLB', 'SLE', 'SLC'])[1 + g % 3] FROM generate_series(0, $1 - 1) g`,
    [GROUPS],
  );
  const manufacturer = randomUUID();
  await db.query(
    `INSERT INTO manufacturers (id, name, certificate_pem, fingerprint) VALUES ($1, 'Bench Devices', '(bench)', $2)`,
    [manufacturer, randomUUID().replaceAll('-', '')],
  );
  // Half enrolled with an IDevID (provenance stored), half with a token.
  await db.query(
    `INSERT INTO devices (id, group_name, state, idevid_serial, manufacturer_id, idevid_chain_pem)
     SELECT 'dev-' || lpad(i::text, 6, '0'), 'group-' || (i % $3),
            CASE WHEN i % 200 = 0 THEN 'claimed' ELSE 'enrolled' END,
            CASE WHEN i % 2 = 0 THEN 'SER-' || i END,
            CASE WHEN i % 2 = 0 THEN $2::uuid END,
            CASE WHEN i % 2 = 0 AND i % 200 <> 0 THEN '(chain)' END
       FROM generate_series(1, $1) i`,
    [devices, manufacturer, GROUPS],
  );
  // Two certificates each: the first expired, the renewal current; every 50th renewal revoked.
  await db.query(
    `INSERT INTO device_certificates (serial, device_id, certificate_pem, subject, not_before, not_after, issued_via,
       key_algorithm, issuer_serial, issued_at, revoked_at, revocation_reason)
     SELECT to_hex(i * 2 + c), 'dev-' || lpad(i::text, 6, '0'), '(bench)', 'CN=dev-' || i,
            now() - CASE WHEN c = 0 THEN interval '100 days' ELSE interval '10 days' END,
            now() + CASE WHEN c = 0 THEN interval '-10 days' ELSE interval '80 days' END,
            CASE WHEN c = 0 THEN 'simpleenroll' ELSE 'simplereenroll' END, 'EC P-256', '1',
            now() - CASE WHEN c = 0 THEN interval '100 days' ELSE interval '10 days' END,
            CASE WHEN c = 1 AND i % 50 = 0 THEN now() END,
            CASE WHEN c = 1 AND i % 50 = 0 THEN 'keyCompromise' END
       FROM generate_series(1, $1) i CROSS JOIN (VALUES (0), (1)) AS certs (c) WHERE i % 200 <> 0`,
    [devices],
  );
  // 60 % TPM, 30 % software, 10 % hardware PKCS#11; every 33rd device out of contact for 3 days.
  await db.query(
    `INSERT INTO device_presence (device_id, last_seen_at, root_of_trust, hardware_backed, agent_version)
     SELECT 'dev-' || lpad(i::text, 6, '0'),
            now() - CASE WHEN i % 33 = 0 THEN interval '3 days' ELSE interval '30 seconds' END,
            CASE WHEN i % 10 < 6 THEN 'tpm' WHEN i % 10 < 9 THEN 'software' ELSE 'pkcs11' END,
            i % 10 < 6 OR i % 10 = 9, '0.1.0'
       FROM generate_series(1, $1) i WHERE i % 200 <> 0`,
    [devices],
  );
  await db.query(
    `INSERT INTO device_inventory (device_id, record_id, reported_at, inventory)
     SELECT 'dev-' || lpad(i::text, 6, '0'), 'inventory-' || i, now() - interval '1 day',
            jsonb_build_object(
              'agentVersion', '0.1.0',
              'secureBoot', jsonb_build_object('known', true, 'value', CASE WHEN i % 7 = 0 THEN 'disabled' ELSE 'enabled' END),
              'diskEncryption', jsonb_build_object('known', true, 'value', jsonb_build_object(
                'volumes', jsonb_build_array(jsonb_build_object('name', 'cryptroot', 'type', 'luks2', 'open', true)),
                'rootEncrypted', jsonb_build_object('known', true, 'value', i % 5 <> 0))),
              'tpm', jsonb_build_object('known', true, 'value', jsonb_build_object('present', i % 10 < 6)))
       FROM generate_series(1, $1) i WHERE i % 200 <> 0`,
    [devices],
  );
  await seedAttestation(db, devices);
  await seedPolicies(panel, devices);
  await db.query(
    `INSERT INTO siem_exporters (id, name, kind, config) VALUES ($1, 'soc-syslog', 'syslog', '{"transport":"udp","host":"127.0.0.1","port":9}')`,
    [randomUUID()],
  );
  for (const rule of DETECTION_RULE_MIX.slice(0, 8)) await panel.services.rules.create(rule, BY);
  await db.query('ANALYZE');
  const inService = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM devices WHERE state <> 'decommissioned'",
  );
  return inService.rows[0]?.n ?? 0;
}

/** TPM devices: an active AK, an old passing verdict and a recent one (every 40th failing, every 9th without reference values). */
async function seedAttestation(db: Db, devices: number): Promise<void> {
  const tpm = 'i % 10 < 6 AND i % 200 <> 0';
  await db.query(
    `INSERT INTO attestation_keys (id, device_id, status, ek_public, ek_name, ek_trust, ak_public, ak_name,
       challenge_expires_at, created_at, activated_at)
     SELECT md5('ak' || i)::uuid, 'dev-' || lpad(i::text, 6, '0'), 'active', '\\x00', 'ek', 'certificate', '\\x00', 'ak',
            now() - interval '20 days', now() - interval '20 days', now() - interval '20 days'
       FROM generate_series(1, $1) i WHERE ${tpm}`,
    [devices],
  );
  await db.query(
    `INSERT INTO attestation_verdicts (id, device_id, key_id, result, component, code, message, severity, recoverable,
       not_run, evidence, created_at)
     SELECT md5('verdict' || v || '-' || i)::uuid, 'dev-' || lpad(i::text, 6, '0'), md5('ak' || i)::uuid,
            CASE WHEN v = 1 AND i % 40 = 0 THEN 'fail' ELSE 'pass' END,
            CASE WHEN v = 1 AND i % 40 = 0 THEN 'pcr' END,
            CASE WHEN v = 1 AND i % 40 = 0 THEN 'PCR_MISMATCH' END,
            CASE WHEN v = 1 AND i % 40 = 0 THEN 'PCR 4 does not match the replayed event log' ELSE 'attestation passed' END,
            1, true,
            CASE WHEN v = 1 AND i % 9 = 0 THEN '{reference}'::text[] ELSE '{}'::text[] END, '{}',
            now() - CASE WHEN v = 0 THEN interval '3 hours' ELSE interval '20 minutes' END
       FROM generate_series(1, $1) i CROSS JOIN (VALUES (0), (1)) AS verdicts (v) WHERE ${tpm}`,
    [devices],
  );
  await db.query(
    `INSERT INTO attestation_device_state (device_id, last_verdict_at, last_pass_at)
     SELECT 'dev-' || lpad(i::text, 6, '0'), now() - interval '20 minutes', now() - interval '20 minutes'
       FROM generate_series(1, $1) i WHERE ${tpm}`,
    [devices],
  );
}

/** A crypto and a siem policy for the fleet, a firewall for even groups, a monitoring profile for every third. */
async function seedPolicies(panel: RunningPanel, devices: number): Promise<void> {
  const { db } = panel.services;
  const ids = { crypto: randomUUID(), firewall: randomUUID(), monitoring: randomUUID(), siem: randomUUID() };
  for (const [kind, id] of Object.entries(ids)) {
    await db.query(
      `INSERT INTO policies (id, kind, name, created_by, created_at) VALUES ($1, $2, $3, 'bench', now())`,
      [id, kind, `bench-${kind}`],
    );
    // Compliance reads only the siem envelope's rules; the others are never opened here.
    const envelope = { payload: { kind, document: kind === 'siem' ? { rules: [{}, {}, {}] } : {} } };
    await db.query(
      `INSERT INTO policy_versions (policy_id, version, envelope, digest, published_by, published_at)
       VALUES ($1, 1, $2, repeat('a', 64), 'bench', now())`,
      [id, JSON.stringify(envelope)],
    );
  }
  await db.query(
    `INSERT INTO policy_assignments (kind, scope_type, scope_value, policy_id, assigned_by, assigned_at)
     VALUES ('crypto', 'fleet', '', $1, 'bench', now()), ('siem', 'fleet', '', $2, 'bench', now())`,
    [ids.crypto, ids.siem],
  );
  await db.query(
    `INSERT INTO policy_assignments (kind, scope_type, scope_value, policy_id, assigned_by, assigned_at)
     SELECT 'firewall', 'group', 'group-' || g, $1::uuid, 'bench', now() FROM generate_series(0, $3 - 1, 2) g
     UNION ALL
     SELECT 'monitoring', 'group', 'group-' || g, $2::uuid, 'bench', now() FROM generate_series(0, $3 - 1, 3) g`,
    [ids.firewall, ids.monitoring, GROUPS],
  );
  // What the devices acknowledged: mostly applied, some failed or drifted.
  await db.query(
    `INSERT INTO device_policy_status (device_id, kind, policy_id, version, state, live_hash, reported_at)
     SELECT 'dev-' || lpad(i::text, 6, '0'), p.kind, p.id, 1,
            CASE WHEN p.kind = 'crypto' AND i % 13 = 0 THEN 'failed'
                 WHEN p.kind = 'firewall' AND i % 17 = 0 THEN 'drifted' ELSE 'applied' END,
            CASE WHEN p.kind = 'firewall' THEN 'sha256:' || md5('fw' || i) END,
            now() - interval '2 hours'
       FROM generate_series(1, $1) i
       CROSS JOIN (VALUES ('crypto', $2::uuid), ('firewall', $3::uuid), ('monitoring', $4::uuid), ('siem', $5::uuid))
         AS p (kind, id)
      WHERE i % 200 <> 0
        AND (p.kind IN ('crypto', 'siem') OR (p.kind = 'firewall' AND (i % $6) % 2 = 0)
             OR (p.kind = 'monitoring' AND (i % $6) % 3 = 0))`,
    [devices, ids.crypto, ids.firewall, ids.monitoring, ids.siem, GROUPS],
  );
}

/**
 * The same-run reference: every evidence row a full pass reads, fetched with
 * one plain SELECT per table (the joins of the device query included).
 */
export async function selectEvidenceRows(db: Db): Promise<number> {
  const queries = [
    `SELECT d.id, d.group_name, d.tags, d.state, d.idevid_serial, d.idevid_chain_pem IS NOT NULL, m.name,
            p.last_seen_at, p.root_of_trust, p.hardware_backed, i.record_id, i.reported_at,
            i.inventory -> 'secureBoot', (i.inventory -> 'diskEncryption') #- '{value,volumes}', i.inventory -> 'tpm'
       FROM devices d LEFT JOIN manufacturers m ON m.id = d.manufacturer_id
       LEFT JOIN device_presence p ON p.device_id = d.id LEFT JOIN device_inventory i ON i.device_id = d.id
      WHERE d.state <> 'decommissioned'`,
    'SELECT * FROM device_certificates',
    'SELECT * FROM attestation_verdicts',
    'SELECT * FROM attestation_keys',
    'SELECT * FROM device_policy_status',
  ];
  let rows = 0;
  for (const sql of queries) rows += (await db.query(sql)).rowCount;
  return rows;
}
