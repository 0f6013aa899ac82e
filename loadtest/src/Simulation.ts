import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LiveSession } from '@amphi/sdk';
import { type ClassroomFigures, ClassroomPeer } from './ClassroomPeer.ts';
import { monoMs } from './clock.ts';
import { Deployment, type TestEvent } from './Deployment.ts';
import type { Vp8Clip } from './media/vp8Clip.ts';
import { nodeLiveSession } from './nodeSession.ts';
import { type ServerSample, ServerSampler } from './ServerSampler.ts';
import { SpeakerProcess } from './SpeakerProcess.ts';
import { noUplink, type SpeakerUplink } from './SyntheticSpeaker.ts';
import { percentile } from './stats.ts';

export interface SimulationOptions {
  baseUrl: string;
  operatorToken: string;
  classrooms: number;
  /** Seconds every classroom watches once the last one has joined. */
  durationS: number;
  /** Classrooms starting to join per second. */
  joinRate: number;
  /** Shares of classrooms that ask a question, upvote one, raise their hand. */
  askShare: number;
  upvoteShare: number;
  handShare: number;
  clip: Vp8Clip;
  /** The server's pid, to sample its processes (local server only). */
  serverPid?: number;
  /** The server's key-frame request delay, when known (a local server): reported, not applied here. */
  keyFrameRequestDelayMs?: number;
  /** Whatever happens, the run stops after this long (s). */
  maxDurationS: number;
  /** Aborted (Ctrl-C): the run stops waiting, closes everything and cleans up. */
  signal?: AbortSignal;
  log: (line: string) => void;
}

/** One second of the run, over all classrooms. */
export interface TimelinePoint {
  t: number;
  joined: number;
  framesPerSecond: number;
  lossPct: number | null;
  delayP95Ms: number | null;
  /** The simulator's longest event-loop stall this second (ms): frames it saw late were late here, not on the server. */
  loopLagMaxMs: number;
  /** Freezes that ended this second, over all classrooms. */
  freezes: number;
  /** The speaker's key frames this second (requested or the clip's own) and its video bitrate. */
  speakerKeyFrames: number;
  speakerVideoKbps: number;
  /** The part of it that went on key frames. */
  speakerKeyFrameKbps: number;
}

