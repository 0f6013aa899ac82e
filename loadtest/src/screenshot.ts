// Screenshot of a report page in Debian's Chromium (playwright-core, as the e2e tests use it):
//   node --import tsx loadtest/src/screenshot.ts report.html out.png [--full-page]
// The first 1280 × 800 by default (the headline figures and every chart), the whole page with --full-page.
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fullPage = args.includes('--full-page');
  const [html, png] = args.filter((a) => a !== '--full-page');
  if (!html || !png) throw new Error('usage: screenshot.ts report.html out.png [--full-page]');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(pathToFileURL(resolve(html)).href);
    // Every chart drawn (Chart.js registers each canvas it owns).
    await page.waitForFunction(
      () =>
        document.querySelectorAll('canvas').length > 0 &&
        [...document.querySelectorAll('canvas')].every((c) =>
          (globalThis as unknown as { Chart: { getChart(c: unknown): unknown } }).Chart.getChart(c),
        ),
    );
    await mkdir(dirname(resolve(png)), { recursive: true });
    await page.screenshot({ path: png, fullPage });
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
