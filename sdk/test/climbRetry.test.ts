import { MEDIA_SETUP_RETRY } from '@amphi/protocol';
import { FakeHandler, testFakeParameters } from 'mediasoup-client';
import { afterEach, expect, it } from 'vitest';
import type { MediaClientOptions } from '../src/index.ts';
import { standInClients, until } from './support/standInClassroom.ts';
import type { StandInServer } from './support/standInServer.ts';

// The reach ladder's climb down (a rung that did not connect in time: the
// next one, a new join) whose set-up is refused once — a join unanswered
// under load, no media node free yet — is tried again as a set-up anew after
// `media.reconnect` is: it used to leave the class with no media and nothing
// planned until another incident. The stand-in server offers media as
// mediasoup-client's FakeHandler takes it: its transports never connect, so
// the direct rung's silence climbs down to the relay.

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

// The direct rung unanswered this long climbs down (its checks' silence);
// the relay's rung gets far longer, so that a loaded machine does not see
// the ladder come round while a test looks at the relay.
const SILENCE_MS = 300;
const RUNG_TIMEOUT_MS = 5_000;

/** mediasoup-client's FakeHandler: the stand-in's media taken without WebRTC. */
const fakeMedia = (server: StandInServer) => {
  server.media = true;
};

async function classroom(options: MediaClientOptions = {}) {
  const c = await standInClients(
    {
      // The direct rung worked for this school before: tried first, alone (no race of every way).
      reachMemory: { load: () => 'direct', save: () => {} },
      climbBackMs: 0,
      rungTimeoutMs: RUNG_TIMEOUT_MS,
      rungSilenceMs: SILENCE_MS,
      handlerFactory: FakeHandler.createFactory(testFakeParameters),
      ...options,
    },
    fakeMedia,
  );
  closers.push(c.close);
  await c.media.start();
  return c;
}

/**
 * A class whose set-ups are refused `refusals` times (MEDIA_UNAVAILABLE) from
 * the direct rung's climb down on, with two tries a climb: once every way
 * failed.
 */
async function exhausted(refusals: number) {
  const c = await classroom({ setupRetry: { initialMs: 40, maxMs: 80, attempts: 2, jitter: 0 } });
  c.server.refuseJoins.push(
    ...Array.from({ length: refusals }, () => ({
      code: 'MEDIA_UNAVAILABLE',
      message: 'no live node',
    })),
  );
  await until(
    () => c.media.reach.exhausted === true,
    SILENCE_MS + 1_500,
    () => `joins ${c.server.joins}, reach ${JSON.stringify(c.media.reach)}`,
  );
  return c;
}

it('a climb down whose join is refused once is tried again and receives on the relay', async () => {
  const { server, media, errors, reaches } = await classroom();
  expect(media.reach.rung).toBe('direct');
  expect(media.remotes).toHaveLength(1);
  // The direct rung's silence climbs down to the relay; that join is refused.
  server.refuseJoins.push({ code: 'TIMEOUT', message: 'no answer in time' });
  const armed = Date.now();
  await until(
    // Listed, and its set-up ended (a consume is listed before its resume is answered).
    () => server.joins >= 3 && media.remotes.length === 1 && media.reach.retrying === undefined,
    SILENCE_MS + 1_500,
    () => `joins ${server.joins}, requests ${server.requests.join(', ')}`,
  );
  // The climb's set-up tried again within the backoff's first step (0.25–0.5 s).
  expect(Date.now() - armed).toBeLessThan(SILENCE_MS + MEDIA_SETUP_RETRY.initialMs + 700);
  expect(errors).toEqual(['TIMEOUT']);
  const climbed = server.requests.slice(server.requests.indexOf('media.close'));
  expect(climbed.slice(0, 4)).toEqual(['media.close', 'join', 'join', 'media.createTransport']);
  expect(reaches.find((r) => r.retrying)).toMatchObject({ rung: 'relay', status: 'trying' });
  // The relay's transport connects (FakeHandler's by hand): the class plays on the relay.
  const relay = media.recvTransport;
  if (!relay) throw new Error('no receive transport on the relay');
  expect(relay.closed).toBe(false);
  (relay.handler as FakeHandler).setConnectionState('connected');
  expect(media.reach).toMatchObject({ rung: 'relay', status: 'connected', retrying: undefined });
  expect(media.remotes.map((r) => r.producer.producerId)).toEqual(['speaker-voice']);
});

it('a climb down refused every time gives up after its tries: every way failed', async () => {
  const { server, media } = await exhausted(5);
  // The first join, the climb's, then its 2 tries; none after.
  expect(server.joins).toBe(4);
  expect(media.reach).toMatchObject({ rung: 'relay', status: 'trying', retrying: undefined });
  expect(media.remotes).toHaveLength(0);
  await new Promise((r) => setTimeout(r, 400));
  expect(server.joins).toBe(4);
});

it('a first set-up refused (its receive transport unanswered) is tried again as well', async () => {
  const {
    server: stand,
    media,
    close,
  } = await standInClients(
    { handlerFactory: FakeHandler.createFactory(testFakeParameters) },
    (server) => {
      fakeMedia(server);
      server.refuseTransports.push({ code: 'TIMEOUT', message: 'no answer in time' });
    },
  );
  closers.push(close);
  // The caller is told (LiveSession: the media's error), and the try is planned all the same.
  await expect(media.start()).rejects.toMatchObject({ code: 'TIMEOUT' });
  expect(media.reach.retrying?.attempt).toBe(1);
  // A consume is listed before its resume is answered and the set-up is done: wait for both.
  await until(
    () => media.remotes.length === 1 && media.reach.retrying === undefined,
    1_500,
    () => `requests ${stand.requests.join(', ')}; retrying ${JSON.stringify(media.reach.retrying)}`,
  );
  expect(stand.requests.slice(0, 4)).toEqual([
    'join',
    'media.createTransport',
    'join',
    'media.createTransport',
  ]);
});

it('after its tries ran out, the next media.reconnect tries afresh, not once', async () => {
  const { server, media } = await exhausted(3);
  // Later the server has a node again and says so; its first join is still refused once.
  server.refuseJoins.push({ code: 'TIMEOUT', message: 'no answer in time' });
  server.push('media.reconnect', { reason: 'media_ready', message: 'media is available again' });
  await until(
    () => media.remotes.length === 1,
    1_000,
    () => `joins ${server.joins}, reach ${JSON.stringify(media.reach)}`,
  );
  expect(server.joins).toBe(6);
});
