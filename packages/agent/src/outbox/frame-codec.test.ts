import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { decodeFrameAt, decodeFrames, encodeFrame, FRAME_HEADER_BYTES } from './frame-codec.ts';

const payloadArb = fc.uint8Array({ minLength: 0, maxLength: 200 }).map((bytes) => Buffer.from(bytes));

/** Checks a decoded frame against the format itself, not against the decoder. */
function crcMatches(bytes: Buffer, offset: number, length: number): boolean {
  const lengthBytes = bytes.subarray(offset + 2, offset + 6);
  const payload = bytes.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length);
  return (
    lengthBytes.readUInt32BE(0) === length &&
    crc32(payload, crc32(lengthBytes)) === bytes.readUInt32BE(offset + 6)
  );
}

describe('frame codec', () => {
  describe('decodeFrames', () => {
    it('returns the payloads of well-formed frames in order', () => {
      const payloads = ['a', '', '{"id":"x"}'].map((text) => Buffer.from(text));
      const decoded = decodeFrames(Buffer.concat(payloads.map(encodeFrame)));
      assert.deepEqual(
        decoded.frames.map((frame) => frame.payload.toString()),
        ['a', '', '{"id":"x"}'],
      );
      assert.deepEqual(decoded.damage, []);
    });

    it('reports a cut-off last frame as a torn tail and keeps the frames before it', () => {
      const whole = Buffer.concat([encodeFrame(Buffer.from('one')), encodeFrame(Buffer.from('two'))]);
      const decoded = decodeFrames(whole.subarray(0, whole.length - 2));
      assert.deepEqual(
        decoded.frames.map((frame) => frame.payload.toString()),
        ['one'],
      );
      assert.equal(decoded.validEnd, FRAME_HEADER_BYTES + 3);
      assert.deepEqual(decoded.damage, [{ kind: 'torn-tail', offset: 13, bytes: 11 }]);
    });

    it('skips a frame with a flipped payload bit and finds the next one', () => {
      const frames = ['one', 'two', 'three'].map((text) => encodeFrame(Buffer.from(text)));
      const bytes = Buffer.concat(frames);
      const at = FRAME_HEADER_BYTES + 3 + FRAME_HEADER_BYTES; // first payload byte of 'two'
      bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
      const decoded = decodeFrames(bytes);
      assert.deepEqual(
        decoded.frames.map((frame) => frame.payload.toString()),
        ['one', 'three'],
      );
      assert.deepEqual(decoded.damage, [{ kind: 'corrupt', offset: 13, bytes: 13 }]);
    });

    it('never throws on arbitrary bytes and returns only frames whose CRC matches', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), (raw) => {
          const bytes = Buffer.from(raw);
          const decoded = decodeFrames(bytes);
          for (const frame of decoded.frames) {
            assert.ok(crcMatches(bytes, frame.offset, frame.payload.length));
          }
          assert.ok(decoded.validEnd <= bytes.length);
        }),
        { numRuns: 2000 },
      );
    });

    it('never returns a bad frame from a mix of frames, magic bytes and noise', () => {
      const piece = fc.oneof(
        payloadArb.map(encodeFrame),
        fc.uint8Array({ maxLength: 30 }).map((bytes) => Buffer.from([0xb0, 0x1a, ...bytes])),
        fc.uint8Array({ maxLength: 30 }).map((bytes) => Buffer.from(bytes)),
      );
      fc.assert(
        fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
          const bytes = Buffer.concat(pieces);
          const decoded = decodeFrames(bytes);
          let covered = 0;
          for (const frame of decoded.frames) {
            assert.ok(crcMatches(bytes, frame.offset, frame.payload.length));
            covered += frame.bytes;
          }
          for (const range of decoded.damage) covered += range.bytes;
          assert.equal(covered, bytes.length, 'frames and damage account for every byte');
        }),
        { numRuns: 2000 },
      );
    });

    it('recovers every intact frame around arbitrary damage, never a damaged one', () => {
      fc.assert(
        fc.property(
          fc.array(payloadArb, { minLength: 1, maxLength: 8 }),
          fc.nat(),
          fc.uint8Array({ minLength: 1, maxLength: 4 }),
          (payloads, where, noise) => {
            const frames = payloads.map(encodeFrame);
            const clean = Buffer.concat(frames);
            const at = where % clean.length;
            const bytes = Buffer.from(clean);
            for (const [i, value] of noise.entries()) {
              if (at + i < bytes.length) bytes[at + i] = value;
            }
            const decoded = decodeFrames(bytes);
            for (const frame of decoded.frames)
              assert.ok(crcMatches(bytes, frame.offset, frame.payload.length));
            // Frames entirely before the damage are all kept, unchanged.
            let offset = 0;
            for (const [i, frame] of frames.entries()) {
              if (offset + frame.length > at) break;
              assert.deepEqual(decoded.frames[i]?.payload, payloads[i]);
              offset += frame.length;
            }
          },
        ),
        { numRuns: 1000 },
      );
    });

    it('keeps exactly the whole frames of any truncation', () => {
      fc.assert(
        fc.property(fc.array(payloadArb, { minLength: 1, maxLength: 6 }), fc.nat(), (payloads, cut) => {
          const frames = payloads.map(encodeFrame);
          const clean = Buffer.concat(frames);
          const length = cut % (clean.length + 1);
          const decoded = decodeFrames(clean.subarray(0, length));
          let whole = 0;
          let end = 0;
          for (const frame of frames) {
            if (end + frame.length > length) break;
            end += frame.length;
            whole += 1;
          }
          assert.equal(decoded.frames.length, whole);
          assert.equal(decoded.validEnd, end);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe('decodeFrameAt', () => {
    it('refuses a length past the frame size limit without reading it', () => {
      const bytes = encodeFrame(Buffer.from('x'));
      bytes.writeUInt32BE(0xffffffff, 2);
      assert.equal(decodeFrameAt(bytes, 0), undefined);
    });

    it('refuses offsets outside the buffer', () => {
      const bytes = encodeFrame(Buffer.from('x'));
      assert.equal(decodeFrameAt(bytes, -1), undefined);
      assert.equal(decodeFrameAt(bytes, bytes.length), undefined);
    });
  });
});
