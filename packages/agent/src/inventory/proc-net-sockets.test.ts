import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseProcNetSockets } from './proc-net-sockets.ts';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 4029 1 0000000018660e65 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1598 1 00000000ff24ffce 100 0 0 10 0
   2: 0202000A:0016 0102000A:C350 01 00000000:00000000 02:000A7D5E 00000000     0        0 20811 4 000000002c7f1e5a 20 4 31 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 6465 1 000000003b860359 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6466 1 000000003b860359 100 0 0 10 0
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 9001 2 0000000000000000 0
  101: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   102        0 9002 2 0000000000000000 0
  102: 0202000A:D431 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000        0 9003 2 0000000000000000 0
`;

describe('parseProcNetSockets', () => {
  it('keeps TCP sockets in LISTEN (0A) and decodes little-endian IPv4 addresses', () => {
    assert.deepEqual(parseProcNetSockets(TCP, 'tcp', 'LE'), [
      { protocol: 'tcp', localAddress: '127.0.0.1', port: 3306, uid: 101, inode: 4029 },
      { protocol: 'tcp', localAddress: '0.0.0.0', port: 22, uid: 0, inode: 1598 },
    ]);
  });

  it('decodes IPv6 word by word, including IPv4-mapped addresses', () => {
    assert.deepEqual(parseProcNetSockets(TCP6, 'tcp6', 'LE'), [
      { protocol: 'tcp6', localAddress: '::1', port: 8080, uid: 1000, inode: 6465 },
      { protocol: 'tcp6', localAddress: '::ffff:127.0.0.1', port: 80, uid: 0, inode: 6466 },
    ]);
  });

  it('keeps unconnected UDP sockets (07) and drops connected ones (clients)', () => {
    assert.deepEqual(
      parseProcNetSockets(UDP, 'udp', 'LE').map((s) => `${s.localAddress}:${s.port}`),
      ['0.0.0.0:68', '127.0.0.53:53'],
    );
  });

  it('reads big-endian hosts, where the kernel prints network order', () => {
    const line =
      '   0: 7F000001:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7 1 0 100 0 0 10 0';
    assert.equal(parseProcNetSockets(line, 'tcp', 'BE')[0]?.localAddress, '127.0.0.1');
  });

  it('skips truncated lines, garbage and addresses of the wrong width for the file', () => {
    const text = [
      '   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000',
      '   1: 0100007F:0CEA 00000000:0000 0A',
      'garbage 0A 0A 0A',
      '\u0000\u0000\u0000',
      TCP6.split('\n')[1],
      `   9: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 ${'9'.repeat(30)} 1`,
    ].join('\n');
    assert.deepEqual(parseProcNetSockets(text, 'tcp', 'LE'), []);
  });

  it('skips a socket bound to port 0', () => {
    const line = '   0: 00000000:0000 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 7 2 0 0';
    assert.deepEqual(parseProcNetSockets(line, 'udp', 'LE'), []);
  });

  it('handles a huge input quickly, skipping over-long lines', () => {
    const huge = `${'A'.repeat(8 * 1024 * 1024)}\n${TCP}`;
    const started = performance.now();
    assert.equal(parseProcNetSockets(huge, 'tcp', 'LE').length, 2);
    assert.ok(performance.now() - started < 2000);
  });

  it('never throws and yields only well-formed sockets (property)', () => {
    const hexDigits = (n: number) =>
      fc.array(fc.constantFrom(...'0123456789ABCDEF'), { minLength: n, maxLength: n }).map((a) => a.join(''));
    const plausibleLine = fc
      .tuple(
        fc.nat(999),
        fc.oneof(hexDigits(8), hexDigits(32)),
        hexDigits(4),
        hexDigits(2),
        fc.nat(),
        fc.nat(),
      )
      .map(
        ([sl, addr, port, st, uid, inode]) =>
          `  ${sl}: ${addr}:${port} 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000 ${uid} 0 ${inode} 1`,
      );
    const line = fc.oneof(
      plausibleLine,
      fc.string(),
      plausibleLine.map((l) => l.slice(0, l.length / 2)),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 30 }),
        fc.constantFrom('tcp', 'tcp6', 'udp', 'udp6'),
        fc.constantFrom('LE', 'BE'),
        (lines, protocol, endianness) => {
          for (const socket of parseProcNetSockets(lines.join('\n'), protocol, endianness)) {
            assert.equal(socket.protocol, protocol);
            assert.equal(isIP(socket.localAddress), protocol.endsWith('6') ? 6 : 4);
            assert.ok(Number.isInteger(socket.port) && socket.port > 0 && socket.port < 65536);
            assert.ok(Number.isSafeInteger(socket.uid) && socket.uid >= 0);
            assert.ok(Number.isSafeInteger(socket.inode) && socket.inode >= 0);
          }
        },
      ),
    );
  });
});
