import { randomBytes } from 'node:crypto';
import type { OperatorRole } from '@palisade/core';
import type { AuditLog } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { LoginThrottle } from '../security/index.ts';
import { hashSecret, mintSecret, parseSecret, secretMatches } from '../security/index.ts';
import { AuthError, OperatorError } from './operator-errors.ts';
import { checkPasswordPolicy, hashPassword, verifyAgainstDummy, verifyPassword } from './password-hasher.ts';
import { type Permission, ROLE_PERMISSIONS, roleCanGrant } from './permissions.ts';
import { actorOf, credentialOf, type Principal } from './principal.ts';

export interface SessionPolicy {
  /** Absolute lifetime of a session. */
  readonly ttlSeconds: number;
  /** A session unused for this long ends. */
  readonly idleSeconds: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { ttlSeconds: 12 * 3600, idleSeconds: 30 * 60 };

/** API tokens live at most a year; automation rotates them. */
export const MAX_TOKEN_TTL_SECONDS = 366 * 24 * 3600;

// Writing last-seen on every request would turn every read into a write.
const TOUCH_INTERVAL_MS = 60_000;
/**
 * How long a verified API token is trusted without asking the database again.
 * Revocation and disabling take effect at once in the replica that made them
 * and within this time in the others.
 */
export const TOKEN_CACHE_MS = 5_000;

export interface IssuedSession {
  readonly token: string;
  readonly csrfToken: string;
  readonly expiresAt: string;
  readonly username: string;
  readonly role: OperatorRole;
  readonly mustChangePassword: boolean;
}

export interface ApiTokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  readonly owner: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revoked: boolean;
  readonly lastUsedAt: string | null;
}

interface LoginRow {
  id: string;
  username: string;
  role: OperatorRole;
  password_hash: string;
  must_change_password: boolean;
  disabled_at: Date | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: OperatorRole;
  owner: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

function toTokenInfo(row: TokenRow): ApiTokenInfo {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    owner: row.owner,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    revoked: row.revoked_at !== null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}

function intersect(a: ReadonlySet<Permission>, b: ReadonlySet<Permission>): ReadonlySet<Permission> {
  return new Set([...a].filter((p) => b.has(p)));
}

/** Logins, sessions and API tokens: how an operator proves who they are. */
export class OperatorCredentials {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #throttle: LoginThrottle;
  readonly #sessions: SessionPolicy;
  readonly #now: () => Date;
  readonly #tokenCache = new Map<string, { secretHash: Uint8Array; principal: Principal; until: number }>();

  constructor(db: Db, audit: AuditLog, throttle: LoginThrottle, sessions: SessionPolicy, now: () => Date) {
    this.#db = db;
    this.#audit = audit;
    this.#throttle = throttle;
    this.#sessions = sessions;
    this.#now = now;
  }

  async login(input: { username: string; password: string; source: string }): Promise<IssuedSession> {
    const subject = input.username.toLowerCase();
    const refuse = async (
      code: 'INVALID_CREDENTIALS' | 'LOGIN_THROTTLED',
      reason: string,
      retryAfter?: number,
    ) => {
      await this.#audit.append({
        actor: `anonymous:${subject}`,
        action: 'auth.login',
        target: `operator:${subject}`,
        outcome: code === 'LOGIN_THROTTLED' ? 'denied' : 'failure',
        source: input.source,
        details: { reason },
      });
      if (code === 'LOGIN_THROTTLED') {
        return new AuthError(code, `too many login attempts; try again in ${retryAfter} seconds`, {
          details: { retryAfter },
        });
      }
      return new AuthError(code, 'user name or password is wrong');
    };

    const sourceWait = this.#throttle.takeSourceAttempt(input.source);
    if (sourceWait > 0) throw await refuse('LOGIN_THROTTLED', 'source rate limit', sourceWait);
    const lockedFor = await this.#throttle.lockedFor(this.#db, subject);
    if (lockedFor > 0) throw await refuse('LOGIN_THROTTLED', 'account locked', lockedFor);

