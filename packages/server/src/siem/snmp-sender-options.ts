/**
 * The SNMP exporter's options, parsed once (they may come from a YAML file
 * typed only by a cast): every failing field is named, no secret is echoed.
 */
import type { FieldProblem } from '@palisade/core';
import { SnmpExportError } from './snmp-error.ts';
import type { SessionSecurity, SessionTarget, UsmAuthProtocol, UsmPrivProtocol } from './snmp-session.ts';

export type { UsmAuthProtocol, UsmPrivProtocol } from './snmp-session.ts';

/** An SNMPv3 USM user (RFC 3414), always authPriv: SHA-1/SHA-2 HMAC (RFC 3414, RFC 7860) and AES (RFC 3826). */
export interface SnmpV3User {
  readonly name: string;
  readonly authProtocol: UsmAuthProtocol;
  /** Passphrase, at least 8 characters (RFC 3414 §11.2). */
  readonly authKey: string;
  /** `aes` is AES-128 CFB (RFC 3826); `aes256b`/`aes256r` are the Blumenthal and Reeder AES-256 key extensions. */
  readonly privProtocol: UsmPrivProtocol;
  readonly privKey: string;
}

interface SnmpTargetOptions {
  readonly host: string;
  /** Default 162, the notification port (RFC 3417 §3). */
  readonly port?: number;
  /**
   * Default `true`: send InformRequest-PDUs, which the receiver acknowledges
   * (RFC 3416 §4.2.7), and reject when no acknowledgement comes after the
   * retries. `false` sends SNMPv2-Trap-PDUs: UDP datagrams nothing
   * acknowledges, lost without a trace when the receiver or network drops them.
   */
  readonly inform?: boolean;
  /** Per inform attempt; default 1000 ms. */
  readonly timeoutMs?: number;
  /** Retransmissions of an unacknowledged inform; default 3. */
  readonly retries?: number;
}

export type SnmpTrapSenderOptions = SnmpTargetOptions &
  (
    | { readonly version: '2c'; readonly community: string }
    | {
        readonly version: '3';
        readonly user: SnmpV3User;
        /**
         * Hex snmpEngineID of this sender (5 to 32 octets, RFC 3411). Required for
         * traps: their sender is the authoritative engine (RFC 3414 §1.5.1), so the
         * receiver localizes the user's keys with this ID (`createUser -e`).
         */
        readonly engineId?: string;
      }
  );

export interface SnmpSenderConfig {
  readonly target: SessionTarget;
  readonly security: SessionSecurity;
  readonly inform: boolean;
}

const AUTH_PROTOCOLS: readonly string[] = ['sha', 'sha224', 'sha256', 'sha384', 'sha512'];
const PRIV_PROTOCOLS: readonly string[] = ['aes', 'aes256b', 'aes256r'];

