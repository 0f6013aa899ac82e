import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundKind } from '../../sdk/src/inboundStreams.ts';
import { type Browser, screenshot, waitForStats } from '../support/browser.ts';
import {
  longestStill,
  type PictureSample,
  readPicture,
  watchPicture,
} from '../support/pictureWatch.ts';
import { recordReachFigures } from '../support/reachFigures.ts';
import { type SchoolNetwork, SchoolTalk } from '../support/schoolNetwork.ts';

// The ladder's quality on a simulated school network (see schoolNetwork.ts for
// the rig): a lossy line, a thin line, and a school that opens its firewall
// during the talk. The speaker is a browser, as in a real talk: the studio in
// Chromium, simulcast from its fake camera at 1280x720, answering the classes'
// key-frame requests. Each asserts what the class notices: the picture keeps
// moving (frames presented on screen), the sound keeps coming, the path shown.

let unavailable: string | null = null;
let talk: SchoolTalk | null = null;
const figures: Record<string, number> = {};

const SCHOOLS = { loss: 'school-loss', slow: 'school-slow', climb: 'school-climb' } as const;
/** A line thinner than the lowest layer (320x180, about 150 kbit/s) beside the voice (about 50). */
const THIN_KBIT = 64;

beforeAll(async () => {
  unavailable = await SchoolTalk.probe();
  if (unavailable) return;
  talk = await SchoolTalk.start({
    schools: Object.values(SCHOOLS),
    subnetFrom: 20,
    classrooms: 3,
    speaker: { kind: 'studio' },
  });
  console.log(`the speaker's browser sends: ${JSON.stringify(await talk.speakerLayers())}`);
});

afterAll(async () => {
  await talk?.close();
  if (Object.keys(figures).length > 0) {
    console.log(
      [
        '| reach quality              |   value |',
        '|---|---|',
        ...Object.entries(figures).map(
          ([k, v]) => `| ${k.padEnd(26)} | ${String(v).padStart(7)} |`,
        ),
      ].join('\n'),
    );
    await recordReachFigures(figures);
  }
});

/** Chromium in a school, a fresh profile, the class's link opened; resolves once a frame decoded. */
async function openClass(
  school: SchoolNetwork,
  classroom: number,
  /** The same browser again (what it remembered); default a fresh one. */
  reuse?: Browser,
): Promise<{ page: Page; firstFrameMs: number; browser: Browser }> {
  const t = talk as SchoolTalk;
  const browser = reuse ?? (await t.schoolBrowser(school));
  const page = await browser.context.newPage();
  await page.addInitScript(TIMELINE);
  page.on('pageerror', (err) => console.log(`[viewer page error] ${err.message}`));
  await page.goto(t.classLink(classroom));
  const firstFrameMs = (await page.evaluate(`new Promise((resolve, reject) => {
    const until = performance.now() + 60000;
    const tick = async () => {
      const s = await window.__amphi?.media?.inboundStats().catch(() => null);
      if (s && s.video.framesDecoded > 0) return resolve(Math.round(performance.now()));
      if (performance.now() > until) return reject(new Error('no frame decoded in 60 s'));
      setTimeout(tick, 20);
    };
    tick();
  })`)) as number;
  return { page, firstFrameMs, browser };
}

/**
 * Where a join's time goes, from the page's start: its peer connections' ICE
 * candidates, states and the reach ladder's moves (printed with a first join).
 */
const TIMELINE = `(() => {
  const log = (window.__timeline = []);
  const at = () => Math.round(performance.now());
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = function (config, ...rest) {
    const pc = new Native(config, ...rest);
    const id = log.filter((e) => e[1] === 'pc').length;
    log.push([at(), 'pc', id, config?.iceTransportPolicy, (config?.iceServers ?? []).length]);
    pc.addEventListener('icecandidate', (e) =>
      log.push([at(), 'cand', id, e.candidate ? e.candidate.type + '/' + e.candidate.protocol + (e.candidate.relayProtocol ? '/' + e.candidate.relayProtocol : '') : 'end']));
    pc.addEventListener('iceconnectionstatechange', () => log.push([at(), 'ice', id, pc.iceConnectionState]));
    pc.addEventListener('connectionstatechange', () => log.push([at(), 'conn', id, pc.connectionState]));
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Native);
  let amphi;
  Object.defineProperty(window, '__amphi', {
    configurable: true,
    get: () => amphi,
    set: (v) => {
      amphi = v;
      log.push([at(), 'app']);
      v?.media?.on('reach', (r) => log.push([at(), 'reach', r.rung, r.status, r.path]));
    },
  });
})()`;