    const found = await this.#db.query<LoginRow>(
      'SELECT id, username, role, password_hash, must_change_password, disabled_at FROM operators WHERE username = $1',
      [subject],
    );
    const row = found.rows[0];
    const valid = row
      ? await verifyPassword(input.password, row.password_hash)
      : await verifyAgainstDummy(input.password);
    if (!row || !valid || row.disabled_at !== null) {
      const { failures, locked } = await this.#throttle.recordFailure(this.#db, subject);
      const reason = !row ? 'unknown user' : !valid ? 'wrong password' : 'account disabled';
      throw await refuse(
        'INVALID_CREDENTIALS',
        locked ? `${reason}; locked after ${failures} failures` : reason,
      );
    }

    await this.#throttle.recordSuccess(this.#db, subject);
    const session = mintSecret('sess');
    const csrfToken = randomBytes(32).toString('hex');
    const now = this.#now();
    const expiresAt = new Date(now.getTime() + this.#sessions.ttlSeconds * 1000);
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO operator_sessions (id, operator_id, secret_hash, csrf_hash, created_at, last_seen_at, expires_at, source)
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7)`,
        [session.id, row.id, session.secretHash, hashSecret(csrfToken), now, expiresAt, input.source],
      );
      await this.#audit.appendIn(tx, {
        actor: `operator:${row.username}`,
        action: 'auth.login',
        target: `operator:${row.username}`,
        outcome: 'success',
        source: input.source,
        details: { credential: `session:${session.id}` },
      });
    });
    return {
      token: session.token,
      csrfToken,
      expiresAt: expiresAt.toISOString(),
      username: row.username,
      role: row.role,
      mustChangePassword: row.must_change_password,
    };
  }

  /**
   * Resolves a bearer secret (session or API token) to a principal, or throws
   * UNAUTHENTICATED / CREDENTIAL_EXPIRED without saying which part was wrong.
   */
  async authenticate(token: string): Promise<Principal> {
    const parsed = parseSecret(token);
    if (!parsed) throw new AuthError('UNAUTHENTICATED', 'credential is malformed or unknown');
    return parsed.kind === 'sess'
      ? this.#authenticateSession(parsed.id, parsed.secret)
      : this.#authenticateToken(parsed.id, parsed.secret);
  }

  async #authenticateSession(id: string, secret: string): Promise<Principal> {
    const result = await this.#db.query<{
      secret_hash: Uint8Array;
      csrf_hash: Uint8Array;
      expires_at: Date;
      last_seen_at: Date;
      operator_id: string;
      username: string;
      role: OperatorRole;
      must_change_password: boolean;
    }>(
      `SELECT s.secret_hash, s.csrf_hash, s.expires_at, s.last_seen_at, o.id AS operator_id, o.username, o.role,
              o.must_change_password
       FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
       WHERE s.id = $1 AND s.revoked_at IS NULL AND o.disabled_at IS NULL`,
      [id],
    );
    const row = result.rows[0];
    if (!row || !secretMatches(secret, row.secret_hash)) {
      throw new AuthError('UNAUTHENTICATED', 'credential is malformed or unknown');
    }
    const now = this.#now().getTime();
    if (
      row.expires_at.getTime() <= now ||
      row.last_seen_at.getTime() + this.#sessions.idleSeconds * 1000 <= now
    ) {
      throw new AuthError('CREDENTIAL_EXPIRED', 'session has expired; log in again');
    }
    if (now - row.last_seen_at.getTime() > TOUCH_INTERVAL_MS) {
      await this.#db.query('UPDATE operator_sessions SET last_seen_at = $2 WHERE id = $1', [
        id,
        new Date(now),
      ]);
    }
    return {
      operatorId: row.operator_id,
      username: row.username,
      role: row.role,
      permissions: ROLE_PERMISSIONS[row.role],
      credential: { kind: 'session', id },
      mustChangePassword: row.must_change_password,
      csrfHash: row.csrf_hash,
    };
  }

  /** Drops cached token verifications of an operator (disabled, role or password changed). */
  forgetOperator(operatorId: string): void {
    for (const [id, entry] of this.#tokenCache)
      if (entry.principal.operatorId === operatorId) this.#tokenCache.delete(id);
  }

  async #authenticateToken(id: string, secret: string): Promise<Principal> {
    const cached = this.#tokenCache.get(id);
    if (cached && cached.until > this.#now().getTime() && secretMatches(secret, cached.secretHash))
      return cached.principal;
    const result = await this.#db.query<{
      secret_hash: Uint8Array;
      role: OperatorRole;
      expires_at: Date;
      last_used_at: Date | null;
      operator_id: string;
      username: string;
      owner_role: OperatorRole;
    }>(
      `SELECT t.secret_hash, t.role, t.expires_at, t.last_used_at, o.id AS operator_id, o.username, o.role AS owner_role
       FROM api_tokens t JOIN operators o ON o.id = t.operator_id
       WHERE t.id = $1 AND t.revoked_at IS NULL AND o.disabled_at IS NULL`,
      [id],
    );
    const row = result.rows[0];
    if (!row || !secretMatches(secret, row.secret_hash)) {
      throw new AuthError('UNAUTHENTICATED', 'credential is malformed or unknown');
    }
    const now = this.#now().getTime();
    if (row.expires_at.getTime() <= now) throw new AuthError('CREDENTIAL_EXPIRED', 'API token has expired');
    if (!row.last_used_at || now - row.last_used_at.getTime() > TOUCH_INTERVAL_MS) {
      await this.#db.query('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1', [id, new Date(now)]);
    }
    const principal: Principal = {
      operatorId: row.operator_id,
      username: row.username,
      role: row.role,
      // A token never outgrows its owner, even after the owner's role is lowered.
      permissions: intersect(ROLE_PERMISSIONS[row.role], ROLE_PERMISSIONS[row.owner_role]),
      credential: { kind: 'token', id },
      mustChangePassword: false,
    };
    if (this.#tokenCache.size >= 10_000) this.#tokenCache.clear();
    this.#tokenCache.set(id, {
      secretHash: row.secret_hash,
      principal,
      until: Math.min(now + TOKEN_CACHE_MS, row.expires_at.getTime()),
    });
    return principal;
  }

  async logout(principal: Principal, source: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      if (principal.credential.kind === 'session') {
        await tx.query('UPDATE operator_sessions SET revoked_at = now() WHERE id = $1', [
          principal.credential.id,
        ]);
      }
      await this.#audit.appendIn(tx, {
        actor: actorOf(principal),
        action: 'auth.logout',
        outcome: 'success',
        source,
        details: credentialOf(principal),
      });
    });
  }

  /** Changing the password ends every other session of the operator. */
  async changePassword(principal: Principal, current: string, next: string, source: string): Promise<void> {
    const found = await this.#db.query<{ password_hash: string }>(
      'SELECT password_hash FROM operators WHERE id = $1',
      [principal.operatorId],
    );
    const stored = found.rows[0]?.password_hash ?? '';
    if (!(await verifyPassword(current, stored))) {
      await this.#audit.append({
        actor: actorOf(principal),
        action: 'operator.change-password',
        target: `operator:${principal.username}`,
        outcome: 'failure',
        source,
        details: { reason: 'current password wrong', ...credentialOf(principal) },
      });
      throw new AuthError('INVALID_CREDENTIALS', 'current password is wrong');
    }
    checkPasswordPolicy(next, principal.username);
    if (await verifyPassword(next, stored)) {
      throw new OperatorError('PASSWORD_POLICY', 'new password must differ from the current one');
    }
    const hash = await hashPassword(next);
    await this.#db.transaction(async (tx) => {
      await tx.query(
        'UPDATE operators SET password_hash = $2, must_change_password = false, password_changed_at = now() WHERE id = $1',
        [principal.operatorId, hash],
      );
      await tx.query(
        `UPDATE operator_sessions SET revoked_at = now()
         WHERE operator_id = $1 AND revoked_at IS NULL AND id <> $2`,
        [principal.operatorId, principal.credential.kind === 'session' ? principal.credential.id : null],
      );
      await this.#audit.appendIn(tx, {
        actor: actorOf(principal),
        action: 'operator.change-password',
        target: `operator:${principal.username}`,
        outcome: 'success',
        source,
        details: credentialOf(principal),
      });
    });
  }

  /** Creates an API token for the calling operator; the secret is returned once. */
  async createToken(
    principal: Principal,
    input: { name: string; role: OperatorRole; ttlSeconds: number },
    source: string,
  ): Promise<{ token: string; info: ApiTokenInfo }> {
    if (
      !roleCanGrant(principal.role, input.role) ||
      ![...ROLE_PERMISSIONS[input.role]].every((p) => principal.permissions.has(p))
    ) {
      throw new OperatorError(
        'ROLE_NOT_GRANTABLE',
        `a ${principal.role} cannot create a token with role ${input.role}`,
      );
    }
    const minted = mintSecret('tok');
    const expiresAt = new Date(this.#now().getTime() + input.ttlSeconds * 1000);
    const info = await this.#db.transaction(async (tx) => {
      await tx.query(
        'INSERT INTO api_tokens (id, operator_id, name, role, secret_hash, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [minted.id, principal.operatorId, input.name, input.role, minted.secretHash, expiresAt],
      );
      await this.#audit.appendIn(tx, {
        actor: actorOf(principal),
        action: 'token.create',
        target: `token:${minted.id}`,
        outcome: 'success',
        source,
        details: {
          name: input.name,
          role: input.role,
          expiresAt: expiresAt.toISOString(),
          ...credentialOf(principal),
        },
      });
      return this.#getToken(tx, minted.id);
    });
    return { token: minted.token, info };
  }

  /** Own tokens; every token for those allowed to manage all. */
  async listTokens(principal: Principal): Promise<ApiTokenInfo[]> {
    const all = principal.permissions.has('tokens:manage-all');
    const result = await this.#db.query<TokenRow>(
      `SELECT t.id, t.name, t.role, o.username AS owner, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
       FROM api_tokens t JOIN operators o ON o.id = t.operator_id
       WHERE $1 OR t.operator_id = $2 ORDER BY t.created_at DESC`,
      [all, principal.operatorId],
    );
    return result.rows.map(toTokenInfo);
  }

  async revokeToken(principal: Principal, id: string, source: string): Promise<ApiTokenInfo> {
    return this.#db.transaction(async (tx) => {
      const owned = await tx.query<{ operator_id: string }>(
        'SELECT operator_id FROM api_tokens WHERE id = $1 FOR UPDATE',
        [id],
      );
      const ownerId = owned.rows[0]?.operator_id;
      // Someone else's token is reported as absent, not forbidden: its existence is not theirs to learn.
      if (!ownerId || (ownerId !== principal.operatorId && !principal.permissions.has('tokens:manage-all'))) {
        throw new OperatorError('TOKEN_NOT_FOUND', `no token ${id}`);
      }
      await tx.query('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [id]);
      this.#tokenCache.delete(id);
      await this.#audit.appendIn(tx, {
        actor: actorOf(principal),
        action: 'token.revoke',
        target: `token:${id}`,
        outcome: 'success',
        source,
        details: credentialOf(principal),
      });
      return this.#getToken(tx, id);
    });
  }

  async #getToken(tx: Pick<Db, 'query'>, id: string): Promise<ApiTokenInfo> {
    const result = await tx.query<TokenRow>(
      `SELECT t.id, t.name, t.role, o.username AS owner, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
       FROM api_tokens t JOIN operators o ON o.id = t.operator_id WHERE t.id = $1`,
      [id],
    );
    return toTokenInfo(result.rows[0] as TokenRow);
  }
}
