import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCondition } from './compile-condition.ts';
import type { RuleCondition } from './rule-document.ts';
import { loginFailed } from './rule-fixtures.ts';

const EVENT = loginFailed({
  deviceId: 'gw-berlin-07',
  message: 'Login failed for ROOT from 192.0.2.7',
  fields: { user: 'root', attempts: 3, interactive: true, code: '7' },
});
const holds = (condition: RuleCondition, group: string | null = 'berlin') =>
  compileCondition(condition)(EVENT, group);

describe('compileCondition', () => {
  it('tests members, typed fields and the group from the context', () => {
    assert.equal(holds({ field: 'type', op: 'eq', value: 'auth.login-failed' }), true);
    assert.equal(holds({ field: 'severity', op: 'gte', value: 5 }), true);
    assert.equal(holds({ field: 'severity', op: 'gt', value: 5 }), false);
    assert.equal(holds({ field: 'source', op: 'eq', value: 'device' }), true);
    assert.equal(holds({ field: 'deviceId', op: 'startsWith', value: 'gw-' }), true);
    assert.equal(holds({ field: 'message', op: 'endsWith', value: '192.0.2.7' }), true);
    assert.equal(holds({ field: 'fields.attempts', op: 'lt', value: 4 }), true);
    assert.equal(holds({ field: 'fields.interactive', op: 'eq', value: true }), true);
    assert.equal(holds({ field: 'group', op: 'eq', value: 'berlin' }), true);
    assert.equal(holds({ field: 'group', op: 'eq', value: 'berlin' }, 'munich'), false);
  });

  it('treats controls as a set: contains, in and exists', () => {
    assert.equal(holds({ field: 'controls', op: 'contains', value: 'SI-3' }), true);
    assert.equal(holds({ field: 'controls', op: 'contains', value: 'SI-2' }), false);
    assert.equal(holds({ field: 'controls', op: 'in', value: ['SI-2', 'PD-3'] }), true);
    assert.equal(holds({ field: 'controls', op: 'exists', value: true }), true);
    const bare = compileCondition({ field: 'controls', op: 'exists', value: false });
    assert.equal(bare(loginFailed({ controls: [] }), null), true);
  });

  it('fails every operator on an absent field except exists false and ne', () => {
    for (const op of ['eq', 'contains', 'startsWith', 'endsWith', 'glob'] as const) {
      assert.equal(holds({ field: 'fields.missing', op, value: 'x' }), false, op);
    }
    assert.equal(holds({ field: 'fields.missing', op: 'in', value: ['x'] }), false);
    assert.equal(holds({ field: 'fields.missing', op: 'gt', value: -1 }), false);
    assert.equal(holds({ field: 'fields.missing', op: 'exists', value: false }), true);
    assert.equal(holds({ field: 'fields.missing', op: 'ne', value: 'x' }), true);
    assert.equal(holds({ field: 'group', op: 'exists', value: true }, null), false);
    const panel = loginFailed({ deviceId: null, source: 'panel' });
    assert.equal(compileCondition({ field: 'deviceId', op: 'exists', value: false })(panel, null), true);
  });

  it('never coerces: the number 3 is not the string "3"', () => {
    assert.equal(holds({ field: 'fields.attempts', op: 'eq', value: '3' }), false);
    assert.equal(holds({ field: 'fields.code', op: 'eq', value: 7 }), false);
    assert.equal(holds({ field: 'fields.code', op: 'gt', value: 1 }), false);
    assert.equal(holds({ field: 'fields.attempts', op: 'contains', value: '3' }), false);
    assert.equal(holds({ field: 'fields.code', op: 'in', value: [7, '7'] }), true);
  });

  it('is case-sensitive unless the leaf says caseInsensitive', () => {
    assert.equal(holds({ field: 'message', op: 'contains', value: 'root' }), false);
    assert.equal(holds({ field: 'message', op: 'contains', value: 'root', caseInsensitive: true }), true);
    assert.equal(holds({ field: 'fields.user', op: 'eq', value: 'ROOT', caseInsensitive: true }), true);
    assert.equal(
      holds({ field: 'fields.user', op: 'in', value: ['ADMIN', 'Root'], caseInsensitive: true }),
      true,
    );
    assert.equal(holds({ field: 'message', op: 'glob', value: 'login*ROOT*', caseInsensitive: true }), true);
    assert.equal(holds({ field: 'message', op: 'glob', value: 'login*ROOT*' }), false);
    assert.equal(holds({ field: 'fields.user', op: 'ne', value: 'ROOT', caseInsensitive: true }), false);
  });

  it('combines with all, any and not', () => {
    const root = { field: 'fields.user', op: 'eq', value: 'root' } as const;
    const admin = { field: 'fields.user', op: 'eq', value: 'admin' } as const;
    assert.equal(holds({ all: [root, { not: admin }] }), true);
    assert.equal(holds({ all: [root, admin] }), false);
    assert.equal(holds({ any: [admin, root] }), true);
    assert.equal(holds({ not: { any: [admin, root] } }), false);
  });
});
