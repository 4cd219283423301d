import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RsyslogTlsOptions {
  readonly certPem: string;
  readonly keyPem: string;
  /** Trust anchor for client certificates (and GnuTLS wants one even in anonymous mode). */
  readonly caPem: string;
  /** `x509/certvalid`: a client without a certificate from `caPem` is hung up on; else `anon`. */
  readonly requireClientCert: boolean;
}

export interface RsyslogOptions {
  readonly udp?: boolean;
  readonly tcp?: boolean;
  readonly tls?: RsyslogTlsOptions;
}

export interface Rsyslog extends AsyncDisposable {
  /** 0 when that listener was not asked for. */
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly tlsPort: number;
  /** Every received message, one per line, exactly as sent (`%rawmsg%`). */
  readonly file: string;
  /**
   * The received messages, without the line feed the file template adds.
   * rsyslog escapes control characters on receive (a line feed becomes `#012`),
   * so one line is one message. It adds no byte-order mark: a BOM in a line is
   * the one the sender put at the start of MSG (RFC 5424 §6.4).
   */
  readMessages(): Promise<string[]>;
  /** Stops rsyslogd (SIGTERM, it drains its queue to the file); the file and ports stay. */
  stop(): Promise<void>;
  /** Starts it again on the same ports, appending to the same file. */
  start(): Promise<void>;
}

/**
 * Runs a private `rsyslogd -n` (rsyslog 8.x, no system config, no imuxsock or
 * imklog) on free 127.0.0.1 ports, writing what it receives to a file.
 *
 * @example
 * await using rsyslog = await startRsyslog({ tcp: true });
 * // … send to 127.0.0.1:rsyslog.tcpPort …
 * const lines = await rsyslog.readMessages();
 */
export async function startRsyslog(options: RsyslogOptions): Promise<Rsyslog> {
  const directory = await mkdtemp(join(tmpdir(), 'palisade-rsyslog-'));
  const file = join(directory, 'received.log');
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child !== undefined) await terminate(child);
    child = undefined;
  };
  const dispose = async () => {
    await stop();
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await mkdir(join(directory, 'work'));
    const udpPort = options.udp === true ? await freePort('udp') : 0;
    const tcpPort = options.tcp === true ? await freePort('tcp') : 0;
    const tlsPort = options.tls === undefined ? 0 : await freePort('tcp');
    if (options.tls !== undefined) {
      await writeFile(join(directory, 'ca.pem'), options.tls.caPem);
      await writeFile(join(directory, 'cert.pem'), options.tls.certPem);
      await writeFile(join(directory, 'key.pem'), options.tls.keyPem, { mode: 0o600 });
    }
    const config = join(directory, 'rsyslog.conf');
    await writeFile(config, rsyslogConfig(directory, file, { udpPort, tcpPort, tlsPort }, options.tls));
    const start = async () => {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) return;
      const started = spawnRsyslogd(['-n', '-f', config, '-i', join(directory, 'rsyslogd.pid')]);
      child = started;
      try {
        if (udpPort !== 0) await waitForSocket('udp', udpPort, started);
        if (tcpPort !== 0) await waitForSocket('tcp', tcpPort, started);
        if (tlsPort !== 0) await waitForSocket('tcp', tlsPort, started);
      } catch (error) {
        await stop();
        throw error;
      }
    };
    await start();
    return {
      udpPort,
      tcpPort,
      tlsPort,
      file,
      readMessages: async () => {
        const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return '';
          throw error;
        });
        const lines = text.split('\n');
        lines.pop(); // what follows the last line feed: empty, or a line rsyslog is still writing
        return lines;
      },
      stop,
      start,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

interface Ports {
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly tlsPort: number;
}

