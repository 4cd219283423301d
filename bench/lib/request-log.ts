import { open } from 'node:fs/promises';

/** The answers the panel logged for one kind of request (its route, device IDs left out). */
export interface RouteAnswers {
  readonly requests: number;
  /** Answers by HTTP status; requests that never completed are not in here. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Fastify's `responseTime` of every completed request, in ms. */
  readonly responseMs: readonly number[];
}

/**
 * `/v1/devices/sim-00042/check-in` → `/v1/devices/:id/check-in`, so that the
 * log of a fleet counts as a handful of routes.
 */
export function routeOf(url: string): string {
  const path = url.split('?')[0] ?? url;
  return path.replace(/^\/v1\/devices\/[^/]+/, '/v1/devices/:id');
}

/**
 * Reads the panel's JSON request log (Fastify's `incoming request` /
 * `request completed` lines at log level info) from byte `from` on, and
 * groups the answers by route: how many requests, which statuses, how long.
 */
export async function requestLogSince(path: string, from = 0): Promise<Map<string, RouteAnswers>> {
  const file = await open(path, 'r');
  let text: string;
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.max(0, size - from));
    await file.read(buffer, 0, buffer.length, from);
    text = buffer.toString('utf8');
  } finally {
    await file.close();
  }
  const routeById = new Map<string, string>();
  const routes = new Map<
    string,
    { requests: number; statuses: Record<string, number>; responseMs: number[] }
  >();
  const entry = (route: string) => {
    let found = routes.get(route);
    if (!found) {
      found = { requests: 0, statuses: {}, responseMs: [] };
      routes.set(route, found);
    }
    return found;
  };
  for (const line of text.split('\n')) {
    if (!line.includes('"reqId"')) continue;
    let record: {
      reqId?: string;
      msg?: string;
      req?: { url?: string };
      res?: { statusCode?: number };
      responseTime?: number;
    };
    try {
      record = JSON.parse(line);
    } catch {
      continue; // a line cut at `from` or still being written
    }
    if (record.reqId === undefined) continue;
    if (record.msg === 'incoming request' && record.req?.url !== undefined) {
      const route = routeOf(record.req.url);
      routeById.set(record.reqId, route);
      entry(route).requests += 1;
    } else if (record.msg === 'request completed') {
      const route = routeById.get(record.reqId);
      if (route === undefined) continue;
      routeById.delete(record.reqId);
      const answers = entry(route);
      const status = String(record.res?.statusCode ?? 0);
      answers.statuses[status] = (answers.statuses[status] ?? 0) + 1;
      if (typeof record.responseTime === 'number') answers.responseMs.push(record.responseTime);
    }
  }
  return routes;
}
