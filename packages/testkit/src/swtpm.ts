import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SwtpmOptions {
  /**
   * Put tpm2-abrmd (on a private D-Bus session bus) in front of swtpm, the
   * way `/dev/tpmrm0` fronts a real TPM: several clients at once and context
   * swapping. Needed when a process keeps a TPM connection open (tpm2-pkcs11
   * behind OpenSSL) while tpm2-tools run beside it.
   */
  readonly resourceManager?: boolean;
}

export interface Swtpm extends AsyncDisposable {
  /** The TCTI clients use: `tabrmd:…` with a resource manager, else `swtpm:host=127.0.0.1,port=P`. */
  readonly tcti: string;
  /** Straight to swtpm, bypassing any resource manager. */
  readonly swtpmTcti: string;
  readonly stateDir: string;
  /** Stops and starts the TPM on the same state, like a reboot: persistent objects and NV survive. */
  restart(): Promise<void>;
}

const BUS_NAME = 'com.palisade.Tabrmd';
let busOwner: string | undefined;

/**
 * Manufactures a fresh swtpm (EK and platform certificates from swtpm's local
 * CA) in a temporary directory and serves it on free loopback ports.
 *
 * With `resourceManager`, `process.env.DBUS_SESSION_BUS_ADDRESS` points at
 * the private bus until disposed (the tabrmd TCTI has no address option), so
 * one such TPM per process at a time.
 *
 * @example
 * await using tpm = await startSwtpm();
 * const root = await openTpmRoot({ tcti: tpm.tcti, stateDir });
 */
export async function startSwtpm(options: SwtpmOptions = {}): Promise<Swtpm> {
  const directory = await mkdtemp(join(tmpdir(), 'palisade-swtpm-'));
  const stateDir = join(directory, 'state');
  const children: ChildProcess[] = [];
  let previousBus: string | undefined;
  const stopAll = async () => {
    for (const child of children.splice(0).reverse()) await stop(child);
  };
  const dispose = async () => {
    await stopAll();
    if (busOwner === directory) {
      busOwner = undefined;
      if (previousBus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = previousBus;
    }
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await mkdir(stateDir);
    // swtpm_setup signs the EK and platform certificates with its local CA (/var/lib/swtpm-localca).
    await run(
      'swtpm_setup',
      ['--tpm2', '--tpmstate', stateDir, '--create-ek-cert', '--create-platform-cert', '--overwrite'],
      { timeout: 60_000 },
    );
    const port = await freePortPair();
    const swtpmTcti = `swtpm:host=127.0.0.1,port=${port}`;
    const startTpm = async () => {
      const child = spawnLogged('swtpm', [
        'socket',
        '--tpm2',
        '--server',
        `type=tcp,port=${port},bindaddr=127.0.0.1`,
        '--ctrl',
        `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
        '--tpmstate',
        `dir=${stateDir}`,
        '--flags',
        'not-need-init,startup-clear',
      ]);
      children.push(child);
      await waitForPort(port, child);
    };
    await startTpm();
    if (options.resourceManager !== true) {
      return {
        tcti: swtpmTcti,
        swtpmTcti,
        stateDir,
        restart: async () => {
          await stopAll();
          await startTpm();
        },
        [Symbol.asyncDispose]: dispose,
      };
    }

    if (busOwner !== undefined)
      throw new Error(`a resource-managed swtpm (${busOwner}) already exists in this process`);
    busOwner = directory;
    previousBus = process.env.DBUS_SESSION_BUS_ADDRESS;
    const bus = spawnLogged('dbus-daemon', [
      '--session',
      '--nofork',
      '--print-address=1',
      `--address=unix:path=${join(directory, 'bus')}`,
    ]);
    children.push(bus);
    const address = await firstLine(bus);
    process.env.DBUS_SESSION_BUS_ADDRESS = address;
    const tcti = `tabrmd:bus_name=${BUS_NAME},bus_type=session`;
    const startBroker = async () => {
      const args = ['--session', `--dbus-name=${BUS_NAME}`, `--tcti=${swtpmTcti}`, '--flush-all'];
      // tpm2-abrmd refuses to run as root unless told; CI containers run as root.
      if (process.getuid?.() === 0) args.push('--allow-root');
      const broker = spawnLogged('tpm2-abrmd', args);
      children.push(broker);
      await waitForTcti(tcti, broker);
    };
    await startBroker();
    return {
      tcti,
      swtpmTcti,
      stateDir,
      restart: async () => {
        // The broker holds the TPM connection, so it restarts with the TPM; the bus stays.
        const restarting = children.filter((child) => child !== bus);
        for (const child of restarting.reverse()) await stop(child);
        children.splice(0, children.length, bus);
        await startTpm();
        await startBroker();
      },
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Keeps the last lines of stderr so a failed start says why. */
function spawnLogged(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-2000);
  });
  child.on('error', (error) => {
    log += `\n${error.message}`;
  });
  Object.defineProperty(child, 'palisadeLog', { get: () => log });
  return child;
}

function describeExit(command: string, child: ChildProcess): Error {
  const log = (child as ChildProcess & { palisadeLog?: string }).palisadeLog ?? '';
  return new Error(`${command} exited (${child.exitCode ?? child.signalCode}): ${log.trim()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** swtpm needs two consecutive ports (server, control). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await canListen(port)) && (await canListen(port + 1))) return port;
  }
  throw new Error('no two consecutive free TCP ports on 127.0.0.1');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw describeExit('swtpm', child);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(25);
  }
  throw new Error(`swtpm did not listen on 127.0.0.1:${port}`);
}

async function waitForTcti(tcti: string, child: ChildProcess): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw describeExit('tpm2-abrmd', child);
    try {
      await run('tpm2_getcap', ['properties-fixed'], {
        env: { ...process.env, TPM2TOOLS_TCTI: tcti },
        timeout: 10_000,
      });
      return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(50);
  }
  throw new Error(`tpm2-abrmd did not answer: ${last}`);
}

async function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  for await (const chunk of child.stdout ?? []) {
    text += String(chunk);
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end).trim();
  }
  throw describeExit('dbus-daemon', child);
}
