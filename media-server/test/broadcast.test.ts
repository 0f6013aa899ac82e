import os from 'node:os';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpSink, type SinkStream } from '../bench/sink/RtpSink.ts';
import type { Broadcast } from '../src/Broadcast.ts';
import type { FfmpegTestSource } from '../src/ingest/FfmpegTestSource.ts';
import { KEY_FRAME_REQUEST_DELAY_MS } from '../src/mediaCodecs.ts';
import { joinPlainReceiver } from '../src/PlainReceiver.ts';
import { WorkerPool } from '../src/WorkerPool.ts';
import {
  startTestPatternBroadcast,
  type TestPatternBroadcast,
} from './support/testPatternSpeaker.ts';

// Real mediasoup workers, real RTP from FFmpeg, SRTP to UDP sinks: what a
// classroom gets, read off the wire.

const IP = '127.0.0.1';
const CLASSROOMS = 50;
const SINK_SOCKETS = 5;
const logger = pino({ level: 'warn' });
const LAYERS = [
  { width: 160, height: 90, kbps: 80 },
  { width: 320, height: 180, kbps: 150 },
  { width: 480, height: 270, kbps: 300 },
];

type Classroom = { id: string; transportPort: number; sinkPort: number };

let pool: WorkerPool;
let speaker: TestPatternBroadcast;
let broadcast: Broadcast;
let source: FfmpegTestSource;
let sink: RtpSink;
const classrooms = new Map<string, Classroom>();

/** Joins a classroom and has its transport deliver SRTP video + audio to the sink. */
async function joinClassroom(id: string, sinkPort: number): Promise<Classroom> {
  const { localPort } = await joinPlainReceiver(broadcast, id, {
    ip: IP,
    port: sinkPort,
    srtp: 'AEAD_AES_256_GCM',
  });
  const classroom = { id, transportPort: localPort, sinkPort };
  classrooms.set(id, classroom);
  return classroom;
}

/** mediasoup's bandwidth probation packets (not media a classroom decodes). */
const PROBATION_PT = 127;

const videoPt = () =>
  broadcast.rtpCapabilities.codecs?.find((c) => c.mimeType === 'video/VP8')?.preferredPayloadType;

function streamsOf(streams: SinkStream[], classroom: Classroom): SinkStream[] {
  return streams.filter((s) => s.srcPort === classroom.transportPort && s.pt !== PROBATION_PT);
}

