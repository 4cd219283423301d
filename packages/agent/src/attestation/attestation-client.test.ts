import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { makeCredential, parseTpm2bPublic, tpmName, verifyQuote } from '@palisade/core';
import { type Swtpm, skipUnlessCommand, startSwtpm } from '@palisade/testkit';
import pino from 'pino';
import { AgentError } from '../agent-error.ts';
import type { JsonValue } from '../outbox/index.ts';
import { TpmTools } from '../roots/tpm-tools.ts';
import { AttestationClient } from './attestation-client.ts';
import { TpmAttestor } from './tpm-attestor.ts';

const SKIP = skipUnlessCommand('swtpm', ['--version']) || skipUnlessCommand('tpm2_quote', ['--version']);
const SELECTION = [0, 1, 2, 3, 4, 5, 6, 7];

type Body = Record<string, string>;

/**
 * The panel's side of the protocol, reduced to its checks (core's
 * makeCredential and verifyQuote), with scripted verdicts and failures.
 */
class FakePanel {
  ek: Uint8Array | undefined;
  ak: Uint8Array | undefined;
  pending: { keyId: string; secret: Buffer } | undefined;
  boundKeyId: string | undefined;
  bindings = 0;
  readonly nonces = new Set<string>();
  readonly evidence: Body[] = [];
  /** Verdict codes to answer instead of checking, in order. */
  readonly script: string[] = [];
  /** Errors to throw on the next requests, in order. */
  readonly failures: Error[] = [];
  intervalSeconds = 3600;

  async json<T>(_method: string, path: string, body?: unknown): Promise<T> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    const request = (body ?? {}) as Body;
    if (path.endsWith('/attestation/ak')) return this.#bind(request) as T;
    if (path.endsWith('/activate')) return this.#activate(path, request) as T;
    if (path.endsWith('/challenge')) {
      const nonce = randomBytes(32).toString('base64');
      this.nonces.add(nonce);
      return {
        nonce,
        tpm2Selection: `sha256:${SELECTION.join(',')}`,
        intervalSeconds: this.intervalSeconds,
      } as T;
    }
    if (path.endsWith('/evidence')) return { verdict: this.#verdict(request) } as T;
    throw new Error(`unexpected ${path}`);
  }

  #bind(request: Body) {
    this.bindings += 1;
    this.ek = Buffer.from(request.ekPublic ?? '', 'base64');
    const ak = Buffer.from(request.akPublic ?? '', 'base64');
    if (this.boundKeyId && this.ak && ak.equals(this.ak)) return { keyId: this.boundKeyId, status: 'active' };
    this.ak = ak;
    const secret = randomBytes(32);
    this.pending = { keyId: randomUUID(), secret };
    const credential = makeCredential({ ekPublic: this.ek, akName: tpmName(parseTpm2bPublic(ak)), secret });
    return {
      keyId: this.pending.keyId,
      status: 'pending',
      credential: Buffer.from(credential.tpm2ToolsFile).toString('base64'),
    };
  }

  #activate(path: string, request: Body) {
    const pending = this.pending;
    if (!pending || !path.includes(pending.keyId) || request.secret !== pending.secret.toString('base64'))
      throw new AgentError('PANEL_REFUSED', 'wrong secret', { details: { status: 403 } });
    this.boundKeyId = pending.keyId;
    this.pending = undefined;
    return { keyId: pending.keyId, status: 'active', ekChanged: false };
  }

  #verdict(body: Body) {
    this.evidence.push(body);
    const scripted = this.script.shift();
    if (scripted === 'AK_NOT_BOUND') this.boundKeyId = undefined;
    const fail = (code: string, message: string) => ({
      id: randomUUID(),
      result: 'fail',
      code,
      message,
      pcr: null,
      notRun: [],
    });
    if (scripted) return fail(scripted, `scripted ${scripted}`);
    if (!this.boundKeyId || !this.ak) return fail('AK_NOT_BOUND', 'no AK');
    const nonce = body.nonce ?? '';
    if (!this.nonces.delete(nonce)) return fail('NONCE_UNKNOWN', 'unknown nonce');
    verifyQuote({
      akPublic: this.ak,
      message: Buffer.from(body.message ?? '', 'base64'),
      signature: Buffer.from(body.signature ?? '', 'base64'),
      nonce: Buffer.from(nonce, 'base64'),
      pcrValues: Buffer.from(body.pcrValues ?? '', 'base64'),
      expectedSelection: { sha256: SELECTION },
    });
    return {
      id: randomUUID(),
      result: 'pass',
      code: null,
      message: 'attestation passed',
      pcr: null,
      notRun: ['reference'],
    };
  }
}

