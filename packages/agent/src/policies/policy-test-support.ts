/**
 * Test support for the policy client: a panel's policy signing keys, signed
 * envelopes, and a fake panel over real mutual TLS that serves exactly the
 * device API contract of issue 7 (desired-state with `policies`, the
 * envelope per kind, the trust keys, and the status acknowledgements).
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalJson,
  type PolicyKind,
  type PolicySigner,
  policyKeyId,
  policySignerFromKey,
  type SignedPolicy,
  signPolicyPayload,
} from '@palisade/core';
import pino, { type Logger } from 'pino';
import { PanelClient } from '../channel/panel-client.ts';
import type { ClientIdentity, PanelEndpoint } from '../channel/panel-tls.ts';
import { buildCsr } from '../identity/csr.ts';
import type { RootOfTrust } from '../roots/index.ts';
import { openSoftwareRoot } from '../roots/software-root.ts';
import { issueClientCertificate, type TestPki } from '../roots/tpm-test-support.ts';
import { type PolicyPanel, panelLink } from './panel-link.ts';
import type { PolicyStatus } from './policy-status-queue.ts';

/** A panel's signing keys: P-256 and ML-DSA-65 (hybrid), as the panel's file key store has them. */
export class PolicyKeys {
  readonly ecdsa: { privateKey: KeyObject; publicKey: KeyObject };
  readonly mlDsa: { privateKey: KeyObject; publicKey: KeyObject };

  constructor() {
    this.ecdsa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.mlDsa = generateKeyPairSync('ml-dsa-65');
  }

  get signers(): PolicySigner[] {
    return [policySignerFromKey(this.ecdsa.privateKey), policySignerFromKey(this.mlDsa.privateKey)];
  }

