// How many classrooms one CPU core serves: one mediasoup worker pinned to
// core 0 forwards a 1 Mbps VP8 simulcast (top layer) + Opus stream to N
// classrooms over SRTP plain transports; the source and the sink run on core 1
// so they don't steal the worker's CPU. Ramps N, measures loss, worker CPU and
// CPU time per forwarded packet, for a tuned worker and a stock one in the
// same run, and for two kinds of classroom:
// - plain: the sink sends nothing back; consumers drop transport-cc and REMB.
// - browser: consumers negotiate transport-cc as a browser does and the sink
//   answers as one (transport-wide feedback every 50 ms, receiver reports
//   every second, over SRTCP): the worker stamps every packet and runs
//   send-side bandwidth estimation per classroom. The estimate runs on every
//   feedback, but a floor under it (the top layer's need) keeps each
//   classroom on the top layer: on a shared machine the worker's and the
//   sink's scheduling delays read as network queuing and would move
//   classrooms to lower layers at random, and a step would no longer compare
//   with the plain kind packet for packet. --natural-bwe removes the floor.
//   A step holds only if every classroom is on the top layer.
// Beside them, the per-packet floor: SRTP-like encryption + one loopback
// send per packet with no SFU (sink/send-floor.c), on the worker's core.
//
//   npm run bench:fanout [-- --quick] [-- --steps 200,400,800] [-- --profiles tuned,stock|all]
//     [-- --kinds plain,browser] [-- --twcc-ms 50] [-- --rr-ms 1000] [-- --natural-bwe] [-- --no-floor]
//     [-- --parallel]   (all runs at once on the worker core: compare costs per packet, not capacities)

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { types } from 'mediasoup';
import { pino } from 'pino';
import {
  ensureWorker,
  WorkerBuildError,
  type WorkerProfile,
} from '../../scripts/mediasoup-worker.mjs';
import { Broadcast } from '../src/Broadcast.ts';
import {
  DEFAULT_LAYERS,
  FfmpegTestSource,
  ffmpegAvailable,
  prepareClip,
} from '../src/ingest/FfmpegTestSource.ts';
import { INGEST_RTP, RtpIngest } from '../src/ingest/RtpIngest.ts';
import { WorkerPool } from '../src/WorkerPool.ts';
import { type ConsumerKind, joinSinkClassroom } from './joinSinkClassroom.ts';
import { RtpSink } from './sink/RtpSink.ts';
import { type Floor, type FloorCipher, measureFloor } from './sink/sendFloor.ts';

const IP = '127.0.0.1';
const WORKER_CPU = 0;
const HELPER_CPU = 1;
const SINK_SOCKETS = 16;
const LOSS_LIMIT_PCT = 0.5;
/** About 100 ms of this stream: more waiting than that is a worker falling behind. */
const BACKLOG_LIMIT_KB = 64;

type Setup = {
  /** Which worker binary (see the profiles of scripts/mediasoup-worker.mjs). */
  build: WorkerProfile;
  socketBufferSize?: number;
  disableLiburing: boolean;
  /** What the consumers' transports encrypt with. */
  srtp: types.SrtpCryptoSuite;
  /** libwebrtc field trials of the worker (mediasoup's default when unset). */
  fieldTrials?: string;
};

/** mediasoup's own default field trials: any setting replaces them, so keep them. */
const MEDIASOUP_TRIALS = 'WebRTC-Bwe-AlrLimitedBackoff/Enabled/';

const TUNED: Setup = {
  build: 'tuned',
  // Big socket buffers absorb the bursts (a key frame is tens of packets
  // arriving at once) that overflow the kernel's default 208 KiB.
  socketBufferSize: 4 * 1024 * 1024,
  disableLiburing: false,
  // What mediasoup negotiates first with a browser: one AES-NI pass, no HMAC.
  srtp: 'AEAD_AES_256_GCM',
};

