import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages } from '../../scripts/debian-packages.mjs';
import { joinSinkClassroom } from '../bench/joinSinkClassroom.ts';
import { RtpSink } from '../bench/sink/RtpSink.ts';
import type { Broadcast } from '../src/Broadcast.ts';
import { WorkerMonitor } from '../src/metrics/WorkerMonitor.ts';
import { registerWorkerMetrics } from '../src/metrics/workerMetrics.ts';
import { joinPlainReceiver } from '../src/PlainReceiver.ts';
import { WorkerPool } from '../src/WorkerPool.ts';
import {
  startTestPatternBroadcast,
  type TestPatternBroadcast,
} from './support/testPatternSpeaker.ts';

// The media plane's figures per worker, read off real mediasoup workers
// carrying a real FFmpeg stream to four classrooms: consumers, bitrate in and
// out, CPU, packet loss (a browser-like classroom whose packets the firewall
// drops one in five), and a restart after a worker is killed; the exposition
// passes promtool's checks.

const IP = '127.0.0.1';
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const CLASSROOMS = 4;

let pool: WorkerPool;
let monitor: WorkerMonitor;
let broadcast: Broadcast;
let speaker: TestPatternBroadcast;
let sink: dgram.Socket;
const registry = new Registry();

beforeAll(async () => {
  ensureDebianPackages(['prometheus']);
  pool = await WorkerPool.create({ size: 2, listenIp: IP, logger, restartDelayMs: 100 });
  // Attached before the first router, as the control-api does.
  monitor = new WorkerMonitor(pool, { maxAgeMs: 0 });
  registerWorkerMetrics(registry, monitor);
  speaker = await startTestPatternBroadcast({
    eventId: 'event-metrics',
    pool,
    logger,
    ip: IP,
    durationSec: 60,
    layers: [
      { width: 160, height: 90, kbps: 80 },
      { width: 320, height: 180, kbps: 150 },
    ],
  });
  broadcast = speaker.broadcast;
  // The classrooms' media lands here and is dropped: only the sending side is measured.
  sink = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, IP, resolve));
  const port = (sink.address() as AddressInfo).port;
  for (let i = 0; i < CLASSROOMS; i++) {
    await joinPlainReceiver(broadcast, `classroom-${i}`, { ip: IP, port });
  }
}, 60_000);

afterAll(async () => {
  await speaker?.close();
  monitor?.close();
  pool?.close();
  sink?.close();
});

/** One series' value in the exposition text. */
function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('media worker metrics', () => {
  it('counts consumers and classrooms per worker, and the media flowing in and out', async () => {
    // Every classroom consumes the speaker's audio and video.
    const samples = await monitor.sample();
    expect(samples.map((s) => s.index).sort()).toEqual([0, 1]);
    expect(samples.reduce((n, s) => n + s.consumers, 0)).toBe(CLASSROOMS * 2);
    expect(samples.reduce((n, s) => n + s.classrooms, 0)).toBe(CLASSROOMS);
    // The stream arrives (the ingest on the origin) and leaves (the classrooms' transports).
    await expect
      .poll(async () => (await monitor.sample()).reduce((n, s) => n + s.bitrateInBps, 0), {
        timeout: 10_000,
      })
      .toBeGreaterThan(50_000);
    await expect
      .poll(async () => (await monitor.sample()).reduce((n, s) => n + s.bitrateOutBps, 0), {
        timeout: 10_000,
      })
      .toBeGreaterThan(CLASSROOMS * 50_000);
    const busy = await monitor.sample();
    expect(busy.reduce((n, s) => n + s.cpuSeconds, 0)).toBeGreaterThan(0);
    expect(busy.every((s) => s.routers >= 1)).toBe(true);

    const text = await registry.metrics();
    const consumers = [0, 1].map(
      (w) => seriesValue(text, `amphi_media_worker_consumers{worker="${w}"}`) ?? 0,
    );
    expect((consumers[0] ?? 0) + (consumers[1] ?? 0)).toBe(CLASSROOMS * 2);
    const out = [0, 1].map(
      (w) =>
        seriesValue(
          text,
          `amphi_media_worker_throughput_bytes_per_second{worker="${w}",direction="out"}`,
        ) ?? 0,
    );
    expect(8 * ((out[0] ?? 0) + (out[1] ?? 0))).toBeGreaterThan(CLASSROOMS * 50_000);
    expect(seriesValue(text, 'amphi_media_workers_running')).toBe(2);
    console.log(
      text
        .split('\n')
        .filter((l) => l.startsWith('amphi_media'))
        .join('\n'),
    );
  });

  it('measures the loss a classroom reports: one packet in five dropped on its way', async () => {
    // A classroom that answers as a browser (transport-wide feedback, SRTCP);
    // nftables drops 20 % of what is sent to it, in a table of this test's own.
    const sink = await RtpSink.start({
      firstPort: 23000 + Math.floor(Math.random() * 20000),
      sockets: 1,
    });
    const port = sink.ports[0] as number;
    const table = `amphi_loss_${process.pid}`;
    const nft = (script: string) =>
      spawnSync('nft', ['-f', '-'], { input: script, encoding: 'utf8' });
    const added = nft(
      `table inet ${table} {\n chain out {\n  type filter hook output priority 0; policy accept;\n  udp dport ${port} numgen random mod 100 < 20 drop\n }\n}\n`,
    );
    expect(added.status, added.stderr).toBe(0);
    try {
      await joinSinkClassroom(broadcast, sink, 'classroom-lossy', {
        kind: 'browser',
        ip: IP,
        port,
        srtp: 'AEAD_AES_256_GCM',
      });
      const worker = broadcast.session('classroom-lossy')?.poolWorker.index;
      const lossOut = async () =>
        (await monitor.sample()).find((s) => s.index === worker)?.lossOut ?? null;
      await expect.poll(lossOut, { timeout: 15_000, interval: 500 }).toBeGreaterThan(0.15);
      expect(await lossOut()).toBeLessThan(0.4);
      const text = await registry.metrics();
      const exposed = seriesValue(
        text,
        `amphi_media_worker_packet_loss_ratio{worker="${worker}",direction="out"}`,
      );
      expect(exposed).toBeGreaterThan(0.1);
      expect(exposed).toBeLessThan(0.4);
      console.log(`packet loss measured with 20 % dropped: ${exposed}`);
    } finally {
      nft(`delete table inet ${table}\n`);
      broadcast.leave('classroom-lossy');
      await sink.close();
    }
  });

  it('counts a restart when a worker dies and comes back', async () => {
    const victim = pool.workers[1];
    if (!victim) throw new Error('no worker 1');
    const oldPid = victim.worker.pid;
    process.kill(oldPid, 'SIGKILL');
    await expect
      .poll(() => pool.workers.find((w) => w.index === 1)?.worker.pid, { timeout: 10_000 })
      .not.toBe(oldPid);
    await expect.poll(() => pool.workers.length, { timeout: 10_000 }).toBe(2);
    const text = await registry.metrics();
    expect(seriesValue(text, 'amphi_media_worker_restarts_total{worker="1"}')).toBe(1);
    expect(seriesValue(text, 'amphi_media_worker_restarts_total{worker="0"}')).toBe(0);
    const restarted = (await monitor.sample()).find((s) => s.index === 1);
    expect(restarted?.pid).not.toBe(oldPid);
  });

  it('passes promtool check metrics', async () => {
    const text = await registry.metrics();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
