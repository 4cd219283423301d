import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Where snmptrapd and snmptranslate find MIBs: the repository's `mibs/`, then
 * the SMIv2 core modules (SNMPv2-SMI, -TC, -CONF, -MIB) that net-snmp ships,
 * because Debian's standard MIBs are in non-free `snmp-mibs-downloader`.
 */
export function mibDirs(): string[] {
  const fromServer = createRequire(join(REPO_ROOT, 'packages', 'server', 'package.json'));
  return [join(REPO_ROOT, 'mibs'), join(dirname(fromServer.resolve('net-snmp')), 'lib', 'mibs')];
}

/** An SNMPv3 user as snmptrapd.conf spells it (`createUser`, snmpd.conf(5)). */
export interface SnmptrapdUser {
  readonly name: string;
  readonly authProtocol: 'SHA' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';
  readonly authKey: string;
  /** `AES` is AES-128 (RFC 3826); `AES-256` the Blumenthal and `AES-256-C` the Reeder key extension. */
  readonly privProtocol: 'AES' | 'AES-192' | 'AES-256' | 'AES-256-C';
  readonly privKey: string;
  /** Engine IDs (hex) of the trap senders: trap keys are localized with the sender's engine ID (RFC 3414 §1.5.1). */
  readonly senderEngineIds: readonly string[];
}

export interface SnmptrapdOptions {
  /** Accepted SNMPv2c community; default `public`. */
  readonly community?: string;
  /** Accepted SNMPv3 user, authPriv only (`authUser … priv`). */
  readonly user?: SnmptrapdUser;
}

/** One notification as snmptrapd logged it, decoded with the loaded MIBs. */
export interface LoggedTrap {
  /** `TRAP2` or `INFORM`. */
  readonly pdu: string;
  readonly version: 'v1' | 'v2c' | 'v3';
  /** The community (v1/v2c) or USM user (v3). */
  readonly securityName: string;
  /** By the name snmptrapd printed, e.g. `PALISADE-MIB::palisadeEventId.0`. */
  readonly varbinds: ReadonlyMap<string, { readonly type: string; readonly value: string }>;
}

export interface Snmptrapd extends AsyncDisposable {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Every notification logged so far, across restarts. */
  readTraps(): Promise<LoggedTrap[]>;
  /** Waits until at least `count` notifications are logged. */
  waitForTraps(count: number, timeoutMs?: number): Promise<LoggedTrap[]>;
  /** The raw log (startup lines, authentication failures, notifications). */
  readLog(): Promise<string>;
  stop(): Promise<void>;
  /** Starts again on the same port, configuration and persistent state (engine ID, boots). */
  start(): Promise<void>;
}

// One record per notification: STX, %P, then varbinds, fields split by US, ETX.
// Control characters, because values (event messages) may contain line breaks.
const FORMAT = '\u0002%V\u001f%P\u001f%v\u0003\\n';

/**
 * Starts a private snmptrapd on a free loopback UDP port, with access control
 * on (authCommunity / authUser), logging to a file in a temporary directory.
 *
 * @example
 * await using trapd = await startSnmptrapd();
 * await sender.send(event);
 * const [trap] = await trapd.waitForTraps(1);
 */
