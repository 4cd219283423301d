/**
 * The fault tests, with real processes: a `palisade server` child
 * process (PGlite in its data directory, or PostgreSQL with DATABASE_URL) and
 * an agent child process (fixtures/agent-producer.ts) that reports events and
 * says on stdout which appends are durable. Each scenario checks, in the
 * database, that every durable event arrived exactly once:
 *
 * 1. panel stopped for PALISADE_FAULT_OUTAGE_SECONDS (default 60) while the agent produces;
 * 2. agent killed with SIGKILL while the panel ingests its batches, several times;
 * 3. panel killed with SIGKILL during ingest: every event the agent saw acknowledged is in the database.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Outbox } from '@palisade/agent';
import { acquireDataDirLock, openPgliteDb } from '@palisade/server';
import { openTestDatabase, type TestDatabase } from '@palisade/testkit';

const CLI = join(import.meta.dirname, '..', '..', 'packages', 'cli', 'src', 'main.ts');
const PRODUCER = join(import.meta.dirname, 'fixtures', 'agent-producer.ts');
const PASSPHRASE = 'faults-passphrase-0123456789';
const ADMIN_PASSWORD = 'Faults-Tr0ub4dor&3-horse';
const OUTAGE_SECONDS = Number(process.env.PALISADE_FAULT_OUTAGE_SECONDS ?? 60);
const TAIL_BYTES = 32 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds, naming what it waited for (and what the processes said) if it never does. */
async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** A port free right now on 127.0.0.1: the panel must come back on the same ports the agent knows. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

