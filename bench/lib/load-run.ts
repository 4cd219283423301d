import autocannon from 'autocannon';
import { processCpuSeconds } from './process-cpu.ts';
import { roundFigure } from './stats.ts';

export interface LoadSettings {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Trusted roots in PEM; autocannon passes them to tls.connect (it never verifies, see README). */
  readonly ca?: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** The server process, to measure its CPU time over the run. */
  readonly serverPid?: number;
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

/**
 * Closed-loop HTTP/1.1 load with keep-alive connections and no pipelining,
 * driven by autocannon's programmatic API in this process.
 */
export async function runLoad(settings: LoadSettings): Promise<LoadFigures> {
  const cpuBefore = settings.serverPid === undefined ? undefined : processCpuSeconds(settings.serverPid);
  const ownCpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({
    url: settings.url,
    connections: settings.connections,
    duration: settings.durationSeconds,
    pipelining: 1,
    ...(settings.headers ? { headers: { ...settings.headers } } : {}),
    ...(settings.ca ? { tlsOptions: { ca: settings.ca } } : {}),
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const cpuAfter = settings.serverPid === undefined ? undefined : processCpuSeconds(settings.serverPid);
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
