import type { IncomingHttpHeaders } from 'node:http';
import { type Agent, request } from 'node:https';

export interface HttpsResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpsRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Trusted root(s) in PEM; the server certificate is verified against them. */
  readonly ca: string;
  /** A keep-alive agent to reuse connections; default: a new connection per request. */
  readonly agent?: Agent;
  readonly timeoutMs?: number;
}

/** One HTTPS request, the whole body buffered. Rejects on network errors only, never on a status. */
export function httpsRequest(url: string, options: HttpsRequestOptions): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca,
        agent: options.agent ?? false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface JsonCall {
  readonly method?: string;
  readonly body?: unknown;
  /** Sent as `Authorization: Bearer …`. */
  readonly bearer?: string;
  readonly ca: string;
  readonly agent?: Agent;
  /** Statuses that count as success; anything else throws with the response body. */
  readonly expect?: readonly number[];
  /** Default 10 s; a loaded panel may need longer. */
  readonly timeoutMs?: number;
}

/** A JSON API call that throws unless the status is expected; returns the parsed body and its size. */
export async function callJson<T>(url: string, call: JsonCall): Promise<{ json: T; bytes: number }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  if (call.bearer !== undefined) headers.authorization = `Bearer ${call.bearer}`;
  const response = await httpsRequest(url, {
    method: call.method ?? (call.body === undefined ? 'GET' : 'POST'),
    headers,
    ca: call.ca,
    ...(call.agent ? { agent: call.agent } : {}),
    ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
    ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
  });
  const expected = call.expect ?? [200, 201];
  if (!expected.includes(response.status)) {
    throw new Error(
      `${call.method ?? 'GET'} ${new URL(url).pathname} answered ${response.status}: ${response.body.toString('utf8').slice(0, 500)}`,
    );
  }
  return { json: JSON.parse(response.body.toString('utf8')) as T, bytes: response.body.length };
}
