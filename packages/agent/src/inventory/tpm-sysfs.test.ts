import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeTpmVendorId,
  parseTpmCaps,
  tpmVersionFromDescription,
  tpmVersionFromMajor,
} from './tpm-sysfs.ts';

describe('parseTpmCaps', () => {
  it('reads a TPM 1.2 caps file', () => {
    const caps = 'Manufacturer: 0x49465800\nTCG version: 1.2\nFirmware version: 6.40\n';
    assert.deepEqual(parseTpmCaps(caps), { manufacturer: 'IFX', version: '1.2', firmwareVersion: '6.40' });
  });

  it('ignores garbage and empty values', () => {
    assert.deepEqual(parseTpmCaps('garbage\nManufacturer:\n\u0000:\u0000'), {});
  });
});

describe('decodeTpmVendorId', () => {
  it('decodes printable TCG vendor IDs and keeps anything else as given', () => {
    assert.equal(decodeTpmVendorId('0x53544D20'), 'STM');
    assert.equal(decodeTpmVendorId('0x4E544300'), 'NTC');
    assert.equal(decodeTpmVendorId('0x00000001'), '0x00000001');
    assert.equal(decodeTpmVendorId('Infineon'), 'Infineon');
  });
});

describe('tpm version', () => {
  it('reads tpm_version_major and the ACPI description', () => {
    assert.equal(tpmVersionFromMajor('2\n'), '2.0');
    assert.equal(tpmVersionFromMajor('1'), '1.2');
    assert.equal(tpmVersionFromMajor('3'), undefined);
    assert.equal(tpmVersionFromDescription('TPM 2.0 Device'), '2.0');
    assert.equal(tpmVersionFromDescription('Some device'), undefined);
  });
});
