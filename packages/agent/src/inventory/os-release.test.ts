import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseOsRelease, toOsRelease } from './os-release.ts';

const DEBIAN = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`;

describe('parseOsRelease', () => {
  it('reads double-quoted and unquoted values', () => {
    const fields = parseOsRelease(DEBIAN);
    assert.equal(fields.get('ID'), 'debian');
    assert.equal(fields.get('VERSION_ID'), '12');
    assert.equal(fields.get('PRETTY_NAME'), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(fields.get('VERSION_CODENAME'), 'bookworm');
  });

  it('takes single quotes literally and unescapes $ ` " \\ inside double quotes (os-release(5), POSIX shell)', () => {
    const fields = parseOsRelease(
      [
        `A='it is $HOME \\n'`,
        `B="say \\"hi\\" \\$5 \\\`x\\\` back\\\\slash"`,
        'C="keep \\n as is"',
        `D=one\\ two`,
        `E="con"'cat'enated`,
      ].join('\n'),
    );
    assert.equal(fields.get('A'), 'it is $HOME \\n');
    assert.equal(fields.get('B'), 'say "hi" $5 `x` back\\slash');
    assert.equal(fields.get('C'), 'keep \\n as is');
    assert.equal(fields.get('D'), 'one two');
    assert.equal(fields.get('E'), 'concatenated');
  });

  it('skips comments, blank lines, CRLF endings and allows a trailing comment', () => {
    const fields = parseOsRelease('# a comment\r\n\r\n  ID=fedora   # trailing\r\nVERSION_ID=40\r\n');
    assert.deepEqual(
      [...fields],
      [
        ['ID', 'fedora'],
        ['VERSION_ID', '40'],
      ],
    );
  });

  it('skips lines that are not a literal assignment instead of guessing', () => {
    const fields = parseOsRelease(
      [
        'ID="unterminated',
        "NAME='also unterminated",
        'PRETTY_NAME=two words',
        'VERSION=$(reboot)',
        'VERSION_ID="$HOME"',
        'BUILD_ID=`id`',
        '1BAD=x',
        '=novalue',
        'no equals sign',
        'VARIANT=trailing\\',
        'IMAGE_ID="a\\"',
      ].join('\n'),
    );
    assert.deepEqual([...fields], []);
  });

  it('lets a later assignment win, as shell does', () => {
    assert.equal(parseOsRelease('ID=a\nID=b\n').get('ID'), 'b');
  });

  it('reads only the first 64 KiB of a huge input', () => {
    const huge = `${'#'.repeat(70 * 1024)}\nID=late\n`;
    assert.equal(parseOsRelease(`ID=early\n${huge}`).get('ID'), 'early');
    assert.equal(parseOsRelease(huge).has('ID'), false);
  });

  it('never throws and yields well-formed keys and single-line values (property)', () => {
    const line = fc.oneof(
      fc.string(),
      fc
        .tuple(fc.constantFrom('ID', 'VERSION_ID', 'PRETTY_NAME', 'X'), fc.string())
        .map(([k, v]) => `${k}=${v}`),
      fc.tuple(fc.constantFrom('ID', 'PRETTY_NAME'), fc.string()).map(([k, v]) => `${k}="${v}"`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        const fields = parseOsRelease(lines.join('\n'));
        for (const [key, value] of fields) {
          assert.match(key, /^[A-Za-z_][A-Za-z0-9_]*$/);
          assert.equal(typeof value, 'string');
          assert.ok(!value.includes('\n'));
        }
      }),
    );
  });

  it('round-trips any value written with os-release(5) double-quote escaping (property)', () => {
    const value = fc.string().filter((s) => !/[\n\r]/.test(s));
    fc.assert(
      fc.property(value, (v) => {
        const escaped = v.replace(/[\\"$`]/g, (c) => `\\${c}`);
        assert.equal(parseOsRelease(`PRETTY_NAME="${escaped}"`).get('PRETTY_NAME'), v);
      }),
    );
  });
});

describe('toOsRelease', () => {
  it('reports a missing or empty field as unknown, naming the file, and applies no spec defaults', () => {
    const release = toOsRelease(parseOsRelease('ID=arch\nVERSION_ID=\n'), '/etc/os-release');
    assert.deepEqual(release.id, { known: true, value: 'arch' });
    assert.deepEqual(release.versionId, { known: false, reason: 'VERSION_ID not set in /etc/os-release' });
    assert.deepEqual(release.prettyName, { known: false, reason: 'PRETTY_NAME not set in /etc/os-release' });
  });
});
