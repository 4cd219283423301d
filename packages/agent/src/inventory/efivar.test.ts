import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEfiBooleanVariable, secureBootState } from './efivar.ts';
import { known, unknown } from './fact.ts';

/** NV+BS+RT attributes (0x06 | 0x01), little-endian, then the data byte. */
const variable = (data: number) => Uint8Array.of(0x06, 0, 0, 0, data);

describe('parseEfiBooleanVariable', () => {
  it('reads the data byte after the 4 attribute bytes', () => {
    assert.deepEqual(parseEfiBooleanVariable(variable(1), 'SecureBoot'), known(true));
    assert.deepEqual(parseEfiBooleanVariable(variable(0), 'SecureBoot'), known(false));
  });

  it('is unknown for a truncated, oversized or out-of-range variable', () => {
    assert.deepEqual(
      parseEfiBooleanVariable(Uint8Array.of(6, 0, 0, 0), 'SecureBoot'),
      unknown('EFI variable SecureBoot has 4 bytes, expected 5'),
    );
    assert.equal(parseEfiBooleanVariable(Uint8Array.of(6, 0, 0, 0, 1, 0), 'SecureBoot').known, false);
    assert.deepEqual(
      parseEfiBooleanVariable(variable(2), 'SetupMode'),
      unknown('EFI variable SetupMode has value 2, expected 0 or 1'),
    );
  });
});

describe('secureBootState', () => {
  it('derives enabled, disabled and setup-mode (UEFI §32.3)', () => {
    assert.deepEqual(secureBootState(known(true), known(false)), known('enabled'));
    assert.deepEqual(secureBootState(known(false), known(false)), known('disabled'));
    assert.deepEqual(secureBootState(known(false), known(true)), known('setup-mode'));
    assert.deepEqual(secureBootState(known(true), unknown('x')), known('enabled'));
  });

  it('claims nothing when SecureBoot itself is unknown and not in setup mode', () => {
    assert.deepEqual(secureBootState(unknown('gone'), known(false)), unknown('gone'));
  });
});
