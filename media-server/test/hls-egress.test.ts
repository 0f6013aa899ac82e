import dgram from 'node:dgram';
import os from 'node:os';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broadcast } from '../src/Broadcast.ts';
import { HlsHub } from '../src/hls/HlsHub.ts';
import { ffmpegAvailable } from '../src/ingest/FfmpegTestSource.ts';
import { WorkerPool } from '../src/WorkerPool.ts';
import { egressFfmpegs, ffprobe, openFiles } from './support/egressProcesses.ts';
import {
  startTestPatternBroadcast,
  type TestPatternBroadcast,
} from './support/testPatternSpeaker.ts';

const IP = '127.0.0.1';
const logger = pino({ level: 'warn' });
const LAYERS = [
  { width: 320, height: 180, kbps: 150 },
  { width: 640, height: 360, kbps: 400 },
];

let pool: WorkerPool;
let broadcast: Broadcast;
let speaker: TestPatternBroadcast;
let hub: HlsHub;

/** A UDP socket bound on every address (as FFmpeg binds), at `port` or one the OS picks. */
async function udpSocket(port = 0): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '0.0.0.0', () => resolve());
  });
  return s;
}

/** A free port whose next one is free too (FFmpeg binds both: RTP, RTCP). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const rtp = await udpSocket();
    const port = rtp.address().port;
    const rtcp = await udpSocket(port + 1).catch(() => undefined);
    rtp.close();
    rtcp?.close();
    if (rtcp) return port;
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  pool = await WorkerPool.create({
    size: Math.min(2, os.availableParallelism()),
    listenIp: IP,
    logger,
  });
  speaker = await startTestPatternBroadcast({
    eventId: 'event-hls',
    pool,
    logger,
    ip: IP,
    simulcastLayers: 2,
    durationSec: 60,
    layers: LAYERS,
  });
  broadcast = speaker.broadcast;
  hub = new HlsHub({ broadcastOf: async () => broadcast, listenIp: IP, logger, idleMs: 60_000 });
}, 60_000);

afterAll(async () => {
  hub?.close();
  await speaker?.close();
  pool?.close();
});

describe.runIf(await ffmpegAvailable())('LL-HLS egress', () => {
  it('stops when no class has asked for a while (the last one left), and starts again for the next', async () => {
    const idle = new HlsHub({
      broadcastOf: async () => broadcast,
      listenIp: IP,
      logger,
      idleMs: 2500,
    });
    try {
      const egress = await idle.egress('event-hls');
      const pid = egress.pid;
      if (!pid) throw new Error('no FFmpeg');
      // Asked again within the idle time (counted from each ask, and from its
      // start for the class that waited on it): it keeps running.
      for (let i = 0; i < 3; i++) {
        expect(await idle.egress('event-hls')).toBe(egress);
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(egress.closed).toBe(false);
      // Nobody asks any more: it stops, FFmpeg with it.
      await expect.poll(() => egress.closed, { timeout: 5000 }).toBe(true);
      await expect.poll(() => running(pid), { timeout: 5000 }).toBe(false);
      expect(idle.running).toBe(0);
      const next = await idle.egress('event-hls');
      expect(next).not.toBe(egress);
      expect(next.closed).toBe(false);
    } finally {
      idle.close();
    }
  }, 30_000);

  it('starts FFmpeg again on other ports when another program took one of its ports before it bound them', async () => {
    // What a busy host does now and then: a port found free is bound by
    // another program (a test beside, a worker) before FFmpeg binds it.
    const taken = await udpSocket(0);
    const takenPort = taken.address().port;
    const asked: number[][] = [];
    const hub2 = new HlsHub({
      broadcastOf: async () => broadcast,
      listenIp: IP,
      logger,
      ffmpegPorts: async () => {
        // First its RTCP port (video's + 1), as FFmpeg binds it: then free ones.
        const ports: [number, number] =
          asked.length === 0
            ? [takenPort - 1, await freePortPair()]
            : [await freePortPair(), await freePortPair()];
        asked.push(ports);
        return ports;
      },
    });
    try {
      const egress = await hub2.egress('event-hls');
      expect(asked).toHaveLength(2);
      expect(egress.closed).toBe(false);
      expect(await egress.ready(20_000)).toBe(true);
      expect(taken.address().port).toBe(takenPort);
    } finally {
      hub2.close();
      taken.close();
    }
  }, 60_000);

  it('stopped while it starts (the server closes): its asker is told EGRESS_STOPPED, and no FFmpeg or media session is left', async () => {
    const { participants } = await broadcast.stats();
    const hub2: HlsHub = new HlsHub({
      broadcastOf: async () => broadcast,
      listenIp: IP,
      logger,
      ffmpegPorts: async () => {
        // Stopped once FFmpeg is on its way.
        setTimeout(() => hub2.close(), 20);
        return [await freePortPair(), await freePortPair()];
      },
    });
    await expect(hub2.egress('event-hls')).rejects.toMatchObject({ code: 'EGRESS_STOPPED' });
    await expect.poll(() => egressFfmpegs(), { timeout: 5000 }).toEqual([]);
    expect((await broadcast.stats()).participants).toBe(participants);
    expect(hub2.running).toBe(0);
    await expect(hub2.egress('event-hls')).rejects.toMatchObject({ code: 'EGRESS_STOPPED' });
  }, 30_000);

  it('one FFmpeg for the broadcast however many classes ask, writing LL-HLS parts that decode, and no file', async () => {
    const asks = await Promise.all(Array.from({ length: 5 }, () => hub.egress('event-hls')));
    const egress = asks[0];
    if (!egress) throw new Error('no egress');
    expect(new Set(asks).size).toBe(1);
    expect(hub.running).toBe(1);
    expect(await egress.ready(20_000)).toBe(true);
    // Sequence numbers start from the clock: segment n of this egress is m + n.
    const m = egress.window.firstMsn;
    expect(m).toBeGreaterThan(Date.now() / 1000 - 60);
    // A few parts, then the playlist reads as LL-HLS.
    expect(await egress.window.waitFor(m + 2, 1, 10_000)).toBe(true);
    const playlist = egress.window.playlist('k/');
    expect(playlist).toMatch(/#EXT-X-PART-INF:PART-TARGET=0\.500/);
    expect(playlist).toMatch(/#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1\.500/);
    expect(playlist).toMatch(
      /#EXT-X-PART:DURATION=[\d.]+,URI="k\/p\/\d+\.\d+\.m4s",INDEPENDENT=YES/,
    );
    expect(playlist).toMatch(/#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d\d-\d\dT/);
    expect(playlist).toMatch(/#EXT-X-MAP:URI="k\/init\.mp4"/);

    // init + a segment + the parts of the next decode as H.264 and AAC.
    const init = egress.init;
    const segment = egress.window.segment(m + 1);
    const parts = [0, 1].map((i) => egress.window.part(m + 2, i)?.bytes);
    if (!init || !segment || !parts[0] || !parts[1]) throw new Error('missing media');
    const probe = await ffprobe(Buffer.concat([init, segment, parts[0], parts[1]]));
    const video = probe.streams.find((s) => s.codec_name === 'h264');
    expect(Number(video?.nb_read_frames)).toBeGreaterThanOrEqual(20);
    expect(probe.streams.some((s) => s.codec_name === 'aac')).toBe(true);

    // Nothing on disk: FFmpeg holds no file open, its only input is RTP and SDP on stdin.
    const pid = egress.pid;
    if (!pid) throw new Error('no FFmpeg');
    expect(openFiles(pid)).toEqual([]);

    // The window stays bounded: old segments are dropped as new ones come.
    await egress.window.waitFor(m + 9, 0, 15_000);
    expect(egress.window.size.segments).toBeLessThanOrEqual(7);
    expect(egress.window.part(m, 0)).toBeUndefined();

    // Dated by the source's clock (the RTP the media server forwarded), FFmpeg's
    // output trails it: by its decode, encode and a part's worth of frames, not seconds.
    const trail = egress.window.pipelineDelayMs;
    console.log(`FFmpeg's output trails the source by ${trail} ms`);
    expect(trail).toBeGreaterThan(0);
    expect(trail).toBeLessThan(2000);

    // The broadcast ends: FFmpeg goes, and every byte with it.
    broadcast.close();
    await expect.poll(() => running(pid), { timeout: 5000 }).toBe(false);
    expect(egress.closed).toBe(true);
    expect(egress.window.size).toEqual({ segments: 0, parts: 0, bytes: 0 });
    expect(egress.init).toBeUndefined();
    expect(hub.running).toBe(0);
  }, 60_000);
});
