import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { InboundStats } from '../../sdk/src/MediaClient.ts';

export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../artifacts');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Debian's Chromium with a fresh profile and fake devices: one microphone and
 * `cameras` cameras (Chromium's animated test pattern).
 */
export async function launchChromium(
  opts: {
    cameras?: number;
    /** Another way to start it (e.g. a wrapper running it in a network namespace). */
    executablePath?: string;
    args?: string[];
  } = {},
): Promise<Browser> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'amphi-e2e-'));
  const cameras = opts.cameras ?? 1;
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: opts.executablePath ?? '/usr/bin/chromium',
    headless: true,
    args: [
      ...FLAGS,
      ...(opts.args ?? []),
      `--use-fake-device-for-media-stream=device-count=${cameras}`,
      ...(process.env.AMPHI_E2E_CHROMIUM_FLAGS?.split(' ').filter(Boolean) ?? []),
    ],
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The control-api's URL as a browser must see it: localhost is a secure context (getUserMedia). */
export function localhost(url: string): string {
  return url.replace('127.0.0.1', 'localhost');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** What the classroom's receive transport reports (the sdk's MediaClient.inboundStats()). */
export function inboundStats(page: Page): Promise<InboundStats> {
  return page.evaluate('window.__amphi.media.inboundStats()') as Promise<InboundStats>;
}

/** Waits until `check` holds for the page's stats; returns the last stats read. */
export async function waitForStats(
  page: Page,
  check: (s: InboundStats) => boolean,
  timeoutMs = 30_000,
): Promise<InboundStats> {
  const deadline = Date.now() + timeoutMs;
  let last: InboundStats | null = null;
  while (Date.now() < deadline) {
    last = await inboundStats(page).catch(() => null);
    if (last && check(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  const where = await page
    .evaluate(`JSON.stringify({
      status: window.__amphi?.signaling.statusInfo,
      remotes: window.__amphi?.media.remotes.map((r) => r.producer.kind),
      recv: window.__amphi?.media.recvTransport?.connectionState ?? null,
      quality: window.__amphi?.media.quality?.quality ?? null,
      banner: document.querySelector('[data-testid="net-banner"]')?.textContent ?? null,
    })`)
    .catch((err: unknown) => String(err));
  throw new Error(`stats never matched; last: ${JSON.stringify(last)}; client: ${where}`);
}

/**
 * Waits until the page has decoded `after` frames and receives audio, then
 * watches 3 s: frames keep coming (at least 5 per second, even on a loaded CI
 * machine) and so does the sound. Returns a line to print: the frames, size,
 * packets.
 */
export async function expectDecoding(page: Page, after = 0): Promise<string> {
  const first = await waitForStats(
    page,
    (s) => s.video.framesDecoded > after && s.video.frameWidth > 0 && s.audio.packetsReceived > 0,
  );
  await new Promise((r) => setTimeout(r, 3000));
  const later = await inboundStats(page);
  const frames = later.video.framesDecoded - first.video.framesDecoded;
  if (frames <= 15 || later.audio.packetsReceived <= first.audio.packetsReceived) {
    throw new Error(`stopped decoding: ${JSON.stringify({ first, later })}`);
  }
  return `+${frames} frames in 3 s, ${later.video.frameWidth}x${later.video.frameHeight}, audio packets=${later.audio.packetsReceived}`;
}
