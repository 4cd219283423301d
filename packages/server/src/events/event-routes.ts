import type { FastifyInstance } from 'fastify';
import type { EventFilter, EventStore } from './event-store.ts';
import type { EventStream } from './event-stream.ts';
import { EventsError } from './events-error.ts';

export interface EventRouteServices {
  readonly eventStore: EventStore;
  readonly eventStream: EventStream;
}

interface FilterQuery {
  deviceId?: string;
  type?: string;
  source?: 'device' | 'panel';
  minSeverity?: number;
  maxSeverity?: number;
  control?: string;
  from?: string;
  to?: string;
}

const FILTER_PROPERTIES = {
  deviceId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
  type: {
    type: 'string',
    maxLength: 1024,
    pattern: '^[a-z][a-z0-9_.-]*(,[a-z][a-z0-9_.-]*)*$',
    description: 'one type or several, comma-separated',
  },
  source: { type: 'string', enum: ['device', 'panel'] },
  minSeverity: { type: 'integer', minimum: 0, maximum: 10 },
  maxSeverity: { type: 'integer', minimum: 0, maximum: 10 },
  control: { type: 'string', pattern: '^[A-Z]{2}-[0-9]{1,2}$' },
  from: { type: 'string', format: 'date-time', description: 'source time, inclusive' },
  to: { type: 'string', format: 'date-time', description: 'source time, exclusive' },
} as const;

/** Heartbeat comment on idle streams: keeps proxies from closing them and finds dead clients. */
const STREAM_HEARTBEAT_MS = 15_000;

function filterOf(query: FilterQuery): EventFilter {
  return {
    ...(query.deviceId !== undefined ? { deviceId: query.deviceId } : {}),
    ...(query.type !== undefined ? { types: query.type.split(',') } : {}),
    ...(query.source !== undefined ? { source: query.source } : {}),
    ...(query.minSeverity !== undefined ? { minSeverity: query.minSeverity } : {}),
    ...(query.maxSeverity !== undefined ? { maxSeverity: query.maxSeverity } : {}),
    ...(query.control !== undefined ? { control: query.control } : {}),
    // Normalized to `…Z` so the live stream can compare them with stored timestamps as strings.
    ...(query.from !== undefined ? { from: new Date(query.from).toISOString() } : {}),
    ...(query.to !== undefined ? { to: new Date(query.to).toISOString() } : {}),
  };
}

/** Operators search security events and follow them live (PD-3, SI-1). */
export function registerEventRoutes(app: FastifyInstance, services: EventRouteServices): void {
  const { eventStore, eventStream } = services;

  app.get<{ Querystring: FilterQuery & { limit?: number; cursor?: string } }>(
    '/v1/events',
    {
      config: { access: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'Search security events, newest first by source time; follow `nextCursor` for older ones',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...FILTER_PROPERTIES,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: 'string', maxLength: 1024, pattern: '^[A-Za-z0-9_-]+$' },
          },
        },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      return eventStore.search(filterOf(filter), {
        limit: limit ?? 100,
        ...(cursor !== undefined ? { cursor } : {}),
      });
    },
  );

  app.get<{ Querystring: FilterQuery }>(
    '/v1/events/stream',
    {
      config: { access: 'events:read' },
      schema: {
        tags: ['events'],
        summary:
          'Live security events as Server-Sent Events (event: security-event, data: the event as JSON)',
        querystring: { type: 'object', additionalProperties: false, properties: FILTER_PROPERTIES },
      },
    },
    async (request, reply) => {
      const filter = filterOf(request.query);
      const write = (chunk: string) => {
        if (!reply.raw.writableEnded) reply.raw.write(chunk);
      };
      const unsubscribe = eventStream.subscribe(filter, (event) => {
        // SSE data is one line of JSON: JSON.stringify escapes every newline an event could carry.
        write(`id: ${event.id}\nevent: security-event\ndata: ${JSON.stringify(event)}\n\n`);
      });
      if (!unsubscribe)
        throw new EventsError(
          'EVENT_STREAM_BUSY',
          'too many live streams on this panel replica; retry later',
          {
            details: { retryAfter: 5 },
          },
        );
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-request-id': request.id,
        connection: 'keep-alive',
      });
      write(': palisade event stream\n\n');
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), STREAM_HEARTBEAT_MS);
      request.raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
      });
    },
  );
}
