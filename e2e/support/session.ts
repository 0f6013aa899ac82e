import type { Page } from 'playwright-core';
import { createLogger } from '../../control-api/src/logger.ts';
import { DemoTestPattern } from '../../control-api/src/rtc/DemoTestPattern.ts';
import { InProcessMediaNode } from '../../control-api/src/rtc/InProcessMediaNode.ts';
import type { MediaNode } from '../../control-api/src/rtc/MediaNode.ts';
import type { ControlPlane } from '../../control-api/src/server.ts';
import {
  createTestDatabase,
  type SeededEvent,
  seedEvent,
  startInstance,
  startMediaNode,
} from '../../control-api/test/support/harness.ts';
import { type Browser, launchChromium, localhost } from './browser.ts';

export interface LiveSessionOptions {
  /** mediasoup workers (default 2: an origin and an edge). */
  workers?: number;
  classrooms?: number;
  /** 1 for a 45 min talk, 2–3 for a 55 min panel. */
  speakers?: number;
  /** Fake cameras in Chromium (default 1). */
  cameras?: number;
  /**
   * FFmpeg's test pattern publishes as the speaker (the demo's stand-in);
   * `runSeconds` makes each FFmpeg run that short (it is started again after each).
   */
  testPattern?: boolean | { runSeconds: number };
  /** The event's status when the session starts (default live; scheduled: a studio takes it live). */
  status?: 'scheduled' | 'live';
  /** Another media plane (a cluster of media nodes); default: `workers` in this process. */
  media?: MediaNode;
}

export interface OpenOptions {
  /** This page's clock runs this far ahead of the real one (a computer set wrong). */
  clockSkewMs?: number;
}

/**
 * A live event on a real control-api (PostgreSQL, Redis, mediasoup workers)
 * serving the built apps, and Debian's Chromium to open them.
 */
export class LiveSession {
  readonly plane: ControlPlane;
  readonly ev: SeededEvent;
  readonly browser: Browser;
  readonly #pattern: DemoTestPattern | null;

  private constructor(
    plane: ControlPlane,
    ev: SeededEvent,
    browser: Browser,
    pattern: DemoTestPattern | null,
  ) {
    this.plane = plane;
    this.ev = ev;
    this.browser = browser;
    this.#pattern = pattern;
  }

  static async start(opts: LiveSessionOptions = {}): Promise<LiveSession> {
    const media = opts.media ?? (await startMediaNode({ workers: opts.workers ?? 2 }));
    const plane = await startInstance({ databaseUrl: await createTestDatabase(), media });
    const ev = await seedEvent(plane.url, {
      classrooms: opts.classrooms ?? 2,
      speakers: opts.speakers ?? 1,
      status: opts.status ?? 'live',
    });
    let pattern: DemoTestPattern | null = null;
    if (opts.testPattern) {
      if (!(media instanceof InProcessMediaNode))
        throw new Error('the test pattern runs in process');
      const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
      pattern = await DemoTestPattern.start({
        broadcast: await media.broadcast(ev.eventId),
        log,
        ...(typeof opts.testPattern === 'object' ? opts.testPattern : {}),
      });
    }
    const browser = await launchChromium({ cameras: opts.cameras ?? 1 });
    return new LiveSession(plane, ev, browser, pattern);
  }

  /** The test pattern, when the session has one. */
  get pattern(): DemoTestPattern | null {
    return this.#pattern;
  }

  /** Opens an app with a join link, as its user would (from `localhost`: a secure context). */
  async open(app: 'studio' | 'viewer', token: string, opts: OpenOptions = {}): Promise<Page> {
    const page = await this.browser.context.newPage();
    if (opts.clockSkewMs) {
      // Date.now and new Date() only: timers and performance.now keep real time.
      await page.addInitScript((skew: number) => {
        const RealDate = Date;
        class SkewedDate extends RealDate {
          constructor(...args: unknown[]) {
            if (args.length === 0) super(RealDate.now() + skew);
            else super(...(args as [number]));
          }
          static override now(): number {
            return RealDate.now() + skew;
          }
        }
        globalThis.Date = SkewedDate as DateConstructor;
      }, opts.clockSkewMs);
    }
    page.on('pageerror', (err) => console.log(`[${app} page error] ${err.message}`));
    page.on('console', (m) => {
      // Refused sockets (removed class, ended event) are expected in some tests; never print a token.
      if (m.type() === 'error' || m.type() === 'warning') {
        console.log(`[${app} ${m.type()}] ${m.text().replace(/token=[^&'\s]+/g, 'token=…')}`);
      }
    });
    const { eventId } = this.ev;
    await page.goto(
      `${localhost(this.plane.url)}/${app}/?event=${eventId}&token=${encodeURIComponent(token)}`,
    );
    return page;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.#pattern?.close();
    await this.plane.close();
  }
}