export interface SimulationResult {
  options: Omit<SimulationOptions, 'clip' | 'log' | 'operatorToken'> & {
    clipFps: number;
    /** The clip's own mean video bitrate (its periodic key frames included). */
    clipKbps: number;
  };
  startedAt: string;
  eventId: string;
  classrooms: ClassroomFigures[];
  timeline: TimelinePoint[];
  server: ServerSample[];
  moderatorApprovals: number;
  /** What the speaker sent over the whole run. */
  speaker: SpeakerUplink;
  cleanUp: { revoked: number } | { error: string };
  wallS: number;
  /** When the timeline's t = 0 was, on the classrooms' clock (their startedAt). */
  t0Ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A run: a test event made through the operator API, a synthetic speaker
 * publishing, a moderator approving questions, N classrooms joining at the
 * given rate and watching for the duration while some ask, upvote and raise
 * their hands; then everything closed and the event cleaned up, whatever
 * happened (bounded by maxDurationS).
 */
export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const deployment = new Deployment(o.baseUrl, o.operatorToken);
  const startedAt = new Date().toISOString();
  const wall0 = monoMs();
  o.log(`creating a test event with ${o.classrooms} classrooms on ${o.baseUrl}`);
  const ev: TestEvent = await deployment.createTestEvent(o.classrooms, startedAt.slice(0, 19));
  const peers: ClassroomPeer[] = [];
  let speaker: SpeakerProcess | null = null;
  let moderator: LiveSession | null = null;
  let sampler: ServerSampler | null = null;
  const timeline: TimelinePoint[] = [];
  let t0 = monoMs();
  let approvals = 0;
  const timers: NodeJS.Timeout[] = [];
  let cleanUp: SimulationResult['cleanUp'] = { revoked: 0 };
  try {
    speaker = await SpeakerProcess.start({
      baseUrl: o.baseUrl,
      eventId: ev.eventId,
      token: ev.speakerToken,
    });
    o.log('speaker publishing');
    moderator = nodeLiveSession({
      baseUrl: o.baseUrl,
      eventId: ev.eventId,
      token: ev.moderatorToken,
    });
    await moderator.connect();
    const mod = moderator;
    mod.signaling.onEvent('question.created', (q) => {
      if (q.status !== 'pending') return;
      mod
        .request('question.moderate', { action: 'approve', questionId: q.id })
        .then(() => approvals++)
        .catch(() => {});
    });

    t0 = monoMs();
    if (o.serverPid) {
      sampler = new ServerSampler(o.serverPid, t0);
      sampler.start();
    }
    const capture = speaker.captureClock;
    const rampMs = ((o.classrooms - 1) / o.joinRate) * 1000;
    const endAt = t0 + rampMs + o.durationS * 1000;
    const hardStop = wall0 + o.maxDurationS * 1000;
    // The classrooms, each starting on schedule.
    const joins: Promise<void>[] = [];
    for (let i = 0; i < o.classrooms; i++) {
      const peer = new ClassroomPeer({
        index: i,
        baseUrl: o.baseUrl,
        eventId: ev.eventId,
        token: ev.classroomTokens[i] as string,
        capture,
        serverSharesClock: o.serverPid !== undefined,
      });
      peers.push(peer);
      joins.push(sleep((i / o.joinRate) * 1000).then(() => peer.join()));
    }
    // What some classes do while watching, at a random moment once joined.
    const activities = (share: number, act: (p: ClassroomPeer) => Promise<void>) => {
      for (const p of peers) {
        if (Math.random() >= share) continue;
        // Between 2 s after its join and 2 s before the end (its answer and the moderator's come back in time).
        const at =
          (p.options.index / o.joinRate) * 1000 +
          2000 +
          Math.random() * Math.max(0, o.durationS - 4) * 1000;
        timers.push(setTimeout(() => void act(p).catch(() => {}), at));
      }
    };
    activities(o.askShare, (p) =>
      p.ask(`Question de test ${p.options.index} : comment devient-on ingénieure du son ?`),
    );
    activities(o.upvoteShare, (p) => p.upvoteOne());
    activities(o.handShare, (p) => p.raiseHand());
    // One point a second over all classrooms.
    const seen = peers.map(() => ({ expected: 0, lost: 0, frames: 0, delays: 0, freezes: 0 }));
    const sp = speaker;
    let spSeen = sp.uplink;
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const tick = () => {
      let expected = 0;
      let lost = 0;
      let frames = 0;
      let freezes = 0;
      const delays: number[] = [];
      let joined = 0;
      peers.forEach((p, i) => {
        const v = p.figures.video;
        const s = seen[i] as (typeof seen)[number];
        if (p.figures.connectedMs !== null) joined++;
        expected += v.expected - s.expected;
        lost += v.lost - s.lost;
        frames += v.frames - s.frames;
        freezes += v.freezes - s.freezes;
        for (let k = s.delays; k < v.delays.length; k++) delays.push(v.delays[k] as number);
        seen[i] = {
          expected: v.expected,
          lost: v.lost,
          frames: v.frames,
          delays: v.delays.length,
          freezes: v.freezes,
        };
      });
      const now = monoMs();
      const up = sp.uplink;
      // Counted between the speaker's own reports (every 500 ms), on its clock.
      const spS = (up.at - spSeen.at) / 1000;
      timeline.push({
        t: Math.round((now - t0) / 100) / 10,
        joined,
        framesPerSecond: frames,
        lossPct: expected > 0 ? (Math.max(0, lost) / expected) * 100 : null,
        delayP95Ms: percentile(delays, 95),
        loopLagMaxMs: Math.round(lag.max / 1e6),
        freezes,
        speakerKeyFrames: up.keyFrames - spSeen.keyFrames,
        speakerVideoKbps: spS > 0 ? kbps(up.videoOctets - spSeen.videoOctets, spS) : 0,
        speakerKeyFrameKbps: spS > 0 ? kbps(up.keyFrameOctets - spSeen.keyFrameOctets, spS) : 0,
      });
      spSeen = up;
      lag.reset();
    };
    timers.push(setInterval(tick, 1000));
    const progress = setInterval(() => {
      const last = timeline.at(-1);
      if (last) {
        o.log(
          `t=${last.t}s joined=${last.joined}/${o.classrooms} fps=${last.framesPerSecond} loss=${last.lossPct?.toFixed(2) ?? '-'}% delay_p95=${last.delayP95Ms?.toFixed(0) ?? '-'}ms`,
        );
      }
    }, 10_000);
    timers.push(progress);
    const aborted = new Promise<void>((resolve) => {
      if (o.signal?.aborted) resolve();
      o.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([Promise.all(joins), sleep(Math.max(0, hardStop - monoMs())), aborted]);
    const until = Math.min(endAt, hardStop);
    if (until > monoMs()) await Promise.race([sleep(until - monoMs()), aborted]);
    tick();
  } finally {
    for (const t of timers) clearTimeout(t);
    sampler?.stop();
    for (const p of peers) p.close();
    moderator?.close();
    speaker?.close();
    try {
      cleanUp = await deployment.cleanUp(ev);
    } catch (err) {
      cleanUp = { error: (err as Error).message };
    }
  }
  const { clip, log, operatorToken, signal, ...rest } = o;
  return {
    options: { ...rest, clipFps: clip.fps, clipKbps: clipKbps(clip) },
    startedAt,
    eventId: ev.eventId,
    classrooms: peers.map((p) => p.figures),
    timeline,
    server: sampler?.samples ?? [],
    moderatorApprovals: approvals,
    speaker: speaker ? (({ at, ...u }) => u)(speaker.uplink) : noUplink(),
    cleanUp,
    wallS: (monoMs() - wall0) / 1000,
    t0Ms: t0,
  };
}

const kbps = (octets: number, seconds: number) => Math.round((octets * 8) / seconds / 1000);

/** A clip's mean bitrate as it loops, kb/s. */
function clipKbps(clip: Vp8Clip): number {
  const octets = clip.frames.reduce((a, f) => a + f.data.length, 0);
  return Math.round((octets * 8 * clip.fps) / clip.frames.length / 1000);
}