  /** `GET /v1/devices/:id/policy-trust` of a panel with these keys. */
  trustDocument(requireAlgorithms?: readonly string[]): Record<string, unknown> {
    const entry = (publicKey: KeyObject, algorithm: string) => ({
      keyId: policyKeyId(publicKey),
      algorithm,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    return {
      keys: [entry(this.ecdsa.publicKey, 'ecdsa-p256-sha256'), entry(this.mlDsa.publicKey, 'ml-dsa-65')],
      ...(requireAlgorithms ? { requireAlgorithms } : {}),
    };
  }

  /** Signs a payload as the panel does (parsed first, so it must be valid). */
  envelope(payload: unknown): Promise<SignedPolicy> {
    return signPolicyPayload(payload, this.signers);
  }

  /** Signs any JSON as a payload, without the parser: for signed envelopes the schema must still refuse. */
  signRaw(payload: unknown): SignedPolicy {
    const bytes = Buffer.from(canonicalJson(payload), 'utf8');
    return {
      payload: payload as SignedPolicy['payload'],
      signatures: [
        {
          keyId: policyKeyId(this.ecdsa.publicKey),
          algorithm: 'ecdsa-p256-sha256',
          signature: sign('sha256', bytes, {
            key: this.ecdsa.privateKey,
            dsaEncoding: 'ieee-p1363',
          }).toString('base64'),
        },
      ],
    };
  }
}

/** A payload of `kind` (input form: the panel's parser normalizes it when signing). */
export function payloadOf(
  kind: PolicyKind,
  document: unknown,
  policyId: string,
  version: number,
): Record<string, unknown> {
  return {
    kind,
    policyId,
    name: `${kind} test policy`,
    version,
    publishedAt: '2026-03-01T12:00:00.000Z',
    document,
  };
}

/** desired-state's entry for an envelope: the digest is SHA-256 of the payload's canonical JSON. */
export function desiredOf(envelope: SignedPolicy): { policyId: string; version: number; digest: string } {
  return {
    policyId: envelope.payload.policyId,
    version: envelope.payload.version,
    digest: createHash('sha256').update(canonicalJson(envelope.payload)).digest('hex'),
  };
}

export function newPolicyId(): string {
  return randomUUID();
}

export interface ReceivedStatus {
  readonly kind: string;
  readonly body: PolicyStatus;
}

/** A fake panel serving the policy part of the device API over mutual TLS. */
export class FakePolicyPanel {
  readonly deviceId = 'gw-0042';
  readonly statuses: ReceivedStatus[] = [];
  readonly requests: string[] = [];
  /** What desired-state answers as `policies`. */
  policies: Record<string, unknown> = {};
  /** The envelope served per kind (any JSON: tests serve tampered ones). */
  readonly envelopes = new Map<string, unknown>();
  trust: unknown;
  /** Answer this many status reports with 503 before taking them. */
  failStatuses = 0;
  readonly #server: Server;
  readonly #pki: TestPki;
  readonly #root: RootOfTrust;
  readonly #dir: string;
  readonly #identity: ClientIdentity;
  readonly port: number;

  private constructor(
    server: Server,
    pki: TestPki,
    root: RootOfTrust,
    dir: string,
    identity: ClientIdentity,
    port: number,
  ) {
    this.#server = server;
    this.#pki = pki;
    this.#root = root;
    this.#dir = dir;
    this.#identity = identity;
    this.port = port;
  }

  static async start(options: { ecdhCurve?: string } = {}): Promise<FakePolicyPanel> {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-policy-panel-'));
    const root = await openSoftwareRoot({ keyDir: join(dir, 'keys') });
    const key = await root.createKey('device');
    const pki = await issueClientCertificate(await buildCsr(key, { commonName: 'gw-0042' }));
    const identity: ClientIdentity = { certificatePem: pki.clientCertificatePem, key: key.tlsClientKey() };
    let handle: ((request: IncomingMessage, response: ServerResponse, body: Buffer) => void) | undefined;
    const server = createServer(
      {
        key: pki.serverKeyPem,
        cert: pki.serverCertificatePem,
        ca: [pki.caPem],
        requestCert: true,
        rejectUnauthorized: true,
        ...(options.ecdhCurve ? { ecdhCurve: options.ecdhCurve } : {}),
      },
      (request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => handle?.(request, response, Buffer.concat(chunks)));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    const panel = new FakePolicyPanel(server, pki, root, dir, identity, address.port);
    handle = (request, response, body) => panel.#handle(request, response, body);
    return panel;
  }

  get endpoint(): PanelEndpoint {
    return {
      url: new URL(`https://127.0.0.1:${this.port}`),
      caPem: this.#pki.caPem,
      serverName: 'localhost',
    };
  }

  /** The session link an agent would attach, over `endpoints` (default: this panel, the agent's TLS defaults). */
  link(endpoints: readonly PanelEndpoint[] = [this.endpoint]): { panel: PolicyPanel; client: PanelClient } {
    const client = new PanelClient(endpoints, this.#identity);
    return { panel: panelLink(client, endpoints, () => this.#identity, this.deviceId), client };
  }

  /** Serves `envelope` for its kind and names it in desired-state. */
  publish(envelope: SignedPolicy): void {
    this.envelopes.set(envelope.payload.kind, envelope);
    this.policies[envelope.payload.kind] = desiredOf(envelope);
  }

  statesOf(kind: string): string[] {
    return this.statuses.filter((s) => s.kind === kind).map((s) => s.body.state);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    await this.#root.close();
    await this.#pki.dispose();
    await rm(this.#dir, { recursive: true, force: true });
  }

  #handle(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    const url = request.url ?? '';
    this.requests.push(`${request.method} ${url}`);
    const [status, value] = this.#route(request.method ?? '', url, body);
    const text = value === undefined ? '' : JSON.stringify(value);
    response.writeHead(status, {
      ...(value === undefined
        ? {}
        : { 'content-type': status < 300 ? 'application/json' : 'application/problem+json' }),
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  }

  #route(method: string, url: string, body: Buffer): [number, unknown?] {
    const prefix = `/v1/devices/${this.deviceId}/`;
    if (!url.startsWith(prefix)) return [403, { code: 'DEVICE_FORBIDDEN' }];
    const rest = url.slice(prefix.length);
    if (method === 'GET' && rest === 'desired-state')
      return [200, { version: 'v1', heartbeatSeconds: 60, policies: this.policies }];
    if (method === 'GET' && rest === 'policy-trust') return [200, this.trust];
    const envelope = /^policies\/([a-z]+)$/.exec(rest);
    if (method === 'GET' && envelope) {
      const found = this.envelopes.get(envelope[1] ?? '');
      return found === undefined ? [404, { code: 'POLICY_NOT_FOUND' }] : [200, found];
    }
    const status = /^policies\/([a-z]+)\/status$/.exec(rest);
    if (method === 'POST' && status) {
      if (this.failStatuses > 0) {
        this.failStatuses -= 1;
        return [503, { code: 'UNAVAILABLE' }];
      }
      this.statuses.push({ kind: status[1] ?? '', body: JSON.parse(body.toString('utf8')) as PolicyStatus });
      return [204];
    }
    return [404, { code: 'ROUTE_NOT_FOUND' }];
  }
}

/** A logger whose lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** Resolves once `condition` holds, or fails naming `what`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
