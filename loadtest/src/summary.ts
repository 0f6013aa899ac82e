import type { SimulationResult } from './Simulation.ts';
import { percentile, round } from './stats.ts';

export interface Summary {
  classrooms: number;
  /** Classrooms whose media connected and that received complete frames. */
  joined: number;
  errors: { message: string; count: number }[];
  /** Media set up again after a reconnection or the speaker's return, and media set-ups that failed. */
  mediaSetupsAgain: number;
  mediaErrors: number;
  signalingJoinMs: { p50: number | null; p95: number | null };
  firstRtpMs: { p50: number | null; p95: number | null };
  firstFrameMs: { p50: number | null; p95: number | null; max: number | null };
  /**
   * The same over the classrooms whose join (its start to a second after its
   * first frame) saw no stall of the simulator over 100 ms: on a shared machine,
   * what the server gave apart from what the starved simulator saw late.
   */
  firstFrameOutsideStallsMs: { classrooms: number; p50: number | null; p95: number | null };
  /** Capture → complete frame, every frame of every classroom. */
  delayMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  /** Server's sender reports → complete frame (a local server only: its clock is this machine's). */
  serverHopMs: { p50: number | null; p95: number | null };
  lossPct: number | null;
  jitterMs: { mean: number | null; p95: number | null };
  freezes: number;
  freezeS: number;
  framesPerClassroomPerS: number | null;
  questions: number;
  upvotes: number;
  hands: number;
  moderatorApprovals: number;
  /**
   * The speaker's uplink: key-frame requests received and answered, key frames
   * and video bitrate while classrooms join (the first join to a second after
   * the last) and while they only watch, and the storm's bitrate over the
   * clip's own (its periodic key frames included).
   */
  speaker: {
    keyFrameRequestDelayMs: number | null;
    keyFrameRequests: number;
    keyFramesOnRequest: number;
    joining: UplinkFigures;
    watching: UplinkFigures;
    clipKbps: number;
    joiningOvershootPct: number | null;
  };
  server: {
    mediaCpuMeanPct: number | null;
    mediaCpuMaxPct: number | null;
    mediaRssMaxMb: number | null;
    apiCpuMeanPct: number | null;
    simulatorCpuMeanPct: number | null;
    machineBusyMeanPct: number | null;
  };
  /** The simulator's event loop: seconds in which it stalled over 100 ms (its figures are late then). */
  simulatorStalls: { over100ms: number; maxMs: number | null; freezesInThem: number };
}

const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);

interface UplinkFigures {
  seconds: number;
  keyFramesPerS: number | null;
  videoKbps: number | null;
  /** The share of the video's bytes that went on key frames. */
  keyFrameSharePct: number | null;
}

/** The speaker's key frames per second and video bitrate over the timeline's points in (from, to]. */
function uplinkBetween(r: SimulationResult, from: number, to: number): UplinkFigures {
  const pts = r.timeline.filter((p) => p.t > from && p.t <= to);
  const video = pts.reduce((a, p) => a + p.speakerVideoKbps, 0);
  const key = pts.reduce((a, p) => a + p.speakerKeyFrameKbps, 0);
  return {
    seconds: pts.length,
    keyFramesPerS: round(mean(pts.map((p) => p.speakerKeyFrames)), 2),
    videoKbps: round(mean(pts.map((p) => p.speakerVideoKbps))),
    keyFrameSharePct: video > 0 ? round((key / video) * 100) : null,
  };
}

