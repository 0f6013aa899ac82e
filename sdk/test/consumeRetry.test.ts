import { FakeHandler, testFakeParameters } from 'mediasoup-client';
import { afterEach, expect, it } from 'vitest';
import type { MediaClientOptions } from '../src/index.ts';
import { standInClients, until } from './support/standInClassroom.ts';
import { SPEAKER_VOICE, type StandInServer } from './support/standInServer.ts';

// Classes join before the speaker publishes: the speaker's voice comes by
// `media.producerAdded`. Its consume refused (unanswered under load, the
// producer not yet known to the class's media node, its resume refused) used
// to be an error and nothing more: the receive transport never carried
// anything, so no rung timer watched it, and the class stayed black until
// another producer or reconnection. It is tried again by the set-up's rule.

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

const RETRY = { initialMs: 40, maxMs: 80, attempts: 2, jitter: 0 };

/** A class joined with media before the speaker published. */
async function classroom(options: MediaClientOptions = {}) {
  const c = await standInClients(
    {
      climbBackMs: 0,
      setupRetry: RETRY,
      handlerFactory: FakeHandler.createFactory(testFakeParameters),
      ...options,
    },
    (server) => {
      server.media = true;
      server.producers.length = 0;
    },
  );
  closers.push(c.close);
  await c.media.start();
  expect(c.media.remotes).toHaveLength(0);
  return c;
}

/** The speaker publishes: the server announces the voice to the classes. */
function publish(stand: StandInServer): void {
  stand.producers.push(SPEAKER_VOICE);
  stand.push('media.producerAdded', SPEAKER_VOICE);
}

const consumes = (stand: StandInServer) => stand.requests.filter((r) => r === 'media.consume');

it("a speaker's voice whose consume is refused once is consumed again, without a new join", async () => {
  const { server, media, errors } = await classroom({ setupRetry: undefined });
  server.refuseConsumes.push({ code: 'TIMEOUT', message: 'no answer in time' });
  const published = Date.now();
  publish(server);
  await until(
    () => media.remotes.length === 1,
    1_500,
    () => `requests ${server.requests.join(', ')}`,
  );
  // Within the set-up's first step (0.25–0.5 s), as one more consume: nothing set up anew.
  expect(Date.now() - published).toBeLessThan(1_200);
  expect(errors).toEqual(['TIMEOUT']);
  expect(consumes(server)).toHaveLength(2);
  expect(server.joins).toBe(1);
  expect(media.remotes.map((r) => r.producer.producerId)).toEqual(['speaker-voice']);
});

it('a consume whose resume is refused is consumed again and resumed', async () => {
  const { server, media, errors } = await classroom();
  server.refuseResumes.push({ code: 'TIMEOUT', message: 'no answer in time' });
  publish(server);
  await until(
    () => media.remotes.length === 1,
    1_000,
    () => `requests ${server.requests.join(', ')}`,
  );
  expect(errors).toEqual(['TIMEOUT']);
  expect(consumes(server)).toHaveLength(2);
  expect(server.requests.filter((r) => r === 'media.resumeConsumer')).toHaveLength(2);
  expect(server.joins).toBe(1);
});

it('a producer closed meanwhile is not consumed again', async () => {
  const { server, media } = await classroom();
  // Announced, then closed before our node knew it: "no such producer".
  server.refuseConsumes.push({ code: 'NOT_FOUND', message: 'no such producer' });
  publish(server);
  server.producers.length = 0;
  server.push('media.producerClosed', { producerId: SPEAKER_VOICE.producerId });
  await until(
    () => consumes(server).length === 1,
    1_000,
    () => `requests ${server.requests.join(', ')}`,
  );
  await new Promise((r) => setTimeout(r, 400));
  expect(consumes(server)).toHaveLength(1);
  expect(server.joins).toBe(1);
  expect(media.remotes).toHaveLength(0);
  expect(media.reach.retrying).toBeUndefined();
});

it('a consume refused every time falls back to setting media up anew', async () => {
  const { server, media } = await classroom();
  // The first try and its 2 tries again, refused; the join anew consumes the voice it announces.
  server.refuseConsumes.push(
    ...Array.from({ length: 3 }, () => ({ code: 'TIMEOUT', message: 'no answer in time' })),
  );
  publish(server);
  await until(
    () => media.remotes.length === 1,
    1_500,
    () => `joins ${server.joins}, requests ${server.requests.join(', ')}`,
  );
  expect(consumes(server)).toHaveLength(4);
  expect(server.joins).toBe(2);
  expect(media.reach.exhausted).toBeFalsy();
});
