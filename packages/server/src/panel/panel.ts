import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { PanelReachability } from '@palisade/core';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { PanelConfig } from '../config/index.ts';
import { type Db, migrate, openPgliteDb, openPostgresDb } from '../db/index.ts';
import { DetectionWorker, WorkerLease } from '../detection/index.ts';
import {
  type CaKeySource,
  ensureCaHierarchy,
  fileKeySource,
  issueLeafWithNewKey,
  type KeyPassphrase,
  pkcs11KeySource,
  type RevocationEndpoints,
  resolveKeyPassphrase,
  sha256Fingerprint,
} from '../pki/index.ts';
import { issuerPathName, refreshCrls } from '../revocation/index.ts';
import { ExporterWorker, exporterDestination } from '../siem/index.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';
import { buildDeviceApp } from './device-app.ts';
import { createLogger, type Logger } from './logger.ts';
import { buildOperatorApp } from './operator-app.ts';
import { advancePolicyRollouts, buildPanelServices } from './panel-services.ts';
import { buildRevocationApp } from './revocation-app.ts';
import type { PanelServices } from './services.ts';

export interface PanelSecrets {
  /** PALISADE_KEY_PASSPHRASE */
  readonly keyPassphrase?: string | undefined;
  /** PALISADE_BOOTSTRAP_ADMIN_PASSWORD */
  readonly bootstrapAdminPassword?: string | undefined;
}

export interface StartPanelOptions {
  readonly config: PanelConfig;
  readonly secrets?: PanelSecrets;
  /** Where structured logs go (default: stdout). */
  readonly logDestination?: DestinationStream;
  /** Human-facing start-up notes (URLs, the one-time password); default: stderr. Never the structured log. */
  readonly announce?: (text: string) => void;
  /** A database opened (and closed) by the caller, e.g. tests; otherwise chosen by the configuration. */
  readonly db?: Db;
  readonly now?: () => Date;
}

export interface StartupFacts {
  readonly operatorUrl: string;
  readonly deviceUrl: string;
  /** The plain-HTTP listener for CRL, OCSP and CA certificates, when enabled. */
  readonly httpUrl: string | undefined;
  readonly rootCaPath: string;
  readonly rootCaFingerprint: string;
  readonly database: 'pglite' | 'postgres';
  /** Where the CA keys' protection comes from: a passphrase (env, generated, data dir) or a PKCS#11 token. */
  readonly passphraseSource: KeyPassphrase['source'] | 'pkcs11';
  /** Only on the very first start without a bootstrap password; printed once, never stored. */
  readonly firstAdmin?: { readonly username: string; readonly oneTimePassword?: string };
}

export interface RunningPanel {
  readonly facts: StartupFacts;
  readonly services: PanelServices;
  readonly operatorApp: FastifyInstance;
  readonly deviceApp: FastifyInstance;
  readonly logger: Logger;
  /** Stops accepting work, drains in-flight requests, closes the database, releases the data directory. */
  close(): Promise<void>;
}

const CRL_CHECK_INTERVAL_MS = 5 * 60 * 1000;
/** How often running policy rollouts are checked for a pause or their next phase. */
const ROLLOUT_INTERVAL_MS = 5_000;
/** How often event partitions are prepared and retention applied. */
const EVENT_MAINTENANCE_INTERVAL_MS = 3_600_000;
/** PostgreSQL channel on which replicas tell each other about revoked certificate serials. */
const REVOCATION_CHANNEL = 'palisade_revocation';

function urlOf(app: FastifyInstance, host: string): string {
  const address = app.server.address() as AddressInfo;
  return `https://${host}:${address.port}`;
}

/**
 * `palisade server`: everything the panel does at start, in order. The first
 * start on an empty data directory also creates the CA hierarchy and the
 * first admin account.
 */
