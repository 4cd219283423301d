import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** The columns of `security_events` (packages/server/src/db/migrations/0007_security_events.sql). */
const COLUMNS =
  'ingest_key, id, source, device_id, type, severity, controls, message, occurred_at, received_at, fields';

/** The ingest key of the copied rows: no device has it, so the copies never collide with what the ingest stored. */
export const COPY_INGEST_KEY = 'copy-reference';

/** `limit` rows the ingest stored, re-keyed so that they can be stored again beside the originals. */
const sourceQuery = (limit: number) =>
  `SELECT '${COPY_INGEST_KEY}', id, source, device_id, type, severity, controls, message, occurred_at, received_at, fields
     FROM security_events WHERE source = 'device' AND ingest_key <> '${COPY_INGEST_KEY}' LIMIT ${Math.floor(limit)}`;

export interface CopyReference {
  readonly rows: number;
  /** The COPY … FROM statement alone, from its start to its completion. */
  readonly seconds: number;
  readonly rowsPerSec: number;
  /** How the rows were sent, for the result's `reference.what`. */
  readonly client: string;
}

function run(command: string, args: readonly string[], stdio: { stdin?: string; stdout?: string }) {
  return new Promise<string>((resolve, reject) => {
    const stdin = stdio.stdin === undefined ? 'ignore' : openSync(stdio.stdin, 'r');
    const stdout = stdio.stdout === undefined ? 'pipe' : openSync(stdio.stdout, 'w');
    const child = spawn(command, args, { stdio: [stdin, stdout, 'pipe'] });
    if (typeof stdin === 'number') closeSync(stdin);
    if (typeof stdout === 'number') closeSync(stdout);
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.trim().slice(0, 500)}`)),
    );
  });
}

/**
 * PostgreSQL's own bulk path, as the reference for the event ingest: `limit`
 * rows the ingest stored are exported with `COPY (SELECT …) TO STDOUT`
 * (text format) into `file`, then sent back into `security_events` — the
 * same partitioned table, keys and indexes — with one
 * `COPY security_events (…) FROM STDIN`. The client is `psql` (its
 * `\timing` gives the statement's time): pg-copy-streams, which would do
 * the same from this process, is not a dependency of the workspace.
 */
export async function postgresCopyReference(
  url: string,
  file: string,
  limit: number,
): Promise<CopyReference> {
  const psql = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url];
  await run('psql', [...psql, '-c', `COPY (${sourceQuery(limit)}) TO STDOUT`], { stdout: file });
  const timing = await run(
    'psql',
    [...psql, '-c', '\\timing on', '-c', `COPY security_events (${COLUMNS}) FROM STDIN`],
    { stdin: file },
  );
  const ms = Number(/Time: ([\d.]+) ms/.exec(timing)?.[1]);
  if (!Number.isFinite(ms)) throw new Error(`psql printed no timing for the COPY: ${timing.slice(0, 200)}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = Number(
      (
        await client.query<{ n: string }>('SELECT count(*) AS n FROM security_events WHERE ingest_key = $1', [
          COPY_INGEST_KEY,
        ])
      ).rows[0]?.n,
    );
    return { rows, seconds: ms / 1000, rowsPerSec: rows / (ms / 1000), client: 'psql COPY … FROM STDIN' };
  } finally {
    await client.end();
  }
}

/**
 * The same on PGlite, in this process on the panel's data directory (opened
 * by the caller once the panel stopped: PGlite is one process's database):
 * `COPY (SELECT …) TO '/dev/blob'`, then `COPY security_events (…) FROM
 * '/dev/blob'` with that blob, timed around the statement.
 */
export async function pgliteCopyReference(db: PGlite, limit: number): Promise<CopyReference> {
  const exported = await db.query(`COPY (${sourceQuery(limit)}) TO '/dev/blob'`);
  const blob = exported.blob;
  if (blob === undefined) throw new Error('PGlite returned no blob for COPY TO /dev/blob');
  const started = performance.now();
  await db.query(`COPY security_events (${COLUMNS}) FROM '/dev/blob'`, [], { blob });
  const seconds = (performance.now() - started) / 1000;
  const rows = Number(
    (
      await db.query<{ n: number }>('SELECT count(*)::int AS n FROM security_events WHERE ingest_key = $1', [
        COPY_INGEST_KEY,
      ])
    ).rows[0]?.n,
  );
  return { rows, seconds, rowsPerSec: rows / seconds, client: "PGlite COPY … FROM '/dev/blob'" };
}
