import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { KeyStoreError } from './key-store-error.ts';

/** RFC 7512 §2.3 `pk11-type`. */
export type Pkcs11ObjectType = 'public' | 'private' | 'cert' | 'secret-key' | 'data';

export interface Pkcs11LibraryVersion {
  readonly major: number;
  readonly minor: number;
}

/**
 * A PIN taken from a URI's `pin-value`. It prints, serialises and inspects as
 * `[REDACTED]`, so that logging a parsed URI cannot leak it; `reveal()` is for
 * the one call that logs in to the token.
 */
export class Pkcs11Pin {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[REDACTED]';
  }

  toJSON(): string {
    return '[REDACTED]';
  }

  [inspect.custom](): string {
    return 'Pkcs11Pin [REDACTED]';
  }
}

/**
 * A parsed RFC 7512 `pkcs11:` URI. Path attributes select a module, slot,
 * token and object; query attributes say how to reach them. Values are
 * percent-decoded: text as UTF-8, `id` as raw bytes (it is CKA_ID).
 */
export interface Pkcs11Uri {
  readonly token?: string;
  readonly manufacturer?: string;
  readonly serial?: string;
  readonly model?: string;
  readonly libraryManufacturer?: string;
  readonly libraryDescription?: string;
  readonly libraryVersion?: Pkcs11LibraryVersion;
  /** CKA_LABEL of the object. */
  readonly object?: string;
  readonly type?: Pkcs11ObjectType;
  /** CKA_ID of the object. */
  readonly id?: Uint8Array;
  readonly slotDescription?: string;
  readonly slotManufacturer?: string;
  readonly slotId?: number;
  /** Absolute path of the PKCS#11 module (shared library) to load. */
  readonly modulePath?: string;
  readonly moduleName?: string;
  readonly pinValue?: Pkcs11Pin;
  /** Absolute path of a file holding the PIN (`pin-source=file:…` or an absolute path). */
  readonly pinSource?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Problem {
  readonly attribute?: string;
  readonly message: string;
}

const MAX_URI_LENGTH = 8192;
const SCHEME = /^pkcs11:/i;
// RFC 7512 §2.3: pk11-v-attr-nm-char = ALPHA / DIGIT / "-" / "_".
const ATTRIBUTE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
// pk11-pchar = unreserved / pk11-path-res-avail / pct-encoded, where
// pk11-path-res-avail = ":" / "[" / "]" / "@" / "!" / "$" / "'" / "(" / ")" / "*" / "+" / "," / "=" / "&".
const PATH_VALUE = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;
// pk11-qchar = unreserved / pk11-query-res-avail / pct-encoded, where
// pk11-query-res-avail = ":" / "[" / "]" / "@" / "!" / "$" / "'" / "(" / ")" / "*" / "+" / "," / "=" / "/" / "?" / "|".
const QUERY_VALUE = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]|%[0-9A-Fa-f]{2})*$/;

const PATH_ATTRIBUTES = new Set([
  'token',
  'manufacturer',
  'serial',
  'model',
  'library-manufacturer',
  'library-description',
  'library-version',
  'object',
  'type',
  'id',
  'slot-description',
  'slot-manufacturer',
  'slot-id',
]);
const QUERY_ATTRIBUTES = new Set(['pin-source', 'pin-value', 'module-name', 'module-path']);
const OBJECT_TYPES: readonly Pkcs11ObjectType[] = ['public', 'private', 'cert', 'secret-key', 'data'];
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses an RFC 7512 PKCS#11 URI. Every problem is collected and reported in
 * one `PKCS11_URI_INVALID` error that names the attributes at fault but never
 * quotes a value (a value may be a PIN). Unknown and vendor (`x-…`)
 * attributes are refused: silently ignoring one could select another key.
 *
 * @example parsePkcs11Uri('pkcs11:token=palisade;object=issuing-ca?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/palisade/pin')
 */
