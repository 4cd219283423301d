import { randomUUID } from 'node:crypto';
import type { OperatorRole } from '@palisade/core';
import type { AuditLog } from '../audit/index.ts';
import { ADVISORY_LOCK, type Db, type Queryable } from '../db/index.ts';
import { OperatorError } from './operator-errors.ts';
import { checkPasswordPolicy, generateOneTimePassword, hashPassword } from './password-hasher.ts';
import { actorOf, credentialOf, type Principal } from './principal.ts';

export interface Operator {
  readonly id: string;
  readonly username: string;
  readonly role: OperatorRole;
  readonly mustChangePassword: boolean;
  readonly disabled: boolean;
  readonly createdAt: string;
}

interface OperatorRow {
  id: string;
  username: string;
  role: OperatorRole;
  must_change_password: boolean;
  disabled_at: Date | null;
  created_at: Date;
}

export function toOperator(row: OperatorRow): Operator {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    mustChangePassword: row.must_change_password,
    disabled: row.disabled_at !== null,
    createdAt: row.created_at.toISOString(),
  };
}

const OPERATOR_COLUMNS = 'id, username, role, must_change_password, disabled_at, created_at';

export interface CreatedOperator {
  readonly operator: Operator;
  /** Present when the panel generated the password: shown once, must be changed at first login. */
  readonly oneTimePassword?: string;
}

/** The operator accounts: who may use the panel, with which role. */
export class OperatorDirectory {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #changeListeners: Array<(operatorId: string) => void> = [];

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  /** Told after an operator is disabled or their password reset, so cached credentials are dropped. */
  onCredentialsChange(listener: (operatorId: string) => void): void {
    this.#changeListeners.push(listener);
  }

  #credentialsChanged(operatorId: string): void {
    for (const listener of this.#changeListeners) listener(operatorId);
  }

