import { known, unknown } from './fact.ts';
import type { Fact, OsRelease } from './types.ts';

/** os-release files are a few hundred bytes; anything past this is not an os-release file. */
const MAX_INPUT_CHARS = 64 * 1024;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Characters that would mean expansion or a second command in shell, so the line is not a literal assignment. */
const UNQUOTED_SPECIAL = new Set(['$', '`', ';', '|', '&', '<', '>', '(', ')']);
/** Inside double quotes a backslash escapes only these (POSIX shell, which os-release(5) follows). */
const DOUBLE_QUOTE_ESCAPABLE = new Set(['$', '`', '"', '\\']);

/**
 * Parses an os-release(5) file: newline-separated shell-compatible
 * `KEY=VALUE` assignments, values optionally in single quotes (literal) or
 * double quotes (backslash escapes `$`, `` ` ``, `"`, `\`). A line that is not
 * a literal assignment (unterminated quote, unescaped `$`, trailing words) is
 * skipped, never guessed at; a later assignment of a key wins, as in shell.
 */
export function parseOsRelease(text: string): ReadonlyMap<string, string> {
  const fields = new Map<string, string>();
  for (const rawLine of text.slice(0, MAX_INPUT_CHARS).split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    const key = trimmed.slice(0, eq);
    if (!KEY.test(key)) continue;
    const value = parseShellWord(trimmed.slice(eq + 1));
    if (value !== undefined) fields.set(key, value);
  }
  return fields;
}

/** One shell word made of unquoted, '…' and "…" pieces; undefined when it is not a plain literal. */
function parseShellWord(input: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (c === ' ' || c === '\t') {
      // Only a comment may follow the value.
      const rest = input.slice(i).trimStart();
      return rest === '' || rest.startsWith('#') ? out : undefined;
    }
    if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += input.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      const piece = parseDoubleQuoted(input, i + 1);
      if (piece === undefined) return undefined;
      out += piece.value;
      i = piece.next;
    } else if (c === '\\') {
      if (i + 1 >= input.length) return undefined;
      out += input.charAt(i + 1);
      i += 2;
    } else {
      if (UNQUOTED_SPECIAL.has(c)) return undefined;
      out += c;
      i += 1;
    }
  }
  return out;
}

function parseDoubleQuoted(input: string, start: number): { value: string; next: number } | undefined {
  let value = '';
  for (let i = start; i < input.length; i += 1) {
    const c = input.charAt(i);
    if (c === '"') return { value, next: i + 1 };
    if (c === '$' || c === '`') return undefined; // unescaped: shell would expand it
    if (c === '\\') {
      const next = input.charAt(i + 1);
      if (next === '') return undefined;
      value += DOUBLE_QUOTE_ESCAPABLE.has(next) ? next : `\\${next}`;
      i += 1;
    } else {
      value += c;
    }
  }
  return undefined;
}

/** The fields the inventory reports, each unknown (with the file named) when absent or empty. */
export function toOsRelease(fields: ReadonlyMap<string, string>, path: string): OsRelease {
  const field = (key: string): Fact<string> => {
    const value = fields.get(key);
    return value === undefined || value === '' ? unknown(`${key} not set in ${path}`) : known(value);
  };
  return { id: field('ID'), versionId: field('VERSION_ID'), prettyName: field('PRETTY_NAME') };
}
