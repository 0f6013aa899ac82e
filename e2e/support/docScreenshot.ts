import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { screenshot } from './browser.ts';

/** The screenshots the docs and the closing notes show (committed). */
export const DOC_SCREENSHOTS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../docs/screenshots',
);

/** A committed screenshot must stay small (the repository keeps every version). */
const MAX_BYTES = 300 * 1024;

/**
 * The screen as a class sees it (the viewport, 1280x800): always to
 * e2e/artifacts; with AMPHI_DOC_SCREENSHOTS=1 also to docs/screenshots/<name>.png,
 * so that an ordinary run leaves the committed ones alone. A moving picture
 * compresses better on some frames than others: up to three tries, the first
 * under 300 KB kept (else the smallest, with a warning: not committable).
 * Returns the docs file's size in bytes (0 when not written).
 */
export async function docScreenshot(page: Page, name: string): Promise<number> {
  await screenshot(page, name);
  if (process.env.AMPHI_DOC_SCREENSHOTS !== '1') return 0;
  await mkdir(DOC_SCREENSHOTS, { recursive: true });
  const file = path.join(DOC_SCREENSHOTS, `${name}.png`);
  let best: Buffer | null = null;
  for (let i = 0; i < 3 && !(best && best.length <= MAX_BYTES); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 700));
    const shot = await page.screenshot();
    if (!best || shot.length < best.length) best = shot;
  }
  await writeFile(file, best as Buffer);
  const { size } = await stat(file);
  if (size > MAX_BYTES) console.warn(`${file}: ${size} bytes, over ${MAX_BYTES}: not committable`);
  return size;
}