describe('AttestationClient (swtpm behind a fake panel)', { skip: SKIP }, () => {
  let tpm: Swtpm;
  let tools: TpmTools;
  let panel: FakePanel;
  let reports: Array<{ kind: string; severity: number; body: JsonValue }>;
  let eventLog: Uint8Array | undefined;

  const start = () => {
    const controller = new AbortController();
    const client = new AttestationClient({
      deviceId: 'gw-1',
      client: panel,
      attestor: new TpmAttestor(tools),
      ekCertificate: async () => undefined,
      eventLog: async () => eventLog,
      firmwareVersion: async () => 'fw-1.2',
      report: async (kind, severity, body) => {
        reports.push({ kind, severity, body });
      },
      logger: pino({ level: 'silent' }),
      backoff: { baseMs: 10, capMs: 50 },
      random: () => 0.5,
    });
    const done = client.run(controller.signal);
    return { client, done, stop: () => controller.abort() };
  };

  const until = async (what: string, check: () => boolean) => {
    const started = Date.now();
    while (!check()) {
      if (Date.now() - started > 20_000) assert.fail(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  before(async () => {
    tpm = await startSwtpm();
    tools = new TpmTools(tpm.tcti, 30_000);
  });

  after(async () => {
    await tpm?.[Symbol.asyncDispose]();
  });

  beforeEach(() => {
    panel = new FakePanel();
    reports = [];
    eventLog = undefined;
  });

  it('binds its AK by credential activation, attests, and reports the verdict through the outbox', async () => {
    eventLog = Uint8Array.of(1, 2, 3);
    const run = start();
    await until('a verdict', () => reports.length > 0);
    run.stop();
    await run.done;
    assert.equal(panel.bindings, 1);
    assert.ok(panel.boundKeyId);
    assert.equal(panel.evidence[0]?.eventLog, 'AQID');
    assert.equal(panel.evidence[0]?.firmwareVersion, 'fw-1.2');
    const verdictId = (reports[0]?.body as { verdictId?: string } | undefined)?.verdictId;
    assert.match(verdictId ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(reports[0], {
      kind: 'attestation.verdict',
      severity: 2,
      body: {
        message: 'attestation passed',
        result: 'pass',
        verdictId,
        notRun: 'reference',
        eventLogSent: true,
      },
    });
  });

  it('sends no eventLog field when the device has no log', async () => {
    const run = start();
    await until('a verdict', () => reports.length > 0);
    run.stop();
    await run.done;
    assert.equal('eventLog' in (panel.evidence[0] ?? {}), false);
  });

  it('attests again at once when the panel pushes "attest", not after the interval', async () => {
    const run = start();
    await until('a first verdict', () => reports.length === 1);
    run.client.attestNow();
    await until('a second verdict', () => reports.length === 2);
    run.stop();
    await run.done;
    assert.equal(panel.bindings, 1, 'the AK stays bound');
  });

  it('binds again when the panel no longer knows its AK (AK_NOT_BOUND), reusing the AK in the TPM', async () => {
    panel.intervalSeconds = 1;
    panel.script.push('AK_NOT_BOUND');
    const run = start();
    await until('a pass after rebinding', () =>
      reports.some((r) => (r.body as { result: string }).result === 'pass'),
    );
    run.stop();
    await run.done;
    assert.equal(panel.bindings, 2);
    assert.deepEqual(
      reports.map((r) => [r.severity, (r.body as { reason?: string }).reason]),
      [
        [7, 'ak_not_bound'],
        [2, undefined],
      ],
    );
  });

  it('after a refusal (4xx) waits for the interval or a push instead of retrying in a burst', async () => {
    panel.failures.push(
      new AgentError('PANEL_REFUSED', 'EK_CERTIFICATE_UNTRUSTED', { details: { status: 403 } }),
    );
    const run = start();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(panel.bindings, 0, 'no second attempt within the backoff window');
    run.client.attestNow();
    await until('a verdict after the push', () => reports.length > 0);
    run.stop();
    await run.done;
    assert.equal(panel.bindings, 1);
  });

  it('binds again only once in a row when the panel keeps answering AK_NOT_BOUND', async () => {
    panel.script.push('AK_NOT_BOUND', 'AK_NOT_BOUND');
    const run = start();
    await until('two verdicts', () => reports.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(reports.length, 2, 'the third attempt waits for the interval');
    run.stop();
    await run.done;
  });

  it('retries with backoff when the panel cannot be reached, and stops on a refused identity', async () => {
    panel.failures.push(
      new AgentError('PANEL_UNREACHABLE', 'down'),
      new AgentError('PANEL_UNREACHABLE', 'down'),
    );
    const run = start();
    await until('a verdict after the outage', () => reports.length > 0);
    run.client.attestNow();
    panel.failures.push(new AgentError('IDENTITY_REFUSED', 'revoked'));
    await assert.rejects(
      run.done,
      (error: unknown) => error instanceof AgentError && error.code === 'IDENTITY_REFUSED',
    );
  });
});