export function parsePkcs11Uri(input: unknown): Pkcs11Uri {
  if (typeof input !== 'string') throw invalid([{ message: 'the URI must be a string' }]);
  if (input.length > MAX_URI_LENGTH) {
    throw invalid([{ message: `the URI is longer than ${MAX_URI_LENGTH} characters` }]);
  }
  // RFC 3986 §3.1: the scheme is case-insensitive.
  if (!SCHEME.test(input)) throw invalid([{ message: 'the URI must start with "pkcs11:"' }]);
  const rest = input.slice('pkcs11:'.length);
  // RFC 7512 §2.3: pk11-URI = "pkcs11:" pk11-path [ "?" pk11-query ]; "?" may recur inside query values.
  const queryStart = rest.indexOf('?');
  const path = queryStart < 0 ? rest : rest.slice(0, queryStart);
  const query = queryStart < 0 ? '' : rest.slice(queryStart + 1);

  const uri: Partial<Mutable<Pkcs11Uri>> = {};
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const segments = [
    ...(path === '' ? [] : path.split(';').map((segment) => ({ segment, part: 'path' as const }))),
    ...(query === '' ? [] : query.split('&').map((segment) => ({ segment, part: 'query' as const }))),
  ];
  for (const { segment, part } of segments) {
    const equals = segment.indexOf('=');
    if (equals < 0) {
      problems.push({
        message:
          segment === ''
            ? `an empty attribute (a stray "${part === 'path' ? ';' : '&'}")`
            : 'an attribute without "="',
      });
      continue;
    }
    const rawName = segment.slice(0, equals);
    if (!ATTRIBUTE_NAME.test(rawName)) {
      problems.push({ message: 'an attribute name with characters outside A-Z, a-z, 0-9, "-" and "_"' });
      continue;
    }
    // RFC 5234 §2.3: ABNF literal strings, hence the attribute names, are case-insensitive.
    const name = rawName.toLowerCase();
    const known = part === 'path' ? PATH_ATTRIBUTES : QUERY_ATTRIBUTES;
    if (!known.has(name)) {
      const other = part === 'path' ? QUERY_ATTRIBUTES : PATH_ATTRIBUTES;
      problems.push({
        attribute: name,
        message: other.has(name)
          ? `belongs in the ${part === 'path' ? 'query (after "?")' : 'path (before "?")'}`
          : 'is not an attribute this panel understands',
      });
      continue;
    }
    // RFC 7512 §2.3: an attribute MUST NOT appear more than once in the path; the
    // query gets the same rule here, as two PINs or two modules are ambiguous.
    if (seen.has(name)) {
      problems.push({ attribute: name, message: 'appears more than once' });
      continue;
    }
    seen.add(name);
    const raw = segment.slice(equals + 1);
    if (!(part === 'path' ? PATH_VALUE : QUERY_VALUE).test(raw)) {
      problems.push({
        attribute: name,
        message: 'has a character that must be percent-encoded, or a "%" not followed by two hex digits',
      });
      continue;
    }
    const problem = assign(uri, name, percentDecode(raw));
    if (problem !== undefined) problems.push({ attribute: name, message: problem });
  }
  if (uri.pinValue !== undefined && uri.pinSource !== undefined) {
    problems.push({ attribute: 'pin-value', message: 'and pin-source cannot both be given' });
  }
  if (problems.length > 0) throw invalid(problems);
  return uri;
}

/** Sets one decoded attribute; returns what is wrong with it, if anything. */
function assign(uri: Partial<Mutable<Pkcs11Uri>>, name: string, bytes: Uint8Array): string | undefined {
  if (name === 'id') {
    uri.id = bytes;
    return undefined;
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return 'is not valid UTF-8 once percent-decoded';
  }
  if (text.includes('\u0000')) return 'contains a NUL character';
  switch (name) {
    case 'token':
      uri.token = text;
      return undefined;
    case 'manufacturer':
      uri.manufacturer = text;
      return undefined;
    case 'serial':
      uri.serial = text;
      return undefined;
    case 'model':
      uri.model = text;
      return undefined;
    case 'library-manufacturer':
      uri.libraryManufacturer = text;
      return undefined;
    case 'library-description':
      uri.libraryDescription = text;
      return undefined;
    case 'object':
      uri.object = text;
      return undefined;
    case 'slot-description':
      uri.slotDescription = text;
      return undefined;
    case 'slot-manufacturer':
      uri.slotManufacturer = text;
      return undefined;
    case 'module-name':
      uri.moduleName = text;
      return undefined;
    case 'library-version': {
      // RFC 7512 §2.3: pk11-lib-ver = 1*DIGIT [ "." 1*DIGIT ]; a CK_VERSION holds two bytes.
      const match = /^(\d{1,3})(?:\.(\d{1,3}))?$/.exec(text);
      const major = Number(match?.[1]);
      const minor = Number(match?.[2] ?? 0);
      if (match === null || major > 255 || minor > 255) return 'must be MAJOR or MAJOR.MINOR, each 0-255';
      uri.libraryVersion = { major, minor };
      return undefined;
    }
    case 'type': {
      const type = OBJECT_TYPES.find((candidate) => candidate === text.toLowerCase());
      if (type === undefined) return `must be one of ${OBJECT_TYPES.join(', ')}`;
      uri.type = type;
      return undefined;
    }
    case 'slot-id': {
      // RFC 7512 §2.3: pk11-slot-id = 1*DIGIT (a CK_SLOT_ID).
      const slotId = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(slotId)) return 'must be a decimal slot number';
      uri.slotId = slotId;
      return undefined;
    }
    case 'module-path':
      if (!text.startsWith('/')) return 'must be an absolute path';
      uri.modulePath = text;
      return undefined;
    case 'pin-value':
      uri.pinValue = new Pkcs11Pin(text);
      return undefined;
    case 'pin-source': {
      const pinSource = pinSourcePath(text);
      if (pinSource === undefined) {
        return text.startsWith('|')
          ? 'reading the PIN from a command ("|…") is not supported; give a file'
          : 'must be a file: URI or an absolute path';
      }
      uri.pinSource = pinSource;
      return undefined;
    }
    default:
      return 'is not an attribute this panel understands';
  }
}