async function timeline(page: Page): Promise<string> {
  const nav = (await page.evaluate(
    `JSON.stringify(performance.getEntriesByType('navigation').map((n) => ({ response: Math.round(n.responseEnd), dom: Math.round(n.domContentLoadedEventEnd) }))[0])`,
  )) as string;
  const log = (await page.evaluate('JSON.stringify(window.__timeline)')) as string;
  return `navigation ${nav}; ${log}`;
}

/** How many peer connections the page has made so far (the timeline's). */
function peerConnectionsMade(page: Page): Promise<number> {
  return page.evaluate('window.__timeline.filter((e) => e[1] === "pc").length') as Promise<number>;
}

function shownPath(page: Page): Promise<string | null> {
  return page.getByTestId('reach-path').getAttribute('data-path');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Between two samples of the same transport: frames, freezes, NACKs, sound. */
function between(a: PictureSample, b: PictureSample) {
  const seconds = (b.at - a.at) / 1000;
  const samples = b.audio.totalSamplesReceived - a.audio.totalSamplesReceived;
  return {
    seconds,
    fps: (b.video.framesDecoded - a.video.framesDecoded) / seconds,
    freezePct: ((b.video.totalFreezesDuration - a.video.totalFreezesDuration) / seconds) * 100,
    freezes: b.video.freezeCount - a.video.freezeCount,
    nacks: b.video.nackCount - a.video.nackCount,
    lost: b.video.packetsLost - a.video.packetsLost,
    retransmitted: b.video.retransmitted - a.video.retransmitted,
    plis: b.video.pliCount - a.video.pliCount,
    keyFrames: b.video.keyFramesDecoded - a.video.keyFramesDecoded,
    audioPackets: b.audio.packetsReceived - a.audio.packetsReceived,
    concealedPct:
      samples > 0 ? ((b.audio.concealedSamples - a.audio.concealedSamples) / samples) * 100 : 100,
  };
}

/** The longest run (ms) of samples in which no audio packet arrived. */
function longestSilence(samples: PictureSample[]): number {
  let longest = 0;
  let since = samples[0]?.at ?? 0;
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1] as PictureSample, samples[i] as PictureSample];
    if (b.audio.packetsReceived > a.audio.packetsReceived || b.transportId !== a.transportId) {
      since = b.at;
    }
    longest = Math.max(longest, b.at - since);
  }
  return longest;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Each time (ms) the picture stood still longer than `ms` within [from, to], when it began (s after from). */
function stillsOver(frames: number[], from: number, to: number, ms: number): string[] {
  return stillSpans(frames, from, to, ms).map(
    ([start, end]) => `${end - start}@${round1((start - from) / 1000)}s`,
  );
}

/** Each second from `from`: width:frames decoded:PLIs (where a picture's time goes). */
function perSecond(samples: PictureSample[], from: number): string {
  const out: string[] = [];
  for (let i = 4; i < samples.length; i += 4) {
    const [a, b] = [samples[i - 4] as PictureSample, samples[i] as PictureSample];
    out.push(
      `${round1((b.at - from) / 1000)}s ${b.video.frameWidth}:${b.video.framesDecoded - a.video.framesDecoded}:${b.video.pliCount - a.video.pliCount}`,
    );
  }
  return out.join(' ');
}

/** [start, end] of each time the picture stood still longer than `ms` within [from, to]. */
function stillSpans(frames: number[], from: number, to: number, ms: number): [number, number][] {
  const inside = frames.filter((t) => t >= from && t <= to);
  const out: [number, number][] = [];
  let prev = from;
  for (const t of [...inside, to]) {
    if (t - prev > ms) out.push([prev, t]);
    prev = t;
  }
  return out;
}