/** A child process whose stdout is read line by line and whose output tails are kept for diagnostics. */
class Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stdoutTail = '';
  #stderrTail = '';
  #partial = '';

  constructor(
    name: string,
    args: string[],
    env: Record<string, string>,
    onLine: (line: string) => void,
    onChunkRead: () => void = () => undefined,
  ) {
    this.name = name;
    this.child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      }),
    );
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (this.#partial + chunk.toString()).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) {
        onLine(line);
        // One line per append would drown everything else the agent said.
        if (!line.startsWith('appended '))
          this.#stdoutTail = `${this.#stdoutTail}${line}\n`.slice(-TAIL_BYTES);
      }
      onChunkRead();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString()).slice(-TAIL_BYTES);
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  tail(bytes = 4000): string {
    return `--- ${this.name} (pid ${this.child.pid}) stderr tail ---\n${this.#stderrTail.slice(-bytes)}\n--- ${this.name} stdout tail ---\n${this.#stdoutTail.slice(-bytes)}\n`;
  }

  /** Sends `signal` and waits for the exit; a process that does not exit in 30 s is a failure. */
  async signal(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${this.name} did not exit on ${signal}\n${this.tail()}`)),
            30_000,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

// Every child this file starts, so none outlives a failed or timed-out test.
const running = new Set<Proc>();

interface PanelSetup {
  readonly dataDir: string;
  readonly operatorPort: number;
  readonly devicePort: number;
  readonly env: Record<string, string>;
}

/** `palisade server` as a child process; watches its request log for report batches in flight. */
class PanelProcess {
  readonly proc: Proc;
  readonly #setup: PanelSetup;
  #token: string | undefined;
  #ca: string | undefined;
  /** reqId → device of the `POST /v1/devices/:id/reports` requests that began and did not end. */
  readonly reportsInFlight = new Map<string, string>();
  /** Report batches answered, per device. */
  readonly reportsCompleted = new Map<string, number>();
  /** reqId → HTTP status, for the report batches answered. */
  readonly answered = new Map<string, number>();
  #watch: ((at: 'line' | 'read') => void) | undefined;
  #database: string | undefined;

  private constructor(setup: PanelSetup) {
    this.#setup = setup;
    this.proc = new Proc(
      'panel',
      [
        CLI,
        'server',
        '--data-dir',
        setup.dataDir,
        '--operator-port',
        String(setup.operatorPort),
        '--device-port',
        String(setup.devicePort),
        '--http-port',
        '0',
        '--bind',
        '127.0.0.1',
        '--log-level',
        'info',
      ],
      setup.env,
      (line) => this.#line(line),
      () => this.#watch?.('read'),
    );
  }

  static async start(setup: PanelSetup): Promise<PanelProcess> {
    const panel = new PanelProcess(setup);
    await until(
      'the panel to be ready',
      () => {
        if (!panel.proc.alive) throw new Error(`the panel exited before it was ready\n${panel.proc.tail()}`);
        return panel.#database !== undefined;
      },
      90_000,
    );
    assert.equal(panel.#database, setup.env.DATABASE_URL ? 'postgres' : 'pglite');
    panel.#ca = await readFile(join(setup.dataDir, 'ca', 'root-ca.pem'), 'utf8');
    const login = await panel.#https('POST', '/v1/auth/login', {
      username: 'admin',
      password: ADMIN_PASSWORD,
      mode: 'token',
    });
    assert.equal(login.status, 200, `login: ${login.body}`);
    panel.#token = (JSON.parse(login.body) as { token: string }).token;
    return panel;
  }

  #line(line: string): void {
    if (!line.startsWith('{')) return;
    let entry: {
      msg?: string;
      database?: string;
      reqId?: string;
      req?: { method?: string; url?: string };
      res?: { statusCode?: number };
    };
    try {
      entry = JSON.parse(line);
    } catch {
      return;
    }
    if (entry.msg === 'panel ready') this.#database = entry.database;
    if (entry.reqId === undefined) return;
    if (entry.msg === 'incoming request') {
      const match = /^\/v1\/devices\/([^/]+)\/reports$/.exec(entry.req?.url ?? '');
      if (entry.req?.method !== 'POST' || !match?.[1]) return;
      this.reportsInFlight.set(entry.reqId, match[1]);
      this.#watch?.('line');
    } else if (entry.msg === 'request completed') {
      const deviceId = this.reportsInFlight.get(entry.reqId);
      if (deviceId === undefined) return;
      this.reportsInFlight.delete(entry.reqId);
      this.reportsCompleted.set(deviceId, (this.reportsCompleted.get(deviceId) ?? 0) + 1);
      this.answered.set(entry.reqId, entry.res?.statusCode ?? 0);
    }
  }

  /**
   * Runs `action` when the panel's log shows a report batch of `deviceId`
   * come in, and resolves with its request ID. `as-logged`: at that very
   * line; the panel may well answer before the action lands (a batch stored
   * whose answer is lost). `still-unanswered`: after a read of the log that
   * holds the batch's start but not its answer (a batch being received or
   * ingested).
   */
  whenBatchComesIn(
    deviceId: string,
    moment: 'as-logged' | 'still-unanswered',
    action: () => void,
    timeoutMs = 60_000,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#watch = undefined;
        reject(
          new Error(`no report batch of ${deviceId} came in within ${timeoutMs} ms\n${this.proc.tail()}`),
        );
      }, timeoutMs);
      this.#watch = (at) => {
        if (at !== (moment === 'as-logged' ? 'line' : 'read')) return;
        const reqId = [...this.reportsInFlight].find(([, device]) => device === deviceId)?.[0];
        if (reqId === undefined) return;
        this.#watch = undefined;
        clearTimeout(timer);
        action();
        resolve(reqId);
      };
    });
  }

  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.#https(method, path, body);
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.body}`);
    return (answer.body === '' ? undefined : JSON.parse(answer.body)) as T;
  }

  #https(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `https://127.0.0.1:${this.#setup.operatorPort}${path}`,
        {
          method,
          ca: this.#ca ?? '',
          servername: 'localhost',
          headers: {
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
            ...(this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` }),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** SIGTERM: the panel drains in-flight requests and exits 0. */
  async stop(): Promise<void> {
    const exit = await this.proc.signal('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, `the panel did not stop cleanly\n${this.proc.tail()}`);
  }

  async kill(): Promise<void> {
    const exit = await this.proc.signal('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
  }
}

/** What one agent process said it made durable. */
interface Run {
  readonly count: number;
  /** n → record ID, for every append that resolved (the record is durable in the outbox). */
  readonly appended: Map<number, string>;
  produced: boolean;
  killed: boolean;
}

/** A device and its agent's state directory, across agent processes (runs). */
class DeviceUnderTest {
  readonly id: string;
  readonly dir: string;
  readonly runs = new Map<number, Run>();
  readonly #config: unknown;

  constructor(id: string, dir: string, devicePort: number, caFile: string) {
    this.id = id;
    this.dir = dir;
    this.#config = {
      deviceId: id,
      stateDir: join(dir, 'state'),
      panel: { urls: [`https://127.0.0.1:${devicePort}`], caFile, serverName: 'localhost' },
      enrollment: { tokenFile: join(dir, 'token') },
      rootOfTrust: { kind: 'software' },
      inventoryIntervalSeconds: 3600,
      logLevel: 'info',
    };
  }

  /** Every appended (durable) record ID of every run. */
  appendedIds(): Map<string, { run: number; n: number }> {
    const ids = new Map<string, { run: number; n: number }>();
    for (const [run, track] of this.runs) for (const [n, id] of track.appended) ids.set(id, { run, n });
    return ids;
  }

  startAgent(count: number, ratePerSecond: number): AgentProcess {
    const run = this.runs.size + 1;
    const track: Run = { count, appended: new Map(), produced: false, killed: false };
    this.runs.set(run, track);
    return new AgentProcess(this, run, track, ratePerSecond, this.#config);
  }
}

/** One agent process (fixtures/agent-producer.ts) of a device. */
class AgentProcess {
  readonly proc: Proc;
  readonly run: number;
  readonly track: Run;
  /** The last `pending <records> <in-flight>` line. */
  pending: [number, number] | undefined;
  /** The last `pending` line after production finished. */
  pendingAfterProduced: [number, number] | undefined;

  constructor(device: DeviceUnderTest, run: number, track: Run, ratePerSecond: number, config: unknown) {
    this.run = run;
    this.track = track;
    this.proc = new Proc(
      `agent ${device.id} run ${run}`,
      [PRODUCER, String(run), String(track.count), String(ratePerSecond)],
      { PALISADE_FAULT_AGENT_CONFIG: JSON.stringify(config) },
      (line) => this.#line(line),
    );
  }

  #line(line: string): void {
    const [word, a, b, c] = line.split(' ');
    if (word === 'appended' && a && Number(b) === this.run) this.track.appended.set(Number(c), a);
    else if (word === 'produced') this.track.produced = true;
    else if (word === 'pending') {
      this.pending = [Number(a), Number(b)];
      if (this.track.produced) this.pendingAfterProduced = this.pending;
    }
  }

  waitProduced(timeoutMs: number): Promise<true> {
    return until(
      `agent run ${this.run} to produce ${this.track.count} events`,
      () => {
        if (!this.proc.alive) throw new Error(`the agent exited\n${this.proc.tail()}`);
        return this.track.produced;
      },
      timeoutMs,
    );
  }

  /** Everything produced and acknowledged: the outbox is empty. */
  async waitDrained(timeoutMs: number): Promise<void> {
    await this.waitProduced(timeoutMs);
    await until(
      `agent run ${this.run} to have its outbox acknowledged`,
      () => {
        if (!this.proc.alive) throw new Error(`the agent exited\n${this.proc.tail()}`);
        const pending = this.pendingAfterProduced;
        return pending !== undefined && pending[0] === 0 && pending[1] === 0;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    const exit = await this.proc.signal('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, `the agent did not stop cleanly\n${this.proc.tail()}`);
  }

  async kill(): Promise<void> {
    this.track.killed = true;
    const exit = await this.proc.signal('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
  }
}

interface StoredEvent {
  readonly id: string;
  readonly run: number;
  readonly n: number;
}

/**
 * The stronger property than "no duplicate primary keys": no event is stored
 * twice under two IDs, every durable append is there with its own ID, and an
 * event nobody saw appended can only be one whose append was in flight when
 * its agent was killed.
 */
function exactlyOnceProblems(device: DeviceUnderTest, rows: readonly StoredEvent[]): string[] {
  const problems: string[] = [];
  const byId = new Map(rows.map((row) => [row.id, row]));
  if (byId.size !== rows.length) problems.push(`${rows.length - byId.size} duplicate record IDs`);
  const byEvent = new Map<string, string[]>();
  for (const row of rows) {
    const key = `${row.run}/${row.n}`;
    byEvent.set(key, [...(byEvent.get(key) ?? []), row.id]);
  }
  for (const [key, ids] of byEvent) {
    if (ids.length > 1) problems.push(`event ${key} stored ${ids.length} times: ${ids.join(', ')}`);
  }
  for (const [id, { run, n }] of device.appendedIds()) {
    const row = byId.get(id);
    if (!row) problems.push(`durable record ${id} (event ${run}/${n}) is not in the database`);
    else if (row.run !== run || row.n !== n)
      problems.push(`record ${id} holds event ${row.run}/${row.n}, not ${run}/${n}`);
  }
  for (const row of rows) {
    const track = device.runs.get(row.run);
    if (track?.appended.get(row.n) === row.id) continue;
    if (!track) problems.push(`record ${row.id} belongs to no run (${row.run}/${row.n})`);
    else if (track.appended.has(row.n)) problems.push(`record ${row.id} repeats event ${row.run}/${row.n}`);
    else if (!track.killed)
      problems.push(`record ${row.id} (${row.run}/${row.n}) was never appended by a run that was not killed`);
    else if (row.n >= track.count) problems.push(`record ${row.id} (${row.run}/${row.n}) was never produced`);
  }
  for (const [run, track] of device.runs) {
    if (!track.killed && track.appended.size !== track.count)
      problems.push(`run ${run} appended ${track.appended.size} of ${track.count} events`);
  }
  return problems;
}

describe('agent and panel faults, with real processes', () => {
  let root: string;
  let setup: PanelSetup;
  let database: TestDatabase | undefined;
  let panel: PanelProcess | undefined;

  const startPanel = async () => {
    if (panel?.proc.alive) return panel;
    panel = await PanelProcess.start(setup);
    return panel;
  };
  const livePanel = () => {
    assert.ok(panel?.proc.alive, 'the panel is not running');
    return panel;
  };

  /** The device's `test.event` rows, read from the database itself. */
  const storedEvents = async (deviceId: string): Promise<StoredEvent[]> => {
    const sql = `SELECT id AS record_id, fields AS body FROM security_events WHERE ingest_key = $1 AND type = 'test.event'`;
    type Row = { record_id: string; body: { run: number; n: number } };
    const toEvents = (rows: Row[]) => rows.map((r) => ({ id: r.record_id, run: r.body.run, n: r.body.n }));
    if (database) return toEvents((await database.db.query<Row>(sql, [deviceId])).rows);
    // PGlite has no inter-process lock: read only while no panel runs, under the panel's own lock.
    assert.equal(panel?.proc.alive ?? false, false, 'PGlite is read only while the panel is down');
    const lock = await acquireDataDirLock(setup.dataDir, 'agent-faults test read');
    try {
      const db = await openPgliteDb({ dataDir: join(setup.dataDir, 'pgdata') });
      try {
        return toEvents((await db.query<Row>(sql, [deviceId])).rows);
      } finally {
        await db.close();
      }
    } finally {
      await lock.release();
    }
  };

  /** Registers a device, hands its agent an enrollment token and a state directory. */
  const newDevice = async (id: string): Promise<DeviceUnderTest> => {
    const p = livePanel();
    await p.api('POST', '/v1/devices', { id });
    const { token } = await p.api<{ token: string }>('POST', `/v1/devices/${id}/enrollment-token`, {});
    const dir = join(root, id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'token'), token, { mode: 0o600 });
    return new DeviceUnderTest(id, dir, setup.devicePort, join(setup.dataDir, 'ca', 'root-ca.pem'));
  };
  const certificateCount = async (deviceId: string) =>
    (await livePanel().api<{ certificates: unknown[] }>('GET', `/v1/devices/${deviceId}`)).certificates
      .length;

  /** Checks the database against what the agent processes made durable. */
  const assertExactlyOnce = async (device: DeviceUnderTest) => {
    const rows = await storedEvents(device.id);
    const problems = exactlyOnceProblems(device, rows);
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems for ${device.id}`);
    return rows;
  };

  /** On failure: what the processes said, and no agent of the scenario left delivering into the next one. */
  const withDiagnostics = async (agents: () => AgentProcess[], fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      process.stderr.write(`\n${panel?.proc.tail() ?? ''}`);
      for (const agent of agents()) {
        process.stderr.write(agent.proc.tail());
        if (agent.proc.alive) await agent.proc.signal('SIGKILL');
      }
      throw error;
    }
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-faults-'));
    const env: Record<string, string> = {
      PALISADE_KEY_PASSPHRASE: PASSPHRASE,
      PALISADE_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    };
    if (process.env.DATABASE_URL) {
      database = await openTestDatabase();
      env.DATABASE_URL = database.url as string;
    }
    setup = {
      dataDir: join(root, 'panel'),
      operatorPort: await freePort(),
      devicePort: await freePort(),
      env,
    };
    await startPanel();
  });

  after(async () => {
    for (const proc of [...running]) {
      process.stderr.write(`killing ${proc.name}, left running\n`);
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    await database?.[Symbol.asyncDispose]();
    await rm(root, { recursive: true, force: true });
  });

  it(`loses and repeats nothing while the panel is stopped for ${OUTAGE_SECONDS} s`, {
    timeout: (OUTAGE_SECONDS + 150) * 1000,
  }, async () => {
    const agents: AgentProcess[] = [];
    await withDiagnostics(
      () => agents,
      async () => {
        await startPanel();
        const device = await newDevice('gw-outage');
        const rate = 200;
        const agent = device.startAgent(rate * (OUTAGE_SECONDS + 8), rate);
        agents.push(agent);
        // Delivering before the outage: enrolled, and batches reach the panel.
        await until(
          'batches before the outage',
          () => (livePanel().reportsCompleted.get(device.id) ?? 0) >= 3,
          60_000,
        );
        const before = agent.track.appended.size;
        await livePanel().stop();
        const stoppedAt = Date.now();
        await sleep(OUTAGE_SECONDS * 1000);
        const during = agent.track.appended.size - before;
        await startPanel();
        const restartedAt = Date.now();
        const backlog = agent.pending?.[0] ?? 0;
        // The backlog of the outage goes out in a few batches; production goes on meanwhile.
        await until('the backlog to be delivered', () => (agent.pending?.[0] ?? backlog) < 100, 120_000);
        const drainMs = Date.now() - restartedAt;
        await agent.waitDrained(120_000);
        await agent.stop();
        assert.ok(
          during >= rate * OUTAGE_SECONDS * 0.5,
          `the agent kept producing during the outage (${during} appends in ${Date.now() - stoppedAt} ms)`,
        );
        assert.equal(await certificateCount(device.id), 1);
        await livePanel().stop();
        const rows = await assertExactlyOnce(device);
        assert.equal(rows.length, agent.track.count);
        process.stderr.write(
          `outage: ${agent.track.count} events, ${during} produced during the ${OUTAGE_SECONDS} s outage, a backlog of ${backlog} delivered ${drainMs} ms after the panel was ready again\n`,
        );
      },
    );
  });

  it('loses and repeats nothing when the agent is killed with SIGKILL mid-batch', {
    timeout: 150_000,
  }, async () => {
    const agents: AgentProcess[] = [];
    await withDiagnostics(
      () => agents,
      async () => {
        await startPanel();
        const device = await newDevice('gw-agent-kill');
        const kills: string[] = [];
        for (let k = 0; k < 4; k += 1) {
          const agent = device.startAgent(100_000, 1_000);
          agents.push(agent);
          // Let it run a random while, then kill it the moment the panel logs one of its batches coming in.
          const appends = 50 + Math.floor(Math.random() * 1_000);
          await until(`${appends} appends`, () => agent.track.appended.size >= appends, 60_000);
          agent.track.killed = true;
          const p = livePanel();
          const reqId = await p.whenBatchComesIn(device.id, 'as-logged', () =>
            agent.proc.child.kill('SIGKILL'),
          );
          await agent.kill();
          // 200: the panel stored the batch and answered about when the agent died; no answer: the agent
          // died before the panel answered (the batch may still be stored). Either way it is redelivered
          // unless the agent recorded the acknowledgement, and must be stored once.
          const status = await until('the killed batch to end', () => p.answered.get(reqId), 5_000).catch(
            () => 'no answer',
          );
          kills.push(`run ${agent.run}: ${agent.track.appended.size} appended, batch answered ${status}`);
        }
        const last = device.startAgent(2_000, 1_000);
        agents.push(last);
        await last.waitDrained(120_000);
        await last.stop();
        // The same identity all along: no second enrollment.
        assert.equal(await certificateCount(device.id), 1);
        await livePanel().stop();
        const rows = await assertExactlyOnce(device);
        const durable = device.appendedIds().size;
        process.stderr.write(
          `agent SIGKILL: ${kills.join('; ')}; ${durable} durable events, ${rows.length} rows (${rows.length - durable} whose append was in flight at a kill)\n`,
        );
      },
    );
  });

  it('keeps every acknowledged event when the panel is killed with SIGKILL during ingest', {
    timeout: 180_000,
  }, async () => {
    const agents: AgentProcess[] = [];
    await withDiagnostics(
      () => agents,
      async () => {
        await startPanel();
        const device = await newDevice('gw-panel-kill');
        // Enroll, then build a backlog with the panel down.
        const enroll = device.startAgent(0, 0);
        agents.push(enroll);
        await until('enrollment', async () => (await certificateCount(device.id)) === 1, 60_000);
        await enroll.waitDrained(60_000);
        await enroll.stop();
        await livePanel().stop();
        const backlog = device.startAgent(20_000, 0);
        agents.push(backlog);
        await backlog.waitProduced(120_000);
        let agent = backlog;
        const crashes: string[] = [];
        for (let crash = 0; crash < 2; crash += 1) {
          const p = await startPanel();
          if (crash > 0) {
            agent = device.startAgent(0, 0);
            agents.push(agent);
          }
          const completedBefore = p.reportsCompleted.get(device.id) ?? 0;
          await until(
            'a few acknowledged batches',
            () => (p.reportsCompleted.get(device.id) ?? 0) >= completedBefore + 2,
            60_000,
          );
          const reqId = await p.whenBatchComesIn(device.id, 'still-unanswered', () =>
            p.proc.child.kill('SIGKILL'),
          );
          await p.kill();
          // Ingest commits before it answers: a batch unanswered at the kill may or may not be stored.
          assert.equal(p.answered.has(reqId), false, 'the batch was answered before the kill');
          await agent.stop();
          // What the agent no longer holds, it saw acknowledged: all of it must be in the database.
          const pending = new Set<string>();
          const outbox = await Outbox.open({
            dir: join(device.dir, 'state', 'outbox'),
            maxBytes: 64 * 1024 * 1024,
          });
          try {
            for (;;) {
              const batch = await outbox.nextBatch({ maxRecords: 1_000 });
              if (batch.length === 0) break;
              for (const record of batch) pending.add(record.id);
            }
          } finally {
            await outbox.close();
          }
          const stored = new Set((await storedEvents(device.id)).map((row) => row.id));
          const acknowledged = [...device.appendedIds().keys()].filter((id) => !pending.has(id));
          const lost = acknowledged.filter((id) => !stored.has(id));
          assert.deepEqual(
            lost.slice(0, 20),
            [],
            `${lost.length} acknowledged events are not in the database`,
          );
          assert.ok(acknowledged.length > 0, 'the crash came before any acknowledgement');
          crashes.push(
            `crash ${crash + 1}: ${acknowledged.length} acknowledged, ${stored.size} stored, ${pending.size} pending, ${stored.size - acknowledged.length} stored from the batch unanswered at the kill`,
          );
        }
        await startPanel();
        const last = device.startAgent(0, 0);
        agents.push(last);
        await last.waitDrained(120_000);
        await last.stop();
        assert.equal(await certificateCount(device.id), 1);
        await livePanel().stop();
        const rows = await assertExactlyOnce(device);
        assert.equal(rows.length, 20_000);
        process.stderr.write(`panel SIGKILL: ${crashes.join('; ')}\n`);
      },
    );
  });
});
