/**
 * Test-only helpers for the syslog transport tests: a tiny RFC 5424
 * formatter and parser (independent of the real formatters in core), and a
 * throwaway PKI made with the openssl command line.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Rsyslog } from '@palisade/testkit';
import { skipUnlessCommand } from '@palisade/testkit';

const run = promisify(execFile);

/** Skip reason for tests that need rsyslogd and openssl (none in strict mode). */
export const NEEDS_RSYSLOG =
  skipUnlessCommand('rsyslogd', ['-v']) || skipUnlessCommand('openssl', ['version']);

export interface TestEvent {
  readonly id: string;
  readonly kind: string;
  readonly device: string;
  readonly detail: string;
}

/** Events with non-ASCII text, and every `bigEvery`-th one padded to about `bigSize` bytes. */
export function makeEvents(
  count: number,
  prefix: string,
  big?: { every: number; size: number },
): TestEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    kind: 'attestation.failed',
    device: `plc-${i % 17}`,
    detail:
      big !== undefined && i % big.every === 0
        ? `Zähler ✓ ${'x'.repeat(big.size)}`
        : `PCR 7 mismatch — Zähler ✓ "quoted" \\ back-slash #${i}`,
  }));
}

// RFC 5424 §6: PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG],
// MSG = BOM UTF-8 (§6.4). Facility 13 (log audit) × 8 + severity 4 (warning) = 108.
export function formatEvent(event: TestEvent): string {
  return `<108>1 2025-01-02T03:04:05.678Z panel.example palisade - ${event.kind} - \uFEFF${JSON.stringify(event)}`;
}

const RFC5424 = /^<108>1 \S+ panel\.example palisade - (\S+) - \uFEFF(.*)$/s;

/** Parses a received line back into the event it carried. */
export function parseEvent(line: string): TestEvent {
  const match = RFC5424.exec(line);
  if (match?.[2] === undefined) throw new Error(`not one of our RFC 5424 lines: ${line.slice(0, 80)}`);
  return JSON.parse(match[2]) as TestEvent;
}

/** Waits until the file holds at least `count` messages, then returns them all. */
export async function waitForMessages(
  rsyslog: Rsyslog,
  count: number,
  timeoutMs = 20_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = await rsyslog.readMessages();
    if (lines.length >= count || Date.now() > deadline) return lines;
    await sleep(25);
  }
}

/** Waits until `line` has arrived, then returns every message. */
export async function waitForLine(rsyslog: Rsyslog, line: string, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = await rsyslog.readMessages();
    if (lines.includes(line) || Date.now() > deadline) return lines;
    await sleep(25);
  }
}

/** Waits until the file reaches `bytes` (cheaper than reading it, for the throughput check). */
export async function waitForFileSize(file: string, bytes: number, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const size = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    if (size >= bytes) return true;
    await sleep(10);
  }
  return false;
}

export interface TestPki {
  readonly caPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  /** A server certificate for `localhost` from an unrelated CA. */
  readonly otherCaServerCertPem: string;
  readonly otherCaServerKeyPem: string;
}

/** EC P-256 certificates from openssl: CA, `localhost` server, client; and a second CA's server. */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-siem-pki-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  // Arguments as words (our own file names have no spaces); subjects are passed whole.
  const words = (text: string) => text.split(' ');
  const newKey = words('-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes');
  const newCa = (name: string) =>
    openssl(
      ...words(`req -x509 -days 2 -keyout ${name}.key -out ${name}.pem`),
      ...newKey,
      ...words('-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign'),
      ...['-subj', `/CN=Palisade SIEM test ${name}`],
    );
  const issue = async (ca: string, name: string, subject: string, extensions: string) => {
    await writeFile(path(`${name}.ext`), extensions);
    await openssl(...words(`req -keyout ${name}.key -out ${name}.csr`), ...newKey, '-subj', subject);
    await openssl(
      ...words(`x509 -req -in ${name}.csr -CA ${ca}.pem -CAkey ${ca}.key -CAcreateserial -days 2`),
      ...words(`-out ${name}.pem -extfile ${name}.ext`),
    );
  };
  try {
    await newCa('ca');
    await newCa('other-ca');
    const server =
      'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n';
    await issue('ca', 'server', '/CN=localhost', server);
    await issue('other-ca', 'other-server', '/CN=localhost', server);
    await issue(
      'ca',
      'client',
      '/CN=palisade-panel',
      'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n',
    );
    const read = (name: string) => readFile(path(name), 'utf8');
    return {
      caPem: await read('ca.pem'),
      serverCertPem: await read('server.pem'),
      serverKeyPem: await read('server.key'),
      clientCertPem: await read('client.pem'),
      clientKeyPem: await read('client.key'),
      otherCaServerCertPem: await read('other-server.pem'),
      otherCaServerKeyPem: await read('other-server.key'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
