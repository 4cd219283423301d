/**
 * Canonical JSON (RFC 8785, JCS) for the value shapes Palisade hashes and signs:
 * objects, arrays, strings, finite numbers, booleans and null. Keys are sorted
 * by UTF-16 code units and strings use JSON.stringify's escaping, which is what
 * RFC 8785 §3.2.2 prescribes; numbers use ECMAScript's shortest round-trip form
 * (RFC 8785 §3.2.2.3), which is also what JSON.stringify emits.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON cannot encode a non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}