/** Waits until every given classroom receives both audio and video. */
async function untilReceiving(list: Classroom[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { streams } = await sink.stats();
    const missing = list.filter((c) => streamsOf(streams, c).length < 2);
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${missing.length} classrooms receive nothing (ffmpeg: ${source.stderr || 'silent'})`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function routersPerWorker(): Promise<Map<number, string[]>> {
  const result = new Map<number, string[]>();
  for (const w of pool.workers) result.set(w.index, (await w.worker.dump()).routerIds);
  return result;
}

/** Every router the workers create, so tests can dump one (mediasoup has no lookup by id). */
const routers = new Map<string, types.Router>();
mediasoup.observer.on('newworker', (worker) =>
  worker.observer.on('newrouter', (router) => routers.set(router.id, router)),
);

async function routerDump(routerId: string): Promise<{ transportIds: string[] }> {
  const router = routers.get(routerId);
  if (!router) throw new Error(`unknown router ${routerId}`);
  return router.dump();
}

beforeAll(async () => {
  pool = await WorkerPool.create({
    size: Math.max(2, os.availableParallelism()),
    listenIp: IP,
    logger,
    restartDelayMs: 200,
  });
  speaker = await startTestPatternBroadcast({
    eventId: 'event-test',
    pool,
    logger,
    ip: IP,
    durationSec: 90,
    // Pre-encoded and replayed: the source keeps real time on a busy machine.
    layers: LAYERS,
  });
  ({ broadcast, source } = speaker);
  const firstPort = 21000 + Math.floor(Math.random() * 20000);
  sink = await RtpSink.start({ firstPort, sockets: SINK_SOCKETS });
}, 60_000);

afterAll(async () => {
  await speaker?.close();
  await sink?.close();
  pool?.close();
});

describe('broadcast fan-out across workers', () => {
  it('delivers a continuous SRTP stream to 50 classrooms spread over every worker', async () => {
    // The speaker is live (all three layers arriving) before classrooms come in.
    await expect
      .poll(
        async () =>
          (await broadcast.stats()).producers.find((p) => p.kind === 'video')?.activeLayers,
        { timeout: 20_000 },
      )
      .toBe(LAYERS.length);
    // All at once, like classes connecting at the start of a session.
    const requestsBefore = source.keyFrameRequests;
    const stormStarted = Date.now();
    await Promise.all(
      Array.from({ length: CLASSROOMS }, (_, i) =>
        joinClassroom(`classroom-${i}`, sink.ports[i % SINK_SOCKETS] as number),
      ),
    );
    await untilReceiving([...classrooms.values()]);
    // 100 consumers resumed together reach the speaker's encoder as a handful
    // of key-frame requests (one per layer per request delay), not 50.
    const stormMs = Date.now() - stormStarted;
    const requests = source.keyFrameRequests - requestsBefore;
    expect(requests).toBeGreaterThan(0);
    expect(requests).toBeLessThanOrEqual(
      LAYERS.length * (Math.ceil(stormMs / KEY_FRAME_REQUEST_DELAY_MS) + 1),
    );

    // Placement: every worker serves classrooms, from its own edge router.
    const stats = await broadcast.stats();
    expect(stats.edges.map((e) => e.workerIndex).sort()).toEqual(
      pool.workers.map((w) => w.index).sort(),
    );
    for (const edge of stats.edges) {
      expect(edge.classrooms).toBeGreaterThanOrEqual(Math.floor(CLASSROOMS / pool.workers.length));
      expect(edge.consumers).toBe(edge.classrooms * 2);
    }
    // The pool's per-worker figures agree, and every worker is doing work.
    const workerStats = await pool.stats();
    expect(workerStats.reduce((n, w) => n + w.classrooms, 0)).toBe(CLASSROOMS);
    expect(workerStats.reduce((n, w) => n + w.consumers, 0)).toBe(CLASSROOMS * 2);
    for (const w of workerStats) expect(w.cpuPct, `worker ${w.index}`).toBeGreaterThan(0);

    // Measure a 3 s window once everyone is past the first key frame.
    // Steady state: every classroom's video on the top layer (a layer switch
    // restarts the outgoing sequence once; that is not loss).
    await expect
      .poll(
        () =>
          [...classrooms.keys()].filter((id) =>
            broadcast
              .session(id)
              ?.consumers.some((c) => c.kind === 'video' && c.spatialLayer !== LAYERS.length - 1),
          ),
        { timeout: 10_000 },
      )
      .toEqual([]);
    await sink.reset();
    await new Promise((r) => setTimeout(r, 3000));
    const { streams } = await sink.stats();
    const videoPt = broadcast.rtpCapabilities.codecs?.find(
      (c) => c.mimeType === 'video/VP8',
    )?.preferredPayloadType;
    const audioPt = broadcast.rtpCapabilities.codecs?.find(
      (c) => c.mimeType === 'audio/opus',
    )?.preferredPayloadType;
    const received = (pt: number | undefined) =>
      [...classrooms.values()].map(
        (c) => streamsOf(streams, c).find((s) => s.pt === pt)?.received ?? 0,
      );
    // Every classroom gets the whole stream: as many packets as the best-served
    // one (windows differ by a few packets), and a real stream, not a trickle.
    for (const [pt, floor] of [
      [audioPt, 40],
      [videoPt, 20],
    ] as const) {
      const counts = received(pt);
      const best = Math.max(...counts);
      expect(best, `payload type ${pt}`).toBeGreaterThan(floor);
      expect(Math.min(...counts), `payload type ${pt}`).toBeGreaterThan(best * 0.9);
    }
    for (const classroom of classrooms.values()) {
      const mine = streamsOf(streams, classroom);
      expect(mine.map((s) => s.pt).sort(), classroom.id).toEqual([audioPt, videoPt].sort());
      for (const s of mine) {
        expect({ id: classroom.id, pt: s.pt, lost: s.lost, gaps: s.gaps }).toEqual({
          id: classroom.id,
          pt: s.pt,
          lost: 0,
          gaps: 0,
        });
      }
    }
  }, 60_000);

  it('an audio-only classroom gets no video; a low-bandwidth one gets the lowest layer', async () => {
    const audioOnly = classrooms.get('classroom-0') as Classroom;
    const lowBandwidth = classrooms.get('classroom-1') as Classroom;
    const reference = classrooms.get('classroom-2') as Classroom;
    await broadcast.session(audioOnly.id)?.setAudioOnly(true);
    await broadcast.session(lowBandwidth.id)?.setPreferredLayers(0);
    await expect
      .poll(
        () =>
          broadcast.session(lowBandwidth.id)?.consumers.find((c) => c.kind === 'video')
            ?.spatialLayer,
        { timeout: 5000 },
      )
      .toBe(0);
    await sink.reset();
    await new Promise((r) => setTimeout(r, 2000));
    const { streams } = await sink.stats();
    const videoBytes = (c: Classroom) =>
      streamsOf(streams, c).find((s) => s.pt === videoPt())?.bytes ?? 0;
    const audioPackets = (c: Classroom) =>
      streamsOf(streams, c).find((s) => s.pt !== videoPt())?.received ?? 0;
    expect(videoBytes(audioOnly)).toBe(0);
    expect(audioPackets(audioOnly)).toBeGreaterThan(0.9 * audioPackets(reference));
    // The lowest layer (80 kb/s) against the top one (300 kb/s).
    expect(videoBytes(lowBandwidth)).toBeGreaterThan(0);
    expect(videoBytes(lowBandwidth)).toBeLessThan(0.6 * videoBytes(reference));

    // Back to normal: video again, on the top layer.
    await broadcast.session(audioOnly.id)?.setAudioOnly(false);
    await broadcast.session(lowBandwidth.id)?.setPreferredLayers(undefined);
    await expect
      .poll(
        () =>
          [audioOnly, lowBandwidth].map(
            (c) => broadcast.session(c.id)?.consumers.find((x) => x.kind === 'video')?.spatialLayer,
          ),
        { timeout: 5000 },
      )
      .toEqual([LAYERS.length - 1, LAYERS.length - 1]);
  });

  it('survives a worker death: the edge is rebuilt and its classrooms receive again', async () => {
    const originWorker = (await broadcast.stats()).originWorker;
    const edgeWorker = pool.workers.find((w) => w.index !== originWorker);
    if (!edgeWorker) throw new Error('needs a worker without the origin');
    const onDyingWorker = [...classrooms.keys()]
      .filter((id) => broadcast.session(id)?.poolWorker === edgeWorker)
      .sort();
    expect(onDyingWorker.length).toBeGreaterThan(0);

    const lost: string[] = [];
    broadcast.on('participantlost', ({ participantId }) => lost.push(participantId));
    const restarted = new Promise<number>((resolve) =>
      pool.once('workerrestarted', (w) => resolve(w.index)),
    );
    process.kill(edgeWorker.worker.pid, 'SIGKILL');
    expect(await restarted).toBe(edgeWorker.index);

    // Exactly the classrooms placed on that worker were lost; the others kept receiving.
    expect([...lost].sort()).toEqual(onDyingWorker);
    const survivors = [...classrooms.values()].filter((c) => !lost.includes(c.id));
    await sink.reset();
    await new Promise((r) => setTimeout(r, 1000));
    const during = await sink.stats();
    for (const c of survivors) expect(streamsOf(during.streams, c), c.id).toHaveLength(2);

    // The broadcast rebuilt an edge on the replacement worker.
    await expect
      .poll(async () => (await broadcast.edges()).map((e) => e.workerIndex), { timeout: 5000 })
      .toContain(edgeWorker.index);

    // Lost classrooms join again, and receive again.
    const rejoined: Classroom[] = [];
    for (const id of lost) {
      rejoined.push(await joinClassroom(id, (classrooms.get(id) as Classroom).sinkPort));
    }
    await untilReceiving(rejoined);

    // Nothing leaked: each worker holds only this broadcast's routers; every
    // router one transport per classroom; an edge its pipe from the origin; the
    // origin the two ingest transports and one pipe per edge.
    const edges = await broadcast.edges();
    const ours = new Set([broadcast.originRouterId, ...edges.map((e) => e.routerId)]);
    expect([...(await routersPerWorker()).values()].flat().sort()).toEqual([...ours].sort());
    const stats = await broadcast.stats();
    expect(stats.participants).toBe(CLASSROOMS);
    const pipes = edges.length - 1;
    for (const edge of stats.edges) {
      const router = await routerDump(edge.routerId);
      const isOrigin = edge.routerId === broadcast.originRouterId;
      expect(router.transportIds.length, `router on worker ${edge.workerIndex}`).toBe(
        edge.classrooms + (isOrigin ? 2 + pipes : 1),
      );
    }
  }, 60_000);

  it('closing the broadcast leaves every worker without routers', async () => {
    expect([...(await routersPerWorker()).values()].flat().length).toBeGreaterThan(1);
    broadcast.close();
    await expect
      .poll(async () => [...(await routersPerWorker()).values()].flat(), { timeout: 5000 })
      .toEqual([]);
    expect(pool.workers.reduce((n, w) => n + w.consumers + w.classrooms, 0)).toBe(0);
  });
});
