import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { compareWithQuotedPcrs, parseEventLog, replayEventLog } from '@palisade/core';
import type { BuiltEventLog } from './event-log-builder.ts';
import { EventLogBuilder, extendIntoTpm } from './event-log-builder.ts';
import { startSwtpm } from './swtpm.ts';
import { skipUnlessCommand } from './system-tools.ts';

const run = promisify(execFile);
const skip =
  skipUnlessCommand('swtpm', ['--version']) ||
  skipUnlessCommand('swtpm_setup', ['--version']) ||
  skipUnlessCommand('tpm2_pcrextend', ['--version']);

const image = createHash('sha256').update('shimx64.efi').digest('hex');

/** A boot as firmware, shim and GRUB log it, on the PCRs a test TPM can take. */
function bootLog(): BuiltEventLog {
  return new EventLogBuilder()
    .startupLocality(0)
    .add({ pcr: 0, type: 'EV_S_CRTM_VERSION', data: 'Palisade test firmware\0' })
    .add({ pcr: 0, type: 'EV_SEPARATOR', data: new Uint8Array(4) })
    .add({ pcr: 7, type: 'EV_SEPARATOR', data: new Uint8Array(4) })
    .add({
      pcr: 4,
      type: 'EV_EFI_BOOT_SERVICES_APPLICATION',
      data: new Uint8Array(32),
      digests: { sha1: createHash('sha1').update('shimx64.efi').digest('hex'), sha256: image },
    })
    .add({ pcr: 0, type: 'EV_NO_ACTION', data: 'NvIndexInstance\0' })
    .add({ pcr: 8, type: 'EV_IPL', data: 'grub_cmd: linux /vmlinuz root=/dev/sda1\0' })
    .add({ pcr: 9, type: 'EV_IPL', data: '/boot/vmlinuz\0' })
    .add({ pcr: 8, type: 'EV_IPL', data: 'kernel_cmdline: /vmlinuz root=/dev/sda1\0' })
    .add({ pcr: 16, type: 0x1234, data: 'debug' })
    .build();
}

/** `tpm2_pcrread` of one bank: `  sha256:` then `    8 : 0xABCD…` per PCR. */
async function readPcrs(
  tcti: string,
  bank: string,
  pcrs: readonly number[],
): Promise<Record<number, string>> {
  const { stdout } = await run('tpm2_pcrread', [`${bank}:${pcrs.join(',')}`], {
    env: { ...process.env, TPM2TOOLS_TCTI: tcti },
    timeout: 30_000,
  });
  const values: Record<number, string> = {};
  for (const match of stdout.matchAll(/^\s+(\d+)\s*:\s*0x([0-9A-Fa-f]+)$/gm)) {
    values[Number(match[1])] = (match[2] ?? '').toLowerCase();
  }
  assert.deepEqual(
    Object.keys(values).map(Number),
    [...pcrs].sort((a, b) => a - b),
    stdout,
  );
  return values;
}

describe('EventLogBuilder', () => {
  it('writes a log the parser reads back, with the events and PCRs it expects', () => {
    const log = bootLog();
    const parsed = parseEventLog(log.bytes);
    assert.equal(parsed.format, 'crypto-agile');
    assert.deepEqual(
      parsed.events.slice(1).map((event) => ({ pcr: event.pcr, type: event.type, digests: event.digests })),
      log.events.map((event) => ({ pcr: event.pcr, type: event.type, digests: event.digests })),
    );
    assert.equal(parsed.events[5]?.typeName, 'EV_EFI_BOOT_SERVICES_APPLICATION');
    assert.deepEqual(parsed.events[5]?.digests.sha256, image);
    const replayed = replayEventLog(parsed);
    assert.deepEqual(replayed.get('sha1'), log.expectedPcrs.sha1);
    assert.deepEqual(replayed.get('sha256'), log.expectedPcrs.sha256);
    assert.deepEqual([...log.expectedPcrs.sha256.keys()], [0, 4, 7, 8, 9, 16]);
  });

  it('starts PCR 0 at the StartupLocality it logs', () => {
    const log = new EventLogBuilder()
      .startupLocality(3)
      .add({ pcr: 0, type: 'EV_SEPARATOR', data: 'x' })
      .build();
    const start = Buffer.concat([Buffer.alloc(31), Buffer.of(3)]);
    const extended = createHash('sha256')
      .update(start)
      .update(createHash('sha256').update('x').digest())
      .digest('hex');
    assert.equal(log.expectedPcrs.sha256.get(0), extended);
    assert.equal(replayEventLog(parseEventLog(log.bytes)).get('sha256')?.get(0), extended);
  });

  it('refuses a digest of the wrong size', () => {
    assert.throws(
      () => new EventLogBuilder().add({ pcr: 8, type: 'EV_IPL', digests: { sha1: 'ab', sha256: image } }),
      /sha1 digest must be 40 lower-case hex digits/,
    );
  });

  it('extends into swtpm what the replay of its log says, in both banks', { skip }, async () => {
    await using tpm = await startSwtpm();
    // swtpm_setup allocates SHA-256 only; allocate SHA-1 too, effective after a TPM reset.
    await run('tpm2_pcrallocate', ['sha1:all+sha256:all'], {
      env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti },
      timeout: 30_000,
    });
    await tpm.restart();
    const log = bootLog();
    await extendIntoTpm(log, tpm.tcti);

    const replayed = replayEventLog(parseEventLog(log.bytes));
    // PCR 10 is never extended: the comparison must find it at its reset value.
    const selection = [0, 4, 7, 8, 9, 10, 16];
    for (const bank of ['sha1', 'sha256'] as const) {
      const quoted = await readPcrs(tpm.tcti, bank, selection);
      for (const [pcr, value] of log.expectedPcrs[bank])
        assert.equal(quoted[pcr], value, `${bank} PCR ${pcr}`);
      assert.deepEqual(compareWithQuotedPcrs(replayed, { bank, pcrs: quoted }), [], bank);
    }

    // One more measurement the log does not record: the replay no longer accounts for PCR 8.
    await run('tpm2_pcrextend', [`8:sha256=${image}`], { env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti } });
    const after = await readPcrs(tpm.tcti, 'sha256', selection);
    assert.deepEqual(
      compareWithQuotedPcrs(replayed, { bank: 'sha256', pcrs: after }).map((mismatch) => mismatch.pcr),
      [8],
    );
  });
});
