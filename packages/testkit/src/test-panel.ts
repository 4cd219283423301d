import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { defaultPanelConfig, type PanelConfig, type RunningPanel, startPanel } from '@palisade/server';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { openTestDatabase, type TestDatabase } from './test-database.ts';

export const TEST_ADMIN_PASSWORD = 'Tr0ub4dor&3-horse-battery';
/** PALISADE_KEY_PASSPHRASE of every test panel (the file key store). */
export const TEST_KEY_PASSPHRASE = 'test-passphrase-0123456789';

/** Captures the panel's structured log lines so tests can assert on them. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    );
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface TestPanel extends AsyncDisposable {
  readonly panel: RunningPanel;
  readonly app: FastifyInstance;
  readonly logs: LogCapture;
  readonly announced: string;
  readonly dataDir: string;
  /** Logs in with mode "token" and returns the bearer session token. */
  login(username: string, password: string): Promise<string>;
  /** A bearer token of the bootstrap admin. */
  adminToken(): Promise<string>;
  /** Creates an operator with a known password (no forced change) and returns a bearer session token. */
  operatorToken(username: string, role: 'viewer' | 'auditor' | 'operator' | 'admin'): Promise<string>;
  inject(
    method: string,
    url: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
}

/**
 * A real panel on a fresh database and a temporary data directory, listening
 * on 127.0.0.1 with OS-chosen ports. The first admin's password is fixed
 * through PALISADE_BOOTSTRAP_ADMIN_PASSWORD, as automation would do.
 */
export async function startTestPanel(
  overrides: Partial<PanelConfig> = {},
  options: {
    bootstrapAdminPassword?: string | null;
    now?: () => Date;
    /**
     * A panel that outlives this start, as after a restart: it opens the
     * database itself (PGlite in `dataDir`, or `databaseUrl`), and disposing
     * it stops the panel but leaves the data directory and database to the caller.
     */
    persist?: { readonly dataDir: string; readonly databaseUrl?: string | undefined };
    /**
     * Another replica on a database the caller opened (and disposes): on
     * PostgreSQL this panel opens its own connections to it; PGlite, having
     * one connection, is shared as is.
     */
    replicaOf?: TestDatabase;
  } = {},
): Promise<TestPanel> {
  const persist =
    options.persist ??
    (options.replicaOf
      ? { dataDir: await mkdtemp(join(tmpdir(), 'palisade-replica-')), databaseUrl: options.replicaOf.url }
      : undefined);
  const dataDir = persist?.dataDir ?? (await mkdtemp(join(tmpdir(), 'palisade-panel-')));
  const shared = options.replicaOf && !options.replicaOf.url ? options.replicaOf : undefined;
  const database = shared ?? (persist ? undefined : await openTestDatabase());
  const logs = new LogCapture();
  let announced = '';
  const bootstrap =
    options.bootstrapAdminPassword === null
      ? undefined
      : (options.bootstrapAdminPassword ?? TEST_ADMIN_PASSWORD);
  const panel = await startPanel({
    config: defaultPanelConfig({
      dataDir,
      operatorPort: 0,
      devicePort: 0,
      httpPort: 0,
      bind: '127.0.0.1',
      logLevel: 'info',
      ...(persist?.databaseUrl ? { databaseUrl: persist.databaseUrl } : {}),
      ...overrides,
    }),
    secrets: { keyPassphrase: TEST_KEY_PASSPHRASE, bootstrapAdminPassword: bootstrap },
    ...(database ? { db: database.db } : {}),
    logDestination: logs,
    announce: (text) => {
      announced += text;
    },
    ...(options.now ? { now: options.now } : {}),
  });
  const app = panel.operatorApp;
  const inject: TestPanel['inject'] = (method, url, opts = {}) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
      ...(opts.body === undefined ? {} : { payload: opts.body as object }),
    });
  const login = async (username: string, password: string) => {
    const response = await inject('POST', '/v1/auth/login', { body: { username, password, mode: 'token' } });
    if (response.statusCode !== 200)
      throw new Error(`login ${username} failed: ${response.statusCode} ${response.body}`);
    return (response.json() as { token: string }).token;
  };
  let admin: string | undefined;
  const adminToken = async () => {
    admin ??= await login('admin', TEST_ADMIN_PASSWORD);
    return admin;
  };
  return {
    panel,
    app,
    logs,
    dataDir,
    get announced() {
      return announced;
    },
    login,
    adminToken,
    async operatorToken(username, role) {
      const password = `${role}-Passw0rd-for-tests`;
      const created = await inject('POST', '/v1/operators', {
        token: await adminToken(),
        body: { username, role, password },
      });
      if (created.statusCode !== 201)
        throw new Error(`create ${username} failed: ${created.statusCode} ${created.body}`);
      return login(username, password);
    },
    inject,
    async [Symbol.asyncDispose]() {
      await panel.close();
      if (options.replicaOf) await rm(dataDir, { recursive: true, force: true });
      if (persist) return;
      await database?.[Symbol.asyncDispose]();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