export function parseSnmpSenderOptions(options: SnmpTrapSenderOptions): SnmpSenderConfig {
  // Read as unknown: the static type is a promise the caller's config file may not keep.
  const input = options as unknown as Readonly<Record<string, unknown>>;
  const problems: FieldProblem[] = [];
  const missingSecurity: FieldProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });

  const host = input.host;
  if (typeof host !== 'string' || host === '') problem('/host', 'must be a non-empty string');
  const port = integerOr(input.port, 162);
  if (port === undefined || port < 1 || port > 65535) problem('/port', 'must be an integer in 1..65535');
  const timeoutMs = integerOr(input.timeoutMs, 1000);
  if (timeoutMs === undefined || timeoutMs < 1) problem('/timeoutMs', 'must be a positive integer');
  const retries = integerOr(input.retries, 3);
  if (retries === undefined || retries < 0 || retries > 10)
    problem('/retries', 'must be an integer in 0..10');
  const inform = input.inform ?? true;
  if (typeof inform !== 'boolean') problem('/inform', 'must be a boolean');

  let security: SessionSecurity | undefined;
  if (input.version === '2c') {
    const community = input.community;
    if (typeof community !== 'string' || community === '')
      problem('/community', 'must be a non-empty string');
    else security = { version: '2c', community };
  } else if (input.version === '3') {
    const user: Readonly<Record<string, unknown>> =
      typeof input.user === 'object' && input.user !== null ? (input.user as Record<string, unknown>) : {};
    const name = user.name;
    // RFC 3414 §5: usmUserName is 1..32 octets.
    if (typeof name !== 'string' || name === '' || Buffer.byteLength(name) > 32)
      problem('/user/name', 'must be 1 to 32 octets');
    if (user.level !== undefined && user.level !== 'authPriv')
      missingSecurity.push({ path: '/user/level', message: 'only authPriv is accepted' });
    const auth = secretPair(user, 'auth', AUTH_PROTOCOLS, problems, missingSecurity);
    const priv = secretPair(user, 'priv', PRIV_PROTOCOLS, problems, missingSecurity);
    const engineId = input.engineId;
    if (engineId !== undefined && (typeof engineId !== 'string' || !isEngineId(engineId)))
      problem('/engineId', 'must be 5 to 32 octets in hex');
    else if (engineId === undefined && inform === false)
      problem('/engineId', 'is required for SNMPv3 traps (the receiver needs it to localize the keys)');
    if (typeof name === 'string' && auth !== undefined && priv !== undefined) {
      security = {
        version: '3',
        userName: name,
        authProtocol: auth.protocol as UsmAuthProtocol,
        authKey: auth.key,
        privProtocol: priv.protocol as UsmPrivProtocol,
        privKey: priv.key,
        engineId: typeof engineId === 'string' ? engineId.replace(/^0x/i, '') : undefined,
      };
    }
  } else {
    problem('/version', "must be '2c' or '3'");
  }

  if (missingSecurity.length > 0) {
    throw new SnmpExportError(
      'SNMP_V3_AUTH_PRIV_REQUIRED',
      `SNMPv3 must use authPriv (authentication and privacy): ${describe(missingSecurity)}`,
      { details: { problems: [...missingSecurity, ...problems] } },
    );
  }
  if (problems.length > 0 || security === undefined || typeof host !== 'string' || port === undefined) {
    throw new SnmpExportError('SNMP_CONFIG_INVALID', `invalid SNMP sender options: ${describe(problems)}`, {
      details: { problems },
    });
  }
  return {
    target: { host, port, timeoutMs: timeoutMs ?? 1000, retries: retries ?? 3 },
    security,
    inform: inform === true,
  };
}

/** authProtocol + authKey, or privProtocol + privKey: absent is a security-level problem, malformed a config one. */
function secretPair(
  user: Readonly<Record<string, unknown>>,
  kind: 'auth' | 'priv',
  protocols: readonly string[],
  problems: FieldProblem[],
  missingSecurity: FieldProblem[],
): { protocol: string; key: string } | undefined {
  const protocol = user[`${kind}Protocol`];
  const key = user[`${kind}Key`];
  if (protocol === undefined || protocol === 'none' || key === undefined || key === '') {
    missingSecurity.push({
      path: `/user/${kind}Protocol`,
      message: `${kind}Protocol and ${kind}Key are required`,
    });
    return undefined;
  }
  let ok = true;
  if (typeof protocol !== 'string' || !protocols.includes(protocol)) {
    // MD5 and DES are refused on purpose: broken or too weak for security events.
    problems.push({ path: `/user/${kind}Protocol`, message: `must be one of ${protocols.join(', ')}` });
    ok = false;
  }
  if (typeof key !== 'string' || key.length < 8) {
    // RFC 3414 §11.2: passphrases shorter than 8 characters are refused by agents.
    problems.push({ path: `/user/${kind}Key`, message: 'must be at least 8 characters' });
    ok = false;
  }
  return ok && typeof protocol === 'string' && typeof key === 'string' ? { protocol, key } : undefined;
}

function integerOr(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

function isEngineId(value: string): boolean {
  const hex = value.replace(/^0x/i, '');
  return /^(?:[0-9a-f]{2}){5,32}$/i.test(hex);
}

function describe(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.path} ${p.message}`).join('; ');
}