/** RFC 7512 §2.4 pin-source: a URI naming where the PIN is; only local files are supported. */
function pinSourcePath(text: string): string | undefined {
  if (text.startsWith('/')) return text;
  if (!/^file:/i.test(text)) return undefined;
  try {
    const url = new URL(text);
    if (url.host !== '' && url.host !== 'localhost') return undefined;
    if (url.search !== '' || url.hash !== '') return undefined;
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

function percentDecode(raw: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '%') {
      bytes.push(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      // The value was checked against PATH_VALUE / QUERY_VALUE: every other character is ASCII.
      bytes.push(raw.charCodeAt(i));
    }
  }
  return Uint8Array.from(bytes);
}

function percentEncode(bytes: Uint8Array, keep: RegExp): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && keep.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-._~/]$/;
const UNRESERVED_OR_URI = /^[A-Za-z0-9\-._~/:]$/;

/**
 * Formats a URI back to RFC 7512 text. `pin-value` is left out unless
 * `revealPin` is set, so the result is safe for logs and error messages.
 */
export function formatPkcs11Uri(uri: Pkcs11Uri, options: { readonly revealPin?: boolean } = {}): string {
  const text = (value: string, keep = UNRESERVED) => percentEncode(new TextEncoder().encode(value), keep);
  const path: string[] = [];
  const query: string[] = [];
  const add = (list: string[], name: string, value: string | undefined) => {
    if (value !== undefined) list.push(`${name}=${value}`);
  };
  add(
    path,
    'library-manufacturer',
    uri.libraryManufacturer === undefined ? undefined : text(uri.libraryManufacturer),
  );
  add(
    path,
    'library-description',
    uri.libraryDescription === undefined ? undefined : text(uri.libraryDescription),
  );
  add(
    path,
    'library-version',
    uri.libraryVersion === undefined ? undefined : `${uri.libraryVersion.major}.${uri.libraryVersion.minor}`,
  );
  add(path, 'slot-manufacturer', uri.slotManufacturer === undefined ? undefined : text(uri.slotManufacturer));
  add(path, 'slot-description', uri.slotDescription === undefined ? undefined : text(uri.slotDescription));
  add(path, 'slot-id', uri.slotId === undefined ? undefined : String(uri.slotId));
  add(path, 'manufacturer', uri.manufacturer === undefined ? undefined : text(uri.manufacturer));
  add(path, 'model', uri.model === undefined ? undefined : text(uri.model));
  add(path, 'serial', uri.serial === undefined ? undefined : text(uri.serial));
  add(path, 'token', uri.token === undefined ? undefined : text(uri.token));
  add(path, 'object', uri.object === undefined ? undefined : text(uri.object));
  add(path, 'id', uri.id === undefined ? undefined : percentEncode(uri.id, /^$/));
  add(path, 'type', uri.type);
  add(query, 'module-name', uri.moduleName === undefined ? undefined : text(uri.moduleName));
  add(
    query,
    'module-path',
    uri.modulePath === undefined ? undefined : text(uri.modulePath, UNRESERVED_OR_SLASH),
  );
  add(
    query,
    'pin-source',
    uri.pinSource === undefined ? undefined : text(pathToFileURL(uri.pinSource).href, UNRESERVED_OR_URI),
  );
  if (options.revealPin === true) add(query, 'pin-value', uri.pinValue && text(uri.pinValue.reveal()));
  return `pkcs11:${path.join(';')}${query.length > 0 ? `?${query.join('&')}` : ''}`;
}

function invalid(problems: readonly Problem[]): KeyStoreError {
  const list = problems.map((p) => (p.attribute === undefined ? p.message : `${p.attribute} ${p.message}`));
  return new KeyStoreError('PKCS11_URI_INVALID', `invalid PKCS#11 URI: ${list.join('; ')}`, {
    details: { problems },
  });
}
