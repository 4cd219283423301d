import pg from 'pg';
import type { Db, Queryable, QueryResult } from './db.ts';

// PostgreSQL int8 (count(*), bigserial) arrives as a string from pg but as a
// number from PGlite; Palisade's int8 values (sequence numbers, counters) stay
// far below 2^53, so parse them as numbers and keep both drivers alike.
const INT8_OID = 20;
const parseInt8 = (value: string): number => Number.parseInt(value, 10);

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await client.query({
        text: sql,
        values: params as unknown[],
        types: { getTypeParser: typeParser },
      });
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

function typeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === INT8_OID) return parseInt8;
  return pg.types.getTypeParser(oid, format as 'text');
}

export interface PostgresOptions {
  readonly max?: number;
  /** Told about errors on idle pooled connections (server restart, terminated backend). */
  readonly onIdleError?: (error: Error) => void;
}

export async function openPostgresDb(connectionString: string, options: PostgresOptions = {}): Promise<Db> {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
  // Without a listener, an error on an idle connection (the server restarted, an
  // administrator ended the backend) is an uncaught exception that kills the
  // panel. pg has already dropped that connection; the next query opens a new one.
  pool.on('error', (error) => options.onIdleError?.(error));
  // Fail at start, with the server's own message, rather than at the first request.
  const probe = await pool.connect();
  probe.release();
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    listen: (channel, onPayload) => listenOn(connectionString, channel, onPayload, options.onIdleError),
    notify: async (channel, payload) => {
      await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    close: () => pool.end(),
  };
}

/**
 * LISTEN needs a connection of its own for as long as it listens (a pooled
 * one would be handed to queries). It is re-established with backoff when
 * the server restarts or ends it.
 */
async function listenOn(
  connectionString: string,
  channel: string,
  onPayload: (payload: string) => void,
  onError: ((error: Error) => void) | undefined,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  let retryMs = 250;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString });
    next.on('notification', (message) => {
      if (message.channel === channel) onPayload(message.payload ?? '');
    });
    next.on('error', (error) => {
      onError?.(error);
      if (client === next) client = undefined;
      void next.end().catch(() => undefined);
      if (!stopped) setTimeout(reconnect, retryMs).unref();
    });
    await next.connect();
    await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    client = next;
    retryMs = 250;
  };
  const reconnect = () => {
    if (stopped || client) return;
    connect().catch((error: unknown) => {
      onError?.(error as Error);
      retryMs = Math.min(retryMs * 2, 10_000);
      if (!stopped) setTimeout(reconnect, retryMs).unref();
    });
  };
  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => undefined);
    client = undefined;
  };
}
