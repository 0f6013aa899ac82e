import { MEDIA_SETUP_RETRY } from '@amphi/protocol';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  MediaClient,
  type MediaClientOptions,
  type ReachState,
  SignalingClient,
} from '../src/index.ts';
import { EVENT_ID, StandInServer } from './support/standInServer.ts';

// A class told `media.reconnect` (its media node died) whose set-up anew is
// refused — no node free yet while the cluster re-places, or a request left
// unanswered under load — tries again by itself, soon and then less often,
// saying so meanwhile; it used to emit the error and stay black until the
// next incident. The stand-in server offers no media at all: a join answered
// still fails its set-up (MEDIA_UNAVAILABLE), which is tried again as well.

let server: StandInServer | null = null;
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
  server?.close();
  server = null;
});

async function classroom(setupRetry?: MediaClientOptions['setupRetry']) {
  server = await StandInServer.start();
  const signaling = new SignalingClient({
    baseUrl: server.baseUrl,
    eventId: EVENT_ID,
    token: 'tok',
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  closers.push(() => signaling.close());
  await signaling.connect();
  const media = new MediaClient(signaling, {
    reachMemory: null,
    reportQuality: false,
    ...(setupRetry ? { setupRetry } : {}),
  });
  closers.push(() => media.close());
  const errors: string[] = [];
  media.on('error', (err) => errors.push((err as { code?: string }).code ?? err.message));
  const reaches: ReachState[] = [];
  media.on('reach', (r) => reaches.push(r));
  await media.start(null);
  return { server, media, errors, reaches };
}

async function until(test: () => boolean, ms: number, what: () => string): Promise<void> {
  for (const deadline = Date.now() + ms; !test(); ) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('a set-up anew refused after media.reconnect is tried again within a second', async () => {
  const { server, errors, reaches } = await classroom();
  server.refuseJoins.push({ code: 'TIMEOUT', message: 'no answer in time' });
  const told = Date.now();
  server.push('media.reconnect', { reason: 'media_lost', message: 'media node lost' });
  await until(
    () => server.joins >= 3,
    1_500,
    () => `joins ${server.joins}, requests ${server.requests.join(', ')}`,
  );
  // The default backoff's first try: 0.25–0.5 s after the refusal.
  expect(Date.now() - told).toBeLessThan(1_500);
  expect(errors[0]).toBe('TIMEOUT');
  const first = reaches.find((r) => r.retrying)?.retrying;
  expect(first?.attempt).toBe(1);
  expect(first && first.nextRetryAt - told).toBeLessThanOrEqual(MEDIA_SETUP_RETRY.initialMs + 100);
  expect(reaches.find((r) => r.retrying)?.status).toBe('trying');
});

it('tries a bounded number of times, twice as long each time, then says every way failed', async () => {
  const { server, media, errors, reaches } = await classroom({
    initialMs: 40,
    maxMs: 160,
    attempts: 4,
    jitter: 0,
  });
  server.refuseJoins.push(
    { code: 'MEDIA_UNAVAILABLE', message: 'no live media node' },
    { code: 'TIMEOUT', message: 'no answer in time' },
  );
  server.push('media.reconnect', { reason: 'media_lost', message: 'media node lost' });
  await until(
    () => media.reach.exhausted === true,
    3_000,
    () => `joins ${server.joins}, reach ${JSON.stringify(media.reach)}`,
  );
  // The first join (connect), the set-up told by media.reconnect, then its 4 tries.
  expect(server.joins).toBe(6);
  // Refused twice, then answered without media (this server has none): failed all the same.
  expect(errors).toEqual([
    'MEDIA_UNAVAILABLE',
    'TIMEOUT',
    'MEDIA_UNAVAILABLE',
    'MEDIA_UNAVAILABLE',
    'MEDIA_UNAVAILABLE',
  ]);
  const planned = reaches.flatMap((r, i) =>
    r.retrying && r.retrying !== reaches[i - 1]?.retrying ? [r.retrying] : [],
  );
  expect(planned.map((p) => p.attempt)).toEqual([1, 2, 3, 4]);
  expect(media.reach.retrying).toBeUndefined();
  await new Promise((r) => setTimeout(r, 400));
  expect(server.joins).toBe(6);
});