export async function startPanel(options: StartPanelOptions): Promise<RunningPanel> {
  const { config } = options;
  const now = options.now ?? (() => new Date());
  const logger = createLogger(config.logLevel, options.logDestination);
  const announce = options.announce ?? ((text: string) => process.stderr.write(text));
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = await acquireDataDirLock(config.dataDir, 'palisade server');
  const cleanup: Array<() => Promise<void>> = [() => lock.release()];
  const runCleanup = async () => {
    for (const step of cleanup.reverse())
      await step().catch((error: unknown) => logger.error({ err: error }, 'shutdown step failed'));
  };
  try {
    const db =
      options.db ??
      (config.databaseUrl
        ? await openPostgresDb(config.databaseUrl, {
            onIdleError: (error) =>
              logger.warn({ err: error }, 'an idle database connection failed; it will be replaced'),
          })
        : await openPgliteDb({ dataDir: join(config.dataDir, 'pgdata') }));
    // A database handed in by the caller stays the caller's to close.
    if (!options.db) cleanup.push(() => db.close());
    const { applied } = await migrate(db);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');

    let passphraseSource: KeyPassphrase['source'] | 'pkcs11' = 'pkcs11';
    let keys: CaKeySource;
    let keyPassphrase: string | undefined;
    if (config.caKeyStore === 'file') {
      const passphrase = await resolveKeyPassphrase(config.dataDir, options.secrets?.keyPassphrase);
      passphraseSource = passphrase.source;
      keys = fileKeySource(passphrase.value);
      keyPassphrase = passphrase.value;
    } else {
      keys = await pkcs11KeySource(config.caKeyStore);
    }
    cleanup.push(async () => {
      await keys[Symbol.asyncDispose]();
    });
    const ca = await ensureCaHierarchy(db, keys, { organization: config.organization }, now());
    let revocationBase = config.revocationBaseUrl;
    const endpoints = (): RevocationEndpoints => {
      const base = revocationBase ?? `http://${config.hosts[0] ?? 'localhost'}:${config.httpPort}`;
      return {
        ocspUrl: `${base}/ocsp`,
        crlUrl: `${base}/crl/${issuerPathName(ca.issuing)}.crl`,
        caIssuersUrl: `${base}/ca/${issuerPathName(ca.issuing)}.crt`,
      };
    };
    // Known once the device listener is bound; the firewall authoring check reads it then.
    let reachability: PanelReachability = {
      endpoints: [],
      usesDnsName: config.hosts.some((h) => isIP(h) === 0),
    };
    const services = await buildPanelServices({
      db,
      config,
      keys,
      keyPassphrase,
      panelReachability: () => reachability,
      ca,
      endpoints,
      now,
      onInternalError: (error) => logger.error({ err: error }, 'OCSP responder failed'),
    });
    const { audit, operators } = services;
    // Runs after the listeners have drained and before the database closes.
    let started = false;
    cleanup.push(async () => {
      if (started) await audit.append({ actor: 'system', action: 'panel.stop', outcome: 'success' });
    });
    if (ca.created) {
      await audit.append({
        actor: 'system',
        action: 'ca.create',
        target: 'ca:root',
        outcome: 'success',
        details: {
          rootSubject: ca.root.certificate.subject,
          rootFingerprint: sha256Fingerprint(ca.root.certificate),
        },
      });
    }
    const firstAdmin = await operators.bootstrapFirstAdmin(options.secrets?.bootstrapAdminPassword);

    const caDir = join(config.dataDir, 'ca');
    await mkdir(caDir, { recursive: true, mode: 0o755 });
    const rootCaPath = join(caDir, 'root-ca.pem');
    await writeFile(rootCaPath, ca.root.certificatePem, { mode: 0o644 });
    await writeFile(join(caDir, 'issuing-ca.pem'), ca.issuing.certificatePem, { mode: 0o644 });

    // Listener certificates are re-issued at every start and their keys live only in memory;
    // clients pin the root CA, not these.
    const altNames = [...new Set([...config.hosts, 'localhost', '127.0.0.1', '::1'])];
    const chain = (pem: string) => pem + ca.issuing.certificatePem;
    const operatorTls = await issueLeafWithNewKey(
      ca.issuing,
      { commonName: 'Palisade operator API', usage: 'server', altNames, validityDays: 90 },
      now(),
    );
    const deviceTls = await issueLeafWithNewKey(
      ca.issuing,
      { commonName: 'Palisade device API', usage: 'server', altNames, validityDays: 90 },
      now(),
    );

    let ready = false;
    const operatorApp = await buildOperatorApp({
      services,
      logger,
      bodyLimit: config.bodyLimit,
      sessionTtlSeconds: config.sessionTtlSeconds,
      tls: { key: operatorTls.privateKeyPem, cert: chain(operatorTls.certificatePem) },
      isReady: () => ready,
    });
    cleanup.push(() => operatorApp.close());
    const device = await buildDeviceApp({
      services,
      logger,
      bodyLimit: config.bodyLimit,
      tls: { key: deviceTls.privateKeyPem, cert: chain(deviceTls.certificatePem) },
      estMaxInFlight: config.estMaxInFlight,
    });
    const deviceApp = device.app;
    cleanup.push(() => deviceApp.close());
    // With one process on the database (PGlite) every channel count left over is stale; replicas on
    // PostgreSQL leave theirs alone (the counts are informational; presence uses last-seen).
    if (db.kind === 'pglite') await services.presence.resetConnections();
    await services.hub.attach(db);
    cleanup.push(() => services.hub.detach());
    const exporters = new ExporterWorker({
      db,
      queue: services.exports,
      destination: exporterDestination,
      logger: logger.child({ component: 'siem' }),
    });
    exporters.start();
    cleanup.push(() => exporters.stop());
    await services.eventStream.start((error) =>
      logger.warn({ err: error }, 'live event stream fetch failed'),
    );
    cleanup.push(() => services.eventStream.stop());
    const detection = new DetectionWorker({
      db,
      rules: services.rules,
      queue: services.detectionQueue,
      alerts: services.alerts,
      pipeline: services.eventPipeline,
      panelEvents: services.panelEvents,
      lease: new WorkerLease(db, { name: 'detection', owner: randomUUID() }),
      logger: logger.child({ component: 'detection' }),
    });
    // Events are queued for detection only while some rule is enabled (on this replica's last reload).
    services.eventPipeline.setDetection((tx, ingestKey, events) =>
      detection.active ? services.detectionQueue.enqueueIn(tx, ingestKey, events) : Promise.resolve(),
    );
    await detection.start();
    cleanup.push(() => detection.stop());
    const stopPolicyListener = await services.policyDelivery.listen();
    cleanup.push(stopPolicyListener);
    // Re-evaluation when evidence changes, and the periodic full pass (one replica at a time).
    await services.compliance.start((error) => logger.error({ err: error }, 'compliance evaluation failed'));
    cleanup.push(() => services.compliance.stop());
    const rolloutTimer = setInterval(() => {
      advancePolicyRollouts(services).catch((error: unknown) =>
        logger.error({ err: error }, 'policy rollout round failed'),
      );
    }, ROLLOUT_INTERVAL_MS);
    rolloutTimer.unref();
    cleanup.push(async () => clearInterval(rolloutTimer));
    // Each committed batch anywhere wakes the workers here: events reach rules and the SIEM without a poll's wait.
    services.eventStream.onBatch(() => {
      detection.wake();
      exporters.wake();
    });
    // Today's and the next days' event partitions exist before events need them; retention runs hourly.
    await services.eventPartitions.maintain();
    const partitionTimer = setInterval(() => {
      services.eventPartitions
        .maintain()
        .catch((error: unknown) => logger.error({ err: error }, 'event partition maintenance failed'));
    }, EVENT_MAINTENANCE_INTERVAL_MS);
    partitionTimer.unref();
    cleanup.push(async () => clearInterval(partitionTimer));
    services.manufacturers.onChange(() => device.refreshTrust());
    services.devices.onRevocation(async (revoked) => {
      const serials = revoked.map((r) => r.serial);
      const closed = services.devicePeers.disconnect(serials);
      logger.info({ revoked: revoked.length, closedConnections: closed }, 'device certificates revoked');
      // The other replicas close their connections made with these certificates too, and drop
      // their cached OCSP answers (NOTIFY carries up to 8000 bytes: ~200 serials per message).
      for (let i = 0; i < serials.length; i += 200) {
        await db.notify(REVOCATION_CHANNEL, JSON.stringify(serials.slice(i, i + 200)));
      }
    });
    const unlistenRevocations = await db.listen(REVOCATION_CHANNEL, (payload) => {
      let serials: unknown;
      try {
        serials = JSON.parse(payload);
      } catch {
        return;
      }
      if (!Array.isArray(serials) || !serials.every((serial) => typeof serial === 'string')) return;
      services.ocspCache.invalidate();
      const closed = services.devicePeers.disconnect(serials);
      if (closed > 0)
        logger.info(
          { closedConnections: closed },
          'closed connections of certificates revoked on another replica',
        );
    });
    cleanup.push(unlistenRevocations);
    await operatorApp.listen({ port: config.operatorPort, host: config.bind });
    await deviceApp.listen({ port: config.devicePort, host: config.bind });
    let httpApp: FastifyInstance | undefined;
    if (config.httpListener) {
      httpApp = await buildRevocationApp({ services, logger });
      cleanup.push(() => (httpApp as FastifyInstance).close());
      await httpApp.listen({ port: config.httpPort, host: config.bind });
      if (config.revocationBaseUrl === undefined) {
        revocationBase = `http://${config.hosts[0] ?? 'localhost'}:${(httpApp.server.address() as AddressInfo).port}`;
      }
    }

    const publicHost = config.hosts[0] ?? 'localhost';
    const devicePort = (deviceApp.server.address() as AddressInfo).port;
    reachability = {
      endpoints: config.hosts.filter((h) => isIP(h) !== 0).map((address) => ({ address, port: devicePort })),
      usesDnsName: reachability.usesDnsName,
    };
    const facts: StartupFacts = {
      operatorUrl: urlOf(operatorApp, publicHost),
      deviceUrl: urlOf(deviceApp, publicHost),
      httpUrl: httpApp ? urlOf(httpApp, publicHost).replace(/^https:/, 'http:') : undefined,
      rootCaPath,
      rootCaFingerprint: sha256Fingerprint(ca.root.certificate),
      database: db.kind,
      passphraseSource,
      ...(firstAdmin
        ? {
            firstAdmin: {
              username: firstAdmin.operator.username,
              ...(firstAdmin.oneTimePassword === undefined
                ? {}
                : { oneTimePassword: firstAdmin.oneTimePassword }),
            },
          }
        : {}),
    };
    announce(startupNotice(facts));
    logger.info(
      {
        operatorUrl: facts.operatorUrl,
        deviceUrl: facts.deviceUrl,
        httpUrl: facts.httpUrl,
        database: facts.database,
        rootCaPath,
        rootCaFingerprint: facts.rootCaFingerprint,
        // Which issuing CA this replica issues from, and the retired ones it still honours (ca rotate-issuing).
        issuingCa: issuerPathName(ca.issuing),
        retiredIssuingCas: ca.issuers.slice(1).map(issuerPathName),
      },
      'panel ready',
    );
    await audit.append({
      actor: 'system',
      action: 'panel.start',
      outcome: 'success',
      details: { database: db.kind, operatorUrl: facts.operatorUrl, deviceUrl: facts.deviceUrl },
    });
    // Keep every issuer's CRL ahead of its nextUpdate even when nothing is revoked; replicas agree
    // through the CRL lock.
    await refreshCrls(services.revocation);
    const crlTimer = setInterval(() => {
      refreshCrls(services.revocation).catch((error: unknown) =>
        logger.error({ err: error }, 'CRL reissue failed'),
      );
    }, CRL_CHECK_INTERVAL_MS);
    crlTimer.unref();
    cleanup.push(async () => clearInterval(crlTimer));
    started = true;
    ready = true;

    let closing: Promise<void> | undefined;
    return {
      facts,
      services,
      operatorApp,
      deviceApp,
      logger,
      close() {
        ready = false;
        closing ??= runCleanup().then(() => logger.info('panel stopped'));
        return closing;
      },
    };
  } catch (error) {
    await runCleanup();
    throw error;
  }
}

