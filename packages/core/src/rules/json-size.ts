import { isPlainObject, jsonPointer } from '../events/untrusted-input.ts';
import { utf8Length } from '../events/utf8.ts';

/** Why a value cannot be measured: it is not JSON data, or it nests deeper than the walk goes. */
export type JsonSizeRefusal = { readonly problem: 'not-json' | 'too-deep'; readonly path: string };

const MAX_NESTING = 64;

/**
 * The UTF-8 bytes of `value` as compact JSON, or `limit + 1` as soon as the
 * count passes `limit`: the walk stops there, so a hostile document (a
 * million-element array, a YAML alias bomb expanded into shared subtrees)
 * costs at most `limit` bytes of work before it is refused. Anything that is
 * not JSON data (undefined, functions, class instances, non-finite numbers)
 * and nesting deeper than 64 are refused with the path where they were met.
 */
export function jsonSize(value: unknown, limit: number): number | JsonSizeRefusal {
  let bytes = 0;
  let refusal: JsonSizeRefusal | undefined;
  const add = (n: number): boolean => {
    bytes += n;
    return bytes <= limit;
  };
  const text = (s: string): boolean => s.length <= limit && add(utf8Length(JSON.stringify(s)));
  const walk = (node: unknown, path: string, depth: number): boolean => {
    if (depth > MAX_NESTING) {
      refusal = { problem: 'too-deep', path };
      return false;
    }
    if (node === null) return add(4);
    if (typeof node === 'boolean') return add(node ? 4 : 5);
    if (typeof node === 'number') {
      if (Number.isFinite(node)) return add(JSON.stringify(node).length);
    } else if (typeof node === 'string') {
      return text(node);
    } else if (Array.isArray(node)) {
      if (!add(1 + Math.max(node.length, 1))) return false; // brackets and commas
      for (let i = 0; i < node.length; i += 1) if (!walk(node[i], `${path}/${i}`, depth + 1)) return false;
      return true;
    } else if (isPlainObject(node)) {
      const keys = Object.keys(node);
      if (!add(1 + Math.max(keys.length * 2, 1))) return false; // braces, colons and commas
      for (const key of keys) {
        if (!text(key) || !walk(node[key], `${path}${jsonPointer(key)}`, depth + 1)) return false;
      }
      return true;
    }
    refusal = { problem: 'not-json', path };
    return false;
  };
  if (walk(value, '', 0)) return bytes;
  return refusal ?? limit + 1;
}
