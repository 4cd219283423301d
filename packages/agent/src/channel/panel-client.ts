import { Agent, type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.ts';
import { type ClientIdentity, openPanelTls, type PanelEndpoint } from './panel-tls.ts';

/** Largest answer the agent reads from a panel; anything bigger is not the panel speaking the protocol. */
export const MAX_PANEL_ANSWER_BYTES = 8 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

export interface PanelAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  readonly headers: IncomingMessage['headers'];
}

export interface PanelRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/**
 * HTTPS to the panel's device listener over one kept-alive, mutually
 * authenticated connection per identity. Several panel URLs fail over in
 * order: the one that answered last is tried first next time.
 */
export class PanelClient {
  readonly #endpoints: readonly PanelEndpoint[];
  #preferred = 0;
  #identity: ClientIdentity | undefined;
  #agents = new Map<number, Agent>();
  readonly #log: Logger | undefined;

  constructor(endpoints: readonly PanelEndpoint[], identity?: ClientIdentity, logger?: Logger) {
    if (endpoints.length === 0) throw new AgentError('AGENT_CONFIG_INVALID', 'no panel URL configured');
    this.#endpoints = endpoints;
    this.#identity = identity;
    this.#log = logger?.child({ component: 'panel-client' });
  }

  get endpoints(): readonly PanelEndpoint[] {
    return this.#endpoints;
  }

  /** The endpoint that answered last (the push channel follows it). */
  get preferred(): PanelEndpoint {
    return this.#endpoints[this.#preferred] as PanelEndpoint;
  }

  /** Switches the client identity; open connections made with the old one are closed. */
  useIdentity(identity: ClientIdentity | undefined): void {
    this.#identity = identity;
    this.#closeAgents();
  }

  /** Sends the request to the first panel that answers; refusals (4xx/5xx) are answers too. */
  async send(request: PanelRequest): Promise<PanelAnswer> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.#endpoints.length; attempt += 1) {
      const index = (this.#preferred + attempt) % this.#endpoints.length;
      try {
        const answer = await this.#sendTo(index, request);
        this.#preferred = index;
        return answer;
      } catch (error) {
        if (!(error instanceof AgentError && error.code === 'PANEL_UNREACHABLE')) throw error;
        const next = this.#endpoints[(index + 1) % this.#endpoints.length] as PanelEndpoint;
        this.#log?.warn(
          { err: error, code: error.code, panel: this.#endpoints[index]?.url.origin },
          this.#endpoints.length > 1 ? `panel unreachable; trying ${next.url.origin}` : 'panel unreachable',
        );
        lastError = error;
      }
    }
    throw lastError;
  }

  /** A JSON request; a non-2xx answer becomes the matching AgentError. */
  async json<T>(method: PanelRequest['method'], path: string, body?: unknown): Promise<T> {
    const answer = await this.send({
      method,
      path,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (answer.status < 200 || answer.status > 299) throw refusal(answer, `${method} ${path}`);
    return parseJson<T>(answer, `${method} ${path}`);
  }

  close(): void {
    this.#closeAgents();
  }

  #closeAgents(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }

  #agentFor(index: number): Agent {
    let agent = this.#agents.get(index);
    if (!agent) {
      const endpoint = this.#endpoints[index] as PanelEndpoint;
      const identity = this.#identity;
      agent = new Agent({ keepAlive: true, maxSockets: 2, timeout: REQUEST_TIMEOUT_MS });
      // Every connection is our own TLS connection, so the pinned CA and the root of trust's key
      // (in memory, behind an OpenSSL engine, or a connector) apply the same way everywhere.
      (agent as unknown as { createConnection: unknown }).createConnection = (
        _options: unknown,
        callback: (error: Error | null, socket?: Duplex) => void,
      ) => {
        openPanelTls(endpoint, identity).then(
          (socket) => callback(null, socket),
          (error: Error) => callback(error),
        );
      };
      this.#agents.set(index, agent);
    }
    return agent;
  }

  #sendTo(index: number, request: PanelRequest): Promise<PanelAnswer> {
    const endpoint = this.#endpoints[index] as PanelEndpoint;
    const url = new URL(request.path, endpoint.url);
    return new Promise((resolve, reject) => {
      let sent: ClientRequest;
      try {
        // Plain http over our own TLS connections (the agent's createConnection): https: is honoured there.
        sent = httpRequest({
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: request.method,
          agent: this.#agentFor(index),
          headers: {
            host: url.host,
            accept: 'application/json, application/problem+json',
            ...request.headers,
            ...(request.body === undefined
              ? {}
              : { 'content-length': String(Buffer.byteLength(request.body)) }),
          },
          timeout: REQUEST_TIMEOUT_MS,
        });
      } catch (error) {
        reject(error);
        return;
      }
      sent.on('timeout', () =>
        sent.destroy(new AgentError('PANEL_UNREACHABLE', `${url.origin} gave no answer within 30 s`)),
      );
      sent.on('error', (error) => {
        reject(
          error instanceof AgentError
            ? error
            : new AgentError(
                'PANEL_UNREACHABLE',
                `cannot reach the panel at ${url.origin}: ${error.message}`,
                {
                  cause: error,
                },
              ),
        );
      });
      sent.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_PANEL_ANSWER_BYTES) {
            response.destroy();
            reject(
              new AgentError(
                'PANEL_ANSWER_INVALID',
                `${url.origin} answered more than ${MAX_PANEL_ANSWER_BYTES} bytes`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) =>
          reject(
            new AgentError('PANEL_UNREACHABLE', `the answer from ${url.origin} broke off`, { cause: error }),
          ),
        );
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: response.headers['content-type'] ?? '',
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
      });
      sent.end(request.body);
    });
  }
}

/** The AgentError for a refused request: the problem code (RFC 9457) when the panel sent one. */
export function refusal(answer: PanelAnswer, what: string): AgentError {
  let code: string | undefined;
  let detail: string | undefined;
  if (answer.contentType.startsWith('application/problem+json')) {
    try {
      const problem = JSON.parse(answer.body.toString('utf8')) as { code?: unknown; detail?: unknown };
      if (typeof problem.code === 'string') code = problem.code;
      if (typeof problem.detail === 'string') detail = problem.detail.slice(0, 500);
    } catch {
      // A broken problem document is still a refusal; its status says enough.
    }
  }
  const refused = code === 'DEVICE_CERTIFICATE_REFUSED';
  return new AgentError(
    refused ? 'IDENTITY_REFUSED' : 'PANEL_REFUSED',
    `${what}: the panel answered ${answer.status}${code ? ` ${code}` : ''}${detail ? ` (${detail})` : ''}`,
    { details: { status: answer.status, ...(code ? { problemCode: code } : {}) } },
  );
}

export function parseJson<T>(answer: PanelAnswer, what: string): T {
  if (!answer.contentType.startsWith('application/json')) {
    throw new AgentError(
      'PANEL_ANSWER_INVALID',
      `${what}: expected JSON, the panel sent "${answer.contentType}"`,
    );
  }
  try {
    return JSON.parse(answer.body.toString('utf8')) as T;
  } catch (error) {
    throw new AgentError('PANEL_ANSWER_INVALID', `${what}: the panel's JSON does not parse`, {
      cause: error,
    });
  }
}