function rsyslogConfig(
  directory: string,
  file: string,
  ports: Ports,
  tls: RsyslogTlsOptions | undefined,
): string {
  // Rate limits off: a throughput test must not lose messages to rsyslog's flood guard.
  const noRateLimit = 'rateLimit.interval="0" rateLimit.burst="0"';
  const lines = [
    // global() comes first: maxMessageSize must be set before any input loads.
    // Control characters are escaped on receive (the default, stated here on purpose):
    // a line feed inside MSG arrives as "#012", so the file stays one message per line.
    `global(workDirectory="${join(directory, 'work')}" maxMessageSize="64k" parser.escapeControlCharactersOnReceive="on"${
      tls === undefined
        ? ''
        : ` defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile="${join(directory, 'ca.pem')}"` +
          ` defaultNetstreamDriverCertFile="${join(directory, 'cert.pem')}" defaultNetstreamDriverKeyFile="${join(directory, 'key.pem')}"`
    })`,
    'main_queue(queue.size="200000" queue.dequeueBatchSize="1024")',
    // %rawmsg% is the message exactly as received (after control-character escaping), framing removed.
    'template(name="palisadeRaw" type="string" string="%rawmsg%\\n")',
    // A ruleset of its own: rsyslogd's internal messages (default ruleset) stay out of the file.
    `ruleset(name="palisade") { action(type="omfile" file="${file}" template="palisadeRaw" ioBufferSize="256k") }`,
  ];
  if (ports.udpPort !== 0) {
    lines.push('module(load="imudp")');
    lines.push(
      `input(type="imudp" address="127.0.0.1" port="${ports.udpPort}" ruleset="palisade" rcvbufSize="8m" ${noRateLimit})`,
    );
  }
  if (ports.tcpPort !== 0 || ports.tlsPort !== 0) lines.push('module(load="imtcp" maxSessions="500")');
  if (ports.tcpPort !== 0) {
    // RFC 6587 §3.4.1 octet counting; imtcp also takes LF-terminated frames on the same port.
    lines.push(
      `input(type="imtcp" address="127.0.0.1" port="${ports.tcpPort}" ruleset="palisade" supportOctetCountedFraming="on" ${noRateLimit})`,
    );
  }
  if (tls !== undefined) {
    // RFC 5425: TLS via the GnuTLS netstream driver, mode 1 = TLS only.
    const authMode = tls.requireClientCert ? 'x509/certvalid' : 'anon';
    lines.push(
      `input(type="imtcp" address="127.0.0.1" port="${ports.tlsPort}" ruleset="palisade" supportOctetCountedFraming="on" ` +
        `streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="${authMode}" ${noRateLimit})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface LoggedChild extends ChildProcess {
  palisadeLog?: string;
}

/** Keeps the last output of rsyslogd so a failed start says why. */
function spawnRsyslogd(args: string[]): LoggedChild {
  const child: LoggedChild = spawn('rsyslogd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.palisadeLog = '';
  const keep = (chunk: Buffer) => {
    child.palisadeLog = (child.palisadeLog + chunk.toString('utf8')).slice(-2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`\n${error.message}`)));
  return child;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Asks the kernel for a free port, then lets it go for rsyslogd to take. */
async function freePort(protocol: 'tcp' | 'udp'): Promise<number> {
  if (protocol === 'tcp') {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    await new Promise((resolve) => server.close(resolve));
    if (address === null || typeof address === 'string') throw new Error('no TCP port');
    return address.port;
  }
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/**
 * Waits until rsyslogd has bound the port, read from /proc/net so that no
 * probe connection or datagram reaches rsyslog (a bare TCP connect to the TLS
 * port would log a handshake error; a datagram would land in the file).
 */
async function waitForSocket(protocol: 'tcp' | 'udp', port: number, child: LoggedChild): Promise<void> {
  // /proc/net/{tcp,udp}: "sl local_address rem_address st …", address as hex IP:port; 0A = LISTEN, 07 = UDP bound.
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const state = protocol === 'tcp' ? '0A' : '07';
  for (let attempt = 0; attempt < 400; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `rsyslogd exited (${child.exitCode ?? child.signalCode}): ${child.palisadeLog?.trim() ?? ''}`,
      );
    }
    const table = await readFile(`/proc/net/${protocol}`, 'utf8');
    if (
      table
        .split('\n')
        .some((row) => row.trim().split(/\s+/)[1] === local && row.trim().split(/\s+/)[3] === state)
    )
      return;
    await sleep(25);
  }
  throw new Error(`rsyslogd did not bind ${protocol} 127.0.0.1:${port}: ${child.palisadeLog?.trim() ?? ''}`);
}
