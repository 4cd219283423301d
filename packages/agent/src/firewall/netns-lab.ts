/**
 * Test support: two private network namespaces joined by a veth pair, so the
 * firewall tests run real nft and real TCP without touching the host's own
 * ruleset. `device` is where Palisade's table goes; `peer` plays the panel and
 * the rest of the network. Each lab has its own namespaces, so the fixed
 * addresses below never meet another lab's.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { hasCommand, STRICT } from '@palisade/testkit';
import { createNftRunner, type NftRunner } from './nft-runner.ts';

const run = promisify(execFile);

export const LAB = {
  deviceV4: '10.231.7.2',
  peerV4: '10.231.7.1',
  /** A second address on the peer, for "egress to this address is denied". */
  otherPeerV4: '10.231.7.3',
  deviceV6: 'fd00:231:7::2',
  peerV6: 'fd00:231:7::1',
} as const;

/** What a TCP client saw: a byte from the server, a RST, or nothing before its timeout. */
export type ProbeResult = 'connected' | 'refused' | 'timeout' | `error:${string}`;

export interface NetnsLab {
  readonly device: string;
  readonly peer: string;
  /** nft inside the device namespace. */
  readonly runner: NftRunner;
  /** Runs a command inside a namespace; rejects on a non-zero exit. */
  exec(namespace: string, command: readonly string[], stdin?: string): Promise<string>;
  /** A TCP server that greets every connection; resolves once it listens. */
  listen(namespace: string, host: string, port: number): Promise<void>;
  /** Connects from `namespace`; `connected` only after the server's greeting came back. */
  probe(namespace: string, host: string, port: number, timeoutMs?: number): Promise<ProbeResult>;
  dispose(): Promise<void>;
}

/**
 * For `describe(name, { skip: skipUnlessNetns() }, …)`: a reason to skip when
 * the tests cannot create namespaces, except in strict mode (CI), where they
 * run and fail instead.
 */
export function skipUnlessNetns(): string | false {
  if (STRICT) return false;
  if (process.getuid?.() !== 0) return 'not root: network namespaces and nft need CAP_NET_ADMIN';
  if (!hasCommand('nft')) return 'nft is not installed (apt-get install nftables)';
  if (!hasCommand('ip', ['-V'])) return 'ip is not installed (apt-get install iproute2)';
  const probe = spawnSync('ip', ['netns', 'list'], { stdio: 'ignore', timeout: 10_000 });
  if (probe.status !== 0) return 'ip netns does not work here (no network namespace support)';
  return false;
}

// Runs small socket jobs inside a namespace: one long-lived Node per
// namespace, fed JSON lines, so a probe costs no process start.
const SOCKET_DAEMON = `
const net = require('node:net');
const reply = (id, result) => process.stdout.write(JSON.stringify({ id, result }) + '\\n');
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, op, host, port, timeoutMs } = JSON.parse(line);
  if (op === 'listen') {
    const server = net.createServer((socket) => { socket.on('error', () => {}); socket.end('palisade\\n'); });
    server.once('error', (error) => reply(id, 'error:' + error.code));
    server.listen(port, host, () => reply(id, 'listening'));
    return;
  }
  let settled = false;
  const socket = net.connect({ host, port });
  const done = (result) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    reply(id, result);
  };
  const timer = setTimeout(() => done('timeout'), timeoutMs);
  socket.once('data', () => done('connected'));
  socket.once('error', (error) => done(error.code === 'ECONNREFUSED' ? 'refused' : 'error:' + error.code));
});
process.stdin.on('end', () => process.exit(0));
`;

class SocketDaemon {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting = new Map<number, (result: string) => void>();
  #next = 0;

  constructor(namespace: string) {
    this.#child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', SOCKET_DAEMON]);
    this.#child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const { id, result } = JSON.parse(line) as { id: number; result: string };
      this.#waiting.get(id)?.(result);
      this.#waiting.delete(id);
    });
  }

  ask(request: Record<string, unknown>): Promise<string> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#child.stdin.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
}

export async function createNetnsLab(): Promise<NetnsLab> {
  const suffix = randomBytes(4).toString('hex');
  const device = `palisade-fw-${suffix}`;
  const peer = `palisade-fw-${suffix}-peer`;
  const ip = (args: readonly string[]) => run('ip', [...args], { timeout: 10_000 });
  const daemons = new Map<string, SocketDaemon>();
  const daemon = (namespace: string) => {
    let found = daemons.get(namespace);
    if (found === undefined) {
      found = new SocketDaemon(namespace);
      daemons.set(namespace, found);
    }
    return found;
  };

  const dispose = async () => {
    await Promise.all([...daemons.values()].map((d) => d.stop()));
    // Deleting a namespace destroys its end of the veth pair, and with it the other end.
    await ip(['netns', 'del', device]).catch(() => undefined);
    await ip(['netns', 'del', peer]).catch(() => undefined);
  };

  try {
    await ip(['netns', 'add', device]);
    await ip(['netns', 'add', peer]);
    // Both ends are created inside the namespaces: the host's interface list never sees them.
    await ip(['-n', device, 'link', 'add', 'fw0', 'type', 'veth', 'peer', 'name', 'fw0', 'netns', peer]);
    for (const [namespace, v4, v6, extra] of [
      [device, LAB.deviceV4, LAB.deviceV6, undefined],
      [peer, LAB.peerV4, LAB.peerV6, LAB.otherPeerV4],
    ] as const) {
      await ip(['-n', namespace, 'addr', 'add', `${v4}/24`, 'dev', 'fw0']);
      if (extra !== undefined) await ip(['-n', namespace, 'addr', 'add', `${extra}/24`, 'dev', 'fw0']);
      // nodad: usable at once, without waiting a second for duplicate address detection.
      await ip(['-n', namespace, 'addr', 'add', `${v6}/64`, 'dev', 'fw0', 'nodad']);
      await ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
      await ip(['-n', namespace, 'link', 'set', 'fw0', 'up']);
    }
  } catch (error) {
    await dispose();
    throw error;
  }

  return {
    device,
    peer,
    runner: createNftRunner({ prefix: ['ip', 'netns', 'exec', device] }),
    async exec(namespace, command, stdin) {
      const [file = '', ...args] = command;
      const result = await createNftRunner({ prefix: ['ip', 'netns', 'exec', namespace], nftPath: file })(
        args,
        stdin,
      );
      if (result.exitCode !== 0) {
        throw new Error(`${command.join(' ')} in ${namespace} exited ${result.exitCode}: ${result.stderr}`);
      }
      return result.stdout;
    },
    async listen(namespace, host, port) {
      const result = await daemon(namespace).ask({ op: 'listen', host, port });
      if (result !== 'listening') throw new Error(`listen ${host}:${port} in ${namespace}: ${result}`);
    },
    async probe(namespace, host, port, timeoutMs = 1_500) {
      return (await daemon(namespace).ask({ op: 'connect', host, port, timeoutMs })) as ProbeResult;
    },
    dispose,
  };
}
