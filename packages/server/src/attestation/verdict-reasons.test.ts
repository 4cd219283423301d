import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { VERDICT_REASONS } from './verdict-reasons.ts';

const DOC = new URL('../../../../docs/attestation.md', import.meta.url);

describe('VERDICT_REASONS', () => {
  it('matches the verdict table in docs/attestation.md code for code: component, severity, recoverable', async () => {
    const rows = [
      ...(await readFile(DOC, 'utf8')).matchAll(
        /^\| `([A-Z0-9_]+)`\s*\| `([a-z_]+)`\s*\| (\d+)\s*\| (yes|no)\s*\|/gm,
      ),
    ];
    const documented = Object.fromEntries(
      rows.map(([, code, component, severity, recoverable]) => [
        code,
        { component, severity: Number(severity), recoverable: recoverable === 'yes' },
      ]),
    );
    assert.deepEqual(documented, { ...VERDICT_REASONS });
  });
});
