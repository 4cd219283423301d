/**
 * The reference of `fleet-connected`: what Node's own TLS costs to hold idle
 * mutually authenticated connections, without HTTP, WebSocket or the panel.
 *
 * Run as a script, one of two roles, each in its own process:
 *
 *   node bench/lib/bare-tls-peer.ts server <key.pem> <cert.pem> <client-ca.pem>
 *   node bench/lib/bare-tls-peer.ts client <port> <count> <concurrency> <key.pem> <cert.pem> <server-ca.pem>
 *
 * The server (`tls.createServer`, requestCert + rejectUnauthorized, the
 * panel's TLS groups) prints `{"port":N}` and keeps every socket in a Set,
 * as a server that may push to its clients must. The client opens `count`
 * connections, `concurrency` handshakes at a time, prints
 * `{"connected":N,"failed":F}` and holds them until SIGTERM.
 *
 * Imported: launchers for both roles (with the soft limit on open files
 * raised to the hard limit).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { ownChild } from './owned-children.ts';

/** The groups both ends of the panel's device connections offer (DEVICE_TLS_GROUPS, AGENT_TLS_GROUPS). */
const TLS_GROUPS = 'X25519MLKEM768:X25519:P-256:P-384';

export interface BarePeer extends AsyncDisposable {
  readonly pid: number;
  /** The first JSON line the peer printed. */
  readonly hello: Record<string, number>;
  stop(): Promise<void>;
}

async function startPeer(args: readonly string[], timeoutMs: number): Promise<BarePeer> {
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
      'sh',
      process.execPath,
      import.meta.filename,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  ownChild(child);
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const hello = await new Promise<Record<string, number>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`bare TLS ${args[0]} silent after ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bare TLS ${args[0]} exited with ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as Record<string, number>);
    });
  });
  lines.close();
  child.stdout.resume();
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exit;
  };
  return { pid: child.pid as number, hello, stop, [Symbol.asyncDispose]: stop };
}

export function startBareTlsServer(files: {
  readonly keyPath: string;
  readonly certPath: string;
  readonly clientCaPath: string;
}): Promise<BarePeer> {
  return startPeer(['server', files.keyPath, files.certPath, files.clientCaPath], 10_000);
}

/** Resolves once every connection is up (or failed); `hello` is `{connected, failed}`. */
export function startBareTlsClients(options: {
  readonly port: number;
  readonly count: number;
  readonly concurrency: number;
  readonly keyPath: string;
  readonly certPath: string;
  readonly serverCaPath: string;
  readonly timeoutMs: number;
}): Promise<BarePeer> {
  return startPeer(
    [
      'client',
      String(options.port),
      String(options.count),
      String(options.concurrency),
      options.keyPath,
      options.certPath,
      options.serverCaPath,
    ],
    options.timeoutMs,
  );
}

function runServer(keyPath: string, certPath: string, clientCaPath: string): void {
  const sockets = new Set<TLSSocket>();
  const server = createServer(
    {
      key: readFileSync(keyPath),
      cert: readFileSync(certPath),
      ca: readFileSync(clientCaPath),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ecdhCurve: TLS_GROUPS,
      handshakeTimeout: 10_000,
    },
    (socket) => {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.once('close', () => sockets.delete(socket));
    },
  );
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
  process.once('SIGTERM', () => {
    for (const socket of sockets) socket.destroy();
    server.close(() => process.exit(0));
  });
}

async function runClients(
  port: number,
  count: number,
  concurrency: number,
  keyPath: string,
  certPath: string,
  serverCaPath: string,
): Promise<void> {
  const key = readFileSync(keyPath);
  const cert = readFileSync(certPath);
  const ca = readFileSync(serverCaPath);
  const sockets: TLSSocket[] = [];
  let next = 0;
  let failed = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        key,
        cert,
        ca,
        ecdhCurve: TLS_GROUPS,
        minVersion: 'TLSv1.2',
      });
      socket.once('secureConnect', () => {
        socket.off('error', onError);
        socket.on('error', () => socket.destroy());
        sockets.push(socket);
        resolve();
      });
      const onError = () => {
        failed += 1;
        socket.destroy();
        resolve();
      };
      socket.once('error', onError);
    });
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        next += 1;
        await open();
      }
    }),
  );
  process.stdout.write(`${JSON.stringify({ connected: sockets.length, failed })}\n`);
  process.once('SIGTERM', () => {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  });
  setInterval(() => {}, 60_000);
}

if (import.meta.main) {
  const [role, ...args] = process.argv.slice(2);
  if (role === 'server' && args.length === 3) {
    runServer(args[0] as string, args[1] as string, args[2] as string);
  } else if (role === 'client' && args.length === 6) {
    const [port, count, concurrency, keyPath, certPath, caPath] = args as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    await runClients(Number(port), Number(count), Number(concurrency), keyPath, certPath, caPath);
  } else {
    process.stderr.write(
      'usage: bare-tls-peer.ts server <key> <cert> <client-ca> | client <port> <count> <concurrency> <key> <cert> <server-ca>\n',
    );
    process.exit(2);
  }
}
