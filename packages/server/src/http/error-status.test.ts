import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ERROR_STATUS } from './error-status.ts';

const DOC = new URL('../../../../docs/errors.md', import.meta.url);

describe('ERROR_STATUS', () => {
  it('matches the table in docs/errors.md code for code and status for status', async () => {
    const documented = Object.fromEntries(
      [...(await readFile(DOC, 'utf8')).matchAll(/^\| `([A-Z0-9_]+)`\s*\| (\d{3})\s*\|/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
    assert.deepEqual(documented, { ...ERROR_STATUS });
  });

  it('uses only client or server error statuses', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) assert.ok(status >= 400 && status < 600, code);
  });
});
