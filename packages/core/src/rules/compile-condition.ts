import type { EventFieldValue, SecurityEvent } from '../events/security-event.ts';
import type { RuleCondition, RuleField, RuleLeaf, RuleScalar } from './rule-document.ts';
import { compileGlob, globMatches } from './rule-glob.ts';

/** A compiled condition: the group is the device's, from the evaluation context (null when it has none). */
export type EventPredicate = (event: SecurityEvent, group: string | null) => boolean;

type Value = EventFieldValue | readonly string[] | undefined;
type Getter = (event: SecurityEvent, group: string | null) => Value;

/**
 * Compiles a parsed condition into a closure tree, so that evaluating it per
 * event costs one call per node and no re-interpretation of the document.
 * Semantics (docs/detection-rules.md): an absent field (null deviceId or
 * group, a missing `fields` key) fails every operator except `exists false`
 * and `ne`, which is exactly `not eq`; values are never coerced (the number
 * 7 does not equal the string "7").
 */
export function compileCondition(condition: RuleCondition): EventPredicate {
  if ('all' in condition) {
    const children = condition.all.map(compileCondition);
    return (event, group) => children.every((child) => child(event, group));
  }
  if ('any' in condition) {
    const children = condition.any.map(compileCondition);
    return (event, group) => children.some((child) => child(event, group));
  }
  if ('not' in condition) {
    const child = compileCondition(condition.not);
    return (event, group) => !child(event, group);
  }
  const get = getter(condition.field);
  const test = valueTest(condition);
  return (event, group) => test(get(event, group));
}

function getter(field: RuleField): Getter {
  switch (field) {
    case 'type':
      return (event) => event.type;
    case 'severity':
      return (event) => event.severity;
    case 'source':
      return (event) => event.source;
    case 'deviceId':
      return (event) => event.deviceId ?? undefined;
    case 'message':
      return (event) => event.message;
    case 'controls':
      return (event) => event.controls;
    case 'group':
      return (_event, group) => group ?? undefined;
    default: {
      const key = field.slice('fields.'.length);
      return (event) => (Object.hasOwn(event.fields, key) ? event.fields[key] : undefined);
    }
  }
}

function valueTest(leaf: RuleLeaf): (value: Value) => boolean {
  const fold = leaf.caseInsensitive === true ? (text: string) => text.toLowerCase() : (text: string) => text;
  const foldScalar = (scalar: RuleScalar): RuleScalar => (typeof scalar === 'string' ? fold(scalar) : scalar);
  switch (leaf.op) {
    case 'eq':
    case 'ne': {
      const want = foldScalar(leaf.value);
      const equal = (value: Value): boolean =>
        Array.isArray(value) ? false : (typeof value === 'string' ? fold(value) : value) === want;
      return leaf.op === 'eq' ? equal : (value) => !equal(value);
    }
    case 'in': {
      const wanted = new Set(leaf.value.map(foldScalar));
      return (value) => {
        if (value === undefined) return false;
        if (isList(value)) return value.some((item) => wanted.has(item));
        return wanted.has(typeof value === 'string' ? fold(value) : value);
      };
    }
    case 'contains': {
      const want = fold(leaf.value);
      return (value) =>
        isList(value) ? value.includes(want) : typeof value === 'string' && fold(value).includes(want);
    }
    case 'startsWith': {
      const want = fold(leaf.value);
      return (value) => typeof value === 'string' && fold(value).startsWith(want);
    }
    case 'endsWith': {
      const want = fold(leaf.value);
      return (value) => typeof value === 'string' && fold(value).endsWith(want);
    }
    case 'glob': {
      const glob = compileGlob(fold(leaf.value));
      return (value) => typeof value === 'string' && globMatches(glob, fold(value));
    }
    case 'gt': {
      const bound = leaf.value;
      return (value) => typeof value === 'number' && value > bound;
    }
    case 'gte': {
      const bound = leaf.value;
      return (value) => typeof value === 'number' && value >= bound;
    }
    case 'lt': {
      const bound = leaf.value;
      return (value) => typeof value === 'number' && value < bound;
    }
    case 'lte': {
      const bound = leaf.value;
      return (value) => typeof value === 'number' && value <= bound;
    }
    case 'exists': {
      const want = leaf.value;
      return (value) => (value !== undefined && !(isList(value) && value.length === 0)) === want;
    }
  }
}

function isList(value: Value): value is readonly string[] {
  return Array.isArray(value);
}
