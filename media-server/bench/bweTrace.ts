// What the worker's bandwidth estimation gives a few browser-like classrooms
// with no floor under it, second by second: the estimate (min / median / max),
// the simulcast layer each classroom's video is on, and whether the sink's
// transport-wide feedback leaves on time. bench:fanout keeps the estimate
// floored because on a shared machine the estimate follows CPU starvation, not
// the network; this trace shows both: free (the scheduler places the worker
// and the sink where it can) and --pin (the worker alone on core 0, source and
// sink on core 1, as bench:fanout runs them).
//
//   node --import tsx media-server/bench/bweTrace.ts [--classrooms 10] [--seconds 30] [--pin] [--twcc-ms 50]

import { execFileSync } from 'node:child_process';
import { pino } from 'pino';
import { Broadcast } from '../src/Broadcast.ts';
import { DEFAULT_LAYERS, FfmpegTestSource, prepareClip } from '../src/ingest/FfmpegTestSource.ts';
import { RtpIngest } from '../src/ingest/RtpIngest.ts';
import { WorkerPool } from '../src/WorkerPool.ts';
import { joinSinkClassroom } from './joinSinkClassroom.ts';
import { RtpSink } from './sink/RtpSink.ts';

const IP = '127.0.0.1';
const argv = process.argv.slice(2);
const value = (flag: string, fallback: number) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const classrooms = value('--classrooms', 10);
const seconds = value('--seconds', 30);
const twccMs = value('--twcc-ms', 50);
const pinned = argv.includes('--pin');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = pino({ level: 'warn' });
await prepareClip(DEFAULT_LAYERS);
const pool = await WorkerPool.create({ size: 1, listenIp: IP, logger });
const worker = pool.leastLoaded().worker;
const transportOptions = { listenIp: IP, socketBufferSize: 4 * 1024 * 1024 };
const broadcast = await Broadcast.create({ eventId: 'bwe-trace', pool, logger, transportOptions });
const ingest = await RtpIngest.create(broadcast, { participantId: 'speaker', ...transportOptions });
const helperCpu = pinned ? 1 : undefined;
const source = await FfmpegTestSource.start({
  ip: IP,
  videoPort: ingest.videoPort,
  audioPort: ingest.audioPort,
  durationSec: seconds + 120,
  ...(helperCpu === undefined ? {} : { cpu: helperCpu }),
});
const sink = await RtpSink.start({
  firstPort: 30000 + Math.floor(Math.random() * 20000),
  sockets: 16,
  ...(helperCpu === undefined ? {} : { cpu: helperCpu }),
});
try {
  await sink.setFeedbackIntervals(twccMs, 1000);
  if (pinned) {
    execFileSync('taskset', ['-apc', '0', String(worker.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-apc', '1', String(process.pid)], { stdio: 'ignore' });
  }
  for (const giveUp = Date.now() + 60_000; ; await sleep(200)) {
    const video = (await broadcast.stats()).producers.find((p) => p.kind === 'video');
    if (video?.activeLayers === DEFAULT_LAYERS.length) break;
    if (Date.now() > giveUp) throw new Error("the source's layers never all arrived");
  }
  const ids = Array.from({ length: classrooms }, (_, n) => `classroom-${n}`);
  for (const [n, id] of ids.entries()) {
    await joinSinkClassroom(broadcast, sink, id, {
      kind: 'browser',
      ip: IP,
      port: sink.ports[n % sink.ports.length] as number,
      srtp: 'AEAD_AES_256_GCM',
    });
  }
  console.log(
    `${classrooms} browser-like classrooms, natural estimate, ${pinned ? 'pinned as bench:fanout' : 'unpinned'}; ` +
      `layers ${DEFAULT_LAYERS.map((l) => `${l.kbps}`).join('/')} kbps`,
  );
  let before = (await sink.stats()).answering;
  const onTop: number[] = [];
  for (let t = 1; t <= seconds; t++) {
    await sleep(1000);
    const now = (await sink.stats()).answering;
    const sent = now.feedback - before.feedback;
    const estimates = (
      await Promise.all(ids.map((id) => broadcast.session(id)?.availableOutgoingBitrates() ?? []))
    )
      .flat()
      .sort((a, b) => a - b);
    const layers = ids.map(
      (id) => broadcast.session(id)?.consumers.find((c) => c.kind === 'video')?.spatialLayer ?? -1,
    );
    const count = (l: number) => layers.filter((x) => x === l).length;
    const kbps = (q: number) =>
      ((estimates[Math.floor(q * (estimates.length - 1))] ?? 0) / 1000).toFixed(0);
    onTop.push(count(DEFAULT_LAYERS.length - 1));
    console.log(
      `t=${String(t).padStart(3)} s  estimate kbps min/p50/max ${kbps(0)}/${kbps(0.5)}/${kbps(1)}  ` +
        `layers none/${DEFAULT_LAYERS.map((_, i) => i).join('/')} ${[-1, ...DEFAULT_LAYERS.keys()].map(count).join('/')}  ` +
        `feedback/s per classroom ${(sent / classrooms).toFixed(1)}, late ${((now.feedbackLateUs - before.feedbackLateUs) / 1000 / Math.max(1, sent)).toFixed(1)} ms`,
    );
    before = now;
  }
  const lastTen = onTop.slice(-10);
  console.log(
    `bwe-trace classrooms=${classrooms} pinned=${pinned} top_layer_last10s_pct=${((100 * lastTen.reduce((a, b) => a + b, 0)) / (lastTen.length * classrooms)).toFixed(0)}`,
  );
} finally {
  await source.stop();
  await sink.close();
  broadcast.close();
  pool.close();
}
