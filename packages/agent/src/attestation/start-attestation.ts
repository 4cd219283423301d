import type { Logger } from '../agent-logger.ts';
import type { PanelClient } from '../channel/panel-client.ts';
import type { PushNotice } from '../channel/push-channel.ts';
import { readFileFact, readLineFact } from '../inventory/bounded-read.ts';
import type { JsonValue } from '../outbox/index.ts';
import type { RootOfTrust } from '../roots/index.ts';
import { AttestationClient } from './attestation-client.ts';
import type { AttestationSettings } from './attestation-settings.ts';
import { TpmAttestor } from './tpm-attestor.ts';

/** What the agent's session runs and tells about attestation. */
export interface AttestationSession {
  run(signal: AbortSignal): Promise<void>;
  /** True when the push was for attestation (`attest`) and has been handled. */
  handles(notice: PushNotice): boolean;
}

/** The panel refuses larger logs (EVIDENCE_LIMITS); real firmware logs are tens of kilobytes. */
const MAX_EVENT_LOG_BYTES = 1024 * 1024;

/**
 * Attestation for this session: with a TPM root of trust, an AttestationClient
 * on the root's own tpm2-tools runner; with any other root (or turned off),
 * a session that says once why it does not attest. The software root's
 * signed measurement list is not implemented.
 */
export async function startAttestation(input: {
  readonly root: RootOfTrust;
  readonly client: PanelClient;
  readonly deviceId: string;
  readonly settings: AttestationSettings;
  readonly logger: Logger;
  readonly report: (kind: string, severity: number, body: JsonValue) => Promise<unknown>;
  readonly backoff?: { readonly baseMs?: number; readonly capMs?: number };
}): Promise<AttestationSession> {
  const { root, settings, logger } = input;
  const log = logger.child({ component: 'attestation' });
  // Loaded only for a TPM root, as openRootOfTrust loads only the root it opens.
  const tools = root.kind === 'tpm' ? (await import('../roots/tpm-root.ts')).tpmToolsOf(root) : undefined;
  if (!settings.enabled || tools === undefined) {
    const why = settings.enabled
      ? `the ${root.kind} root of trust has no TPM to quote with`
      : 'attestation is turned off in agent.yaml';
    return {
      run: async () => log.info(`remote attestation skipped: ${why}`),
      handles: (notice) => {
        if (notice.type !== 'attest') return false;
        log.warn(`the panel asked for an attestation; skipped: ${why}`);
        return true;
      },
    };
  }
  let warnedNoLog = false;
  const client = new AttestationClient({
    deviceId: input.deviceId,
    client: input.client,
    attestor: new TpmAttestor(tools, settings.akHandle),
    ekCertificate: async () => (await root.facts()).endorsementCertificatePem,
    eventLog: async () => {
      const read = await readFileFact('/', settings.eventLogPath, MAX_EVENT_LOG_BYTES);
      if (read.known) return new Uint8Array(read.value);
      if (!warnedNoLog)
        log.warn(`no boot event log sent (${read.reason}): the panel cannot check measured boot`);
      warnedNoLog = true;
      return undefined;
    },
    firmwareVersion: async () => {
      const line = await readLineFact('/', settings.firmwareVersionPath);
      // The panel accepts 1–64 printable ASCII characters without spaces.
      const value = line.known ? line.value.replace(/[^\x21-\x7e]/g, '_').slice(0, 64) : '';
      return value === '' ? undefined : value;
    },
    report: input.report,
    logger,
    ...(input.backoff ? { backoff: input.backoff } : {}),
  });
  return {
    run: (signal) => client.run(signal),
    handles: (notice) => {
      if (notice.type !== 'attest') return false;
      log.info({ reason: notice.reason }, 'the panel asks for an attestation now');
      client.attestNow();
      return true;
    },
  };
}