  /**
   * First start: creates `admin` if no operator exists yet. With a bootstrap
   * password (automation) no change is forced; otherwise a one-time password
   * is generated and returned exactly once.
   */
  async bootstrapFirstAdmin(bootstrapPassword?: string): Promise<CreatedOperator | undefined> {
    return this.#db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK.bootstrap]);
      const existing = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM operators');
      if ((existing.rows[0]?.n ?? 0) > 0) return undefined;
      return this.#insert(
        tx,
        'system',
        { username: 'admin', role: 'admin', password: bootstrapPassword },
        undefined,
      );
    });
  }

  async create(
    actor: Principal | 'system',
    input: { username: string; role: OperatorRole; password?: string | undefined },
    source: string | undefined,
  ): Promise<CreatedOperator> {
    return this.#db.transaction((tx) => this.#insert(tx, actor, input, source));
  }

  async #insert(
    tx: Queryable,
    actor: Principal | 'system',
    input: { username: string; role: OperatorRole; password?: string | undefined },
    source: string | undefined,
  ): Promise<CreatedOperator> {
    const username = input.username.toLowerCase();
    const oneTimePassword = input.password === undefined ? generateOneTimePassword() : undefined;
    const password = input.password ?? (oneTimePassword as string);
    if (input.password !== undefined) checkPasswordPolicy(password, username);
    const taken = await tx.query('SELECT 1 FROM operators WHERE username = $1', [username]);
    if (taken.rows.length > 0)
      throw new OperatorError('OPERATOR_EXISTS', `operator ${username} already exists`);
    const result = await tx.query<OperatorRow>(
      `INSERT INTO operators (id, username, role, password_hash, must_change_password)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${OPERATOR_COLUMNS}`,
      [randomUUID(), username, input.role, await hashPassword(password), oneTimePassword !== undefined],
    );
    await this.#audit.appendIn(tx, {
      actor: actorOf(actor),
      action: 'operator.create',
      target: `operator:${username}`,
      outcome: 'success',
      source,
      details: { role: input.role, oneTimePassword: oneTimePassword !== undefined, ...credentialOf(actor) },
    });
    const operator = toOperator(result.rows[0] as OperatorRow);
    return oneTimePassword === undefined ? { operator } : { operator, oneTimePassword };
  }

  async list(): Promise<Operator[]> {
    const result = await this.#db.query<OperatorRow>(
      `SELECT ${OPERATOR_COLUMNS} FROM operators ORDER BY username`,
    );
    return result.rows.map(toOperator);
  }

  async get(username: string): Promise<Operator> {
    const result = await this.#db.query<OperatorRow>(
      `SELECT ${OPERATOR_COLUMNS} FROM operators WHERE username = $1`,
      [username.toLowerCase()],
    );
    const row = result.rows[0];
    if (!row) throw new OperatorError('OPERATOR_NOT_FOUND', `no operator named ${username}`);
    return toOperator(row);
  }

  /** Disabling ends every session at once; API tokens stop working with their owner. */
  async setDisabled(
    actor: Principal,
    username: string,
    disabled: boolean,
    source: string | undefined,
  ): Promise<Operator> {
    const operator = await this.#db.transaction(async (tx) => {
      const target = await this.#lockOperator(tx, username);
      if (disabled && target.role === 'admin' && target.disabled_at === null)
        await this.#refuseLastAdmin(tx, target.id);
      const result = await tx.query<OperatorRow>(
        `UPDATE operators SET disabled_at = ${disabled ? 'COALESCE(disabled_at, now())' : 'NULL'}
         WHERE id = $1 RETURNING ${OPERATOR_COLUMNS}`,
        [target.id],
      );
      if (disabled) {
        await tx.query(
          'UPDATE operator_sessions SET revoked_at = now() WHERE operator_id = $1 AND revoked_at IS NULL',
          [target.id],
        );
      }
      await this.#audit.appendIn(tx, {
        actor: actorOf(actor),
        action: disabled ? 'operator.disable' : 'operator.enable',
        target: `operator:${target.username}`,
        outcome: 'success',
        source,
        details: credentialOf(actor),
      });
      return toOperator(result.rows[0] as OperatorRow);
    });
    this.#credentialsChanged(operator.id);
    return operator;
  }

  /**
   * Replaces the password with a new one-time password (shown once) and ends
   * the operator's sessions. `actor` is `system` for offline recovery.
   */
  async resetPassword(
    actor: Principal | 'system',
    username: string,
    source: string | undefined,
  ): Promise<string> {
    const oneTimePassword = generateOneTimePassword();
    const hash = await hashPassword(oneTimePassword);
    const operatorId = await this.#db.transaction(async (tx) => {
      const target = await this.#lockOperator(tx, username);
      await tx.query(
        `UPDATE operators SET password_hash = $2, must_change_password = true, password_changed_at = now()
         WHERE id = $1`,
        [target.id, hash],
      );
      await tx.query(
        'UPDATE operator_sessions SET revoked_at = now() WHERE operator_id = $1 AND revoked_at IS NULL',
        [target.id],
      );
      await tx.query('DELETE FROM login_throttle WHERE subject = $1', [target.username]);
      await this.#audit.appendIn(tx, {
        actor: actorOf(actor),
        action: 'operator.reset-password',
        target: `operator:${target.username}`,
        outcome: 'success',
        source,
        details: credentialOf(actor),
      });
      return target.id;
    });
    this.#credentialsChanged(operatorId);
    return oneTimePassword;
  }

  async #lockOperator(tx: Queryable, username: string): Promise<OperatorRow> {
    const result = await tx.query<OperatorRow>(
      `SELECT ${OPERATOR_COLUMNS} FROM operators WHERE username = $1 FOR UPDATE`,
      [username.toLowerCase()],
    );
    const row = result.rows[0];
    if (!row) throw new OperatorError('OPERATOR_NOT_FOUND', `no operator named ${username}`);
    return row;
  }

  async #refuseLastAdmin(tx: Queryable, exceptId: string): Promise<void> {
    const others = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM operators WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1`,
      [exceptId],
    );
    if ((others.rows[0]?.n ?? 0) === 0) {
      throw new OperatorError('LAST_ADMIN', 'the last enabled admin cannot be disabled');
    }
  }
}
