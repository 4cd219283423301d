/** Where a JSON value sits in the text: offsets and its 1-based line and column. */
export interface TextSpan {
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
}

/** Nesting beyond this is not located (a crafted document must not exhaust the stack). */
const MAX_DEPTH = 256;

class Scan {
  readonly spans = new Map<string, { start: number; end: number }>();
  readonly text: string;
  position = 0;

  constructor(text: string) {
    this.text = text;
  }

  fail(): never {
    throw new SyntaxError(`unexpected input at ${this.position}`);
  }

  skipSpace(): void {
    while (/[ \t\n\r]/.test(this.text[this.position] ?? '')) this.position += 1;
  }

  expect(char: string): void {
    if (this.text[this.position] !== char) this.fail();
    this.position += 1;
  }

  string(): string {
    const start = this.position;
    this.expect('"');
    while (this.position < this.text.length) {
      const char = this.text[this.position];
      if (char === '\\') this.position += 2;
      else if (char === '"') {
        this.position += 1;
        return JSON.parse(this.text.slice(start, this.position)) as string;
      } else this.position += 1;
    }
    return this.fail();
  }

  value(pointer: string, depth: number): void {
    if (depth > MAX_DEPTH) this.fail();
    this.skipSpace();
    const start = this.position;
    const char = this.text[this.position];
    if (char === '{') {
      this.position += 1;
      this.skipSpace();
      if (this.text[this.position] === '}') this.position += 1;
      else
        for (;;) {
          this.skipSpace();
          const key = this.string();
          this.skipSpace();
          this.expect(':');
          this.value(`${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, depth + 1);
          this.skipSpace();
          if (this.text[this.position] === ',') this.position += 1;
          else {
            this.expect('}');
            break;
          }
        }
    } else if (char === '[') {
      this.position += 1;
      this.skipSpace();
      if (this.text[this.position] === ']') this.position += 1;
      else
        for (let index = 0; ; index += 1) {
          this.value(`${pointer}/${index}`, depth + 1);
          this.skipSpace();
          if (this.text[this.position] === ',') this.position += 1;
          else {
            this.expect(']');
            break;
          }
        }
    } else if (char === '"') this.string();
    else {
      const match = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(
        this.text.slice(this.position, this.position + 400),
      );
      if (!match) this.fail();
      this.position += match[0].length;
    }
    this.spans.set(pointer, { start, end: this.position });
  }
}

function spanAt(text: string, start: number, end: number): TextSpan {
  const before = text.slice(0, start);
  const line = before.split('\n').length;
  return { start, end, line, column: start - before.lastIndexOf('\n') };
}

/**
 * Where the value a JSON pointer (RFC 6901) names sits in `text`, so a
 * problem the panel reports by pointer can be shown on its line. A pointer to
 * a member that is missing ("is required") lands on the nearest object that
 * exists. Undefined when the text is not JSON.
 */
export function locatePointer(text: string, pointer: string): TextSpan | undefined {
  const scan = new Scan(text);
  try {
    scan.value('', 0);
    scan.skipSpace();
    if (scan.position !== text.length) return undefined;
  } catch {
    return undefined;
  }
  for (let current = pointer; ; current = current.slice(0, current.lastIndexOf('/'))) {
    const span = scan.spans.get(current);
    if (span) return spanAt(text, span.start, span.end);
    if (current === '') return undefined;
  }
}