export function summarize(r: SimulationResult): Summary {
  const c = r.classrooms;
  const joined = c.filter((x) => x.connectedMs !== null && x.video.frames > 0);
  const nums = (f: (x: (typeof c)[number]) => number | null) =>
    c.map(f).filter((v): v is number => v !== null);
  const delays = c.flatMap((x) => x.video.delays);
  const hops = c.flatMap((x) => x.video.serverDelays);
  const expected = c.reduce((s, x) => s + x.video.expected, 0);
  const lost = c.reduce((s, x) => s + x.video.lost, 0);
  const errors = new Map<string, number>();
  for (const x of c) if (x.error) errors.set(x.error, (errors.get(x.error) ?? 0) + 1);
  const s = r.server;
  return {
    classrooms: c.length,
    joined: joined.length,
    errors: [...errors].map(([message, count]) => ({ message, count })),
    mediaSetupsAgain: c.reduce((a, x) => a + x.mediaSetups, 0),
    mediaErrors: c.reduce((a, x) => a + x.mediaErrors.length, 0),
    signalingJoinMs: {
      p50: round(
        percentile(
          nums((x) => x.joinedMs),
          50,
        ),
      ),
      p95: round(
        percentile(
          nums((x) => x.joinedMs),
          95,
        ),
      ),
    },
    firstRtpMs: {
      p50: round(
        percentile(
          nums((x) => x.firstRtpMs),
          50,
        ),
      ),
      p95: round(
        percentile(
          nums((x) => x.firstRtpMs),
          95,
        ),
      ),
    },
    firstFrameMs: {
      p50: round(
        percentile(
          nums((x) => x.firstFrameMs),
          50,
        ),
      ),
      p95: round(
        percentile(
          nums((x) => x.firstFrameMs),
          95,
        ),
      ),
      max: round(
        percentile(
          nums((x) => x.firstFrameMs),
          100,
        ),
      ),
    },
    firstFrameOutsideStallsMs: (() => {
      const stalled = new Set(
        r.timeline.filter((p) => p.loopLagMaxMs > 100).map((p) => Math.round(p.t)),
      );
      const clear = c.filter((x) => {
        if (x.firstFrameMs === null) return false;
        const from = Math.floor((x.startedAt - r.t0Ms) / 1000);
        const to = Math.ceil((x.startedAt - r.t0Ms + x.firstFrameMs) / 1000) + 1;
        for (let t = from; t <= to; t++) if (stalled.has(t)) return false;
        return true;
      });
      const v = clear.map((x) => x.firstFrameMs as number);
      return {
        classrooms: clear.length,
        p50: round(percentile(v, 50)),
        p95: round(percentile(v, 95)),
      };
    })(),
    delayMs: {
      p50: round(percentile(delays, 50)),
      p95: round(percentile(delays, 95)),
      p99: round(percentile(delays, 99)),
      max: round(percentile(delays, 100)),
    },
    serverHopMs: { p50: round(percentile(hops, 50)), p95: round(percentile(hops, 95)) },
    lossPct: expected > 0 ? round((lost / expected) * 100, 3) : null,
    jitterMs: {
      mean: round(mean(joined.map((x) => x.video.jitterMs)), 2),
      p95: round(
        percentile(
          joined.map((x) => x.video.jitterMs),
          95,
        ),
        2,
      ),
    },
    freezes: c.reduce((a, x) => a + x.video.freezes, 0),
    freezeS: round(c.reduce((a, x) => a + x.video.freezeMs, 0) / 1000, 1) ?? 0,
    framesPerClassroomPerS: round(
      mean(
        joined.map((x) => {
          const watched = ((x.video.lastFrameMs ?? 0) - (x.video.firstKeyFrameMs ?? 0)) / 1000;
          return watched > 0 ? (x.video.frames - 1) / watched : 0;
        }),
      ),
      1,
    ),
    questions: c.reduce((a, x) => a + x.questions, 0),
    upvotes: c.reduce((a, x) => a + x.upvotes, 0),
    hands: c.reduce((a, x) => a + x.hands, 0),
    moderatorApprovals: r.moderatorApprovals,
    speaker: (() => {
      const lastJoinS = (r.classrooms.length - 1) / r.options.joinRate;
      const joining = uplinkBetween(r, 0, lastJoinS + 1);
      const watching = uplinkBetween(r, lastJoinS + 2, Number.POSITIVE_INFINITY);
      return {
        keyFrameRequestDelayMs: r.options.keyFrameRequestDelayMs ?? null,
        keyFrameRequests: r.speaker.keyFrameRequests,
        keyFramesOnRequest: r.speaker.keyFramesOnRequest,
        joining,
        watching,
        clipKbps: r.options.clipKbps,
        joiningOvershootPct:
          joining.videoKbps === null
            ? null
            : round((joining.videoKbps / r.options.clipKbps - 1) * 100),
      };
    })(),
    server: {
      mediaCpuMeanPct: round(mean(s.map((x) => x.mediaCpuPct))),
      mediaCpuMaxPct: round(s.length ? Math.max(...s.map((x) => x.mediaCpuPct)) : null),
      mediaRssMaxMb: round(s.length ? Math.max(...s.map((x) => x.mediaRssMb)) : null),
      apiCpuMeanPct: round(mean(s.map((x) => x.apiCpuPct))),
      simulatorCpuMeanPct: round(mean(s.map((x) => x.simulatorCpuPct))),
      machineBusyMeanPct: round(mean(s.map((x) => x.machineBusyPct))),
    },
    simulatorStalls: {
      over100ms: r.timeline.filter((p) => p.loopLagMaxMs > 100).length,
      maxMs: r.timeline.length ? Math.max(...r.timeline.map((p) => p.loopLagMaxMs)) : null,
      // A freeze is counted when it ends: in the stalled second or the next.
      freezesInThem: r.timeline.reduce(
        (n, p, i) =>
          n +
          (p.loopLagMaxMs > 100 || (r.timeline[i - 1]?.loopLagMaxMs ?? 0) > 100 ? p.freezes : 0),
        0,
      ),
    },
  };
}

/** The run's one last line. */
export function lastLine(s: Summary): string {
  const v = (x: number | null, d = 0) => (x === null ? 'na' : x.toFixed(d));
  return `loadtest classrooms=${s.classrooms} joined=${s.joined} first_frame_p95_ms=${v(s.firstFrameMs.p95)} delay_p95_ms=${v(s.delayMs.p95)} loss_pct=${v(s.lossPct, 2)}`;
}

/**
 * The run as JSON: the summary, the timelines, and each classroom's figures
 * with its delays summed up (the raw per-frame delays are in the HTML's
 * histogram; 300 classrooms make a few hundred thousand of them).
 */
export function resultJson(r: SimulationResult, summary: Summary): unknown {
  return {
    summary,
    ...r,
    classrooms: r.classrooms.map(({ video, ...c }) => {
      const { delays, serverDelays, ...v } = video;
      return {
        ...c,
        video: {
          ...v,
          delayMs: {
            p50: round(percentile(delays, 50)),
            p95: round(percentile(delays, 95)),
            max: round(percentile(delays, 100)),
          },
          serverHopMs: {
            p50: round(percentile(serverDelays, 50)),
            p95: round(percentile(serverDelays, 95)),
          },
        },
      };
    }),
  };
}
