import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { STRICT } from './system-tools.ts';

/** Debian's Chromium (apt-get install chromium); PALISADE_CHROMIUM points elsewhere. */
export const CHROMIUM_PATH = process.env.PALISADE_CHROMIUM ?? '/usr/bin/chromium';

/** For `describe(name, { skip: skipUnlessChromium() }, …)`; strict mode runs (and fails) instead. */
export function skipUnlessChromium(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false;
  return STRICT ? false : `${CHROMIUM_PATH} is missing (apt-get install chromium)`;
}

export type TestBrowser = Browser & AsyncDisposable;

/**
 * Headless Chromium driven by playwright-core (no browser download: the
 * system's own). As root, Chromium's sandbox cannot start, so it is off
 * there; /dev/shm is small in containers, so it is not used.
 */
export async function launchChromium(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage'],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}
