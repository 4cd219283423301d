/**
 * PDF reports: the HTML report printed by headless Chromium through
 * playwright-core, loaded only when a PDF is asked for. JavaScript is off in
 * the page (the report has none) and nothing is fetched from anywhere.
 */
import { ComplianceError } from './compliance-error.ts';

export interface PdfRenderer {
  render(html: string): Promise<Uint8Array>;
}

/** Debian's Chromium; PALISADE_CHROMIUM names another binary. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function chromiumPdfRenderer(
  executablePath: string = process.env.PALISADE_CHROMIUM || DEFAULT_CHROMIUM,
): PdfRenderer {
  return {
    async render(html) {
      let playwright: typeof import('playwright-core');
      try {
        playwright = await import('playwright-core');
      } catch (error) {
        throw new ComplianceError(
          'REPORT_RENDERER_UNAVAILABLE',
          'PDF reports need playwright-core on the panel host',
          {
            cause: error,
          },
        );
      }
      let browser: Awaited<ReturnType<typeof playwright.chromium.launch>>;
      try {
        browser = await playwright.chromium.launch({ executablePath, timeout: 30_000 });
      } catch (error) {
        throw new ComplianceError(
          'REPORT_RENDERER_UNAVAILABLE',
          `PDF reports need headless Chromium on the panel host (${executablePath}, or set PALISADE_CHROMIUM)`,
          { cause: error },
        );
      }
      try {
        const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
        const page = await context.newPage();
        await page.setContent(html, { waitUntil: 'load' });
        const pdf = await page.pdf({
          format: 'A4',
          landscape: true,
          printBackground: true,
          margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
        });
        return new Uint8Array(pdf);
      } finally {
        await browser.close();
      }
    },
  };
}