export async function startSnmptrapd(options: SnmptrapdOptions = {}): Promise<Snmptrapd> {
  const directory = await mkdtemp(join(tmpdir(), 'palisade-snmptrapd-'));
  const logFile = join(directory, 'snmptrapd.log');
  const confFile = join(directory, 'snmptrapd.conf');
  const lines = [
    `authCommunity log ${options.community ?? 'public'}`,
    'doNotRetainNotificationLogs yes',
    `format2 ${FORMAT}`,
  ];
  const user = options.user;
  if (user !== undefined) {
    const secrets = `${user.authProtocol} ${user.authKey} ${user.privProtocol} ${user.privKey}`;
    for (const engineId of user.senderEngineIds)
      lines.push(`createUser -e 0x${engineId} ${user.name} ${secrets}`);
    // Informs: snmptrapd is the authoritative engine, so the keys are localized with its own ID.
    lines.push(`createUser ${user.name} ${secrets}`, `authUser log ${user.name} priv`);
  }
  await writeFile(confFile, `${lines.join('\n')}\n`, { mode: 0o600 });

  let child: ChildProcess | undefined;
  let port = 0;
  const launch = async () => {
    const before = await countStarts(logFile);
    // -C: no system snmptrapd.conf; -A: keep the log across restarts; -n: no DNS.
    const args = [
      '-f',
      '-C',
      '-c',
      confFile,
      '-A',
      '-Lf',
      logFile,
      '-n',
      `--persistentDir=${join(directory, 'state')}`,
    ];
    args.push('-M', mibDirs().join(':'), '-m', 'SNMPv2-MIB:PALISADE-MIB', `udp:127.0.0.1:${port}`);
    const started = spawn('snmptrapd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let failed = false;
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    started.on('error', (error) => {
      failed = true;
      stderr += `\n${error.message}`;
    });
    child = started;
    for (let attempt = 0; attempt < 100; attempt++) {
      if (started.exitCode !== null || started.signalCode !== null || failed) break;
      // snmptrapd logs its version once its transports are open.
      if ((await countStarts(logFile)) > before) return;
      await sleep(50);
    }
    await stopChild(started);
    throw new Error(`snmptrapd did not start on udp:127.0.0.1:${port}: ${stderr.trim()}`);
  };
  const stop = async () => {
    if (child !== undefined) await stopChild(child);
    child = undefined;
  };
  const dispose = async () => {
    await stop();
    await rm(directory, { recursive: true, force: true });
  };

  try {
    for (let attempt = 1; ; attempt++) {
      port = await freeUdpPort();
      try {
        await launch();
        break;
      } catch (error) {
        // Another process may take the probed port first.
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await dispose();
    throw error;
  }

  const readLog = async () => readFile(logFile, 'utf8').catch(() => '');
  const readTraps = async () => parseTraps(await readLog());
  return {
    host: '127.0.0.1',
    port,
    readTraps,
    readLog,
    waitForTraps: async (count, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const traps = await readTraps();
        if (traps.length >= count) return traps;
        if (Date.now() > deadline)
          throw new Error(`snmptrapd logged ${traps.length} of ${count} notification(s)`);
        await sleep(25);
      }
    },
    stop,
    start: async () => {
      if (child === undefined) await launch();
    },
    [Symbol.asyncDispose]: dispose,
  };
}

export function parseTraps(log: string): LoggedTrap[] {
  const traps: LoggedTrap[] = [];
  for (const chunk of log.split('\u0002').slice(1)) {
    const end = chunk.indexOf('\u0003');
    if (end === -1) continue; // still being written
    const record = chunk.slice(0, end);
    const [security = '', ...fields] = record.split('\u001f');
    // %P: "TRAP2, SNMP v2c, community public" or "INFORM, SNMP v3, user palisade, context ".
    const header = /^(\w+), SNMP (v1|v2c|v3), (?:community (.*)|user (.*), context .*)$/.exec(security);
    if (header === null) throw new Error(`unexpected snmptrapd security line: ${JSON.stringify(security)}`);
    const varbinds = new Map<string, { type: string; value: string }>();
    for (const field of fields) {
      // "NAME = TYPE: VALUE"; values are printed verbatim, line breaks included.
      const varbind = /^(\S+) = (?:([\w -]+): )?([\s\S]*)$/.exec(field);
      if (varbind === null) throw new Error(`unexpected snmptrapd varbind: ${JSON.stringify(field)}`);
      varbinds.set(varbind[1] ?? '', { type: varbind[2] ?? '', value: varbind[3] ?? '' });
    }
    traps.push({
      pdu: header[1] ?? '',
      version: (header[2] ?? 'v2c') as LoggedTrap['version'],
      securityName: header[3] ?? header[4] ?? '',
      varbinds,
    });
  }
  return traps;
}

async function countStarts(logFile: string): Promise<number> {
  const log = await readFile(logFile, 'utf8').catch(() => '');
  return log.split('NET-SNMP version').length - 1;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function stopChild(child: ChildProcess): Promise<void> {
  // No pid: the spawn itself failed (e.g. snmptrapd not installed), there is nothing to stop.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