/**
 * What the class's line does to the picture, for the logs: how late each
 * presented frame's last packet arrived after the speaker captured it
 * (requestVideoFrameCallback's receiveTime against the frame's RTP timestamp:
 * a queue filling, or the speaker's busy encoder, which looks the same), and
 * the receive transport's frame assembly times every 250 ms (how busy the line
 * was, see lineBusyPerSecond: what the class's layer guard reads).
 */
async function watchArrivals(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const inboundKind = ${inboundKind.toString()};
    const out = (window.__arrivals = []);
    let el = null;
    const follow = (v) => {
      const on = (_now, m) => {
        if (v !== el) return;
        if (m.receiveTime !== undefined && m.rtpTimestamp !== undefined)
          out.push([Date.now() - (performance.now() - m.receiveTime), m.rtpTimestamp, m.width]);
        v.requestVideoFrameCallback(on);
      };
      v.requestVideoFrameCallback(on);
    };
    const busy = (window.__lineBusy = []);
    setInterval(async () => {
      const v = document.querySelector('[data-testid="speaker-video"]');
      if (v && v !== el) { el = v; follow(v); }
      const t = window.__amphi?.media?.recvTransport;
      if (!t || t.closed) return;
      const s = { at: Date.now(), assembly: 0, assembled: 0, frames: 0 };
      (await t.getStats()).forEach((r) => {
        if (inboundKind(r) !== 'video') return;
        s.assembly += r.totalAssemblyTime ?? 0;
        s.assembled += r.framesAssembledFromMultiplePackets ?? 0;
        s.frames += r.framesReceived ?? 0;
      });
      busy.push(s);
    }, 250);
  })()`);
}

/**
 * Each second from `from`: how busy the line was delivering the picture (each
 * frame's time from its first packet to its last, times the frames a second:
 * near 1 when packets queue behind one another all the time).
 */
async function lineBusyPerSecond(page: Page, from: number, to: number): Promise<string> {
  const busy = (await page.evaluate('window.__lineBusy')) as {
    at: number;
    assembly: number;
    assembled: number;
    frames: number;
  }[];
  const out: string[] = [];
  for (let s = from; s < to; s += 1000) {
    const a = busy.find((x) => x.at >= s);
    const b = [...busy].reverse().find((x) => x.at < s + 1000);
    if (!a || !b || b.at <= a.at || b.frames <= a.frames) {
      out.push('-');
      continue;
    }
    const fps = ((b.frames - a.frames) * 1000) / (b.at - a.at);
    const perFrame = (b.assembly - a.assembly) / Math.max(1, b.assembled - a.assembled);
    out.push(String(Math.round(perFrame * fps * 100) / 100));
  }
  return out.join(' ');
}

/** Each second from `from`: the most any frame was queued (ms over the quietest frame of the 3 s before). */
async function queuePerSecond(page: Page, from: number, to: number): Promise<string> {
  const arrivals = (await page.evaluate('window.__arrivals')) as [number, number, number][];
  let capture = 0;
  let last = -1;
  const delays = arrivals.map(([at, rtp]) => {
    if (last >= 0) capture += (((rtp - last) << 0) | 0) / 90;
    last = rtp;
    return { at, d: at - capture };
  });
  const out: string[] = [];
  for (let s = from; s < to; s += 1000) {
    const base = Math.min(...delays.filter((x) => x.at >= s - 3000 && x.at < s).map((x) => x.d));
    const here = delays.filter((x) => x.at >= s && x.at < s + 1000).map((x) => x.d - base);
    out.push(
      here.length > 0 && Number.isFinite(base) ? String(Math.round(Math.max(...here))) : '-',
    );
  }
  return out.join(' ');
}

/** The fewest frames decoded in any one second of the samples (taken every 250 ms). */
function slowestSecond(samples: PictureSample[]): number {
  let slowest = Number.POSITIVE_INFINITY;
  for (let i = 4; i < samples.length; i++) {
    const [a, b] = [samples[i - 4] as PictureSample, samples[i] as PictureSample];
    if (a.transportId !== b.transportId) continue;
    const fps = ((b.video.framesDecoded - a.video.framesDecoded) * 1000) / (b.at - a.at);
    slowest = Math.min(slowest, fps);
  }
  return Number.isFinite(slowest) ? round1(slowest) : 0;
}

describe('a classroom on a poor school line', () => {
  it('5 % random loss on the downlink: the picture keeps moving (NACK/RTX), rarely frozen, the sound continuous', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const school = (talk as SchoolTalk).school(SCHOOLS.loss);
    const { page } = await openClass(school, 0);
    // The full 1 Mbps layer first (the bandwidth estimate climbs to it).
    await waitForStats(page, (s) => s.video.frameWidth >= 1280, 40_000).catch(() => {});
    await watchPicture(page);
    // The same picture on a clean line first: what this machine's own hitches
    // cost (the speaker's browser, the class's and the worker share its cores).
    const clean = Date.now();
    await sleep(15_000);
    const madeBefore = await peerConnectionsMade(page);
    await school.setDownlinkLoss(5);
    const from = Date.now();
    await sleep(30_000);
    const to = Date.now();
    // A lossy line is no cut one: no reroute through the relay was even tried.
    expect(await peerConnectionsMade(page)).toBe(madeBefore);
    const watch = await readPicture(page);
    const lost = await school.lost();
    await school.setDownlinkLoss(0);
    const window = watch.samples.filter((s) => s.at >= from - 250 && s.at <= to);
    const first = window[0] as PictureSample;
    const last = window.at(-1) as PictureSample;
    expect(last.transportId).toBe(first.transportId);
    const d = between(first, last);
    const still = longestStill(watch.frames, from, to);
    const steady = watch.samples.filter((s) => s.at >= clean && s.at < from);
    const base = between(steady[0] as PictureSample, steady.at(-1) as PictureSample);
    const line = {
      clean_line_freeze_pct: round1(base.freezePct),
      clean_line_longest_still_ms: longestStill(watch.frames, clean, from),
      fps: round1(d.fps),
      slowest_second_fps: slowestSecond(window),
      width: last.video.frameWidth,
      freeze_pct: round1(d.freezePct),
      freezes: d.freezes,
      longest_still_ms: still,
      video_lost: d.lost,
      nacks: d.nacks,
      retransmitted: d.retransmitted,
      plis: d.plis,
      key_frames: d.keyFrames,
      widths: [...new Set(window.map((x) => x.video.frameWidth))],
      audio_packets_per_s: round1(d.audioPackets / d.seconds),
      audio_concealed_pct: round1(d.concealedPct),
      longest_audio_gap_ms: longestSilence(window),
      dropped_by_the_line: lost,
      // The class's own step down (its layer guard): none expected on a line that is not full.
      layer_cap: `${await page.getAttribute('[data-layer-cap]', 'data-layer-cap')}:${await page.getAttribute('[data-layer-cap]', 'data-layer-reason')}`,
    };
    console.log(`5 % loss, 30 s: ${JSON.stringify(line)}`);
    console.log(
      `the speaker's browser sends: ${JSON.stringify(await (talk as SchoolTalk).speakerLayers())}`,
    );
    figures.loss5_freeze_pct = line.freeze_pct;
    figures.loss0_freeze_pct = line.clean_line_freeze_pct;
    figures.loss5_fps = line.fps;
    figures.loss5_longest_still_ms = still;
    figures.loss5_audio_concealed_pct = line.audio_concealed_pct;
    await screenshot(page, 'reach-loss5');
    // The line really lost packets, and the class got most of them back.
    expect(lost).toBeGreaterThan(100);
    expect(d.nacks).toBeGreaterThan(0);
    expect(d.retransmitted).toBeGreaterThan(0);
    // What the class notices: a moving picture, rarely frozen (the goal:
    // under 2 % of the time), the voice throughout. The speaker's browser sends
    // 20 frames a second; under loss the estimate may drop a temporal layer
    // (10 a second) or a spatial one, which the class sees as a softer picture,
    // not a frozen one. A frame NACK/RTX cannot save is asked again as a key
    // frame, which the speaker's encoder answers at once.
    // The goal is judged beside the clean line's share on this machine: a loaded
    // one (load 26 on 2 cores) drops the speaker's own encoder to 15 frames a
    // second and freezes a clean line too; bench:reach reports both.
    expect(d.freezePct).toBeLessThan(2 + base.freezePct);
    expect(still).toBeLessThan(1000);
    expect(d.fps).toBeGreaterThan(8);
    expect(line.longest_audio_gap_ms).toBeLessThan(1000);
    expect(d.concealedPct).toBeLessThan(10);
    await page.close();
  });

  it('500 kbit/s downlink: a lower layer without stalling; thinner than the lowest layer: the picture paused and said so, the voice goes on, the picture back when the line allows', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const school = (talk as SchoolTalk).school(SCHOOLS.slow);
    const { page } = await openClass(school, 1);
    const before = await waitForStats(page, (s) => s.video.frameWidth >= 1280, 40_000).catch(
      () => null,
    );
    await watchPicture(page);
    await watchArrivals(page);
    // The same picture on the open line first: this machine's own hitches.
    const open = Date.now();
    await sleep(4000);
    await school.limitDownlink(500);
    const from = Date.now();
    const levels = new Set<string>();
    let offered = false;
    /** When the banner said the line holds the picture back. */
    const toldAt: number[] = [];
    /** The class's own step downs (its layer guard's cap), when each began (s after from). */
    const caps: string[] = [];
    while (Date.now() - from < 30_000) {
      const cap = `${await page.getAttribute('[data-layer-cap]', 'data-layer-cap')}:${await page.getAttribute('[data-layer-cap]', 'data-layer-reason')}`;
      if (cap !== caps.at(-1)?.split('@')[0])
        caps.push(`${cap}@${round1((Date.now() - from) / 1000)}s`);
      levels.add((await page.getAttribute('[data-testid="net-banner"]', 'data-level')) ?? '');
      offered ||= await page.getByTestId('suggest-audio-only').isVisible();
      const held = await page.getAttribute('[data-testid="net-banner"]', 'data-picture-held');
      if (held === 'true') toldAt.push(Date.now());
      await sleep(500);
    }
    const to = Date.now();
    const watch = await readPicture(page);
    const samples = watch.samples.filter((s) => s.at >= from && s.at <= to);
    const widths = samples.map((s) => s.video.frameWidth);
    const lowest = Math.min(...widths.filter((w) => w > 0));
    const lastTen = samples.filter((s) => s.at >= to - 10_000);
    const settled = between(lastTen[0] as PictureSample, lastTen.at(-1) as PictureSample);
    const shaped = await school.downlinkStats();
    const still = longestStill(watch.frames, from, to);
    const steady = longestStill(watch.frames, open, from);
    const line = {
      open_line_longest_still_ms: steady,
      width_before: before?.video.frameWidth ?? null,
      lowest_width: lowest,
      width_at_end: widths.at(-1),
      fps_last_10s: round1(settled.fps),
      slowest_second_fps: slowestSecond(samples),
      stills_over_1s: stillsOver(watch.frames, from, to, 1000),
      per_second: perSecond(samples, from),
      longest_still_ms: still,
      longest_audio_gap_ms: longestSilence(samples),
      banner: [...levels].filter(Boolean),
      audio_only_offered: offered,
      shaped_dropped: shaped.dropped,
      picture_held_said_s: toldAt.map((t) => round1((t - from) / 1000)),
      layer_caps: caps,
      queue_ms_per_second: await queuePerSecond(page, from, to),
      line_busy_per_second: await lineBusyPerSecond(page, open, to),
    };
    console.log(`500 kbit/s, 30 s: ${JSON.stringify(line)}`);
    console.log(
      `the speaker's browser sends: ${JSON.stringify(await (talk as SchoolTalk).speakerLayers())}`,
    );
    figures.kbit500_lowest_width = lowest;
    figures.kbit500_longest_still_ms = still;
    figures.kbit500_fps = line.fps_last_10s;
    await screenshot(page, 'reach-500kbit');
    expect(lowest).toBeLessThanOrEqual(640);
    // The step down costs a short still at most: the class asks for a lower layer
    // as soon as its line drops packets (its layer guard), before the server's
    // estimate falls (which took 0.8-1.6 s of still picture before), and stays
    // there rather than trying the top layer again. The goal is 500 ms (bench:reach
    // reports it; 429-586 ms in most runs at load 11-17, 1.2 s in one); judged
    // here under 1.5 s, or beside this machine's own hitches on the open line
    // (the speaker's browser shares its cores): a step of one layer, or none,
    // stood still 1.7-3.1 s. Then a moving picture,
    // at 10 frames a second or more when the estimate keeps one temporal layer
    // of the speaker's 20 fewer.
    // On a loaded machine the estimate may fall far below the line (delay noise):
    // the server then holds the picture back for seconds. The class must never
    // face such a still picture unexplained: each still past 4 s was said (the
    // banner says it 2.5-3 s into a still).
    for (const [start, end] of stillSpans(watch.frames, from, to, 4000)) {
      expect(
        toldAt.some((t) => t >= start && t <= end),
        `still ${start - from}..${end - from} ms unexplained`,
      ).toBe(true);
    }
    if (toldAt.length === 0) expect(still).toBeLessThan(Math.max(1500, steady + 500));
    expect(settled.fps).toBeGreaterThan(6);
    expect(line.longest_audio_gap_ms).toBeLessThan(2000);
    expect(levels.has('offline')).toBe(false);

    // A line that cannot carry even the lowest layer beside the voice: the server
    // holds the picture back, the class is told so (and offered the voice alone),
    // and the sound goes on.
    const banner = page.locator('[data-testid="net-banner"]');
    const madeBeforeThin = await peerConnectionsMade(page);
    await school.limitDownlink(THIN_KBIT);
    const thinFrom = Date.now();
    await expect
      .poll(() => banner.getAttribute('data-picture-held'), { timeout: 40_000, interval: 250 })
      .toBe('true');
    const heldAfter = Date.now() - thinFrom;
    const said = ((await banner.getByRole('status').textContent()) ?? '').trim();
    const offeredWhenHeld = await page.getByTestId('suggest-audio-only').isVisible();
    const heldAt = await waitForStats(page, () => true);
    const heldFrom = Date.now();
    await sleep(3000);
    const heldLater = await waitForStats(page, () => true);
    // The voice on the thin line while the picture is held (the server probes the line meanwhile).
    const heldWatch = (await readPicture(page)).samples.filter((x) => x.at >= heldFrom);
    const heldVoice = between(heldWatch[0] as PictureSample, heldWatch.at(-1) as PictureSample);
    const thin = {
      told_after_ms: heldAfter,
      says: said,
      audio_packets_in_3s: heldLater.audio.packetsReceived - heldAt.audio.packetsReceived,
      frames_in_3s: heldLater.video.framesDecoded - heldAt.video.framesDecoded,
      audio_only_offered: offeredWhenHeld,
      audio_concealed_pct: round1(heldVoice.concealedPct),
      longest_audio_gap_ms: longestSilence(heldWatch),
    };
    console.log(`${THIN_KBIT} kbit/s: ${JSON.stringify(thin)}`);
    await screenshot(page, 'reach-thin-line');
    expect(said).toBe(
      'Connexion trop lente pour l’image\u00a0: elle est en pause, le son continue. L’image reviendra dès que la connexion le permettra.',
    );
    expect(offeredWhenHeld).toBe(true);
    expect(thin.audio_packets_in_3s).toBeGreaterThan(100);
    // The line comes back to 500 kbit/s: the picture comes back by itself, the words go.
    await school.limitDownlink(500);
    const wider = Date.now();
    // Frames presented on screen (the receive transport, and its counters, may
    // have been replaced while the line was that thin).
    await expect
      .poll(async () => (await readPicture(page)).frames.filter((t) => t > wider).length, {
        timeout: 40_000,
        interval: 500,
      })
      .toBeGreaterThan(20);
    figures.thin_line_picture_back_ms = Date.now() - wider;
    await expect
      .poll(() => banner.getAttribute('data-picture-held'), { timeout: 5_000 })
      .toBe('false');
    console.log(
      `back to 500 kbit/s: the picture moves again ${figures.thin_line_picture_back_ms} ms later; peer connections made since the line fell to ${THIN_KBIT} kbit/s: ${(await peerConnectionsMade(page)) - madeBeforeThin}; ${await timeline(page)}`,
    );
    // The class may also choose the voice alone (« Son seul », its A key): no picture at all then.
    await page.keyboard.press('a');
    await sleep(1000);
    const at = await waitForStats(page, () => true);
    await sleep(3000);
    const after = await waitForStats(page, () => true);
    console.log(
      `audio only: +${after.audio.packetsReceived - at.audio.packetsReceived} audio packets and +${after.video.framesDecoded - at.video.framesDecoded} frames in 3 s`,
    );
    expect(after.audio.packetsReceived - at.audio.packetsReceived).toBeGreaterThan(100);
    expect(after.video.framesDecoded - at.video.framesDecoded).toBeLessThan(5);
    await school.limitDownlink(null);
    await page.close();
  }, 240_000);
});

