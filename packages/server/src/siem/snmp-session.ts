/**
 * The only module that touches `net-snmp`: its typings are loose (callbacks
 * with optional arguments, numeric enums, errors told apart by `name`), so
 * they stay here behind a small promise-based, typed surface.
 */
import * as snmp from 'net-snmp';
import { SnmpExportError } from './snmp-error.ts';

/** A varbind of PALISADE-MIB: the MIB only uses OCTET STRING and INTEGER/Integer32 syntaxes. */
export type NotificationVarbind =
  | { readonly oid: string; readonly type: 'octets'; readonly value: Buffer }
  | { readonly oid: string; readonly type: 'integer'; readonly value: number };

export type UsmAuthProtocol = 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export type UsmPrivProtocol = 'aes' | 'aes256b' | 'aes256r';

export interface SessionTarget {
  readonly host: string;
  readonly port: number;
  /** Per attempt, for informs. */
  readonly timeoutMs: number;
  /** Retransmissions of an unacknowledged inform (RFC 3416 §4.2.7 leaves the policy to the sender). */
  readonly retries: number;
}

export type SessionSecurity =
  | { readonly version: '2c'; readonly community: string }
  | {
      readonly version: '3';
      readonly userName: string;
      readonly authProtocol: UsmAuthProtocol;
      readonly authKey: string;
      readonly privProtocol: UsmPrivProtocol;
      readonly privKey: string;
      /** Hex; the local (authoritative) engine of traps, RFC 3414 §1.5.1. */
      readonly engineId: string | undefined;
    };

export interface NotificationSession {
  /** SNMPv2-Trap-PDU: resolves once the datagram is handed to the kernel; nothing confirms delivery. */
  trap(notificationOid: string, varbinds: readonly NotificationVarbind[]): Promise<void>;
  /** InformRequest-PDU: resolves when the receiver's Response-PDU arrives (RFC 3416 §4.2.7). */
  inform(notificationOid: string, varbinds: readonly NotificationVarbind[]): Promise<void>;
  close(): void;
}

const AUTH: Record<UsmAuthProtocol, snmp.AuthProtocols> = {
  sha: snmp.AuthProtocols.sha,
  sha224: snmp.AuthProtocols.sha224,
  sha256: snmp.AuthProtocols.sha256,
  sha384: snmp.AuthProtocols.sha384,
  sha512: snmp.AuthProtocols.sha512,
};

const PRIV: Record<UsmPrivProtocol, snmp.PrivProtocols> = {
  aes: snmp.PrivProtocols.aes,
  aes256b: snmp.PrivProtocols.aes256b,
  aes256r: snmp.PrivProtocols.aes256r,
};

export function openNotificationSession(
  target: SessionTarget,
  security: SessionSecurity,
): NotificationSession {
  // Informs go to the notification port, and net-snmp sends some v3 requests
  // (after engine discovery) to `port`: both point at the receiver.
  const common = {
    port: target.port,
    trapPort: target.port,
    timeout: target.timeoutMs,
    retries: target.retries,
    backoff: 1,
  };
  const session =
    security.version === '2c'
      ? snmp.createSession(target.host, security.community, { ...common, version: snmp.Version2c })
      : snmp.createV3Session(
          target.host,
          {
            name: security.userName,
            level: snmp.SecurityLevel.authPriv,
            authProtocol: AUTH[security.authProtocol],
            authKey: security.authKey,
            privProtocol: PRIV[security.privProtocol],
            privKey: security.privKey,
          },
          {
            ...common,
            version: snmp.Version3,
            ...(security.engineId === undefined ? {} : { engineID: security.engineId }),
          },
        );
  // Every request reports its own failure through its callback; without a
  // listener, a socket 'error' event would crash the panel.
  session.on('error', () => {});

  return {
    trap: (oid, varbinds) =>
      new Promise((resolve, reject) => {
        session.trap(oid, toNetSnmp(varbinds), (error) => {
          if (error === null) resolve();
          else
            reject(
              new SnmpExportError('SNMP_SEND_FAILED', `SNMP trap not sent: ${error.message}`, {
                cause: error,
              }),
            );
        });
      }),
    inform: (oid, varbinds) =>
      new Promise((resolve, reject) => {
        session.inform(oid, toNetSnmp(varbinds), (error) => {
          if (error === null) resolve();
          else reject(informError(error, target));
        });
      }),
    close: () => {
      session.close();
    },
  };
}

function toNetSnmp(varbinds: readonly NotificationVarbind[]): snmp.Varbind[] {
  return varbinds.map((varbind) =>
    varbind.type === 'octets'
      ? { oid: varbind.oid, type: snmp.ObjectType.OctetString, value: varbind.value }
      : { oid: varbind.oid, type: snmp.ObjectType.Integer, value: varbind.value },
  );
}

function informError(error: Error, target: SessionTarget): SnmpExportError {
  const details = { host: target.host, port: target.port, retries: target.retries };
  if (error.name === 'RequestTimedOutError') {
    return new SnmpExportError(
      'SNMP_INFORM_UNACKNOWLEDGED',
      `SNMP inform to ${target.host}:${target.port} not acknowledged after ${target.retries + 1} attempt(s)`,
      { details, cause: error },
    );
  }
  if (error.name === 'ResponseInvalidError' || error.name === 'RequestFailedError') {
    // e.g. a usmStatsWrongDigests Report (RFC 3414 §3.2 step 6): net-snmp's message names the counter, never the key.
    return new SnmpExportError(
      'SNMP_INFORM_REJECTED',
      `SNMP inform rejected by the receiver: ${error.message}`,
      {
        details,
        cause: error,
      },
    );
  }
  return new SnmpExportError('SNMP_SEND_FAILED', `SNMP inform not sent: ${error.message}`, {
    details,
    cause: error,
  });
}
