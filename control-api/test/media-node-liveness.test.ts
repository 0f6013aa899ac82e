import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { CHANNEL_SILENCE_MS, RemoteMediaNode } from '../src/rtc/remote/RemoteMediaNode.ts';
import { MediaNodeProcess } from './support/MediaNodeProcess.ts';
import { RedisProcess } from './support/RedisProcess.ts';

// A control-api instance's channel to a media node (`npm run media-node`, its
// own process) tells a node that went silent from its silence alone (a host
// cut off the network sends no close): well before the registry's 3 s
// heartbeat expiry, so that its classrooms decode again elsewhere within 5 s.
// A silent node is a stopped process here (SIGSTOP: its sockets stay open,
// nothing answers). And neither a node that stalls a moment nor this
// process's own event loop kept busy may drop a healthy node: that would cut
// every classroom this instance has there.

const SECRET = 'test-media-node-liveness-secret-0123456789';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
let redis: RedisProcess;
let node: MediaNodeProcess;
let url: string;
const channels: RemoteMediaNode[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = await RedisProcess.start();
  node = await MediaNodeProcess.start({
    MEDIA_NODE_SECRET: SECRET,
    REDIS_URL: redis.url,
    MEDIA_NODE_ID: 'liveness',
  });
  url = /Amphi media node \S+ on (ws:\/\/\S+?):? /.exec(node.out)?.[1] ?? '';
  expect(url).toMatch(/^ws:\/\//);
}, 60_000);

afterAll(async () => {
  for (const c of channels) await c.close();
  node?.child.kill('SIGCONT');
  await node?.stop();
  await redis?.kill();
});

/** A channel to the node, open, and when it was lost (performance.now()). */
async function channel() {
  let lostAt: number | null = null;
  const c = new RemoteMediaNode({
    url,
    secret: SECRET,
    log,
    onLost: () => {
      lostAt ??= performance.now();
    },
  });
  channels.push(c);
  await c.ready();
  // It answers: the node is there.
  expect((await c.getRouterRtpCapabilities('liveness-event')).codecs?.length).toBeGreaterThan(0);
  return { c, lostAt: () => lostAt };
}

/** Keeps this process's event loop busy (no timer, no socket read) for `ms`. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

describe('the media node channel tells a silent node from a busy one', () => {
  it('a node that goes silent is counted lost within 2.5 s (its registration would take 3 s)', async () => {
    const { c, lostAt } = await channel();
    await sleep(1_200);
    const silentFrom = performance.now();
    node.child.kill('SIGSTOP');
    try {
      while (lostAt() === null && performance.now() - silentFrom < 6_000) await sleep(20);
    } finally {
      node.child.kill('SIGCONT');
    }
    const after = (lostAt() ?? Number.NaN) - silentFrom;
    console.log(`silent media node counted lost after ${after.toFixed(0)} ms`);
    expect(c.closed).toBe(true);
    expect(after).toBeGreaterThanOrEqual(CHANNEL_SILENCE_MS - 500);
    expect(after).toBeLessThan(2_500);
    await expect(c.getRouterRtpCapabilities('liveness-event')).rejects.toMatchObject({
      code: 'MEDIA_UNAVAILABLE',
    });
  }, 30_000);

  it('a node that stalls 1 s (its process stopped, then going on) is kept', async () => {
    const { c, lostAt } = await channel();
    await sleep(700);
    node.child.kill('SIGSTOP');
    await sleep(1_000);
    node.child.kill('SIGCONT');
    await sleep(1_500);
    expect(lostAt()).toBeNull();
    expect(c.closed).toBe(false);
    expect((await c.getRouterRtpCapabilities('liveness-event')).codecs?.length).toBeGreaterThan(0);
  }, 30_000);

  it('this process busy for 4 s (no timer, no read) does not drop a healthy node', async () => {
    const { c, lostAt } = await channel();
    await sleep(700);
    busy(4_000);
    await sleep(1_500);
    expect(lostAt()).toBeNull();
    expect(c.closed).toBe(false);
    expect((await c.getRouterRtpCapabilities('liveness-event')).codecs?.length).toBeGreaterThan(0);
    // Busy in short bursts (a loaded instance): 300 ms of every 400, for 4 s.
    const until = performance.now() + 4_000;
    while (performance.now() < until) {
      busy(300);
      await sleep(100);
    }
    await sleep(1_000);
    expect(lostAt()).toBeNull();
    expect(c.closed).toBe(false);
  }, 30_000);
});
