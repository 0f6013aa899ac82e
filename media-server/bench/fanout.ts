// How many classrooms one CPU core serves: one mediasoup worker pinned to
// core 0 forwards a 1 Mbps VP8 simulcast (top layer) + Opus stream to N
// classrooms over SRTP plain transports; the source and the sink run on core 1
// so they don't steal the worker's CPU. Ramps N, measures loss, worker CPU and
// CPU time per forwarded packet, for a tuned worker and a stock one in the
// same run.
//
//   npm run bench:fanout [-- --quick] [-- --steps 200,400,800] [-- --profiles tuned,stock|all]

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
import { joinPlainReceiver } from '../src/PlainReceiver.ts';
import { WorkerPool } from '../src/WorkerPool.ts';
import { RtpSink } from './sink/RtpSink.ts';

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
};

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
 * SRTP suite). The others change one lever of tuned, to show what it buys.
 */
const PROFILES = {
  tuned: TUNED,
  stock: { build: 'stock', disableLiburing: false, srtp: 'AES_CM_128_HMAC_SHA1_80' },
  'tuned-stock-build': { ...TUNED, build: 'stock' },
  'tuned-debian-srtp': { ...TUNED, build: 'debian-srtp' },
  'tuned-no-io-uring': { ...TUNED, disableLiburing: true },
  'tuned-hmac-sha1': { ...TUNED, srtp: 'AES_CM_128_HMAC_SHA1_80' },
  'tuned-kernel-buffers': { build: 'tuned', disableLiburing: false, srtp: 'AEAD_AES_256_GCM' },
} satisfies Record<string, Setup>;

type Profile = keyof typeof PROFILES;

type StepResult = {
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
};

type ProfileResult = { profile: Profile; workerBin: string; steps: StepResult[] };

function profileList(arg: string | undefined): Profile[] {
  if (arg === 'all') return Object.keys(PROFILES) as Profile[];
  const names = arg?.split(',') ?? ['tuned', 'stock'];
  for (const n of names) if (!(n in PROFILES)) throw new Error(`unknown profile ${n}`);
  return names as Profile[];
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
    profiles: profileList(value('--profiles')),
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

/** utime + stime of a process, in microseconds. */
function cpuUs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / 100;
}

function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['-apc', String(cpu), String(pid)], { stdio: 'ignore' });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- child ---

async function runProfile(profile: Profile, steps: number[], windowSec: number, quick: boolean) {
  const started = Date.now();
  const log = (msg: string) =>
    process.stderr.write(`[${profile} +${((Date.now() - started) / 1000).toFixed(1)} s] ${msg}\n`);
  pin(process.pid, HELPER_CPU);
  const logger = pino({ level: 'warn' });
  const setup: Setup = PROFILES[profile];
  const pool = await WorkerPool.create({
    size: 1,
    listenIp: IP,
    logger,
    disableLiburing: setup.disableLiburing,
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
  const firstPort = 30000 + Math.floor(Math.random() * 20000);
  const sink = await RtpSink.start({ firstPort, sockets: SINK_SOCKETS, cpu: HELPER_CPU });

  const results: StepResult[] = [];
  const classrooms: string[] = [];
  const topLayerSsrc = INGEST_RTP.videoSsrcs[DEFAULT_LAYERS.length - 1] as number;
  const sourceSent = () =>
    source.packetsSent(topLayerSsrc) + source.packetsSent(INGEST_RTP.audioSsrc);
  const joinClassroom = (n: number) =>
    joinPlainReceiver(broadcast, `classroom-${n}`, {
      ip: IP,
      port: sink.ports[n % SINK_SOCKETS] as number,
      srtp: setup.srtp,
    });
  try {
    for (;;) {
      const video = (await broadcast.stats()).producers.find((p) => p.kind === 'video');
      if (video?.activeLayers === DEFAULT_LAYERS.length) break;
      await sleep(200);
    }
    for (const target of steps) {
      // Join in batches, as a wave of classrooms would: the worker's channel pipelines them.
      while (classrooms.length < target) {
        const batch = Array.from(
          { length: Math.min(50, target - classrooms.length) },
          (_, i) => classrooms.length + i,
        );
        await Promise.all(batch.map((n) => joinClassroom(n)));
        classrooms.push(...batch.map((n) => `classroom-${n}`));
      }
      // Settle: every classroom on the top layer, then let queues drain.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const behind = classrooms.some((id) =>
          broadcast
            .session(id)
            ?.consumers.some(
              (c) => c.kind === 'video' && c.spatialLayer !== DEFAULT_LAYERS.length - 1,
            ),
        );
        if (!behind) break;
        await sleep(200);
      }
      await sleep(quick ? 300 : 1000);

      const sentBefore = sourceSent();
      await sink.reset();
      const sinkBefore = await sink.stats();
      const cpuBefore = cpuUs(worker.pid);
      const t0 = process.hrtime.bigint();
      await sleep(windowSec * 1000);
      const cpuAfter = cpuUs(worker.pid);
      const stats = await sink.stats();
      const sent = sourceSent() - sentBefore;
      const wallUs = Number(process.hrtime.bigint() - t0) / 1000;

      // Drops: sequence gaps seen by the sink (input or output overflow alike).
      let received = 0;
      let forwarded = 0;
      let bytes = 0;
      const perClassroom = new Map<number, { received: number; forwarded: number }>();
      for (const s of stats.streams) {
        if (s.pt === 127) continue; // bandwidth probation, not media
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
      const step: StepResult = {
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
      };
      results.push(step);
      log(
        `${step.classrooms} classrooms: loss ${step.lossPct.toFixed(2)} %, backlog ${step.backlogKb.toFixed(0)} KB, worker ${step.workerCpuPct.toFixed(0)} %, ` +
          `${step.usPerPacket.toFixed(2)} us/packet, sink ${step.sinkCpuPct.toFixed(0)} %`,
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

function runChild(profile: Profile, workerBin: string, argv: string[]): Promise<StepResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), ...argv, '--child', profile],
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
      if (code !== 0) return reject(new Error(`${profile} run failed (exit ${code})`));
      resolve(JSON.parse(last) as StepResult[]);
    });
  });
}