/**
 * tuned: what Amphi runs. stock: mediasoup's defaults throughout (build
 * options, kernel socket buffers, io_uring where supported, its plain-transport
 * SRTP suite). The others change one lever of tuned, to show what it buys;
 * the worker's source patches (scripts/mediasoup-worker.mjs) one at a time:
 * tuned-unpatched (none), tuned-unpatched-pacer-25ms (the pacer's wake-up
 * alone, through libwebrtc's field trial), tuned-tcc (the transport-cc
 * patches), tuned-no-reap (those + io_uring zero copy off), tuned-reap
 * (those + io_uring completions reaped after each submission), tuned-history
 * (those + the transport-cc send history in a ring, fewer allocations per
 * feedback), tuned (those + one clock read per fanned-out packet).
 */
const PROFILES = {
  tuned: TUNED,
  stock: { build: 'stock', disableLiburing: false, srtp: 'AES_CM_128_HMAC_SHA1_80' },
  'tuned-stock-build': { ...TUNED, build: 'stock' },
  'tuned-debian-srtp': { ...TUNED, build: 'debian-srtp' },
  'tuned-no-io-uring': { ...TUNED, disableLiburing: true },
  'tuned-hmac-sha1': { ...TUNED, srtp: 'AES_CM_128_HMAC_SHA1_80' },
  'tuned-kernel-buffers': { build: 'tuned', disableLiburing: false, srtp: 'AEAD_AES_256_GCM' },
  'tuned-unpatched': { ...TUNED, build: 'tuned-unpatched' },
  // The pacer only paces probes in mediasoup, yet woke every 5 ms per
  // transport-cc transport (running GoogCC's 25 ms process step each time).
  'tuned-unpatched-pacer-25ms': {
    ...TUNED,
    build: 'tuned-unpatched',
    fieldTrials: `${MEDIASOUP_TRIALS}WebRTC-Pacer-MinPacketLimitMs/25/`,
  },
  'tuned-tcc': { ...TUNED, build: 'tuned-tcc' },
  'tuned-no-reap': { ...TUNED, build: 'tuned-no-reap' },
  'tuned-reap': { ...TUNED, build: 'tuned-reap' },
  'tuned-history': { ...TUNED, build: 'tuned-history' },
} satisfies Record<string, Setup>;

type Profile = keyof typeof PROFILES;

const KINDS = ['plain', 'browser'] as const satisfies readonly ConsumerKind[];
/** The browser kind's floor under the estimate: the top layer (1 Mbps) + audio, with headroom. */
const TOP_LAYER_NEED_BPS = 1_300_000;
/** Classrooms whose bandwidth estimates a step reads (an even sample). */
const BWE_SAMPLE = 40;
/** Whole-run share of classrooms whose video must be on the top layer for a step to hold. */
const TOP_LAYER_MIN_PCT = 99;

type StepResult = {
  kind: ConsumerKind;
  classrooms: number;
  consumers: number;
  windowSec: number;
  /** Packets the source sent per second that each classroom should get (top layer + audio). */
  sentPerClassroomPerSec: number;
  receivedPerClassroomPerSec: number;
  /** Packets lost on the way (sequence gaps at the sink). */
  lossPct: number;
  worstClassroomLossPct: number;
  /**
   * What waits in the worker's input sockets at the end of the window: a
   * worker that can't keep up queues there (latency) before it drops (loss).
   */
  backlogKb: number;
  workerCpuPct: number;
  sinkCpuPct: number;
  rtpMbpsOut: number;
  usPerPacket: number;
  /** Classrooms whose video is on the top simulcast layer at the end of the window. */
  topLayerPct: number;
  /** Bandwidth probation packets (pt 127) per second, all classrooms. */
  probationPerSec: number;
  /** Transport-wide feedback packets the sink sent the worker per second (browser kind). */
  feedbackPerSec: number;
  /** Share of the reported packets the feedback said were lost. */
  feedbackLostPct: number;
  workerRssMb: number;
  /**
   * Share of the forwarded sends the worker handed to io_uring (the rest fell
   * back to one sendmsg() each: no free ring entry). -1: io_uring off.
   */
  uringPct: number;
  /** Browser kind: the worker's bandwidth estimates at the end of the window, kbit/s (median, 10th percentile). */
  bweMedianKbps: number;
  bweP10Kbps: number;
  /** Classrooms a whole core would serve at this cost per packet: 1e6 / (us/packet x packets/s per classroom). */
  projectedPerCore: number;
};

