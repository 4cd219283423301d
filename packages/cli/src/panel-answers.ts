import { isOperatorRole, type OperatorRole } from '@palisade/core';
import { CliError } from './cli-error.ts';

/**
 * The panel's answers, parsed once at the boundary into typed values. A
 * missing or mistyped field means the other side is not the panel this CLI
 * was built for; it is reported, not printed as `undefined`. The field
 * readers are exported for the parsers of other answer families
 * (fleet-answers.ts).
 */
export type Json = Record<string, unknown>;

export function invalid(what: string, field: string): CliError {
  return new CliError('PANEL_RESPONSE_INVALID', `the panel's ${what} answer has no valid ${field}`);
}

export function object(value: unknown, what: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(what, 'body');
  return value as Json;
}

export function string(o: Json, field: string, what: string): string {
  const value = o[field];
  if (typeof value !== 'string') throw invalid(what, field);
  return value;
}

export function optionalString(o: Json, field: string, what: string): string | undefined {
  return o[field] === undefined || o[field] === null ? undefined : string(o, field, what);
}

export function boolean(o: Json, field: string, what: string): boolean {
  const value = o[field];
  if (typeof value !== 'boolean') throw invalid(what, field);
  return value;
}

export function integer(o: Json, field: string, what: string): number {
  const value = o[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(what, field);
  return value;
}

function role(o: Json, field: string, what: string): OperatorRole {
  const value = o[field];
  if (!isOperatorRole(value)) throw invalid(what, field);
  return value;
}

export function array(o: Json, field: string, what: string): unknown[] {
  const value = o[field];
  if (!Array.isArray(value)) throw invalid(what, field);
  return value;
}

export interface LoginAnswer {
  readonly username: string;
  readonly role: OperatorRole;
  readonly mustChangePassword: boolean;
  readonly expiresAt: string;
  readonly token: string;
}

export function parseLoginAnswer(value: unknown): LoginAnswer {
  const o = object(value, 'login');
  return {
    username: string(o, 'username', 'login'),
    role: role(o, 'role', 'login'),
    mustChangePassword: boolean(o, 'mustChangePassword', 'login'),
    expiresAt: string(o, 'expiresAt', 'login'),
    token: string(o, 'token', 'login'),
  };
}

export interface OperatorInfo {
  readonly username: string;
  readonly role: OperatorRole;
  readonly mustChangePassword: boolean;
  readonly disabled: boolean;
  readonly createdAt: string;
}

export function parseOperator(value: unknown): OperatorInfo {
  const o = object(value, 'operator');
  return {
    username: string(o, 'username', 'operator'),
    role: role(o, 'role', 'operator'),
    mustChangePassword: boolean(o, 'mustChangePassword', 'operator'),
    disabled: boolean(o, 'disabled', 'operator'),
    createdAt: string(o, 'createdAt', 'operator'),
  };
}

export function parseOperatorList(value: unknown): OperatorInfo[] {
  return array(object(value, 'operator list'), 'operators', 'operator list').map(parseOperator);
}

export function parseCreatedOperator(value: unknown): { operator: OperatorInfo; oneTimePassword?: string } {
  const o = object(value, 'create operator');
  const operator = parseOperator(o.operator);
  const oneTimePassword = optionalString(o, 'oneTimePassword', 'create operator');
  return oneTimePassword === undefined ? { operator } : { operator, oneTimePassword };
}

export function parseOneTimePassword(value: unknown): string {
  return string(object(value, 'reset password'), 'oneTimePassword', 'reset password');
}

export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  readonly owner: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revoked: boolean;
  readonly lastUsedAt: string | undefined;
}

export function parseTokenInfo(value: unknown): TokenInfo {
  const o = object(value, 'token');
  return {
    id: string(o, 'id', 'token'),
    name: string(o, 'name', 'token'),
    role: role(o, 'role', 'token'),
    owner: string(o, 'owner', 'token'),
    createdAt: string(o, 'createdAt', 'token'),
    expiresAt: string(o, 'expiresAt', 'token'),
    revoked: boolean(o, 'revoked', 'token'),
    lastUsedAt: optionalString(o, 'lastUsedAt', 'token'),
  };
}

export function parseTokenList(value: unknown): TokenInfo[] {
  return array(object(value, 'token list'), 'tokens', 'token list').map(parseTokenInfo);
}

export function parseCreatedToken(value: unknown): { token: string; info: TokenInfo } {
  const o = object(value, 'create token');
  return { token: string(o, 'token', 'create token'), info: parseTokenInfo(o.info) };
}

export interface AuditEntryRow {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | undefined;
  readonly outcome: string;
  readonly source: string | undefined;
}

export function parseAuditPage(value: unknown): { entries: AuditEntryRow[]; nextBefore?: number } {
  const o = object(value, 'audit');
  const entries = array(o, 'entries', 'audit').map((item) => {
    const e = object(item, 'audit');
    return {
      seq: integer(e, 'seq', 'audit'),
      at: string(e, 'at', 'audit'),
      actor: string(e, 'actor', 'audit'),
      action: string(e, 'action', 'audit'),
      target: optionalString(e, 'target', 'audit'),
      outcome: string(e, 'outcome', 'audit'),
      source: optionalString(e, 'source', 'audit'),
    };
  });
  return o.nextBefore === undefined
    ? { entries }
    : { entries, nextBefore: integer(o, 'nextBefore', 'audit') };
}

export interface AuditChainReport {
  readonly ok: boolean;
  readonly checked: number;
  readonly firstBreak?: { readonly seq: number; readonly reason: string; readonly expectedSeq?: number };
}

export function parseAuditVerification(value: unknown): AuditChainReport {
  const o = object(value, 'audit verify');
  const ok = boolean(o, 'ok', 'audit verify');
  const checked = integer(o, 'checked', 'audit verify');
  if (ok) return { ok, checked };
  const b = object(o.firstBreak, 'audit verify');
  const firstBreak = {
    seq: integer(b, 'seq', 'audit verify'),
    reason: string(b, 'reason', 'audit verify'),
    ...(b.expectedSeq === undefined ? {} : { expectedSeq: integer(b, 'expectedSeq', 'audit verify') }),
  };
  return { ok, checked, firstBreak };
}
