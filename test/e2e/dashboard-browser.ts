/**
 * What the dashboard tests need around a real browser: building the app
 * when its sources changed, pages that record CSP violations and script
 * errors, logging in through the form, and screenshots as test artifacts.
 */
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TestBrowser } from '@palisade/testkit';
import type { BrowserContext, Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/dashboard/', import.meta.url));

/** Builds packages/dashboard/dist unless it is newer than every source (npm run build:dashboard). */
export function buildDashboardIfStale(): void {
  const result = spawnSync(
    process.execPath,
    ['packages/dashboard/scripts/build.ts', '--if-stale', '--quiet'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`the dashboard build failed:\n${result.stdout}\n${result.stderr}`);
}

/** CSP violations, uncaught errors and failed app requests seen by any page, to assert none at the end. */
export class PageProblems {
  readonly csp: string[] = [];
  readonly errors: string[] = [];
  readonly forbidden: string[] = [];

  watch(page: Page): Page {
    page.on('console', (message) => {
      if (/Content Security Policy|CSP violation/i.test(message.text())) this.csp.push(message.text());
    });
    page.on('pageerror', (error) => this.errors.push(error.message));
    page.on('response', (response) => {
      if (response.status() === 403) this.forbidden.push(`${response.request().method()} ${response.url()}`);
    });
    return page;
  }
}

/** A browser context at 1280×800 that accepts the panel's own CA and reports CSP violations to the console. */
export async function newContext(
  browser: TestBrowser,
  viewport = { width: 1280, height: 800 },
): Promise<BrowserContext> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
  // Runs in every document before the app: a violation the console might word differently still shows up.
  await context.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  );
  return context;
}

export async function logIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** A screenshot of the page as it is, in test-artifacts/dashboard/ (git-ignored). */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = `${ARTIFACTS}${name}.png`;
  await page.screenshot({ path: file, fullPage: options.fullPage ?? false });
}
