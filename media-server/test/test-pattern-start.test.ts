import dgram from 'node:dgram';
import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import { DEFAULT_LAYERS } from '../src/ingest/FfmpegTestSource.ts';
import { joinPlainReceiver } from '../src/PlainReceiver.ts';
import { WorkerPool } from '../src/WorkerPool.ts';
import {
  startTestPatternBroadcast,
  type TestPatternBroadcast,
} from './support/testPatternSpeaker.ts';

// A class that joins as the test pattern starts (a demo event opened, a
// pattern started again) is moved to another simulcast layer as soon as it
// asks, not 5 s later. The server switches a class between layers only once
// it has a sender report for them; FFmpeg sends its first one just before its
// first packet, which the server ignored (no stream yet), and the next 5 s
// later. Seen in a classroom in Chromium: the send-side estimate fell under
// the top layer a second after it joined, no other layer could be switched
// to, and the class had no picture at all for 4 s.

const IP = '127.0.0.1';
const open: { close(): unknown }[] = [];

afterAll(async () => {
  for (const o of open.reverse()) await o.close();
});

it('a class that joins as the test pattern starts gets the lowest layer at once when it asks', async () => {
  const logger = pino({ level: 'warn' });
  const pool = await WorkerPool.create({ size: 1, listenIp: IP, logger });
  open.push(pool);
  const startedAt = Date.now();
  const speaker: TestPatternBroadcast = await startTestPatternBroadcast({
    eventId: 'event-start',
    pool,
    logger,
    ip: IP,
    durationSec: 30,
    layers: DEFAULT_LAYERS,
  });
  open.push(speaker);
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, IP, r));
  open.push(sink);
  await joinPlainReceiver(speaker.broadcast, 'classroom-1', { ip: IP, port: sink.address().port });
  const session = speaker.broadcast.session('classroom-1');
  const layer = () => session?.consumers.find((c) => c.kind === 'video')?.spatialLayer;
  await expect.poll(layer, { timeout: 5000, interval: 20 }).toBe(DEFAULT_LAYERS.length - 1);

  const askedAt = Date.now();
  await session?.setPreferredLayers(0);
  await expect.poll(layer, { timeout: 6000, interval: 20 }).toBe(0);
  const switchedMs = Date.now() - askedAt;
  console.log(
    `asked ${askedAt - startedAt} ms after the pattern started; on the lowest layer ${switchedMs} ms later`,
  );
  // On it well before FFmpeg's second report (5 s after its start): the first one counted.
  expect(askedAt + switchedMs - startedAt).toBeLessThan(4000);
  // A key frame every second on each layer.
  expect(switchedMs).toBeLessThan(2000);
}, 30_000);
