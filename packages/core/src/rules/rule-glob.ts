/**
 * Glob patterns for the `glob` operator: `*` matches any run of characters
 * (none included), `?` exactly one (a code point, so one emoji), and `\`
 * escapes `*`, `?` and `\`; a `\` before anything else is itself. That is
 * Sigma's escaping rule (rules specification, "Escaping"): `C:\Windows\cmd.exe`
 * needs no doubling, and a backslash followed by a wildcard is written `\\*`.
 *
 * Matching never backtracks more than one segment: the pattern is cut at its
 * stars into literal segments (with `?` holes); the first must match at the
 * start, the last at the end, and each middle one is placed at its leftmost
 * position after the previous one, which is optimal because a star can absorb
 * whatever lies between. Cost O(|text| · |pattern|), never exponential,
 * whatever the pattern (compare `(a*)*b` in a backtracking RegExp).
 */

/** One pattern segment between stars; `null` is a `?`. */
type Segment = readonly (string | null)[];

export interface Glob {
  /** The segments between stars; with no star, exactly one, which must match the whole text. */
  readonly segments: readonly Segment[];
  readonly hasStar: boolean;
}

export function compileGlob(pattern: string): Glob {
  const segments: (string | null)[][] = [[]];
  let hasStar = false;
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i += 1) {
    const char = chars[i] ?? '';
    const next = chars[i + 1];
    const current = segments[segments.length - 1] ?? [];
    if (char === '\\' && (next === '*' || next === '?' || next === '\\')) {
      current.push(next);
      i += 1;
    } else if (char === '*') {
      hasStar = true;
      if (current.length > 0 || segments.length === 1) segments.push([]);
    } else {
      current.push(char === '?' ? null : char);
    }
  }
  return { segments, hasStar };
}

export function globMatches(glob: Glob, text: string): boolean {
  const chars = hasSurrogate(text) ? Array.from(text) : text;
  const { segments } = glob;
  const first = segments[0] ?? [];
  if (!glob.hasStar) return chars.length === first.length && matchesAt(first, chars, 0);
  const last = segments[segments.length - 1] ?? [];
  // With a star, segments has at least two entries: [prefix, …, suffix] (either may be empty).
  const end = chars.length - last.length;
  if (end < first.length || !matchesAt(first, chars, 0) || !matchesAt(last, chars, end)) return false;
  let position = first.length;
  for (let s = 1; s < segments.length - 1; s += 1) {
    const segment = segments[s] ?? [];
    const found = findFrom(segment, chars, position, end);
    if (found < 0) return false;
    position = found + segment.length;
  }
  return true;
}

function matchesAt(segment: Segment, chars: ArrayLike<string>, at: number): boolean {
  for (let k = 0; k < segment.length; k += 1) {
    const want = segment[k];
    if (want !== null && chars[at + k] !== want) return false;
  }
  return true;
}

/** The leftmost position p in [from, end - |segment|] where segment matches, or -1. */
function findFrom(segment: Segment, chars: ArrayLike<string>, from: number, end: number): number {
  for (let p = from; p + segment.length <= end; p += 1) if (matchesAt(segment, chars, p)) return p;
  return -1;
}

function hasSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}
