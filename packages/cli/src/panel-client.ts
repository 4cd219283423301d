import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { ERROR_STATUS, type HttpErrorCode } from '@palisade/server';
import { CliError } from './cli-error.ts';
import { printable } from './text-output.ts';

const TIMEOUT_MS = 30_000;
// The largest answer is a page of 1000 audit entries; anything far bigger is not the panel.
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

// OpenSSL verification failures: the panel answered, but not with a certificate we trust.
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Normalises a panel URL. Only https: the request carries a password or a
 * bearer token. A path is kept (a panel behind a reverse proxy prefix).
 */
export function parsePanelUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError('USAGE', `panel URL ${printable(raw)} is not a URL (e.g. https://panel.example:9443)`);
  }
  if (url.protocol !== 'https:')
    throw new CliError('USAGE', `panel URL must use https, not ${printable(url.protocol)}`);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new CliError('USAGE', 'panel URL must not contain credentials, a query or a fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Reads the panel's root CA certificate, the one trust anchor for this connection. */
export async function readCaFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new CliError(
      'CA_FILE_UNREADABLE',
      `cannot read CA file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
}

interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A file the panel hands out (a report, a signature): its bytes as sent, and the headers naming it. */
export interface PanelDownload {
  readonly contentType: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Reports can be large (a PDF of a thousand devices); nothing sent by the panel is bigger. */
const MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024;

function isHttpErrorCode(code: string): code is HttpErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}

/** RFC 9457: the panel's refusal becomes a CliError carrying the panel's stable code. */
function problemError(answer: RawAnswer): CliError {
  let problem: unknown;
  try {
    problem = JSON.parse(answer.body.toString('utf8'));
  } catch {
    problem = undefined;
  }
  const { code, detail } = (problem ?? {}) as { code?: unknown; detail?: unknown };
  if (typeof code !== 'string' || typeof detail !== 'string') {
    return new CliError(
      'PANEL_RESPONSE_INVALID',
      `panel answered HTTP ${answer.status} with a malformed problem`,
    );
  }
  const details = { status: answer.status };
  if (isHttpErrorCode(code)) return new CliError(code, printable(detail), { details });
  return new CliError(
    'PANEL_PROBLEM_UNKNOWN',
    `${printable(detail)} (panel code ${printable(code)}, HTTP ${answer.status})`,
    { details },
  );
}

export interface PanelTarget {
  /** As returned by `parsePanelUrl`. */
  readonly panel: string;
  /** PEM root CA to trust instead of the system store. */
  readonly ca?: Buffer | undefined;
  /** Bearer session or API token. */
  readonly token?: string | undefined;
}

/**
 * The operator API over HTTPS, like any other client. Answers are JSON; a
 * refusal is thrown as a CliError with the panel's code (exit 2); no answer at
 * all (network, TLS trust, not the panel) is a CliError with exit status 1.
 */
export class PanelClient {
  readonly panel: string;
  readonly #ca: Buffer | undefined;
  readonly #token: string | undefined;

  constructor(target: PanelTarget) {
    this.panel = target.panel;
    this.#ca = target.ca;
    this.#token = target.token;
  }

  /** The same panel and trust, another credential (e.g. the session a login just opened). */
  /** The CA the panel's certificate is checked against (the panel's root, pinned), when one is set. */
  get ca(): Buffer | undefined {
    return this.#ca;
  }

  withToken(token: string): PanelClient {
    return new PanelClient({ panel: this.panel, ca: this.#ca, token });
  }

  get(path: string): Promise<unknown> {
    return this.request('GET', path);
  }

  post(path: string, body?: unknown): Promise<unknown> {
    return this.request('POST', path, body);
  }

  put(path: string, body: unknown): Promise<unknown> {
    return this.request('PUT', path, body);
  }

  delete(path: string): Promise<unknown> {
    return this.request('DELETE', path);
  }

  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const answer = await this.#send(method, path, body === undefined ? undefined : JSON.stringify(body));
    if (answer.status >= 200 && answer.status < 300) {
      if (answer.status === 204 || answer.body.length === 0) return undefined;
      if (!/^application\/json\b/.test(answer.contentType)) throw this.#notThePanel(answer);
      try {
        return JSON.parse(answer.body.toString('utf8')) as unknown;
      } catch {
        throw this.#notThePanel(answer);
      }
    }
    if (/^application\/problem\+json\b/.test(answer.contentType)) throw problemError(answer);
    throw this.#notThePanel(answer);
  }

  /** GET of a file: any media type, the bytes as they are; a refusal is thrown like `request`'s. */
  async download(path: string): Promise<PanelDownload> {
    const answer = await this.#send('GET', path, undefined, MAX_DOWNLOAD_BYTES);
    if (answer.status === 200)
      return { contentType: answer.contentType, body: answer.body, headers: answer.headers };
    if (/^application\/problem\+json\b/.test(answer.contentType)) throw problemError(answer);
    throw this.#notThePanel(answer);
  }

  #notThePanel(answer: RawAnswer): CliError {
    return new CliError(
      'PANEL_RESPONSE_INVALID',
      `${this.panel} answered HTTP ${answer.status} (${printable(answer.contentType || 'no content type')}), ` +
        'not like a Palisade panel; check the URL',
    );
  }

  #send(
    method: string,
    path: string,
    body: string | undefined,
    maxBytes: number = MAX_RESPONSE_BYTES,
  ): Promise<RawAnswer> {
    const url = new URL(`${this.panel}${path}`);
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers['content-length'] = String(Buffer.byteLength(body ?? ''));
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        url,
        {
          method,
          headers,
          ...(this.#ca === undefined ? {} : { ca: this.#ca }),
          minVersion: 'TLSv1.2',
          timeout: TIMEOUT_MS,
          // One short-lived connection per request: nothing keeps the CLI process alive afterwards.
          agent: false,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              request.destroy(
                new CliError('PANEL_RESPONSE_INVALID', `${this.panel} sent more than ${maxBytes} bytes`),
              );
            } else chunks.push(chunk);
          });
          response.on('error', (error) => reject(this.#connectionError(error)));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              contentType: response.headers['content-type'] ?? '',
              body: Buffer.concat(chunks),
              headers: response.headers,
            }),
          );
        },
      );
      request.on('timeout', () =>
        request.destroy(
          new CliError('PANEL_UNREACHABLE', `no answer from ${this.panel} within ${TIMEOUT_MS / 1000} s`),
        ),
      );
      request.on('error', (error) => reject(this.#connectionError(error)));
      request.end(body);
    });
  }

  #connectionError(error: Error): CliError {
    if (error instanceof CliError) return error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (UNTRUSTED_CODES.has(code)) {
      return new CliError(
        'PANEL_UNTRUSTED',
        `cannot trust the panel at ${this.panel}: ${error.message}; pass --ca-file (or set PALISADE_CA_FILE) ` +
          "with the panel's root CA certificate, <data-dir>/ca/root-ca.pem",
        { cause: error },
      );
    }
    return new CliError('PANEL_UNREACHABLE', `cannot reach the panel at ${this.panel}: ${error.message}`, {
      cause: error,
    });
  }
}
