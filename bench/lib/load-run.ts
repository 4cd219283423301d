import autocannon from 'autocannon';
import { processCpuSeconds, processTreeCpuSeconds } from './process-cpu.ts';
import { roundFigure } from './stats.ts';

/** One request of a sequence that each connection cycles through (autocannon's `requests`). */
export interface LoadRequest {
  readonly method?: 'GET' | 'POST';
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

export interface LoadSettings {
  readonly url: string;
  /** Default GET. */
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
  /** A sequence of requests each connection cycles through, overriding method/headers/body per request. */
  readonly requests?: readonly LoadRequest[];
  /** Trusted roots in PEM; autocannon passes them to tls.connect (it never verifies, see README). */
  readonly ca?: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** The server process, to measure its CPU time over the run. */
  readonly serverPid?: number;
  /** Count the CPU time of the server's child processes too (a pre-forking server such as `openssl ocsp -multi`). */
  readonly serverTree?: boolean;
}

export interface LoadFigures {
  /** Mean of autocannon's per-second samples. */
  readonly requestsPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Server CPU time over the run / requests answered (Linux only). */
  readonly serverCpuMicrosPerRequest?: number;
  /** Server CPU time over the run / wall time; 100 = one core busy all the time. */
  readonly serverCpuPercent?: number;
  /** This process's (autocannon's) CPU time / wall time: near 100 means the load generator, not the server, was the limit. */
  readonly loadGeneratorCpuPercent: number;
}

/** The parts of autocannon 9's per-connection client (lib/httpClient.js) that `closeAware` touches. */
interface AutocannonClientInternals {
  on(event: 'headers', listener: (info: { shouldKeepAlive?: boolean }) => void): unknown;
  _doRequest(...args: unknown[]): void;
  _connect(...args: unknown[]): void;
}

/**
 * Makes autocannon behave like an HTTP client towards a server that closes
 * the connection after a response (HTTP/1.0, `Connection: close`, e.g.
 * `openssl ocsp` as a responder). Unpatched, autocannon writes the next
 * request onto the connection the server is closing, then reconnects and
 * sends another one, without forgetting the first: its queue of pending
 * requests grows by one per response, so every latency is measured from an
 * ever older request (seconds after a few seconds) and each stray write can
 * end in a reset counted as an error. Patched, the next request waits for
 * the new connection. Keep-alive responses are not affected.
 */
function closeAware(client: unknown): void {
  const internals = client as AutocannonClientInternals;
  let closing = false;
  internals.on('headers', (info) => {
    closing = info.shouldKeepAlive === false;
  });
  const doRequest = internals._doRequest;
  const connect = internals._connect;
  if (typeof doRequest !== 'function' || typeof connect !== 'function')
    throw new Error('autocannon internals changed: review closeAware in bench/lib/load-run.ts');
  internals._doRequest = function (this: AutocannonClientInternals, ...args: unknown[]) {
    if (!closing) doRequest.apply(this, args);
  };
  internals._connect = function (
    this: AutocannonClientInternals & { pipelinedRequests: { clear(): void } },
    ...args: unknown[]
  ) {
    closing = false;
    // Requests written to the old connection will never be answered.
    this.pipelinedRequests.clear();
    connect.apply(this, args);
  };
}

/**
 * Closed-loop HTTP/1.1 load with keep-alive connections and no pipelining,
 * driven by autocannon's programmatic API in this process.
 */
export async function runLoad(settings: LoadSettings): Promise<LoadFigures> {
  const serverCpu = (pid: number) =>
    settings.serverTree ? processTreeCpuSeconds(pid) : processCpuSeconds(pid);
  const cpuBefore = settings.serverPid === undefined ? undefined : serverCpu(settings.serverPid);
  const ownCpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({
    url: settings.url,
    connections: settings.connections,
    duration: settings.durationSeconds,
    pipelining: 1,
    setupClient: closeAware,
    ...(settings.method ? { method: settings.method } : {}),
    ...(settings.headers ? { headers: { ...settings.headers } } : {}),
    ...(settings.body === undefined ? {} : { body: settings.body }),
    ...(settings.requests
      ? {
          requests: settings.requests.map((r) => ({
            ...(r.method ? { method: r.method } : {}),
            ...(r.path ? { path: r.path } : {}),
            ...(r.headers ? { headers: { ...r.headers } } : {}),
            ...(r.body === undefined ? {} : { body: r.body }),
          })),
        }
      : {}),
    ...(settings.ca ? { tlsOptions: { ca: settings.ca } } : {}),
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const cpuAfter = settings.serverPid === undefined ? undefined : serverCpu(settings.serverPid);
  const cpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  const answered = result['2xx'] + result.non2xx;
  return {
    requestsPerSec: roundFigure(result.requests.average),
    latencyP50Ms: roundFigure(result.latency.p50),
    latencyP99Ms: roundFigure(result.latency.p99),
    latencyMaxMs: roundFigure(result.latency.max),
    requests: answered,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    loadGeneratorCpuPercent: roundFigure(((ownCpu.user + ownCpu.system) / 1e6 / wallSeconds) * 100),
    ...(cpuSeconds === undefined || answered === 0
      ? {}
      : {
          serverCpuMicrosPerRequest: roundFigure((cpuSeconds * 1e6) / answered),
          serverCpuPercent: roundFigure((cpuSeconds / wallSeconds) * 100),
        }),
  };
}
