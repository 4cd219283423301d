/**
 * Test-only fast-check generators for rule documents: mostly well-formed
 * shapes with values drawn from near the edges (unknown fields and operators,
 * wrong types, out-of-range numbers, deep and wide trees), so that a run
 * reaches both the parser's acceptances and each of its refusals.
 */
import fc from 'fast-check';

const fieldName = fc.constantFrom(
  'type',
  'severity',
  'source',
  'deviceId',
  'message',
  'controls',
  'group',
  'fields.user',
  'fields.count',
  'fields.Bad',
  'occurredAt',
);
const operator = fc.constantFrom(
  'eq',
  'ne',
  'in',
  'contains',
  'startsWith',
  'endsWith',
  'glob',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'regex',
);
const scalar = fc.oneof(
  fc.constantFrom('auth.login-failed', 'root', 'SI-3', 'device', '*', '', 'r?o*', 'x'.repeat(1025)),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -2, max: 12 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const leaf = fc.record(
  {
    field: fieldName,
    op: operator,
    value: fc.oneof(scalar, fc.array(scalar, { maxLength: 4 })),
    caseInsensitive: fc.oneof(fc.boolean(), fc.constant('yes')),
  },
  { requiredKeys: ['field', 'op', 'value'] },
);

const { condition } = fc.letrec<{ condition: unknown }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ all: fc.array(tie('condition'), { maxLength: 4 }) }),
    fc.record({ any: fc.array(tie('condition'), { maxLength: 4 }) }),
    fc.record({ not: tie('condition') }),
    fc.anything({ maxDepth: 2 }),
  ),
}));

const window = fc.oneof(fc.integer({ min: -1, max: 90_000 }), fc.constant('60'));
const detect = fc.oneof(
  fc.constant({ kind: 'match' }),
  fc.record({
    kind: fc.constant('threshold'),
    count: fc.integer({ min: 0, max: 200_000 }),
    windowSeconds: window,
    per: fc.constantFrom('device', 'group', 'fleet', 'site'),
  }),
  fc.record({
    kind: fc.constant('sequence'),
    steps: fc.array(condition, { maxLength: 10 }),
    withinSeconds: window,
  }),
  fc.record({
    kind: fc.constant('spread'),
    devices: fc.integer({ min: 0, max: 200_000 }),
    windowSeconds: window,
  }),
  fc.anything({ maxDepth: 1 }),
);
const action = fc.oneof(
  fc.constantFrom({ type: 'alert' }, { type: 'quarantine' }, { type: 'page' }),
  fc.record({ type: fc.constant('webhook'), exporterId: fc.oneof(fc.uuid(), fc.string()) }),
);

/** A rule document, well-formed or not. */
export const ruleDocumentInput = fc.record(
  {
    id: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/), fc.string()),
    title: fc.string({ maxLength: 30 }),
    description: fc.string({ maxLength: 30 }),
    enabled: fc.oneof(fc.boolean(), fc.constant(1)),
    severity: fc.integer({ min: -1, max: 11 }),
    controls: fc.array(fc.constantFrom('SI-2', 'SI-3', 'XX-1'), { maxLength: 3 }),
    match: condition,
    detect,
    suppressSeconds: fc.integer({ min: -1, max: 90_000 }),
    actions: fc.array(action, { maxLength: 3 }),
    extra: fc.anything({ maxDepth: 1 }),
  },
  { requiredKeys: ['id', 'title', 'severity', 'match', 'detect'] },
);

const validLeaf = fc.oneof(
  fc.record({
    field: fc.constant('fields.user'),
    op: fc.constantFrom('eq', 'ne', 'contains', 'glob'),
    value: fc.constantFrom('root', 'ad*', 'x'),
  }),
  fc.record({
    field: fc.constant('severity'),
    op: fc.constantFrom('gt', 'lte', 'eq'),
    value: fc.integer({ min: 0, max: 10 }),
  }),
  fc.record({
    field: fc.constant('controls'),
    op: fc.constant('in'),
    value: fc.subarray(['SI-2', 'SI-3'], { minLength: 1 }),
  }),
  fc.record({ field: fc.constant('group'), op: fc.constant('exists'), value: fc.boolean() }),
  fc.record({
    field: fc.constant('message'),
    op: fc.constant('startsWith'),
    value: fc.constant('Login'),
    caseInsensitive: fc.boolean(),
  }),
);
const { validCondition } = fc.letrec<{ validCondition: unknown }>((tie) => ({
  validCondition: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    validLeaf,
    fc.record({ all: fc.array(tie('validCondition'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('validCondition'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('validCondition') }),
  ),
}));
const anchor = (c: unknown) => ({ all: [{ field: 'type', op: 'eq', value: 'auth.login-failed' }, c] });
const anchored = validCondition.map(anchor);
// Steps stay small so that match plus every step is within the 64-leaf limit.
const anchoredStep = validLeaf.map(anchor);

/** A rule document parseRuleDocument accepts (well-formed members, anchored conditions). */
export const validRuleDocument = fc.record(
  {
    id: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
    title: fc.constantFrom('Failed logins', 'Tamper'),
    enabled: fc.boolean(),
    severity: fc.integer({ min: 0, max: 10 }),
    controls: fc.subarray(['SI-2', 'SI-3']),
    match: anchored,
    detect: fc.oneof(
      fc.constant({ kind: 'match' }),
      fc.record({
        kind: fc.constant('threshold'),
        count: fc.integer({ min: 2, max: 100 }),
        windowSeconds: fc.integer({ min: 1, max: 86_400 }),
        per: fc.constantFrom('device', 'group', 'fleet'),
      }),
      fc.record({
        kind: fc.constant('sequence'),
        steps: fc.array(anchoredStep, { minLength: 2, maxLength: 3 }),
        withinSeconds: fc.integer({ min: 1, max: 600 }),
      }),
      fc.record({
        kind: fc.constant('spread'),
        devices: fc.integer({ min: 2, max: 50 }),
        windowSeconds: fc.integer({ min: 1, max: 600 }),
      }),
    ),
    suppressSeconds: fc.integer({ min: 0, max: 86_400 }),
  },
  { requiredKeys: ['id', 'title', 'severity', 'match', 'detect'] },
);