type RunResult = {
  profile: Profile;
  kind: ConsumerKind;
  workerBin: string;
  steps: StepResult[];
};

function profileList(arg: string | undefined): Profile[] {
  if (arg === 'all') return Object.keys(PROFILES) as Profile[];
  const names = arg?.split(',') ?? ['tuned', 'stock'];
  for (const n of names) if (!(n in PROFILES)) throw new Error(`unknown profile ${n}`);
  return names as Profile[];
}

function kindList(arg: string | undefined): ConsumerKind[] {
  const names = arg?.split(',') ?? [...KINDS];
  for (const n of names)
    if (!(KINDS as readonly string[]).includes(n)) throw new Error(`unknown kind ${n}`);
  return names as ConsumerKind[];
}

function parseArgs(argv: string[]) {
  const quick = argv.includes('--quick');
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const steps = value('--steps')
    ?.split(',')
    .map((n) => Number.parseInt(n, 10));
  return {
    quick,
    child: value('--child') as Profile | undefined,
    kind: (value('--kind') ?? 'plain') as ConsumerKind,
    profiles: profileList(value('--profiles')),
    kinds: kindList(value('--kinds')),
    twccMs: Number(value('--twcc-ms') ?? 50),
    rrMs: Number(value('--rr-ms') ?? 1000),
    floor: !argv.includes('--no-floor'),
    naturalBwe: argv.includes('--natural-bwe'),
    parallel: argv.includes('--parallel'),
    steps:
      steps ??
      (quick
        ? [600, 800, 1000, 1200]
        : [100, 200, 400, 600, 800, 1000, 1100, 1200, 1400, 1600, 3200]),
    windowSec: Number(value('--window') ?? (quick ? 2 : 6)),
  };
}

/** Bytes queued (kernel accounting) in the receive queues of these local UDP ports. */
function ingestBacklogBytes(ports: number[]): number {
  const wanted = new Set(ports);
  let total = 0;
  for (const line of fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const port = Number.parseInt(cols[1]?.split(':')[1] ?? '', 16);
    if (!wanted.has(port)) continue;
    total += Number.parseInt(cols[4]?.split(':')[1] ?? '0', 16);
  }
  return total;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** utime + stime of a process, in microseconds. */
function cpuUs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / 100;
}

function pin(pid: number, cpu: number | string): void {
  execFileSync('taskset', ['-apc', String(cpu), String(pid)], { stdio: 'ignore' });
}

type UringCounts = { sent: number; missed: number };

/** The worker's io_uring counters (mediasoup's dump): sends prepared, and sends that found no free entry. */
async function uringCounts(worker: types.Worker): Promise<UringCounts | undefined> {
  const u = (await worker.dump()).liburing;
  return u ? { sent: u.sqeProcessCount, missed: u.sqeMissCount + u.userDataMissCount } : undefined;
}