/** What a person starting the panel needs to read; the one-time password appears here and nowhere else. */
export function startupNotice(facts: StartupFacts): string {
  const lines = [
    '',
    `Palisade panel is up (${facts.database === 'pglite' ? 'embedded database' : 'PostgreSQL'}).`,
    `  operator API and dashboard: ${facts.operatorUrl}`,
    `  device API (mutual TLS):    ${facts.deviceUrl}`,
    ...(facts.httpUrl ? [`  CRL, OCSP, CA (HTTP):       ${facts.httpUrl}`] : []),
    `  root CA certificate:        ${facts.rootCaPath}`,
    `  root CA SHA-256:            ${facts.rootCaFingerprint}`,
  ];
  if (facts.passphraseSource === 'generated' || facts.passphraseSource === 'data-dir') {
    lines.push(
      '',
      'WARNING: the CA keys are encrypted with a passphrase generated into the data directory.',
      '         Anyone with a copy of that directory has the keys. In production, set',
      '         PALISADE_KEY_PASSPHRASE from a secret store.',
    );
  }
  if (facts.firstAdmin?.oneTimePassword !== undefined) {
    lines.push(
      '',
      `First admin account: ${facts.firstAdmin.username}`,
      `One-time password:   ${facts.firstAdmin.oneTimePassword}`,
      'It is shown only this once and must be changed at the first login.',
    );
  }
  return `${lines.join('\n')}\n\n`;
}
