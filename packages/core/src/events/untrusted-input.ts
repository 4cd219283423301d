/**
 * Small checks the event parser applies to untrusted values; kept apart so
 * that the parser reads as the list of members it accepts.
 */

// RFC 3339 §5.6 date-time. The components are range-checked in parseRfc3339
// because Date.parse rolls 2026-02-30 over to 2026-03-02 instead of failing.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch of an RFC 3339 date-time (any offset; the
 * fraction beyond milliseconds is dropped), or undefined. Second 60 is refused
 * although RFC 3339 §5.7 allows it: Date cannot hold it.
 */
export function parseRfc3339(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const part = (index: number): number => Number(match[index] ?? 0);
  const daysInMonth = new Date(Date.UTC(part(1), part(2), 0)).getUTCDate();
  const date = part(2) >= 1 && part(2) <= 12 && part(3) >= 1 && part(3) <= daysInMonth;
  const time = part(4) <= 23 && part(5) <= 59 && part(6) <= 59 && part(8) <= 23 && part(9) <= 59;
  const ms = Date.parse(text);
  return date && time && !Number.isNaN(ms) ? ms : undefined;
}

/**
 * Why a free-text value is refused, or undefined. Newlines and tabs are
 * allowed (the formatters escape them: a file whose name holds a newline must
 * still raise its alert); other C0 and C1 controls, which drive terminals and
 * log viewers, and lone surrogates, which UTF-8 cannot carry (RFC 5424 §6.4), are not.
 */
export function textProblem(text: string, maxLength: number): string | undefined {
  if (text.length > maxLength) return `is ${text.length} characters, limit ${maxLength}`;
  if (!text.isWellFormed()) return 'is not well-formed Unicode (lone surrogate)';
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f)) {
      return `contains the control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    }
  }
  return undefined;
}

/** A JSON object as JSON.parse makes it (no arrays, dates, class instances). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `/` + one RFC 6901 reference token; a hostile key is cut so that an error never echoes kilobytes. */
export function jsonPointer(key: string): string {
  const token = key.replaceAll('~', '~0').replaceAll('/', '~1');
  return `/${token.length > 64 ? `${token.slice(0, 64)}…` : token}`;
}
