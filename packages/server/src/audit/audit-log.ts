import { createHash } from 'node:crypto';
import { canonicalJson } from '@palisade/core';
import { ADVISORY_LOCK, type Db, type Queryable } from '../db/index.ts';

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** What happened, by whom, to what: the facts an entry records. */
export interface AuditRecord {
  /** `operator:<name>`, `token:<id>`, `device:<id>`, `system`, or `anonymous:<attempted name>`. */
  readonly actor: string;
  /** Dotted verb, e.g. `auth.login`, `operator.create`, `token.revoke`. */
  readonly action: string;
  readonly target?: string | undefined;
  readonly outcome: AuditOutcome;
  /** Client address as seen by the listener. */
  readonly source?: string | undefined;
  /** Extra context; never secrets. */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

export interface AuditEntry extends AuditRecord {
  readonly seq: number;
  readonly at: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

export type AuditBreak =
  | { readonly seq: number; readonly reason: 'HASH_MISMATCH' }
  | { readonly seq: number; readonly reason: 'PREVIOUS_HASH_MISMATCH' }
  | { readonly seq: number; readonly reason: 'SEQUENCE_GAP'; readonly expectedSeq: number };

export interface AuditVerification {
  readonly ok: boolean;
  readonly checked: number;
  readonly head: string;
  readonly firstBreak?: AuditBreak;
}

/** The hash the first entry chains from. */
export const GENESIS_HASH = '0'.repeat(64);

interface AuditRow {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  source: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/**
 * Hash of an entry: SHA-256 over the previous hash and the entry's canonical
 * JSON (RFC 8785). Everything that describes the event is covered, including
 * its sequence number and time, so an edited, reordered or deleted row breaks
 * the chain from that row on.
 */
export function entryHash(prevHash: string, entry: Omit<AuditEntry, 'hash' | 'prevHash'>): string {
  const body = canonicalJson({
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    outcome: entry.outcome,
    source: entry.source ?? null,
    details: entry.details,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target ?? undefined,
    outcome: row.outcome,
    source: row.source ?? undefined,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface AuditQuery {
  readonly limit: number;
  /** Entries with a sequence number below this one (newest first paging). */
  readonly before?: number | undefined;
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
}

/**
 * The append-only, hash-chained record of every operator action and every
 * security-relevant system action.
 */
export class AuditLog {
  readonly #db: Db;
  readonly #now: () => Date;

  constructor(db: Db, options: { now?: () => Date } = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
  }

  /** Appends in its own transaction. */
  async append(record: AuditRecord): Promise<AuditEntry> {
    return this.#db.transaction((tx) => this.appendIn(tx, record));
  }

  /**
   * Appends inside a caller's transaction, so an action and its audit entry
   * commit or roll back together. The advisory lock serialises writers across
   * replicas: the chain has exactly one head.
   */
  async appendIn(tx: Queryable, record: AuditRecord): Promise<AuditEntry> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK.auditChain]);
    const head = await tx.query<{ seq: number; hash: string }>(
      'SELECT seq::int8 AS seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
    );
    const prev = head.rows[0];
    // JS dates carry milliseconds and PostgreSQL keeps microseconds, so a
    // millisecond timestamp survives the round trip unchanged.
    const at = this.#now().toISOString();
    const unhashed = {
      seq: (prev?.seq ?? 0) + 1,
      at,
      actor: withoutNul(record.actor),
      action: record.action,
      target: record.target === undefined ? undefined : withoutNul(record.target),
      outcome: record.outcome,
      source: record.source,
      details: withoutNulDeep(record.details ?? {}) as Record<string, unknown>,
    };
    const prevHash = prev?.hash ?? GENESIS_HASH;
    const hash = entryHash(prevHash, unhashed);
    await tx.query(
      `INSERT INTO audit_log (seq, at, actor, action, target, outcome, source, details, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        unhashed.seq,
        at,
        unhashed.actor,
        unhashed.action,
        unhashed.target ?? null,
        unhashed.outcome,
        unhashed.source ?? null,
        JSON.stringify(unhashed.details),
        prevHash,
        hash,
      ],
    );
    return { ...unhashed, prevHash, hash };
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const { where, params } = filterOf(query);
    const result = await this.#db.query<AuditRow>(
      `SELECT seq::int8 AS seq, at, actor, action, target, outcome, source, details, prev_hash, hash
       FROM audit_log ${where} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    return result.rows.map(toEntry);
  }

  /**
   * The same page as `list`, as the JSON document `GET /v1/audit` answers
   * (an absent target or source is `null`), built by the database in one
   * value: decoding fifty rows field by field is most of the cost of this
   * route on the embedded database.
   */
  async listJson(query: AuditQuery): Promise<string> {
    const { where, params } = filterOf(query);
    const result = await this.#db.query<{ entries: string; n: number; last_seq: number | null }>(
      `SELECT coalesce(json_agg(e ORDER BY e.seq DESC), '[]')::text AS entries, count(*)::int AS n,
              min(e.seq)::int8 AS last_seq
       FROM (
         SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, action, target,
                outcome, source, details, prev_hash AS "prevHash", hash
         FROM audit_log ${where} ORDER BY seq DESC LIMIT $${params.length}
       ) e`,
      params,
    );
    const row = result.rows[0];
    const more = row && row.n === query.limit && row.last_seq !== null ? `,"nextBefore":${row.last_seq}` : '';
    return `{"entries":${row?.entries ?? '[]'}${more}}`;
  }

  /**
   * Walks the whole chain from the first entry and reports the first broken
   * link: an edited row (its hash no longer matches), a deleted or reordered
   * row (the next row's previous hash or the sequence no longer follows).
   * Reads in pages so memory stays flat however long the log is.
   */
  async verify(pageSize = 1000): Promise<AuditVerification> {
    let expectedPrev = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (;;) {
      const page = await this.#db.query<AuditRow>(
        `SELECT seq::int8 AS seq, at, actor, action, target, outcome, source, details, prev_hash, hash
         FROM audit_log WHERE seq >= $1 ORDER BY seq ASC LIMIT $2`,
        [expectedSeq, pageSize],
      );
      for (const row of page.rows) {
        const entry = toEntry(row);
        const broken = checkLink(entry, expectedSeq, expectedPrev);
        if (broken) return { ok: false, checked, head: expectedPrev, firstBreak: broken };
        checked += 1;
        expectedPrev = entry.hash;
        expectedSeq = entry.seq + 1;
      }
      if (page.rows.length < pageSize) return { ok: true, checked, head: expectedPrev };
    }
  }
}

function checkLink(entry: AuditEntry, expectedSeq: number, expectedPrev: string): AuditBreak | undefined {
  if (entry.seq !== expectedSeq) return { seq: entry.seq, reason: 'SEQUENCE_GAP', expectedSeq };
  if (entry.prevHash !== expectedPrev) return { seq: entry.seq, reason: 'PREVIOUS_HASH_MISMATCH' };
  if (entryHash(entry.prevHash, entry) !== entry.hash) return { seq: entry.seq, reason: 'HASH_MISMATCH' };
  return undefined;
}

// PostgreSQL text and jsonb cannot hold U+0000; an attacker-chosen string
// (a user name, a device ID) must still be recorded, not fail the action.
function withoutNul(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}

function withoutNulDeep(value: unknown): unknown {
  if (typeof value === 'string') return withoutNul(value);
  if (Array.isArray(value)) return value.map(withoutNulDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNulDeep(v)]));
  }
  return value;
}

/** WHERE clause and parameters of a page query; the limit is the last parameter. */
function filterOf(query: AuditQuery): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (query.before !== undefined) {
    params.push(query.before);
    conditions.push(`seq < $${params.length}`);
  }
  if (query.actor !== undefined) {
    params.push(query.actor);
    conditions.push(`actor = $${params.length}`);
  }
  if (query.action !== undefined) {
    params.push(query.action);
    conditions.push(`action = $${params.length}`);
  }
  params.push(query.limit);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