describe('a class that fell to the relay', () => {
  it('climbs back up to the worker’s own port once the school opens its firewall, with no gap on screen', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const school = (talk as SchoolTalk).school(SCHOOLS.climb);
    await school.setFirewall((talk as SchoolTalk).webOnly());
    // A first join tries every way at once, and gets through the relay's TLS.
    const first = await openClass(school, 2);
    await expect.poll(() => shownPath(first.page), { timeout: 20_000 }).toBe('turn-tls');
    console.log(
      `web only, first join: through the relay, first frame ${first.firstFrameMs} ms after opening the link; ${await timeline(first.page)}`,
    );
    figures.climb_first_join_turn_tls_ms = first.firstFrameMs;
    await first.page.close();
    // The next join starts on the relay it remembered (the relay alone: only
    // the climb back up can bring it to the worker's ports).
    const { page, firstFrameMs } = await openClass(school, 2, first.browser);
    await expect.poll(() => shownPath(page), { timeout: 20_000 }).toBe('turn-tls');
    console.log(`web only, remembered relay: first frame ${firstFrameMs} ms`);
    figures.turn_tls_remembered_ms ??= firstFrameMs;
    await watchPicture(page);
    await sleep(9000);
    const opened = Date.now();
    // How steady the picture is on this machine before anything changes (a loaded
    // CI box has its own hitches): the switch must not be worse than that.
    const steady = longestStill((await readPicture(page)).frames, opened - 8000, opened);
    await school.setFirewall({ kind: 'open' });
    await expect.poll(() => shownPath(page), { timeout: 60_000, interval: 100 }).toBe('udp');
    const climbed = Date.now();
    await sleep(4000);
    const watch = await readPicture(page);
    const still = longestStill(watch.frames, opened, Date.now());
    const label = ((await page.getByTestId('reach-path').textContent()) ?? '').trim();
    console.log(
      `firewall opened: back on UDP ${climbed - opened} ms later; the picture stood still at most ${still} ms (${steady} ms before, steady); shows « ${label} »; ${await timeline(page)}`,
    );
    figures.climb_back_ms = climbed - opened;
    figures.climb_back_longest_still_ms = still;
    await screenshot(page, 'reach-climb-back');
    expect(label).toBe('Connexion directe');
    // Two transports at once, then the tracks swapped inside the playing stream.
    expect(await page.evaluate('window.__timeline.filter((e) => e[1] === "pc").length')).toBe(4);
    // The speaker's browser shares the machine's cores with the class's: its
    // hitches come and go, and 8 s of watching before the switch catch only some.
    expect(still).toBeLessThan(Math.max(1000, steady + 500));
    await expect
      .poll(() => (talk as SchoolTalk).pathSeenByModerator(2), { timeout: 10_000 })
      .toEqual(['udp']);
    // The next join starts straight on the worker's ports: remembered.
    expect(await page.evaluate(`JSON.parse(localStorage.getItem('amphi.reach')).rung`)).toBe(
      'direct',
    );
  });
});
