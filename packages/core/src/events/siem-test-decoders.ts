/**
 * Test-only readers for what the formatters write: a CEF line and an RFC 5424
 * message, decoded independently of the encoders so that round-trip tests
 * prove the escaping, not a mirror image of it. Not exported from the package.
 */

export interface DecodedCef {
  readonly header: readonly string[];
  readonly extensions: Readonly<Record<string, string>>;
}

/** CEF rev 25: seven header fields split on unescaped `|`, then `key=value` pairs split on unescaped `=`. */
export function decodeCef(line: string): DecodedCef {
  if (!line.startsWith('CEF:')) throw new Error('not a CEF line');
  const header: string[] = [];
  let current = '';
  let i = 0;
  for (; i < line.length && header.length < 7; i += 1) {
    const char = line.charAt(i);
    if (char === '\\') {
      const next = line.charAt(i + 1);
      if (next !== '\\' && next !== '|') throw new Error(`bad header escape \\${next} at ${i}`);
      current += next;
      i += 1;
    } else if (char === '|') {
      header.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (header.length !== 7) throw new Error('CEF header has fewer than 7 fields');
  return { header, extensions: decodeCefExtensions(line.slice(i)) };
}

function decodeCefExtensions(text: string): Record<string, string> {
  // Positions of unescaped '='; the key is the alphanumeric run right before each.
  const keys: { key: string; start: number; valueStart: number }[] = [];
  for (let i = 0; i < text.length; i += 1) {
    if (text.charAt(i) === '\\') {
      i += 1;
      continue;
    }
    if (text.charAt(i) !== '=') continue;
    let start = i;
    while (start > 0 && /[A-Za-z0-9]/.test(text.charAt(start - 1))) start -= 1;
    if (start === i || (start > 0 && text.charAt(start - 1) !== ' ')) throw new Error(`unescaped = at ${i}`);
    keys.push({ key: text.slice(start, i), start, valueStart: i + 1 });
  }
  const result: Record<string, string> = {};
  keys.forEach((entry, index) => {
    const end = (keys[index + 1]?.start ?? text.length + 1) - 1; // minus the separating space
    if (Object.hasOwn(result, entry.key)) throw new Error(`duplicate key ${entry.key}`);
    result[entry.key] = decodeEscapes(text.slice(entry.valueStart, end), {
      '\\': '\\',
      '=': '=',
      n: '\n',
      r: '\r',
    });
  });
  return result;
}

export interface DecodedSyslog {
  readonly pri: number;
  readonly version: string;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly sd: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly msg: string | undefined;
}

/** RFC 5424 §6 ABNF, with Palisade's `\n`/`\r` in PARAM-VALUE read back as LF/CR. */
export function decodeSyslog5424(line: string): DecodedSyslog {
  const head = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(line);
  if (!head) throw new Error('not an RFC 5424 header');
  let i = head[0].length;
  const sd: Record<string, Record<string, string>> = {};
  if (line.charAt(i) === '-') {
    i += 1;
  } else {
    while (line.charAt(i) === '[') {
      const id = /^\[([^ =\]"]{1,32})/.exec(line.slice(i));
      if (!id?.[1]) throw new Error(`bad SD-ID at ${i}`);
      const params: Record<string, string> = {};
      i += id[0].length;
      while (line.charAt(i) === ' ') {
        const name = /^ ([^ =\]"]{1,32})="/.exec(line.slice(i));
        if (!name?.[1]) throw new Error(`bad SD-PARAM at ${i}`);
        i += name[0].length;
        let raw = '';
        while (line.charAt(i) !== '"') {
          if (i >= line.length) throw new Error('unterminated PARAM-VALUE');
          if (line.charAt(i) === '\\') raw += line.charAt(i++);
          raw += line.charAt(i++);
        }
        i += 1;
        params[name[1]] = decodeEscapes(raw, { '"': '"', '\\': '\\', ']': ']', n: '\n', r: '\r' }, true);
      }
      if (line.charAt(i) !== ']') throw new Error(`SD-ELEMENT not closed at ${i}`);
      i += 1;
      sd[id[1]] = params;
    }
  }
  if (i < line.length && line.charAt(i) !== ' ') throw new Error(`expected SP before MSG at ${i}`);
  const [, pri, version, timestamp, hostname, appName, procId, msgId] = head;
  return {
    pri: Number(pri),
    version: version ?? '',
    timestamp: timestamp ?? '',
    hostname: hostname ?? '',
    appName: appName ?? '',
    procId: procId ?? '',
    msgId: msgId ?? '',
    sd,
    msg: i < line.length ? line.slice(i + 1) : undefined,
  };
}

/** Backslash escapes from `table`; `lenient` keeps an unknown `\x` as is (RFC 5424 §6.3.3), otherwise it is an error. */
function decodeEscapes(text: string, table: Record<string, string>, lenient = false): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charAt(i);
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = text.charAt(i + 1);
    const mapped = Object.hasOwn(table, next) ? table[next] : undefined;
    if (mapped === undefined && !lenient) throw new Error(`bad escape \\${next}`);
    out += mapped ?? `\\${next}`;
    i += 1;
  }
  return out;
}
