import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EventLogBuilder, skipUnlessCommand } from '@palisade/testkit';
import { cliSandbox } from '../cli-sandbox.ts';

const run = promisify(execFile);

/** Real logs from tpm2-tools' fixtures (BSD-3), kept beside the core parser. */
const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../core/src/attestation/eventlog/fixtures/${name}`, import.meta.url));
const GCE_LOG = fixture('event-gce-ubuntu-2104-log.bin');

// The final PCRs `tpm2_eventlog` prints for the GCE log.
const GCE_SHA256_PCR0 = '24af52a4f429b71a3184a6d64cddad17e54ea030e2aa6576bf3a5a3d8bd3328f';
const GCE_SHA384_PCR14 =
  'b8b567350264af771620c027a7b166896385885029f5e5b2feb9a0c62b7ffdfc276b702373b26b3aa589ab675ee8654d';

describe('palisade attest eventlog', () => {
  it('prints one line per event, then the PCRs of every bank', async () => {
    await using cli = await cliSandbox();
    const result = await cli.run(['attest', 'eventlog', GCE_LOG]);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.err, '');
    const lines = result.out.split('\n');
    assert.equal(lines[0], 'TCG event log: crypto-agile, 112 events, banks sha1, sha256, sha384');
    assert.match(lines[2] ?? '', /^#\s+PCR\s+TYPE\s+SHA256\s+DETAILS$/);
    assert.match(
      result.out,
      /\n0\s+0\s+EV_NO_ACTION\s+-\s+Spec ID Event03, spec 2\.0: sha1, sha256, sha384\n/,
    );
    assert.match(
      result.out,
      /\n3\s+7\s+EV_EFI_VARIABLE_DRIVER_CONFIG\s+[0-9a-f]{16}\s+SecureBoot: disabled\n/,
    );
    assert.match(
      result.out,
      /\n23\s+4\s+EV_EFI_BOOT_SERVICES_APPLICATION\s+[0-9a-f]{16}\s+\\EFI\\ubuntu\\shimx64\.efi \(955072 bytes\)\n/,
    );
    assert.equal(lines.filter((line) => /^\d+\s+\d+\s+EV_/.test(line)).length, 112);
    assert.match(result.out, new RegExp(`\\nPCRs \\(sha256\\):\\n   0  ${GCE_SHA256_PCR0}\\n`));
    assert.match(result.out, new RegExp(`\\n  14  ${GCE_SHA384_PCR14}\\n$`));
  });

  it('prints the whole log and its PCRs as JSON with --json', async () => {
    await using cli = await cliSandbox();
    const result = await cli.run(['attest', 'eventlog', '--json', GCE_LOG]);
    assert.equal(result.code, 0, result.err);
    const document = JSON.parse(result.out);
    assert.equal(document.format, 'crypto-agile');
    assert.equal(document.events.length, 112);
    const crtm = document.events[1];
    assert.deepEqual(
      { typeName: crtm.typeName, decoded: crtm.decoded },
      { typeName: 'EV_S_CRTM_VERSION', decoded: { kind: 'text', text: 'GCE Virtual Firmware v1' } },
    );
    assert.equal(Buffer.from(crtm.eventData, 'base64').toString('utf16le'), 'GCE Virtual Firmware v1\0');
    assert.equal(document.pcrs.sha256['0'], GCE_SHA256_PCR0);
    assert.equal(document.pcrs.sha384['14'], GCE_SHA384_PCR14);
  });

  it('prints no control character a log carries', async () => {
    await using cli = await cliSandbox();
    const file = join(cli.home, 'hostile.bin');
    const log = new EventLogBuilder()
      .add({ pcr: 8, type: 'EV_IPL', data: 'grub_cmd: \u001b[2J\u001b]0;owned\u0007\0' })
      .add({ pcr: 8, type: 'EV_IPL', data: 'line one\nline two\0' })
      .build();
    await writeFile(file, log.bytes);
    const result = await cli.run(['attest', 'eventlog', file]);
    assert.equal(result.code, 0, result.err);
    assert.ok(!result.out.includes('\u001b') && !result.out.includes('\u0007'), result.out);
    assert.match(result.out, /EV_IPL\s+[0-9a-f]{16}\s+line one line two\n/);
  });

  it('refuses a missing file, a malformed log and a misuse, with exit 2', async () => {
    await using cli = await cliSandbox();
    const missing = await cli.run(['attest', 'eventlog', join(cli.home, 'nope.bin')]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.err,
      /^palisade: cannot read the event log .*nope\.bin: ENOENT \[FILE_UNREADABLE\]\n$/,
    );
    const directory = await cli.run(['attest', 'eventlog', cli.home]);
    assert.match(directory.err, /EISDIR \[FILE_UNREADABLE\]\n$/);

    const malformed = await cli.run(['attest', 'eventlog', fixture('specid-vendordata.bin')]);
    assert.equal(malformed.code, 2);
    assert.match(
      malformed.err,
      /^palisade: event 0 at byte 69: vendorInfo needs 4 bytes, 0 left \[EVENT_LOG_MALFORMED\]\n$/,
    );
    assert.equal(malformed.out, '');

    for (const argv of [
      ['attest', 'eventlog'],
      ['attest', 'eventlog', 'a', 'b'],
      ['attest', 'eventlog', '--yaml', 'a'],
    ]) {
      const misuse = await cli.run(argv);
      assert.equal(misuse.code, 2, argv.join(' '));
      assert.match(misuse.err, /\[USAGE\]\n$/);
    }
    const help = await cli.run(['attest', 'eventlog', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: palisade attest/);
    assert.equal((await cli.run(['attest'])).code, 2);
  });

  it('refuses a file over the size limit without reading it whole', async () => {
    await using cli = await cliSandbox();
    const sparse = join(cli.home, 'huge.bin');
    const handle = await open(sparse, 'w');
    await handle.truncate(4 * 1024 * 1024 + 1);
    await handle.close();
    const result = await cli.run(['attest', 'eventlog', sparse]);
    assert.equal(result.code, 2);
    assert.match(result.err, /huge\.bin is larger than 4194304 bytes \[EVENT_LOG_TOO_LARGE\]\n$/);
  });

  it('stops reading a stream that reports no size (as securityfs does) at the limit', {
    skip: skipUnlessCommand('mkfifo'),
  }, async () => {
    await using cli = await cliSandbox();
    const fifo = join(cli.home, 'measurements');
    await run('mkfifo', [fifo]);
    // An endless writer: only the reader's limit ends this read.
    const writer = spawn('sh', ['-c', `cat /dev/zero > '${fifo}'`], { stdio: 'ignore' });
    try {
      const result = await cli.run(['attest', 'eventlog', fifo]);
      assert.equal(result.code, 2);
      assert.match(result.err, /is larger than 4194304 bytes \[EVENT_LOG_TOO_LARGE\]\n$/);
    } finally {
      if (writer.exitCode === null) {
        const exited = once(writer, 'exit');
        writer.kill();
        await exited;
      }
    }
  });
});