function uringShare(before?: UringCounts, after?: UringCounts): number {
  if (!before || !after) return -1;
  const sent = after.sent - before.sent;
  const missed = after.missed - before.missed;
  return sent + missed ? (100 * sent) / (sent + missed) : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sink on a random port range (another process may hold one: try a few). */
async function startSink(): Promise<RtpSink> {
  for (let attempt = 1; ; attempt++) {
    const firstPort = 30000 + Math.floor(Math.random() * 20000);
    try {
      return await RtpSink.start({ firstPort, sockets: SINK_SOCKETS, cpu: HELPER_CPU });
    } catch (err) {
      if (attempt === 5 || !String(err).includes('Address already in use')) throw err;
    }
  }
}

// ---------------------------------------------------------------- child ---

type RunOptions = {
  steps: number[];
  windowSec: number;
  quick: boolean;
  twccMs: number;
  rrMs: number;
  naturalBwe: boolean;
};

async function runProfile(profile: Profile, kind: ConsumerKind, o: RunOptions) {
  const { steps, windowSec, quick } = o;
  const started = Date.now();
  const log = (msg: string) =>
    process.stderr.write(
      `[${profile} ${kind} +${((Date.now() - started) / 1000).toFixed(1)} s] ${msg}\n`,
    );
  pin(process.pid, HELPER_CPU);
  const logger = pino({ level: 'warn' });
  const setup: Setup = PROFILES[profile];
  const pool = await WorkerPool.create({
    size: 1,
    listenIp: IP,
    logger,
    // The browser kind's floor sits above the maximum mediasoup gives GoogCC
    // while a classroom's desired bitrate is low: GoogCC then logs an error
    // per constraint update, per classroom, thousands a second over the
    // worker's channel (a cost of the bench's floor, not of a classroom).
    logLevel: 'none',
    disableLiburing: setup.disableLiburing,
    ...(setup.fieldTrials ? { libwebrtcFieldTrials: setup.fieldTrials } : {}),
  });
  const worker = pool.leastLoaded().worker;
  pin(worker.pid, WORKER_CPU);
  const broadcast = await Broadcast.create({
    eventId: 'bench',
    pool,
    logger,
    transportOptions: {
      listenIp: IP,
      ...(setup.socketBufferSize ? { socketBufferSize: setup.socketBufferSize } : {}),
    },
  });
  const ingest = await RtpIngest.create(broadcast, {
    participantId: 'speaker',
    listenIp: IP,
    ...(setup.socketBufferSize ? { socketBufferSize: setup.socketBufferSize } : {}),
  });
  const durationSec = 3600;
  const source = await FfmpegTestSource.start({
    ip: IP,
    videoPort: ingest.videoPort,
    audioPort: ingest.audioPort,
    durationSec,
    cpu: HELPER_CPU,
  });
  const sink = await startSink();
  if (kind === 'browser') await sink.setFeedbackIntervals(o.twccMs, o.rrMs);

  const results: StepResult[] = [];
  const classrooms: string[] = [];
  const topLayerSsrc = INGEST_RTP.videoSsrcs[DEFAULT_LAYERS.length - 1] as number;
  const sourceSent = () =>
    source.packetsSent(topLayerSsrc) + source.packetsSent(INGEST_RTP.audioSsrc);
  const joinClassroom = (n: number) =>
    joinSinkClassroom(broadcast, sink, `classroom-${n}`, {
      kind,
      ip: IP,
      port: sink.ports[n % SINK_SOCKETS] as number,
      srtp: setup.srtp,
      ...(o.naturalBwe ? {} : { minOutgoingBitrate: TOP_LAYER_NEED_BPS }),
    });
  const onTopLayer = () =>
    classrooms.filter((id) =>
      broadcast
        .session(id)
        ?.consumers.some((c) => c.kind === 'video' && c.spatialLayer === DEFAULT_LAYERS.length - 1),
    ).length;
  try {
    for (const giveUp = Date.now() + 60_000; ; ) {
      const video = (await broadcast.stats()).producers.find((p) => p.kind === 'video');
      if (video?.activeLayers === DEFAULT_LAYERS.length) break;
      if (Date.now() > giveUp) {
        throw new Error(`the source's ${DEFAULT_LAYERS.length} layers never all arrived`);
      }
      await sleep(200);
    }
    for (const target of steps) {
      // Join in batches, as a wave of classrooms would: the worker's channel pipelines them.
      // Joining is this process's work, not the worker's: on a busy machine
      // it takes minutes on one core, so it may use both (no window runs meanwhile).
      pin(process.pid, `0-${os.availableParallelism() - 1}`);
      while (classrooms.length < target) {
        const batch = Array.from(
          { length: Math.min(50, target - classrooms.length) },
          (_, i) => classrooms.length + i,
        );
        await Promise.all(batch.map((n) => joinClassroom(n)));
        classrooms.push(...batch.map((n) => `classroom-${n}`));
      }
      // Settle: every classroom on the top layer (a browser-like one once its
      // estimate has climbed from mediasoup's 600 kbps start), then let queues drain.
      const deadline = Date.now() + (kind === 'browser' ? 20_000 : 10_000);
      while (Date.now() < deadline && onTopLayer() < classrooms.length) await sleep(200);
      pin(process.pid, HELPER_CPU);
      log(`${classrooms.length} joined, ${onTopLayer()} on the top layer`);
      await sleep(quick ? 300 : 1000);

      const sentBefore = sourceSent();
      await sink.reset();
      const sinkBefore = await sink.stats();
      const uringBefore = await uringCounts(worker);
      const cpuBefore = cpuUs(worker.pid);
      const t0 = process.hrtime.bigint();
      await sleep(windowSec * 1000);
      const cpuAfter = cpuUs(worker.pid);
      const uringAfter = await uringCounts(worker);
      const stats = await sink.stats();
      const sent = sourceSent() - sentBefore;
      const wallUs = Number(process.hrtime.bigint() - t0) / 1000;

      // Drops: sequence gaps seen by the sink (input or output overflow alike).
      let received = 0;
      let forwarded = 0;
      let bytes = 0;
      let probation = 0;
      const perClassroom = new Map<number, { received: number; forwarded: number }>();
      for (const s of stats.streams) {
        if (s.pt === 127) {
          probation += s.received; // bandwidth probation, not media
          continue;
        }
        const n = Math.max(s.expected, s.received);
        received += s.received;
        forwarded += n;
        bytes += s.bytes;
        const c = perClassroom.get(s.srcPort) ?? { received: 0, forwarded: 0 };
        c.received += s.received;
        c.forwarded += n;
        perClassroom.set(s.srcPort, c);
      }
      const worst = Math.max(
        perClassroom.size < classrooms.length ? 100 : 0,
        ...[...perClassroom.values()].map((c) => (100 * (c.forwarded - c.received)) / c.forwarded),
      );
      const workerCpuUs = cpuAfter - cpuBefore;
      const sinkCpuUs =
        stats.cpuUserUs + stats.cpuSysUs - (sinkBefore.cpuUserUs + sinkBefore.cpuSysUs);
      const answered = stats.answering;
      const step: StepResult = {
        kind,
        classrooms: classrooms.length,
        consumers: classrooms.length * 2,
        windowSec: wallUs / 1e6,
        sentPerClassroomPerSec: sent / (wallUs / 1e6),
        receivedPerClassroomPerSec: received / classrooms.length / (wallUs / 1e6),
        lossPct: forwarded ? (100 * (forwarded - received)) / forwarded : 100,
        backlogKb: ingestBacklogBytes([ingest.videoPort, ingest.audioPort]) / 1024,
        worstClassroomLossPct: worst,
        workerCpuPct: (100 * workerCpuUs) / wallUs,
        sinkCpuPct: (100 * sinkCpuUs) / wallUs,
        rtpMbpsOut: (bytes * 8) / wallUs,
        usPerPacket: forwarded ? workerCpuUs / forwarded : 0,
        topLayerPct: (100 * onTopLayer()) / classrooms.length,
        probationPerSec: probation / (wallUs / 1e6),
        feedbackPerSec: answered.feedback / (wallUs / 1e6),
        feedbackLostPct: answered.feedbackStatuses
          ? (100 * answered.feedbackLost) / answered.feedbackStatuses
          : 0,
        workerRssMb: rssMb(worker.pid),
        uringPct: uringShare(uringBefore, uringAfter),
        bweMedianKbps: 0,
        bweP10Kbps: 0,
        projectedPerCore: 0,
      };
      step.projectedPerCore = step.usPerPacket
        ? 1e6 / (step.usPerPacket * step.sentPerClassroomPerSec)
        : 0;
      if (kind === 'browser') {
        // A sample: a starved worker answers hundreds of stats requests slowly.
        const every = Math.ceil(classrooms.length / BWE_SAMPLE);
        const estimates = (
          await Promise.all(
            classrooms
              .filter((_, i) => i % every === 0)
              .map((id) => broadcast.session(id)?.availableOutgoingBitrates() ?? []),
          )
        )
          .flat()
          .sort((a, b) => a - b);
        const at = (q: number) => (estimates[Math.floor(q * (estimates.length - 1))] ?? 0) / 1000;
        step.bweMedianKbps = at(0.5);
        step.bweP10Kbps = at(0.1);
      }
      results.push(step);
      log(
        `${step.classrooms} classrooms: loss ${step.lossPct.toFixed(2)} %, backlog ${step.backlogKb.toFixed(0)} KB, worker ${step.workerCpuPct.toFixed(0)} %, ` +
          `${step.usPerPacket.toFixed(2)} us/packet, top layer ${step.topLayerPct.toFixed(0)} %, io_uring ${step.uringPct.toFixed(0)} %, BWE p50 ${step.bweMedianKbps.toFixed(0)} kbps p10 ${step.bweP10Kbps.toFixed(0)}, sink ${step.sinkCpuPct.toFixed(0)} %`,
      );
      // Past the first step that doesn't hold the worker is saturated: joining
      // more through its busy channel only takes minutes and teaches nothing.
      if (!held(step)) break;
    }
  } finally {
    await source.stop();
    await sink.close();
    broadcast.close();
    pool.close();
  }
  return results;
}

// --------------------------------------------------------------- parent ---

function runChild(
  profile: Profile,
  kind: ConsumerKind,
  workerBin: string,
  argv: string[],
): Promise<StepResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        ...argv,
        '--child',
        profile,
        '--kind',
        kind,
      ],
      {
        env: { ...process.env, MEDIASOUP_WORKER_BIN: workerBin },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${profile} ${kind} run failed (exit ${code})`));
      resolve(JSON.parse(last) as StepResult[]);
    });
  });
}

/**
 * A step held if nothing was lost, the worker kept up with the source, and
 * every classroom got the top layer (for a browser-like one, the estimate
 * allowed it).
 */
const held = (s: StepResult) =>
  s.lossPct < LOSS_LIMIT_PCT &&
  s.backlogKb < BACKLOG_LIMIT_KB &&
  s.topLayerPct >= TOP_LAYER_MIN_PCT;

/** The largest step that held. */
function capacity(steps: StepResult[]): StepResult | undefined {
  return steps.filter(held).at(-1);
}

function printTable(results: RunResult[]): void {
  const header = [
    'profile',
    'kind',
    'classrooms',
    'held',
    'sent/s',
    'recv/s',
    'top %',
    'loss %',
    'worst %',
    'backlog KB',
    'worker %',
    'us/pkt',
    '1e6/cost',
    'Mbps out',
    'fb/s',
    'probe/s',
    'RSS MB',
    'uring %',
    'BWE kbps p50/p10',
    'sink %',
  ];
  const rows = results.flatMap((r) =>
    r.steps.map((s) => [
      r.profile,
      r.kind,
      String(s.classrooms),
      held(s) ? 'yes' : 'no',
      s.sentPerClassroomPerSec.toFixed(1),
      s.receivedPerClassroomPerSec.toFixed(1),
      s.topLayerPct.toFixed(0),
      s.lossPct.toFixed(2),
      s.worstClassroomLossPct.toFixed(2),
      s.backlogKb.toFixed(0),
      s.workerCpuPct.toFixed(0),
      s.usPerPacket.toFixed(2),
      s.projectedPerCore.toFixed(0),
      s.rtpMbpsOut.toFixed(0),
      s.feedbackPerSec.toFixed(0),
      s.probationPerSec.toFixed(0),
      s.workerRssMb.toFixed(0),
      s.uringPct === undefined || s.uringPct < 0 ? '-' : s.uringPct.toFixed(0),
      s.bweMedianKbps ? `${s.bweMedianKbps.toFixed(0)}/${s.bweP10Kbps.toFixed(0)}` : '-',
      s.sinkCpuPct.toFixed(0),
    ]),
  );
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

/** The floor for each suite the profiles use, measured on the worker's core. */
async function floors(ciphers: FloorCipher[], quick: boolean): Promise<Floor[]> {
  const sink = await startSink();
  try {
    const result: Floor[] = [];
    for (const cipher of ciphers) {
      result.push(
        await measureFloor({
          firstPort: sink.ports[0] as number,
          ports: SINK_SOCKETS,
          cpu: WORKER_CPU,
          // About 800 classrooms' packets: a loaded worker's rate, kept below the sink's limit.
          packetsPerSec: 140_000,
          seconds: quick ? 2 : 4,
          cipher,
        }),
      );
    }
    return result;
  } finally {
    await sink.close();
  }
}

const cipherOf = (suite: types.SrtpCryptoSuite): FloorCipher =>
  suite.startsWith('AEAD') ? 'gcm' : 'cm';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) {
    const steps = await runProfile(args.child, args.kind, args);
    process.stdout.write(`${JSON.stringify(steps)}\n`);
    return;
  }
  if (os.availableParallelism() < 2)
    throw new BenchUnavailable('it needs 2 cores (worker; source+sink)');
  if (!(await ffmpegAvailable())) {
    throw new BenchUnavailable(
      'FFmpeg is missing (npm install installs it; or apt-get install ffmpeg)',
    );
  }
  await prepareClip(DEFAULT_LAYERS);
  const argv = process.argv.slice(2);
  const floor = args.floor
    ? await floors([...new Set(args.profiles.map((p) => cipherOf(PROFILES[p].srtp)))], args.quick)
    : [];
  const results: RunResult[] = [];
  const runs: { profile: Profile; kind: ConsumerKind; workerBin: string }[] = [];
  for (const profile of args.profiles) {
    const workerBin = await ensureWorker(PROFILES[profile].build).catch((err: unknown) => {
      throw err instanceof WorkerBuildError ? new BenchUnavailable(err.message) : err;
    });
    for (const kind of args.kinds) runs.push({ profile, kind, workerBin });
  }
  if (args.parallel) {
    // Every worker on the same core at once: each sees the same interference,
    // so their costs per packet compare even on a busy machine (capacities don't).
    const steps = await Promise.all(
      runs.map((r) => runChild(r.profile, r.kind, r.workerBin, argv)),
    );
    results.push(...runs.map((r, i) => ({ ...r, steps: steps[i] as StepResult[] })));
  } else {
    for (const r of runs) {
      results.push({ ...r, steps: await runChild(r.profile, r.kind, r.workerBin, argv) });
    }
  }
  printTable(results);

  const summary = Object.fromEntries(
    results.map((r) => [`${r.profile}-${r.kind}`, capacity(r.steps)]),
  );
  const first = args.profiles[0] as Profile;
  const figure = (kind: ConsumerKind, profile: Profile = first) => summary[`${profile}-${kind}`];
  /**
   * The step whose cost per packet stands for a run: the largest that held,
   * else the largest that lost nothing (on a shared machine the worker may be
   * starved of its core, and queue, before its cost per packet says it is full).
   */
  const costStep = (profile: Profile, kind: ConsumerKind) => {
    const steps = results.find((r) => r.profile === profile && r.kind === kind)?.steps ?? [];
    return capacity(steps) ?? steps.filter((s) => s.lossPct < LOSS_LIMIT_PCT).at(-1);
  };
  const pps =
    results.flatMap((r) => r.steps).find((s) => s.sentPerClassroomPerSec > 0)
      ?.sentPerClassroomPerSec ?? 171;
  for (const f of floor) {
    console.log(
      `floor (${f.cipher === 'gcm' ? 'AES-256-GCM' : 'AES-CM-128 + HMAC-SHA1-80'} + one loopback sendto per packet, no SFU, ` +
        `worker's core): ${f.usPerPacket.toFixed(2)} us/packet => at most ${Math.round(1e6 / (f.usPerPacket * pps))} classrooms per core at ${pps.toFixed(0)} packets/s each`,
    );
  }
  const ratio = (a?: StepResult, b?: StepResult) =>
    a && b
      ? `${(a.classrooms / b.classrooms).toFixed(2)}x classrooms, ${(b.usPerPacket / a.usPerPacket).toFixed(2)}x less us/packet`
      : 'n/a';
  for (const kind of args.kinds) {
    if (args.profiles.includes('stock') && first !== 'stock') {
      console.log(`${kind}: ${first} / stock: ${ratio(figure(kind), figure(kind, 'stock'))}`);
    }
  }
  if (args.kinds.length === 2) {
    for (const profile of args.profiles) {
      const b = figure('browser', profile);
      const p = figure('plain', profile);
      console.log(
        `${profile}: browser-like / plain: ${b && p ? `${(b.classrooms / p.classrooms).toFixed(2)}x classrooms, ${(b.usPerPacket / p.usPerPacket).toFixed(2)}x us/packet` : 'n/a'}`,
      );
    }
  }
  const floorOfFirst = floor.find((f) => f.cipher === cipherOf(PROFILES[first].srtp));
  const perCore = {
    browser: figure('browser')?.classrooms ?? 0,
    plain: figure('plain')?.classrooms ?? 0,
    browserStock: figure('browser', 'stock')?.classrooms ?? 0,
    plainStock: figure('plain', 'stock')?.classrooms ?? 0,
    floor: floorOfFirst ? Math.round(1e6 / (floorOfFirst.usPerPacket * pps)) : 0,
    /** 1e6 / (us/packet x packets/s per classroom): what a whole core would serve at the measured cost. */
    browserProjected: Math.round(costStep(first, 'browser')?.projectedPerCore ?? 0),
    plainProjected: Math.round(costStep(first, 'plain')?.projectedPerCore ?? 0),
  };
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `fanout-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        quick: args.quick,
        lossLimitPct: LOSS_LIMIT_PCT,
        backlogLimitKb: BACKLOG_LIMIT_KB,
        topLayerMinPct: TOP_LAYER_MIN_PCT,
        feedback: {
          twccMs: args.twccMs,
          rrMs: args.rrMs,
          estimateFloorBps: args.naturalBwe ? 0 : TOP_LAYER_NEED_BPS,
        },
        profiles: PROFILES,
        perCore,
        floor,
        results,
        summary,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  const main = args.kinds.includes('browser') ? 'browser' : 'plain';
  const best = figure(main);
  const stock = figure(main, 'stock');
  const projected = (p: Profile) => Math.round(costStep(p, main)?.projectedPerCore ?? 0);
  console.log(
    `fanout kind=${main} classrooms_per_core=${best?.classrooms ?? 0} ` +
      `stock=${stock?.classrooms ?? 0} ratio_to_stock=${best && stock ? (best.classrooms / stock.classrooms).toFixed(2) : 'n/a'} ` +
      `plain=${perCore.plain} floor=${perCore.floor} ` +
      `projected=${projected(first)} projected_stock=${args.profiles.includes('stock') ? projected('stock') : 'n/a'} ` +
      `loss_pct=${(best?.lossPct ?? 100).toFixed(2)} cpu_pct=${(best?.workerCpuPct ?? 0).toFixed(0)} ` +
      `us_per_packet=${(costStep(first, main)?.usPerPacket ?? 0).toFixed(2)}`,
  );
}

/** What stops the bench before it measures anything: said in one line, no stack trace. */
class BenchUnavailable extends Error {}

await main().catch((err: unknown) => {
  if (!(err instanceof BenchUnavailable)) throw err;
  console.error(`bench:fanout cannot run: ${err.message.split('\n').join(' ')}`);
  process.exit(1);
});
