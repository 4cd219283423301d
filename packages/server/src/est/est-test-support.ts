/**
 * Shared set-up for the EST test files: a real panel, a scratch directory,
 * and the independent tools (openssl, curl) that talk to it. Not a test file
 * itself; the panel runs in the test process, so every tool runs
 * asynchronously (a synchronous child would block the server it talks to).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import { startTestPanel, type TestPanel } from '@palisade/testkit';

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an independent tool and returns its exit code and output, without throwing on failure. */
export function tool(command: string, args: readonly string[], input?: string | Buffer): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      [...args],
      { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** Like `tool`, but the command must succeed. */
export async function run(
  command: string,
  args: readonly string[],
  input?: string | Buffer,
): Promise<string> {
  const result = await tool(command, args, input);
  assert.equal(result.code, 0, `${command} ${args.join(' ')} failed:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface EstCall {
  readonly method?: 'GET' | 'POST' | 'PUT';
  /** A file whose bytes are the body (sent as is). */
  readonly bodyFile?: string;
  readonly contentType?: string;
  /** HTTP Basic `user:password`. */
  readonly basic?: string;
  readonly bearer?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly label?: string;
}

/** The scratch directory, the panel, and helpers around both. */
export class EstBench {
  readonly t: TestPanel;
  readonly dir: string;
  readonly rootCa: string;
  readonly issuingCa: string;
  #admin: string | undefined;
  #files = 0;

  private constructor(t: TestPanel, dir: string) {
    this.t = t;
    this.dir = dir;
    this.rootCa = t.panel.facts.rootCaPath;
    this.issuingCa = join(t.dataDir, 'ca', 'issuing-ca.pem');
  }

  static async start(...args: Parameters<typeof startTestPanel>): Promise<EstBench> {
    const t = await startTestPanel(...args);
    return new EstBench(t, await mkdtemp(join(tmpdir(), 'palisade-est-')));
  }

  async close(): Promise<void> {
    await this.t[Symbol.asyncDispose]();
    await rm(this.dir, { recursive: true, force: true });
  }

  get devicePort(): number {
    return (this.t.panel.deviceApp.server.address() as AddressInfo).port;
  }

  url(operation: string, label?: string): string {
    return `https://127.0.0.1:${this.devicePort}/.well-known/est/${label ? `${label}/` : ''}${operation}`;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** A fresh file name in the scratch directory. */
  file(stem: string): string {
    this.#files += 1;
    return this.path(`${this.#files}-${stem}`);
  }

  /** Writes a fresh file and returns its path. */
  async write(stem: string, content: string | Uint8Array): Promise<string> {
    const path = this.file(stem);
    await writeFile(path, content, { mode: 0o600 });
    return path;
  }

  /** An operator API call as the bootstrap admin; `expect` asserts the status. */
  async api(method: string, url: string, body?: unknown, expect?: number) {
    this.#admin ??= await this.t.adminToken();
    const response = await this.t.inject(method, url, { token: this.#admin, body });
    if (expect !== undefined) assert.equal(response.statusCode, expect, `${method} ${url}: ${response.body}`);
    return response;
  }

  async group(name: string, profile: Record<string, unknown>): Promise<void> {
    await this.api('PUT', `/v1/groups/${name}`, profile, 200);
  }

  async register(id: string, group?: string): Promise<void> {
    await this.api('POST', '/v1/devices', group ? { id, group } : { id }, 201);
  }

  /** Registers a device and returns a fresh enrollment token for it. */
  async device(id: string, group?: string): Promise<string> {
    await this.register(id, group);
    return this.token(id);
  }

  async token(id: string, ttlSeconds?: number): Promise<string> {
    const response = await this.api(
      'POST',
      `/v1/devices/${id}/enrollment-token`,
      ttlSeconds ? { ttlSeconds } : {},
      201,
    );
    return (response.json() as { token: string }).token;
  }

  /** A private key made by openssl: `ec` (P-256), `rsa:<bits>`, or `ed25519`. */
  async key(stem: string, kind = 'ec'): Promise<string> {
    const path = this.file(`${stem}.key`);
    const args =
      kind === 'ec'
        ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
        : kind === 'ed25519'
          ? ['-algorithm', 'ED25519']
          : ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${kind.split(':')[1] ?? '2048'}`];
    await run('openssl', ['genpkey', ...args, '-out', path]);
    return path;
  }

  /** A CSR made by `openssl req`, written as base64 (wrapped at 64 columns unless `oneLine`). */
  async csr(
    key: string,
    subject: string,
    options: { oneLine?: boolean; extra?: readonly string[] } = {},
  ): Promise<{ der: string; base64: string }> {
    const der = this.file('req.der');
    await run('openssl', [
      'req',
      '-new',
      '-key',
      key,
      '-subj',
      subject,
      '-outform',
      'DER',
      '-out',
      der,
      ...(options.extra ?? []),
    ]);
    const base64 = this.file('req.b64');
    await run('openssl', ['base64', ...(options.oneLine ? ['-A'] : []), '-in', der, '-out', base64]);
    return { der, base64 };
  }

  /** One EST request made by curl. */
  async curl(operation: string, call: EstCall = {}): Promise<HttpAnswer> {
    const headerFile = this.file('headers');
    const bodyFile = this.file('body');
    const args = ['-sS', '--cacert', this.rootCa, '-D', headerFile, '-o', bodyFile, '-w', '%{http_code}'];
    if (call.method) args.push('-X', call.method);
    if (call.bodyFile) {
      args.push('--data-binary', `@${call.bodyFile}`);
      args.push('-H', `Content-Type: ${call.contentType ?? 'application/pkcs10'}`);
    }
    if (call.basic) args.push('-u', call.basic);
    if (call.bearer) args.push('-H', `Authorization: Bearer ${call.bearer}`);
    if (call.cert) args.push('--cert', call.cert);
    if (call.key) args.push('--key', call.key);
    args.push(this.url(operation, call.label));
    const status = Number(await run('curl', args));
    return readAnswer(status, headerFile, bodyFile);
  }

  /** curl to any device-listener path with a client certificate. */
  async curlPath(path: string, cert?: { cert: string; key: string }): Promise<HttpAnswer> {
    const headerFile = this.file('headers');
    const bodyFile = this.file('body');
    const args = ['-sS', '--cacert', this.rootCa, '-D', headerFile, '-o', bodyFile, '-w', '%{http_code}'];
    if (cert) args.push('--cert', cert.cert, '--key', cert.key);
    args.push(`https://127.0.0.1:${this.devicePort}${path}`);
    return readAnswer(Number(await run('curl', args)), headerFile, bodyFile);
  }

  /** The device certificate in a certs-only answer, as PEM in a file. */
  async certificateFrom(answer: HttpAnswer, stem: string): Promise<string> {
    assert.equal(answer.status, 200, answer.body);
    const p7 = this.file(`${stem}.p7.b64`);
    await writeFile(p7, answer.body);
    const pem = this.file(`${stem}.pem`);
    const derFile = this.file(`${stem}.p7.der`);
    await run('openssl', ['base64', '-d', '-A', '-in', p7, '-out', derFile]);
    await run('openssl', ['pkcs7', '-inform', 'DER', '-in', derFile, '-print_certs', '-out', pem]);
    return pem;
  }

  /** Registers a device and enrolls it with an openssl key, CSR and token. */
  async enrolled(id: string, group?: string): Promise<{ cert: string; key: string; serial: string }> {
    const token = await this.device(id, group);
    const key = await this.key(id);
    const csr = await this.csr(key, `/CN=${id}`);
    const answer = await this.curl('simpleenroll', { bodyFile: csr.base64, basic: `${id}:${token}` });
    const cert = await this.certificateFrom(answer, id);
    return { cert, key, serial: await serialOf(cert) };
  }

  async certificateCount(): Promise<number> {
    const result = await this.t.panel.services.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM device_certificates',
    );
    return result.rows[0]?.n ?? -1;
  }

  /** Highest audit sequence number so far, to find what a request added. */
  async auditHead(): Promise<number> {
    const result = await this.t.panel.services.db.query<{ seq: number | null }>(
      'SELECT max(seq)::int AS seq FROM audit_log',
    );
    return result.rows[0]?.seq ?? 0;
  }

  /** Audit entries after `since` whose details carry `code`. */
  async auditedCodes(since: number): Promise<string[]> {
    const result = await this.t.panel.services.db.query<{ code: string | null }>(
      "SELECT details->>'code' AS code FROM audit_log WHERE seq > $1 ORDER BY seq",
      [since],
    );
    return result.rows.flatMap((r) => (r.code ? [r.code] : []));
  }

  /** The security-event log line the device listener wrote for a rejected request. */
  securityEvent(requestId: string | undefined): Record<string, unknown> | undefined {
    return this.t.logs
      .records()
      .find((r) => r.securityEvent === true && r.reqId === requestId && typeof r.code === 'string');
  }

  /** A TLS connection to the device listener, open and verified against the panel's root. */
  async connect(options: ConnectionOptions = {}): Promise<TLSSocket> {
    const ca = await readFile(this.rootCa, 'utf8');
    return new Promise((resolve, reject) => {
      const socket = connect(
        { host: '127.0.0.1', servername: 'localhost', port: this.devicePort, ca, ...options },
        () => {
          socket.off('error', reject);
          resolve(socket);
        },
      );
      socket.once('error', reject);
    });
  }

  /** The plain-HTTP listener (CRL, OCSP, CA certificates), as the panel reports it at start. */
  get httpPort(): number {
    const url = this.t.panel.facts.httpUrl;
    assert.ok(url, 'the plain-HTTP listener is off');
    return Number(new URL(url).port);
  }
}

async function readAnswer(status: number, headerFile: string, bodyFile: string): Promise<HttpAnswer> {
  const rawHeaders = await readFile(headerFile, 'utf8');
  const headers: Record<string, string> = {};
  // The last header block is the final answer (curl writes one per response, e.g. after a 100).
  const block =
    rawHeaders
      .trim()
      .split(/\r?\n\r?\n/)
      .at(-1) ?? '';
  for (const line of block.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = await readFile(bodyFile, 'utf8').catch(() => '');
  return { status, headers, body };
}

export async function serialOf(certPem: string): Promise<string> {
  const out = await run('openssl', ['x509', '-in', certPem, '-noout', '-serial']);
  return (out.trim().split('=')[1] ?? '').toLowerCase().replace(/^0+(?=.)/, '');
}

/** The problem document of an EST refusal. */
export function problem(answer: HttpAnswer): { code: string; status: number } {
  assert.match(answer.headers['content-type'] ?? '', /^application\/problem\+json/, answer.body);
  return JSON.parse(answer.body) as { code: string; status: number };
}

/**
 * One HTTP/1.1 exchange over an open (TLS) socket, so that a test controls
 * which connection a request travels on. Reads until Content-Length is satisfied.
 */
export function exchange(
  socket: Duplex,
  request: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<HttpAnswer> {
  const body = request.body ?? '';
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    'Host: localhost',
    ...Object.entries(request.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    ...(request.body === undefined ? [] : [`Content-Length: ${Buffer.byteLength(body)}`]),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (received.length < end + 4 + length) return;
      cleanup();
      resolve({
        status: Number(lines[0]?.split(' ')[1]),
        headers,
        body: received.subarray(end + 4, end + 4 + length).toString('utf8'),
      });
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('connection closed before a complete answer'));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
    };
    socket.on('data', onData);
    socket.on('close', onEnd);
    socket.on('error', onEnd);
    socket.write(head + body);
  });
}