/** A step held if nothing was lost and the worker kept up with the source. */
const held = (s: StepResult) => s.lossPct < LOSS_LIMIT_PCT && s.backlogKb < BACKLOG_LIMIT_KB;

/** The largest step that held. */
function capacity(steps: StepResult[]): StepResult | undefined {
  return steps.filter(held).at(-1);
}

function printTable(results: ProfileResult[]): void {
  const header = [
    'profile',
    'classrooms',
    'sent/s',
    'recv/s',
    'loss %',
    'worst %',
    'backlog KB',
    'worker %',
    'us/pkt',
    'Mbps out',
    'sink %',
  ];
  const rows = results.flatMap((r) =>
    r.steps.map((s) => [
      r.profile,
      String(s.classrooms),
      s.sentPerClassroomPerSec.toFixed(1),
      s.receivedPerClassroomPerSec.toFixed(1),
      s.lossPct.toFixed(2),
      s.worstClassroomLossPct.toFixed(2),
      s.backlogKb.toFixed(0),
      s.workerCpuPct.toFixed(0),
      s.usPerPacket.toFixed(2),
      s.rtpMbpsOut.toFixed(0),
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) {
    const steps = await runProfile(args.child, args.steps, args.windowSec, args.quick);
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
  const results: ProfileResult[] = [];
  for (const profile of args.profiles) {
    const workerBin = await ensureWorker(PROFILES[profile].build).catch((err: unknown) => {
      throw err instanceof WorkerBuildError ? new BenchUnavailable(err.message) : err;
    });
    results.push({ profile, workerBin, steps: await runChild(profile, workerBin, argv) });
  }
  printTable(results);

  const summary = Object.fromEntries(results.map((r) => [r.profile, capacity(r.steps)]));
  const tuned = summary.tuned ?? summary[args.profiles[0] as Profile];
  const stock = summary.stock;
  if (tuned && stock) {
    console.log(
      `tuned / stock: consumers ${(tuned.classrooms / stock.classrooms).toFixed(2)}x, ` +
        `us/packet ${(stock.usPerPacket / tuned.usPerPacket).toFixed(2)}x less`,
    );
  }
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `fanout-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), quick: args.quick, lossLimitPct: LOSS_LIMIT_PCT, backlogLimitKb: BACKLOG_LIMIT_KB, profiles: PROFILES, results, summary }, null, 2)}\n`,
  );
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  console.log(
    `fanout consumers_per_core=${tuned?.classrooms ?? 0} loss_pct=${(tuned?.lossPct ?? 100).toFixed(2)} ` +
      `cpu_pct=${(tuned?.workerCpuPct ?? 0).toFixed(0)} us_per_packet=${(tuned?.usPerPacket ?? 0).toFixed(2)}`,
  );
}

/** What stops the bench before it measures anything: said in one line, no stack trace. */
class BenchUnavailable extends Error {}

await main().catch((err: unknown) => {
  if (!(err instanceof BenchUnavailable)) throw err;
  console.error(`bench:fanout cannot run: ${err.message.split('\n').join(' ')}`);
  process.exit(1);
});
