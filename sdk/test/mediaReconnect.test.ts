import { MEDIA_SETUP_RETRY } from '@amphi/protocol';
import { afterEach, expect, it } from 'vitest';
import { type StandInClassroom, standInClassroom, until } from './support/standInClassroom.ts';

// A class told `media.reconnect` (its media node died) whose set-up anew is
// refused — no node free yet while the cluster re-places, or a request left
// unanswered under load — tries again by itself, soon and then less often,
// saying so meanwhile; it used to emit the error and stay black until the
// next incident. The stand-in server offers no media at all: a join answered
// still fails its set-up (MEDIA_UNAVAILABLE), which is tried again as well.

const opened: StandInClassroom[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

async function classroom(options?: Parameters<typeof standInClassroom>[0]) {
  const c = await standInClassroom(options);
  opened.push(c);
  return c;
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
    setupRetry: { initialMs: 40, maxMs: 160, attempts: 4, jitter: 0 },
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
