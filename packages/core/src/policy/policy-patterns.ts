/**
 * Patterns shared by the hand-written parsers and the published JSON Schemas:
 * one source string, published as the schema's `pattern` and compiled here
 * with the `u` flag (as Ajv and other ECMA-262 validators do), so that the two
 * cannot drift apart. All are anchored.
 */

// No C0/C1 controls (they drive terminals and log viewers) and no lone
// surrogates (UTF-8 cannot carry them): what free text in a policy may hold.
const TEXT_CHAR = '[^\\u0000-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF]';
// One path segment: not `.` or `..`, no `/`, no control character.
const SEGMENT = '(?!\\.{1,2}(?:/|$))[^/\\u0000-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF]+';

export const PATTERN_SOURCES = {
  /** Free text: names, comments, globs, config values. */
  text: `^${TEXT_CHAR}*$`,
  /** Absolute and normalized: `/` then segments, no `.`/`..`, no `//`, no trailing `/`. */
  absolutePath: `^(?:/${SEGMENT})+$`,
  /** File content as UTF-8 text: anything but NUL and lone surrogates. */
  fileContent: '^[^\\u0000\\uD800-\\uDFFF]*$',
  /** RFC 4648 §4 base64 with padding. */
  base64: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
  /** Linux IFNAMSIZ is 16 including the NUL; nft matches the name as given. */
  interfaceName: '^[A-Za-z0-9_.-]+$',
  /** A systemd service unit (systemd.unit(5) name characters, template `@` included). */
  serviceUnit: '^[A-Za-z0-9:_.@-]+\\.service$',
  /** A protected-path class: the built-in ones or an operator's own id. */
  classId: '^[a-z][a-z0-9-]{0,31}$',
  /** An event type (EVENT_TYPE_PATTERN), or a prefix ending in `.*`. */
  eventTypeFilter: '^[a-z][a-z0-9_-]*(?:\\.[a-z][a-z0-9_-]*)*(?:\\.\\*)?$',
  /** POSIX portable user and group names (useradd's default NAME_REGEX). */
  posixName: '^[a-z_][a-z0-9_-]*$',
  /** Octal file mode without setuid/setgid/sticky and never world-writable. */
  fileMode: '^0[0-7]{2}[0145]$',
  /** A config value key: dotted identifiers, e.g. `modbus.timeoutMs`. */
  valueKey: '^[A-Za-z][A-Za-z0-9_.-]*$',
} as const;

export type PatternName = keyof typeof PATTERN_SOURCES;

export const PATTERNS: Readonly<Record<PatternName, RegExp>> = Object.fromEntries(
  Object.entries(PATTERN_SOURCES).map(([name, source]) => [name, new RegExp(source, 'u')]),
) as Record<PatternName, RegExp>;

/** Length limits shared by parsers and schemas (code points). */
export const TEXT_LIMITS = {
  name: 128,
  path: 1024,
  glob: 256,
  valueString: 1024,
  posixName: 32,
  serviceUnit: 256,
  interfaceName: 15,
  eventTypeFilter: 64,
} as const;
