import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { mibDirs, skipUnlessCommand } from '@palisade/testkit';
import { PALISADE_EVENT_OIDS, PALISADE_SECURITY_EVENT_OID } from './snmp-varbinds.ts';

const run = promisify(execFile);

/** snmptranslate on the repository's MIB only (plus the SMIv2 core modules it imports). */
async function snmptranslate(...args: string[]): Promise<string> {
  const { stdout } = await run('snmptranslate', ['-M', mibDirs().join(':'), '-m', 'PALISADE-MIB', ...args]);
  return stdout.trim();
}

const OBJECTS = {
  id: 'palisadeEventId',
  type: 'palisadeEventType',
  severity: 'palisadeEventSeverity',
  deviceId: 'palisadeEventDeviceId',
  source: 'palisadeEventSource',
  controls: 'palisadeEventControls',
  message: 'palisadeEventMessage',
  occurredAt: 'palisadeEventOccurredAt',
} as const satisfies Record<keyof typeof PALISADE_EVENT_OIDS, string>;

describe('PALISADE-MIB', () => {
  const skip = skipUnlessCommand('snmptranslate', ['-V']);

  it('resolves palisadeSecurityEvent to the OID the sender uses', { skip }, async () => {
    assert.equal(
      await snmptranslate('-On', 'PALISADE-MIB::palisadeSecurityEvent'),
      `.${PALISADE_SECURITY_EVENT_OID}`,
    );
    assert.equal(PALISADE_SECURITY_EVENT_OID, '1.3.6.1.4.1.32473.0.1');
  });

  it('defines every varbind at the OID the sender uses', { skip }, async () => {
    for (const [field, name] of Object.entries(OBJECTS)) {
      const oid = PALISADE_EVENT_OIDS[field as keyof typeof OBJECTS];
      assert.equal(await snmptranslate('-On', `PALISADE-MIB::${name}.0`), `.${oid}`, name);
    }
  });

  it('loads without a warning at the most detailed level and describes the whole tree', {
    skip,
  }, async () => {
    const { stdout, stderr } = await run('snmptranslate', [
      '-PW',
      '-M',
      `+${mibDirs().join(':')}`,
      '-m',
      'PALISADE-MIB',
      '-Tp',
      'PALISADE-MIB::palisadeMIB',
    ]);
    // -PW also reports on net-snmp's copies of the SMIv2 modules (macros skipped, long strings): not ours.
    assert.doesNotMatch(stderr, /PALISADE-MIB/);
    for (const name of [
      ...Object.values(OBJECTS),
      'palisadeSecurityEvent',
      'palisadeEventObjectGroup',
      'palisadeEventNotificationGroup',
      'palisadeCompliance',
    ]) {
      assert.match(stdout, new RegExp(`\\b${name}\\(\\d+\\)`), name);
    }
    assert.match(stdout, /palisadeEventSource\(5\)\n[\s|]+Values: device\(1\), panel\(2\)/);
  });

  it('loads beside the default MIB list with no complaint about it (`-m +PALISADE-MIB -M +dirs`)', {
    skip,
  }, async () => {
    const { stdout, stderr } = await run('snmptranslate', [
      '-PW',
      '-m',
      '+PALISADE-MIB',
      '-M',
      `+${mibDirs().join(':')}`,
      '-On',
      'PALISADE-MIB::palisadeSecurityEvent',
    ]);
    assert.equal(stdout.trim(), `.${PALISADE_SECURITY_EVENT_OID}`);
    // Debian lacks the standard MIBs the default list names: those warnings are not about this module.
    assert.doesNotMatch(stderr, /PALISADE/);
  });

  // Optional: smilint comes with Debian's `smitools`.
  it('passes smilint at its most pedantic level', {
    skip: skipUnlessCommand('smilint', ['-V']),
  }, async () => {
    const { stdout, stderr } = await run('smilint', ['-l', '6', '-s', `${mibDirs()[0]}/PALISADE-MIB.txt`], {
      env: { ...process.env, SMIPATH: mibDirs().join(':') },
    });
    assert.equal(`${stdout}${stderr}`, '');
  });
});
