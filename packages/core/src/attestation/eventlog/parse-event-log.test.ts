import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventLogErrorCode } from './event-log.ts';
import { EVENT_LOG_LIMITS, EventLogError } from './event-log.ts';
import { toHex } from './event-text.ts';
import { TCG_EVENT_TYPES as EV } from './event-types.ts';
import { parseEventLog } from './parse-event-log.ts';
import {
  ALG_SHA1,
  ALG_SHA256,
  agileLog,
  agileRecord,
  ascii,
  concat,
  digestOf,
  measuredRecord,
  sha1Record,
  specIdRecord,
  u16,
  u32,
  u64,
  utf16,
} from './test-log-bytes.ts';

/** The EventLogError a parse throws, or a failure if it throws anything else or nothing. */
function refusal(bytes: Uint8Array, code: EventLogErrorCode): EventLogError {
  try {
    parseEventLog(bytes);
  } catch (error) {
    assert.ok(error instanceof EventLogError, String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

const SEPARATOR = new Uint8Array(4);

describe('parseEventLog', () => {
  describe('crypto-agile format', () => {
    it('reads the Spec ID header and every TCG_PCR_EVENT2 with one digest per algorithm', () => {
      const log = parseEventLog(
        agileLog(measuredRecord(7, EV.EV_SEPARATOR, SEPARATOR), measuredRecord(4, 0x1234abcd, ascii('x'))),
      );
      assert.equal(log.format, 'crypto-agile');
      assert.deepEqual(log.algorithms, [
        { algId: ALG_SHA1, name: 'sha1', digestSize: 20 },
        { algId: ALG_SHA256, name: 'sha256', digestSize: 32 },
      ]);
      assert.equal(log.events.length, 3);
      const [header, separator, unknown] = log.events;
      assert.equal(header?.typeName, 'EV_NO_ACTION');
      assert.deepEqual(header?.digests, { sha1: '0'.repeat(40) });
      assert.equal(header?.decoded?.kind, 'spec-id');
      assert.deepEqual(separator?.digests, {
        sha1: toHex(digestOf(ALG_SHA1, SEPARATOR)),
        sha256: toHex(digestOf(ALG_SHA256, SEPARATOR)),
      });
      assert.deepEqual(
        { index: separator?.index, pcr: separator?.pcr, type: separator?.type, name: separator?.typeName },
        { index: 1, pcr: 7, type: 4, name: 'EV_SEPARATOR' },
      );
      assert.deepEqual(separator?.decoded, { kind: 'separator', error: false });
      assert.equal(unknown?.typeName, 'EV_UNKNOWN_0x1234abcd');
      assert.equal(unknown?.decoded, undefined);
    });

    it('copies event data, so reusing the input buffer changes nothing', () => {
      const bytes = agileLog(measuredRecord(8, EV.EV_IPL, ascii('grub_cmd: linux /vmlinuz\0')));
      const log = parseEventLog(bytes);
      bytes.fill(0xee);
      assert.deepEqual(log.events[1]?.decoded, { kind: 'text', text: 'grub_cmd: linux /vmlinuz' });
      assert.equal(log.events[1]?.eventData[0], 'g'.charCodeAt(0));
    });

    it('reads a log that is a window on a larger buffer', () => {
      const bytes = agileLog(measuredRecord(8, EV.EV_IPL, ascii('a')));
      const window = new Uint8Array(bytes.length + 64).fill(0xff).subarray(32, 32 + bytes.length);
      window.set(bytes);
      assert.deepEqual(parseEventLog(window), parseEventLog(bytes));
    });

    it('accepts fewer digests than the header lists, and names an unregistered algorithm', () => {
      const header = sha1Record(
        0,
        EV.EV_NO_ACTION,
        new Uint8Array(20),
        concat(
          ascii('Spec ID Event03\0'),
          u32(0),
          Uint8Array.of(0, 2, 0, 2),
          u32(2),
          u16(ALG_SHA256),
          u16(32),
          u16(0x1234),
          u16(24),
          Uint8Array.of(0),
        ),
      );
      const log = parseEventLog(
        concat(header, agileRecord(1, EV.EV_SEPARATOR, [[0x1234, new Uint8Array(24).fill(1)]], SEPARATOR)),
      );
      assert.deepEqual(
        log.algorithms.map((a) => a.name),
        ['sha256', 'alg_0x1234'],
      );
      assert.deepEqual(log.events[1]?.digests, { alg_0x1234: '01'.repeat(24) });
    });
  });

  describe('SHA-1 format', () => {
    it('reads TCG_PCClientPCREvent records when the first event is not a Spec ID event', () => {
      const version = utf16('Firmware v1\0');
      const log = parseEventLog(
        concat(
          sha1Record(0, EV.EV_S_CRTM_VERSION, digestOf(ALG_SHA1, version), version),
          sha1Record(0, EV.EV_SEPARATOR, digestOf(ALG_SHA1, SEPARATOR), SEPARATOR),
        ),
      );
      assert.equal(log.format, 'sha1');
      assert.deepEqual(log.algorithms, [{ algId: ALG_SHA1, name: 'sha1', digestSize: 20 }]);
      assert.deepEqual(log.events[0]?.decoded, { kind: 'text', text: 'Firmware v1' });
      assert.deepEqual(log.events[1]?.digests, { sha1: toHex(digestOf(ALG_SHA1, SEPARATOR)) });
    });
  });

  describe('decoding event data', () => {
    const decodedOf = (type: number, data: Uint8Array) =>
      parseEventLog(agileLog(measuredRecord(7, type, data))).events[1]?.decoded;
    const globalGuid = Uint8Array.of(
      0x61,
      0xdf,
      0xe4,
      0x8b,
      0xca,
      0x93,
      0xd2,
      0x11,
      0xaa,
      0x0d,
      0x00,
      0xe0,
      0x98,
      0x03,
      0x2b,
      0x8c,
    );
    const variable = (name: string, value: Uint8Array) =>
      concat(globalGuid, u64(BigInt(name.length)), u64(BigInt(value.length)), utf16(name), value);

    it('reads UEFI_VARIABLE_DATA, with the SecureBoot value', () => {
      assert.deepEqual(
        decodedOf(EV.EV_EFI_VARIABLE_DRIVER_CONFIG, variable('SecureBoot', Uint8Array.of(1))),
        {
          kind: 'uefi-variable',
          variableGuid: '8be4df61-93ca-11d2-aa0d-00e098032b8c',
          unicodeName: 'SecureBoot',
          variableDataLength: 1,
          secureBoot: true,
        },
      );
      const order = decodedOf(EV.EV_EFI_VARIABLE_BOOT, variable('BootOrder', concat(u16(3), u16(0))));
      assert.deepEqual(order?.kind === 'uefi-variable' ? order.bootOrder : undefined, [3, 0]);
    });

    it('leaves a UEFI variable whose lengths overrun its event undecoded', () => {
      const lying = concat(globalGuid, u64(10n), u64(1n << 40n), utf16('SecureBoot'), Uint8Array.of(1));
      assert.equal(decodedOf(EV.EV_EFI_VARIABLE_DRIVER_CONFIG, lying), undefined);
      const hugeName = concat(globalGuid, u64(1n << 62n), u64(0n));
      assert.equal(decodedOf(EV.EV_EFI_VARIABLE_DRIVER_CONFIG, hugeName), undefined);
    });

    it('reads UEFI_IMAGE_LOAD_EVENT and the file path of its device path', () => {
      const path = utf16('\\EFI\\BOOT\\BOOTX64.EFI\0');
      const devicePath = concat(
        Uint8Array.of(4, 4),
        u16(4 + path.length),
        path,
        Uint8Array.of(0x7f, 0xff, 4, 0),
      );
      const image = concat(
        u64(0x9f64d018n),
        u64(1334816n),
        u64(0n),
        u64(BigInt(devicePath.length)),
        devicePath,
      );
      assert.deepEqual(decodedOf(EV.EV_EFI_BOOT_SERVICES_APPLICATION, image), {
        kind: 'uefi-image-load',
        imageLocation: '0x9f64d018',
        imageLength: 1334816,
        linkTimeAddress: '0x0',
        devicePathLength: devicePath.length,
        filePath: '\\EFI\\BOOT\\BOOTX64.EFI',
      });
    });

    it('reads text, UTF-8 or NUL-terminated UTF-16, and never shows binary as text', () => {
      assert.deepEqual(decodedOf(EV.EV_EFI_ACTION, ascii('Exit Boot Services Invocation')), {
        kind: 'text',
        text: 'Exit Boot Services Invocation',
      });
      assert.deepEqual(decodedOf(EV.EV_IPL, utf16(' console=ttyS0\0')), {
        kind: 'text',
        text: ' console=ttyS0',
      });
      assert.equal(decodedOf(EV.EV_IPL, Uint8Array.of(0x1b, 0x5b, 0x32, 0x4a)), undefined);
      assert.equal(decodedOf(EV.EV_IPL, Uint8Array.of(0xff, 0xfe, 0x00)), undefined);
      const guid = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i * 7);
      assert.equal(decodedOf(EV.EV_S_CRTM_VERSION, guid)?.kind, 'guid');
    });

    it('reads firmware blobs, an error separator, StartupLocality and other EV_NO_ACTION signatures', () => {
      assert.deepEqual(decodedOf(EV.EV_EFI_PLATFORM_FIRMWARE_BLOB, concat(u64(0x820000n), u64(917504n))), {
        kind: 'firmware-blob',
        blobBase: '0x820000',
        blobLength: 917504,
      });
      assert.deepEqual(decodedOf(EV.EV_SEPARATOR, u32(0xffffffff)), { kind: 'separator', error: true });
      assert.deepEqual(decodedOf(EV.EV_NO_ACTION, concat(ascii('StartupLocality\0'), Uint8Array.of(3))), {
        kind: 'startup-locality',
        locality: 3,
      });
      assert.deepEqual(decodedOf(EV.EV_NO_ACTION, ascii('NvIndexInstance\0rest')), {
        kind: 'no-action',
        signature: 'NvIndexInstance',
      });
    });
  });

  describe('refusals', () => {
    it('refuses an empty log and one over the size limit', () => {
      refusal(new Uint8Array(), 'EVENT_LOG_MALFORMED');
      const error = refusal(new Uint8Array(EVENT_LOG_LIMITS.maxLogBytes + 1), 'EVENT_LOG_TOO_LARGE');
      assert.match(error.message, /4194305 bytes, limit 4194304/);
    });

    it('names the event and byte offset of a record cut short', () => {
      const error = refusal(specIdRecord().subarray(0, 30), 'EVENT_LOG_TRUNCATED');
      assert.deepEqual(error.details, { offset: 28, eventIndex: 0 });
      assert.match(error.message, /^event 0 at byte 28: eventSize needs 4 bytes, 2 left$/);

      const bytes = agileLog(measuredRecord(7, EV.EV_SEPARATOR, SEPARATOR));
      const cut = refusal(bytes.subarray(0, -1), 'EVENT_LOG_TRUNCATED');
      assert.equal(cut.eventIndex, 1);
      assert.equal(cut.offset, bytes.length - 4);
    });

    it('refuses event data over the limit before reading it', () => {
      const huge = concat(u32(7), u32(EV.EV_SEPARATOR), u32(0), u32(EVENT_LOG_LIMITS.maxEventDataBytes + 1));
      const error = refusal(agileLog(huge), 'EVENT_LOG_TOO_LARGE');
      assert.equal(error.eventIndex, 1);
    });

    it('refuses digest lists that are too long, duplicated or of an algorithm the header lacks', () => {
      const digest20 = new Uint8Array(20);
      const nine = concat(u32(7), u32(EV.EV_SEPARATOR), u32(9));
      refusal(agileLog(nine), 'EVENT_LOG_TOO_LARGE');
      const three = agileRecord(
        7,
        4,
        [
          [ALG_SHA1, digest20],
          [ALG_SHA1, digest20],
          [ALG_SHA1, digest20],
        ],
        SEPARATOR,
      );
      assert.match(
        refusal(agileLog(three), 'EVENT_LOG_MALFORMED').message,
        /3 digests, the Spec ID event lists 2/,
      );
      const twice = agileRecord(
        7,
        4,
        [
          [ALG_SHA1, digest20],
          [ALG_SHA1, digest20],
        ],
        SEPARATOR,
      );
      assert.match(refusal(agileLog(twice), 'EVENT_LOG_MALFORMED').message, /two sha1 digests/);
      const sha384 = agileRecord(7, 4, [[0x000c, new Uint8Array(48)]], SEPARATOR);
      assert.match(
        refusal(agileLog(sha384), 'EVENT_LOG_MALFORMED').message,
        /algorithm 0xc, not in the Spec ID/,
      );
    });

    it('refuses a Spec ID event that would misframe the log', () => {
      refusal(specIdRecord([]), 'EVENT_LOG_MALFORMED');
      refusal(
        specIdRecord(Array.from({ length: 9 }, (_, i) => [0x100 + i, 32] as const)),
        'EVENT_LOG_TOO_LARGE',
      );
      assert.match(
        refusal(specIdRecord([[ALG_SHA256, 20]]), 'EVENT_LOG_MALFORMED').message,
        /gives sha256 a 20-byte digest/,
      );
      refusal(specIdRecord([[0x1234, 65]]), 'EVENT_LOG_MALFORMED');
      refusal(
        specIdRecord([
          [ALG_SHA1, 20],
          [ALG_SHA1, 20],
        ]),
        'EVENT_LOG_MALFORMED',
      );
      // vendorInfoSize says 4 but the event ends: the structure overruns its own eventSize.
      const overrun = specIdRecord(undefined, Uint8Array.of(1, 2, 3, 4)).subarray(0, -4);
      const shortened = concat(overrun.subarray(0, 28), u32(overrun.length - 32), overrun.subarray(32));
      assert.match(refusal(shortened, 'EVENT_LOG_MALFORMED').message, /vendorInfo needs 4 bytes, 0 left/);
    });

    it('refuses a Spec ID event off PCR 0 or with a digest', () => {
      const header = specIdRecord();
      const onPcr1 = concat(u32(1), header.subarray(4));
      refusal(onPcr1, 'EVENT_LOG_MALFORMED');
      const withDigest = header.slice();
      withDigest[8] = 1;
      refusal(withDigest, 'EVENT_LOG_MALFORMED');
    });

    it('refuses more than the maximum number of events', () => {
      const record = sha1Record(8, EV.EV_IPL, new Uint8Array(20), new Uint8Array());
      const records = new Uint8Array(record.length * (EVENT_LOG_LIMITS.maxEvents + 1));
      for (let i = 0; i <= EVENT_LOG_LIMITS.maxEvents; i += 1) records.set(record, i * record.length);
      const error = refusal(records, 'EVENT_LOG_TOO_LARGE');
      assert.equal(error.eventIndex, EVENT_LOG_LIMITS.maxEvents);
      assert.equal(parseEventLog(records.subarray(record.length)).events.length, EVENT_LOG_LIMITS.maxEvents);
    });
  });
});
