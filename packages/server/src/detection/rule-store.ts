import { parseRuleDocument, type RuleDocument } from '@palisade/core';
import type { AuditLog } from '../audit/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { EventsError } from '../events/index.ts';

/** NOTIFY channel: a rule changed, every replica's worker reloads. */
export const RULES_CHANNEL = 'palisade_rules';

export interface StoredRule {
  readonly id: string;
  readonly version: number;
  readonly document: RuleDocument;
  readonly updatedBy: string;
  readonly updatedAt: string;
}

export interface RuleVersion {
  readonly version: number;
  readonly document: RuleDocument;
  readonly createdBy: string;
  readonly createdAt: string;
}

/** Who changes a rule, for the audit log. */
export interface RuleActor {
  readonly actor: string;
  readonly source?: string;
}

interface RuleRow {
  id: string;
  version: number;
  document: unknown;
  updated_by: string;
  updated_at: Date;
}

/**
 * Detection rules as versioned documents (SI-2): every save is a new
 * immutable version, the current one is what the worker evaluates, and each
 * change is audited with the rule's content hash. A webhook action must name
 * an existing exporter.
 */
export class RuleStore {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => Date;

  constructor(db: Db, audit: AuditLog, now: () => Date) {
    this.#db = db;
    this.#audit = audit;
    this.#now = now;
  }

  async list(): Promise<StoredRule[]> {
    const result = await this.#db.query<RuleRow>(
      'SELECT id, version, document, updated_by, updated_at FROM detection_rules WHERE NOT deleted ORDER BY id',
    );
    return result.rows.map(ruleOfRow);
  }

  /** The enabled rules, as the detection worker loads them. */
  async enabled(): Promise<RuleDocument[]> {
    return (await this.list()).map((r) => r.document).filter((d) => d.enabled);
  }

  async get(id: string): Promise<StoredRule> {
    const result = await this.#db.query<RuleRow>(
      'SELECT id, version, document, updated_by, updated_at FROM detection_rules WHERE id = $1 AND NOT deleted',
      [id],
    );
    const row = result.rows[0];
    if (!row) throw new EventsError('RULE_NOT_FOUND', `no detection rule ${id}`);
    return ruleOfRow(row);
  }

  async versions(id: string): Promise<RuleVersion[]> {
    await this.get(id);
    const result = await this.#db.query<{
      version: number;
      document: unknown;
      created_by: string;
      created_at: Date;
    }>(
      'SELECT version, document, created_by, created_at FROM detection_rule_versions WHERE id = $1 ORDER BY version DESC',
      [id],
    );
    return result.rows.map((row) => ({
      version: row.version,
      document: parseRuleDocument(row.document),
      createdBy: row.created_by,
      createdAt: row.created_at.toISOString(),
    }));
  }

  /** Creates a rule (version 1), or a new version of a deleted one; RULE_EXISTS if it is live. */
  async create(input: unknown, by: RuleActor): Promise<StoredRule> {
    const document = parseRuleDocument(input);
    return this.#save(document, by, 'create');
  }

  /** Saves a new version of a live rule; the document's ID must be the path's. */
  async update(id: string, input: unknown, by: RuleActor): Promise<StoredRule> {
    const document = parseRuleDocument(input);
    if (document.id !== id)
      throw new EventsError('RULE_REFERENCE_INVALID', `the document's id ${document.id} is not ${id}`);
    return this.#save(document, by, 'update');
  }

  async delete(id: string, by: RuleActor): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const result = await tx.query(
        'UPDATE detection_rules SET deleted = true, updated_by = $2, updated_at = $3 WHERE id = $1 AND NOT deleted',
        [id, by.actor, this.#now()],
      );
      if (result.rowCount === 0) throw new EventsError('RULE_NOT_FOUND', `no detection rule ${id}`);
      await this.#audit.appendIn(tx, {
        actor: by.actor,
        action: 'rule.delete',
        target: `rule:${id}`,
        outcome: 'success',
        ...(by.source !== undefined ? { source: by.source } : {}),
      });
      await tx.query('SELECT pg_notify($1, $2)', [RULES_CHANNEL, id]);
    });
  }

  async #save(document: RuleDocument, by: RuleActor, mode: 'create' | 'update'): Promise<StoredRule> {
    return this.#db.transaction(async (tx) => {
      await this.#checkReferences(tx, document);
      const current = await tx.query<{ version: number; deleted: boolean }>(
        'SELECT version, deleted FROM detection_rules WHERE id = $1 FOR UPDATE',
        [document.id],
      );
      const row = current.rows[0];
      if (mode === 'create' && row && !row.deleted)
        throw new EventsError('RULE_EXISTS', `detection rule ${document.id} exists; PUT a new version`);
      if (mode === 'update' && (!row || row.deleted))
        throw new EventsError('RULE_NOT_FOUND', `no detection rule ${document.id}`);
      const version = (row?.version ?? 0) + 1;
      const at = this.#now();
      const json = JSON.stringify(document);
      await tx.query(
        `INSERT INTO detection_rule_versions (id, version, document, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [document.id, version, json, by.actor, at],
      );
      await tx.query(
        `INSERT INTO detection_rules (id, version, document, enabled, deleted, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, false, $5, $6)
         ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, document = EXCLUDED.document,
           enabled = EXCLUDED.enabled, deleted = false, updated_by = EXCLUDED.updated_by,
           updated_at = EXCLUDED.updated_at`,
        [document.id, version, json, document.enabled, by.actor, at],
      );
      await this.#audit.appendIn(tx, {
        actor: by.actor,
        action: mode === 'create' ? 'rule.create' : 'rule.update',
        target: `rule:${document.id}`,
        outcome: 'success',
        ...(by.source !== undefined ? { source: by.source } : {}),
        details: { version, enabled: document.enabled, detect: document.detect.kind, document },
      });
      await tx.query('SELECT pg_notify($1, $2)', [RULES_CHANNEL, document.id]);
      return {
        id: document.id,
        version,
        document,
        updatedBy: by.actor,
        updatedAt: at.toISOString(),
      };
    });
  }

  async #checkReferences(tx: Queryable, document: RuleDocument): Promise<void> {
    for (const action of document.actions) {
      if (action.type !== 'webhook') continue;
      const exporter = await tx.query(
        "SELECT 1 FROM siem_exporters WHERE id::text = $1 AND kind = 'webhook'",
        [action.exporterId],
      );
      if (exporter.rowCount === 0)
        throw new EventsError(
          'RULE_REFERENCE_INVALID',
          `webhook action: no webhook exporter ${action.exporterId} (GET /v1/siem/exporters lists them)`,
        );
    }
  }
}

function ruleOfRow(row: RuleRow): StoredRule {
  return {
    id: row.id,
    version: row.version,
    // Re-parsed on the way out: a stored rule is trusted no more than one arriving over the API.
    document: parseRuleDocument(row.document),
    updatedBy: row.updated_by,
    updatedAt: row.updated_at.toISOString(),
  };
}
