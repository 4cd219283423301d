/**
 * Test-only: the real event logs in ./fixtures (see its README). Core does
 * no I/O; this file exists for its tests and is not exported by the package.
 */
// biome-ignore lint/style/noRestrictedImports: test support reads the fixture files beside it
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(import.meta.dirname, 'fixtures');

/** Every `*.bin` fixture, by file name. */
export const FIXTURE_NAMES: readonly string[] = readdirSync(FIXTURE_DIR)
  .filter((name) => name.endsWith('.bin'))
  .sort();

/** The one fixture the parser refuses: its Spec ID vendorInfo runs past the event's eventSize. */
export const MALFORMED_FIXTURE = 'specid-vendordata.bin';

export function readFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURE_DIR, name)));
}
